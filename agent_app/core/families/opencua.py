"""OpenCUA-7B / -32B (xlang-ai/OpenCUA): its system prompt, its request layout and its replies (pyautogui code,
read as data by `pycode`, never run). Coordinates are absolute pixels of the screenshot as the model saw it, after
Qwen2.5-VL's smart_resize (factor 28, min 3136, max 12845056 pixels).

Prompt: OSWorld-Verified's `SYSTEM_PROMPT_V1_L2` (mm_agents/opencua/prompts.py) word for word, without its
sentence giving the OSWorld machine's password; its line on impossible tasks stays (`terminate('failure')` hands
over to the person here). OpenCUA thinks in English, so the run's language does not apply.

Layout (OSWorld's opencua_agent, thought history): system → for each earlier step that still carries its
screenshot: user(image) + assistant(`# Step i:\\n## Thought:\\n…\\n\\n## Action:\\n…`, no code); the earlier steps
without one are merged into one assistant text before them → user(current image, "# Task Instruction: …").
History decides how many screenshots travel (3: two previous and the current one). A person's note is a user text
turn at the point it was given.

Reply: `## Thought:` / `## Action:` / `## Code:` sections; the code is the last fenced block, else the lines from
the first `pyautogui.`/`computer.` line. A pointer call without a point uses the point set earlier in the reply,
else acts at the pointer; `scroll(n)` is n wheel clicks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agent_app.core.actions import Action
from agent_app.core.errors import FormatError
from agent_app.core.families.base import ChatFamily, Context, ParsedReply, Sampling, image_part, text_part
from agent_app.core.families.pycode import MAX_REPLY_CHARS, Dialect, read_code

if TYPE_CHECKING:
    from agent_app.core.history import Turn

SYSTEM_PROMPT = """You are a GUI agent. You are given a task and a screenshot of the screen. You need to perform a series of pyautogui actions to complete the task. If the task is not possible to do, output the action computer.terminate(status='failure').

For each step, provide your response in this format:

Thought:
  - Step by Step Progress Assessment:
    - Analyze completed task parts and their contribution to the overall goal
    - Reflect on potential errors, unexpected results, or obstacles
    - If previous action was incorrect, predict a logical recovery step
  - Next Action Analysis:
    - List possible next actions based on current state
    - Evaluate options considering current state and previous actions
    - Propose most logical next action
    - Anticipate consequences of the proposed action
  - For Text Input Actions:
    - Note current cursor position
    - Consolidate repetitive actions (specify count for multiple keypresses)
    - Describe expected final text outcome
  - Use first-person perspective in reasoning

Action:
  Provide clear, concise, and actionable instructions:
  - If the action involves interacting with a specific target:
    - Describe target explicitly without using coordinates
    - Specify element names when possible (use original language if non-English)
    - Describe features (shape, color, position) if name unavailable
    - For window control buttons, identify correctly (minimize "—", maximize "□", close "X")
  - if the action involves keyboard actions like 'press', 'write', 'hotkey':
    - Consolidate repetitive keypresses with count
    - Specify expected text outcome for typing actions

Finally, output the action as PyAutoGUI code or the following functions:
- {"name": "computer.triple_click", "description": "Triple click on the screen", "parameters": {"type": "object", "properties": {"x": {"type": "number", "description": "The x coordinate of the triple click"}, "y": {"type": "number", "description": "The y coordinate of the triple click"}}, "required": ["x", "y"]}}
- {"name": "computer.terminate", "description": "Terminate the current task and report its completion status", "parameters": {"type": "object", "properties": {"status": {"type": "string", "enum": ["success", "failure"], "description": "The status of the task"}}, "required": ["status"]}}"""

INSTRUCTION_TEMPLATE = (
    "# Task Instruction:\n{instruction}\n\n"
    "Please generate the next move according to the screenshot, task instruction and previous steps (if provided).\n"
)
STEP_TEMPLATE = "# Step {step}:\n"
HISTORY_TEMPLATE = "## Thought:\n{thought}\n\n## Action:\n{action}\n"

CODE = Dialect(more_calls=True, at_pointer=True, wheel_clicks=True)
DEFAULT_WHEEL_CLICKS = 5  # a person's scroll carries no count; the app's default, in OpenCUA's words


# ---- the reply ----
_TOKENS = re.compile(r"<\|(?:im_end|im_start|endoftext|end|eot_id)\|>(?:assistant\n)?")
_FENCE = re.compile(r"```[ \t]*(?:[\w+-]*[ \t]*\n)?(.*?)```", re.DOTALL)
_CODE_LINE = re.compile(r"^[ \t]*(?:pyautogui|computer)[ \t]*\.", re.MULTILINE)
_CODE_HEADING = re.compile(r"^[ \t]*#{1,3}[ \t]*Code[ \t]*:?[ \t]*$", re.MULTILINE | re.IGNORECASE)


def split_reply(text: str) -> tuple[str, str]:
    """(the text around the code, the code). The code is the last fenced block, else the lines from the first
    `pyautogui.`/`computer.` line; "" when there is none. A fence left open (a cut reply) is a FormatError."""
    text = _TOKENS.sub("", text.replace("\r\n", "\n"))
    if text.count("```") % 2:
        raise FormatError("the reply ends inside a code block (was it cut off?)")
    blocks = list(_FENCE.finditer(text))
    if blocks:
        last = blocks[-1]
        return _prose(text[: last.start()] + text[last.end() :]), last.group(1).strip("\n")
    start = _CODE_LINE.search(text)
    if start is None:
        return _prose(text), ""
    return _prose(text[: start.start()]), text[start.start() :].strip("\n")


def _prose(text: str) -> str:
    return _CODE_HEADING.sub("", text).strip()


def parse_opencua(text: str) -> ParsedReply:
    """Parse an OpenCUA reply into actions (pixels of the model's image). Raises FormatError with a one-line reason."""
    if not isinstance(text, str) or not text.strip():
        raise FormatError("the model returned an empty reply")
    if len(text) > MAX_REPLY_CHARS:
        raise FormatError("the model's reply is too long")
    thought, code = split_reply(text)
    if not code.strip():
        raise FormatError("no pyautogui code found in the model's reply")
    return ParsedReply(thought=thought, actions=read_code(code, CODE))


_SECTION = (r"^[ \t]*#{{0,3}}[ \t]*{name}[ \t]*:[ \t]*\n?(.*?)"
            r"(?=^[ \t]*#{{0,3}}[ \t]*(?:Observation|Thought|Action|Code)[ \t]*:|\Z)")
_THOUGHT = re.compile(_SECTION.format(name="Thought"), re.DOTALL | re.MULTILINE | re.IGNORECASE)
_ACTION = re.compile(_SECTION.format(name="Action"), re.DOTALL | re.MULTILINE | re.IGNORECASE)


def history_parts(reply: str) -> tuple[str, str]:
    """(thought, action) of an earlier reply for the history: its `## Thought:` and `## Action:` sections; without
    an Action section, its code stands in (one line). Never raises."""
    try:
        prose, code = split_reply(reply)
    except FormatError:
        prose, code = reply.strip(), ""
    thought, action = _THOUGHT.search(prose), _ACTION.search(prose)
    if action and action.group(1).strip():
        return (thought.group(1).strip() if thought else ""), action.group(1).strip()
    statements = "; ".join(s.strip() for s in code.splitlines() if s.strip() and not s.strip().startswith("#"))
    return (thought.group(1).strip() if thought else prose), statements or "(no action)"


# ---- the person's actions in OpenCUA's words ----
_CALLS = {"click": "click", "double_click": "doubleClick", "right_click": "rightClick",
          "middle_click": "middleClick", "move": "moveTo", "mouse_down": "mouseDown", "mouse_up": "mouseUp"}


def code_lines(a: Action) -> list[str]:
    """The statements performing `a` (coordinates rounded to whole pixels); [] for what OpenCUA cannot say."""

    def at(x: float | None, y: float | None) -> str:
        return f"x={round(x)}, y={round(y)}" if x is not None and y is not None else ""

    if a.type == "triple_click":
        return [f"computer.triple_click({at(a.x, a.y)})" if a.has_point else "pyautogui.tripleClick()"]
    if a.type in _CALLS:
        return [f"pyautogui.{_CALLS[a.type]}({at(a.x, a.y)})"]
    if a.type == "drag":
        start = [f"pyautogui.moveTo({at(a.x, a.y)})"] if a.has_point else []
        return [*start, f"pyautogui.dragTo({at(a.x2, a.y2)}, button='left')"]
    if a.type == "hotkey":
        keys = "[" + ", ".join(repr(k) for k in a.keys) + "]"
        return [f"pyautogui.press(keys={keys})" if len(a.keys) == 1 else f"pyautogui.hotkey(keys={keys})"]
    if a.type == "type":
        return [f"pyautogui.write(message={a.text or ''!r})"]
    if a.type == "scroll":
        clicks = a.amount or DEFAULT_WHEEL_CLICKS
        name = "hscroll" if a.direction in ("left", "right") else "scroll"
        signed = clicks if a.direction in ("up", "right") else -clicks
        where = f", {at(a.x, a.y)}" if a.has_point else ""
        return [f"pyautogui.{name}({signed}{where})"]
    if a.type == "wait":
        return ["computer.wait()"]
    if a.type == "finished":
        answer = f", answer={a.content!r}" if a.content else ""
        return [f"computer.terminate(status='success'{answer})"]
    if a.type == "call_user":
        return ["computer.terminate(status='failure')"]
    return []


@dataclass(frozen=True)
class OpenCUA(ChatFamily):
    def messages(self, context: Context, turns: list[Turn], current_image_url: str) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = [_text("system", SYSTEM_PROMPT)]
        merged: list[str] = []  # earlier steps without their screenshot: one assistant text

        def flush() -> None:
            if merged:
                messages.append(_text("assistant", "\n".join(merged)))
                merged.clear()

        step = 0
        for turn in turns:
            if turn.kind == "note":
                flush()
                messages.append(_text("user", turn.text))
                continue
            step += 1
            thought, action = history_parts(turn.text)
            text = STEP_TEMPLATE.format(step=step) + HISTORY_TEMPLATE.format(thought=thought, action=action)
            if turn.image_url is None:
                merged.append(text)
                continue
            flush()
            messages.append({"role": "user", "content": [image_part(turn.image_url)]})
            messages.append(_text("assistant", text))
        flush()
        instruction = INSTRUCTION_TEMPLATE.format(instruction=context.task.strip())
        messages.append({"role": "user", "content": [image_part(current_image_url), text_part(instruction)]})
        return messages

    def parse(self, reply: str) -> ParsedReply:
        return parse_opencua(reply)

    def format_reply(self, actions: list[Action], thought: str, summary: str = "") -> str:
        """The reply OpenCUA would have written (its training data's forms). A drag from a point is written as
        moveTo + dragTo and reads back as a move and a drag; a scroll without a count gets the app's default."""
        lines = [line for a in actions for line in code_lines(a)]
        fence = "code" if lines and all(line.startswith("computer.") for line in lines) else "python"
        return (f"## Thought:\n{thought.strip()}\n\n## Action:\n{(summary or thought).strip()}\n\n"
                f"## Code:\n```{fence}\n" + "\n".join(lines) + "\n```")


def _text(role: str, text: str) -> dict[str, Any]:
    return {"role": role, "content": [text_part(text)]}


# OSWorld's reference agent: T 0 (≥ 0.2 on a retry), top_p 0.9, 1500 tokens; no repetition penalty.
OPENCUA = OpenCUA("opencua", "OpenCUA", "image", 12845056, min_pixels=3136, max_images=3,
                  sampling=Sampling(temperature=0.0, top_p=0.9, max_tokens=1500, frequency_penalty=None),
                  model_names=(r"opencua[-_ ]?(?:7|32|72)b(?![a-z\d])",))  # not OpenCUA-Qwen2-7B / -A3B (0..1)
