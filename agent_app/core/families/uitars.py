"""The prompts each model family was trained on (facts from UI-TARS, OSWorld and UI-TARS-desktop).

UI-TARS-1.0 and 1.5 share the computer-use prompt with the call_user action space; `finished` keeps its
`content` argument (as in the 1.5 normal action space) so a run can end with an answer. Doubao/Seed models
get the same prompt in their `<point>` spelling.
"""

from __future__ import annotations

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


USER_NOTE_PREFIX = "Note from the user: "


def user_note_text(note: str, intervened: bool) -> str:
    """The text a person's reply or takeover becomes in the model's context."""
    lead = "The user took over control and then handed it back to you. " if intervened else ""
    return lead + (USER_NOTE_PREFIX + note.strip() if note.strip() else "Please continue the task.")
