"""UI-TARS 1.0, 1.5 and Doubao/Seed: the computer-use prompt, the OSWorld request layout, the reply formatter.

Facts from UI-TARS, OSWorld and UI-TARS-desktop. UI-TARS-1.0 and 1.5 share the computer-use prompt with the
call_user action space; `finished` keeps its `content` argument (as in the 1.5 normal action space) so a run can
end with an answer. Doubao/Seed models get the same prompt in their `<point>` spelling. 1.5 answers in pixels of
the image it saw, 1.0 and Doubao in thousandths. The replies are read by `uitars_parser`.

Layout (OSWorld uitars15_v1): system → user(prompt) → for each earlier step: [user(image) if it still carries its
screenshot] + assistant(reply, box tokens restored) → user(current image). A person's note is a user text turn at
the point it was given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agent_app.core.actions import Action
from agent_app.core.families.base import ChatFamily, Context, ParsedReply, quote, screenshot_dialogue, text_message
from agent_app.core.families.uitars_parser import add_box_tokens, parse_uitars, point_tag
from agent_app.core.geometry import FACTOR

if TYPE_CHECKING:
    from agent_app.core.history import Turn

SYSTEM_PROMPT = "You are a helpful assistant."

_HEADER = (
    "You are a GUI agent. You are given a task and your action history, with screenshots. "
    "You need to perform the next action to complete the task.\n"
    "\n## Output Format\n```\nThought: ...\nAction: ...\n```\n"
)

_FINISHED = (
    "finished(content='xxx') # Use escape characters \\', \\\", and \\n in content part to ensure we can "
    "parse the content in normal python string format."
)
_CALL_USER = (
    "call_user() # Submit the task and call the user when the task is unsolvable, or when you need the "
    "user's help."
)

UITARS_ACTION_SPACE = f"""
click(start_box='<|box_start|>(x1,y1)<|box_end|>')
left_double(start_box='<|box_start|>(x1,y1)<|box_end|>')
right_single(start_box='<|box_start|>(x1,y1)<|box_end|>')
drag(start_box='<|box_start|>(x1,y1)<|box_end|>', end_box='<|box_start|>(x3,y3)<|box_end|>')
hotkey(key='')
type(content='') #If you want to submit your input, use "\\n" at the end of `content`.
scroll(start_box='<|box_start|>(x1,y1)<|box_end|>', direction='down or up or right or left')
wait() #Sleep for 5s and take a screenshot to check for any changes.
{_FINISHED}
{_CALL_USER}
"""

DOUBAO_ACTION_SPACE = f"""
click(point='<point>x1 y1</point>')
left_double(point='<point>x1 y1</point>')
right_single(point='<point>x1 y1</point>')
drag(start_point='<point>x1 y1</point>', end_point='<point>x2 y2</point>')
hotkey(key='ctrl c') # Split keys with a space and use lowercase. Also, do not use more than 3 keys in one hotkey action.
type(content='xxx') # Use escape characters \\', \\", and \\n in content part to ensure we can parse the content in normal python string format. If you want to submit your input, use \\n at the end of content.
scroll(point='<point>x1 y1</point>', direction='down or up or right or left') # Show more information on the `direction` side.
wait() #Sleep for 5s and take a screenshot to check for any changes.
{_FINISHED}
{_CALL_USER}
"""

_NOTE = """
## Note
- Use {language} in `Thought` part.
- Write a small plan and finally summarize your next action (with its target element) in one sentence in `Thought` part.

## User Instruction
{instruction}
"""

LANGUAGES = {"en": "English", "zh": "Chinese"}


def computer_use_prompt(instruction: str, language: str = "en", action_space: str = UITARS_ACTION_SPACE) -> str:
    """The user-turn prompt of the UI-TARS computer-use template."""
    lang = LANGUAGES.get(language, language)
    return (
        _HEADER
        + "\n## Action Space\n"
        + action_space
        + _NOTE.format(language=lang, instruction=instruction.strip())
    )


_NAMES = {"click": "click", "double_click": "left_double", "right_click": "right_single"}


@dataclass(frozen=True)
class UITars(ChatFamily):
    action_space: str = UITARS_ACTION_SPACE
    point_style: str = "box"  # "box": (x,y) in start_box/end_box; "box_tokens": the same inside <|box_start|>;
    # "point": <point>x y</point> in point/start_point/end_point (Doubao)

    def prompt(self, instruction: str, language: str) -> str:
        return computer_use_prompt(instruction, language, self.action_space)

    def messages(self, context: Context, turns: list[Turn], current_image_url: str) -> list[dict[str, Any]]:
        head = [text_message("system", SYSTEM_PROMPT), text_message("user", self.prompt(context.task, context.language))]
        return screenshot_dialogue(head, turns, current_image_url, self.history_text)

    def parse(self, reply: str) -> ParsedReply:
        return parse_uitars(reply)

    def history_text(self, reply: str) -> str:
        """Box tokens back around start_box/end_box, as UI-TARS 1.x was trained (vLLM strips them)."""
        return reply if self.point_style == "point" else add_box_tokens(reply)

    def format_reply(self, actions: list[Action], thought: str, summary: str = "") -> str:
        calls = [c for c in (self._call(a) for a in actions) if c]
        return f"Thought: {' '.join(thought.split())}\nAction: " + "\n\n".join(calls)

    def _point(self, x: float, y: float) -> str:
        if self.point_style == "point":
            return f"'{point_tag(x, y)}'"
        if self.point_style == "box_tokens":
            return f"'<|box_start|>({round(x)},{round(y)})<|box_end|>'"
        return f"'({round(x)},{round(y)})'"

    def _call(self, a: Action) -> str | None:
        doubao = self.point_style == "point"
        point_key, end_key = ("point", "end_point") if doubao else ("start_box", "end_box")
        if a.type in _NAMES:
            return f"{_NAMES[a.type]}({point_key}={self._point(a.x, a.y)})"
        if a.type == "drag":
            start_key = "start_point" if doubao else "start_box"
            return f"drag({start_key}={self._point(a.x, a.y)}, {end_key}={self._point(a.x2, a.y2)})"
        if a.type == "hotkey":
            return f"hotkey(key={quote(' '.join(a.keys))})"
        if a.type == "type":
            return f"type(content={quote(a.text or '')})"
        if a.type == "scroll":
            where = f"{point_key}={self._point(a.x, a.y)}, " if a.x is not None else ""
            return f"scroll({where}direction='{a.direction}')"
        if a.type == "wait":
            return "wait()"
        if a.type == "finished":
            return f"finished(content={quote(a.content or '')})"
        if a.type == "call_user":
            return "call_user()"
        return None  # "move" has no UI-TARS spelling


# Model names (HF repos, served and hosted ids): UI-TARS-1.5-7B; the 1.0 sizes 2B/7B/72B (-SFT, -DPO); Volcengine's
# doubao-1-5-ui-tars-250428 and Seed1.5-VL / doubao-seed-… (not the ByteDance-Seed organisation, not Seed-OSS).
UITARS_15 = UITars("uitars-1.5", "UI-TARS-1.5", "image", 16384 * FACTOR * FACTOR,
                   model_names=(r"ui[-_ ]?tars[-_ ]?1[._-]?5(?![\d.])",))
UITARS_10 = UITars("uitars-1.0", "UI-TARS-1.0", "thousandths", 2700 * FACTOR * FACTOR, point_style="box_tokens",
                   model_names=(r"ui[-_ ]?tars[-_ ]?(?:1[._-]?0[-_ ]?)?(?:2|7|72)b(?![a-z\d])",))
DOUBAO = UITars("doubao", "Doubao / Seed GUI", "thousandths", 5120 * FACTOR * FACTOR,
                action_space=DOUBAO_ACTION_SPACE, point_style="point",
                model_names=(r"doubao", r"(?<![a-z])seed[-_ ]?\d"))
