"""UI-TARS-2 (ByteDance Seed): its function-calling prompt, the screenshot dialogue, and its `<seed:tool_call>`
replies. Coordinates are 0..1000 of the screen, written `<point>x y</point>`.

There is no official open parser. The prompt is the one trycua/cua `loops/uitars2.py` builds after the UI-TARS
training prompts, quoted verbatim: the reasoning-mode preamble ("Provided Mode(s):\\nEfficient think."), the
functions as pretty-printed JSON, and the call structure `<gui_think> … </gui_think>` +
`<seed:tool_call><function=NAME><parameter=KEY>value</parameter></function></seed:tool_call>`.

Layout (as cua drives it): system(the prompt) → user(the task) → for each earlier step: [user(its screenshot) while
it still travels] + assistant(the reply as received) → user(the current screenshot); a person's note is a user text
turn where it was given. The prompt has no language line: the thought language is the model's own.

A reply is read in order, never searched: every `<function=…>` of every `<seed:tool_call>` block, its parameters
trimmed (a value may span lines and hold any text but `</parameter>`). An unterminated block, call or parameter, a
call outside a block, other text inside a block, an unknown function or a missing point rejects the whole reply.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agent_app.core.actions import DIRECTIONS, Action
from agent_app.core.errors import FormatError
from agent_app.core.families.base import (
    ChatFamily,
    Context,
    ParsedReply,
    Sampling,
    screenshot_dialogue,
    text_message,
)
from agent_app.core.families.pycode import MAX_ACTIONS, MAX_REPLY_CHARS
from agent_app.core.families.uitars_parser import parse_point, point_tag
from agent_app.core.geometry import FACTOR
from agent_app.core.keys import normalize_combo, normalize_key

if TYPE_CHECKING:
    from agent_app.core.history import Turn

# ---- the prompt (verbatim: trycua/cua libs/python/agent/cua_agent/loops/uitars2.py) ----
_POINT = "The format is: <point>x y</point>"


def _string(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **extra}


def _function(name: str, description: str, properties: dict[str, Any] | None = None,
              required: tuple[str, ...] = ()) -> dict[str, Any]:
    parameters = {} if properties is None else {"type": "object", "properties": properties, "required": [*required]}
    return {"type": "function", "name": name, "parameters": parameters, "description": description}


def _at(what: str) -> dict[str, Any]:
    return {"point": _string(f"{what} coordinates. {_POINT}")}


def _held(what: str) -> dict[str, Any]:
    return {"point": _string(f"Mouse {what.lower()} position. If not specified, default to execute on the current "
                             f"mouse position. {_POINT}"),
            "button": _string(f"{what} button. Default to left.", enum=["left", "right"])}


FUNCTIONS: tuple[dict[str, Any], ...] = (
    _function("open_computer", "Open computer."),
    _function("click", "Mouse left single click action.", _at("Click"), ("point",)),
    _function("left_double", "Mouse left double click action.", _at("Click"), ("point",)),
    _function("right_single", "Mouse right single click action.", _at("Click"), ("point",)),
    _function("scroll", "Scroll action.", {
        "point": _string("Scroll start position. If not specified, default to execute on the current mouse "
                         f"position. {_POINT}"),
        "direction": _string("Scroll direction.", enum=list(DIRECTIONS)),
    }, ("direction",)),
    _function("move_to", "Mouse move action.", _at("Target"), ("point",)),
    _function("hotkey", "Press hotkey.", {
        "key": _string("Hotkeys you want to press. Split keys with a space and use lowercase.")}, ("key",)),
    _function("finished", "This function is used to indicate the completion of a task by providing the final "
              "answer or response.", {"content": _string("Provide the final answer or response to complete the task.")}),
    _function("press", "Press key.", {
        "key": _string("Key you want to press. Only one key can be pressed at one time.")}, ("key",)),
    _function("release", "Release key.", {
        "key": _string("Key you want to release. Only one key can be released at one time.")}, ("key",)),
    _function("mouse_down", "Mouse down action.", _held("Down")),
    _function("mouse_up", "Mouse up action.", _held("Up")),
    _function("call_user", "This function is used to interact with the user by displaying a message and requesting "
              "their input, feedback, or guidance.", {"content": _string(
                  "Message or information displayed to the user to request their input, feedback, or guidance.")}),
    _function("wait", "Wait for a while.", {"time": {"type": "integer", "description": "Wait time in seconds."}}),
    _function("drag", "Mouse left button drag action.", {
        "start_point": _string(f"Drag start point. {_POINT}"), "end_point": _string(f"Drag end point. {_POINT}")},
        ("start_point", "end_point")),
    _function("type", "Type content.", {
        "content": _string("Type content. If you want to submit your input, use \\n at the end of content.")},
        ("content",)),
    _function("take_screenshot", "Take screenshot."),
)

_THINK_TAG = "think_never_used_51bce0c785ca2f68081bfa7d91973934"
_PROMPT_HEAD = (
    "You should begin by detailing the internal reasoning process, and then present the answer to the user. "
    f"The reasoning process should be enclosed within <{_THINK_TAG}> </{_THINK_TAG}> tags, as follows:\n"
    f"<{_THINK_TAG}> reasoning process here </{_THINK_TAG}> answer here.\n\n"
    "You have different modes of thinking:\n"
    "Unrestricted think mode: Engage in an internal thinking process with thorough reasoning and reflections. "
    "You have an unlimited budget for thinking tokens and can continue thinking until you fully solve the problem.\n"
    "Efficient think mode: Provide a concise internal thinking process with efficient reasoning and reflections. "
    "You don't have a strict token budget but be less verbose and more direct in your thinking.\n"
    "No think mode: Respond directly to the question without any internal reasoning process or extra thinking "
    "tokens. Still follow the template with the minimum required thinking tokens to justify the answer.\n"
    "Budgeted think mode: Limit your internal reasoning and reflections to stay within the specified token budget\n\n"
    "Based on the complexity of the problem, select the appropriate mode for reasoning among the provided options "
    "listed below.\n\n"
    "Provided Mode(s):\nEfficient think.\n\n"
    "You are provided with a task description, a history of previous actions, and corresponding screenshots. "
    "Your goal is to perform the next action to complete the task. If performing the same action multiple times "
    "results in a static screen with no changes, attempt a modified or alternative action.\n\n"
    "## Function Definition\n\n"
    "- You have access to the following functions:\n\n"
)
_PROMPT_TAIL = (
    "- To call a function, use the following structure without any suffix:\n\n"
    "<gui_think> reasoning process </gui_think>\n"
    "<seed:tool_call><function=example_function_name><parameter=example_parameter_1>value_1</parameter>"
    "<parameter=example_parameter_2>multiline...\n</parameter></function></seed:tool_call>\n\n"
    "## Important Notes\n"
    "- Function calls must begin with <function= and end with </function>.\n"
    "- All required parameters must be explicitly provided.\n"
    "\n## Additional Notes\n"
    "- You can execute multiple actions within a single tool call. For example:\n"
    "<seed:tool_call><function=example_function_1><parameter=example_parameter_1>value_1</parameter>"
    "<parameter=example_parameter_2>\n"
    "This is the value for the second parameter\nthat can span\nmultiple lines\n"
    "</parameter></function><function=example_function_2><parameter=example_parameter_3>value_4</parameter>"
    "</function></seed:tool_call>"
)
SYSTEM_PROMPT = (_PROMPT_HEAD + "\n\n".join(json.dumps(f, ensure_ascii=False, indent=2) for f in FUNCTIONS)
                 + "\n\n" + _PROMPT_TAIL)

# ---- reading a reply ----
_OPEN, _CLOSE = "<seed:tool_call>", "</seed:tool_call>"
_CALL, _CALL_END = "<function=", "</function>"
_PARAM, _PARAM_END = "<parameter=", "</parameter>"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_NOT_THOUGHT = re.compile(r"</?(?:gui_think|seed:think|seed:tool_call|think[^<>\s]*)>|<\|[a-z_]+\|>", re.IGNORECASE)
_POINTERS = {"click": "click", "left_double": "double_click", "right_single": "right_click", "move_to": "move"}
_WAITS = ("wait", "take_screenshot", "open_computer")
CUT = "(was the reply cut off?)"


def read_calls(reply: str) -> tuple[str, list[tuple[str, dict[str, str]]]]:
    """(the text outside the blocks, every call in order as (function, parameters)). Raises FormatError."""
    outside: list[str] = []
    calls: list[tuple[str, dict[str, str]]] = []
    i = 0
    while True:
        start = reply.find(_OPEN, i)
        chunk = reply[i:] if start < 0 else reply[i:start]
        if _CALL in chunk:
            raise FormatError(f"a {_CALL}…> call outside {_OPEN}…{_CLOSE}")
        outside.append(chunk)
        if start < 0:
            return "".join(outside), calls
        i = start + len(_OPEN)
        while True:
            i = _skip_space(reply, i)
            if reply.startswith(_CLOSE, i):
                i += len(_CLOSE)
                break
            if reply.startswith(_CALL, i):
                call, i = _read_call(reply, i)
                calls.append(call)
                continue
            if _cut_at(reply, i, _CLOSE, _CALL):
                raise FormatError(f"a {_OPEN} block is not closed: the reply ends inside it {CUT}")
            raise FormatError(f"unexpected text in a {_OPEN} block: {_snippet(reply, i)}")


def _read_call(s: str, i: int) -> tuple[tuple[str, dict[str, str]], int]:
    name, k = _tag_value(s, i + len(_CALL), "function")
    params: dict[str, str] = {}
    while True:
        k = _skip_space(s, k)
        if s.startswith(_CALL_END, k):
            return (name, params), k + len(_CALL_END)
        if s.startswith(_PARAM, k):
            key, k = _tag_value(s, k + len(_PARAM), "parameter")
            end = s.find(_PARAM_END, k)
            if end < 0:
                raise FormatError(f"parameter {key!r} of {name} is not closed: the reply ends inside it {CUT}")
            if key in params:
                raise FormatError(f"{name} names its parameter {key!r} twice")
            params[key] = s[k:end].strip()
            k = end + len(_PARAM_END)
            continue
        if _cut_at(s, k, _CALL_END, _PARAM):
            raise FormatError(f"the call of {name} is not closed: the reply ends inside it {CUT}")
        raise FormatError(f"unexpected text in the call of {name}: {_snippet(s, k)}")


def _tag_value(s: str, i: int, what: str) -> tuple[str, int]:
    """The NAME of `<function=NAME>` / `<parameter=NAME>` starting at `i`, and where the tag ends."""
    end = s.find(">", i)
    if end < 0:
        raise FormatError(f"a <{what}=…> tag is not closed: the reply ends inside it {CUT}")
    name = s[i:end].strip()
    if not _NAME.fullmatch(name):
        raise FormatError(f"cannot read the {what} name in {_snippet(s, i)}")
    return name, end + 1


def _skip_space(s: str, i: int) -> int:
    while i < len(s) and s[i].isspace():
        i += 1
    return i


def _cut_at(s: str, i: int, *tags: str) -> bool:
    """Does the reply end at `i`, or with the start of one of `tags` (a cut mid-tag)?"""
    rest = s[i:]
    return not rest or any(tag.startswith(rest) for tag in tags)


def _snippet(s: str, i: int) -> str:
    return repr(s[i : i + 40] + ("…" if len(s) > i + 40 else ""))


def parse_uitars2(reply: str) -> ParsedReply:
    """Actions in 0..1000 units, or FormatError with a one-line reason. Nothing in a reply is ever executed."""
    if not isinstance(reply, str) or not reply.strip():
        raise FormatError("the model returned an empty reply")
    if len(reply) > MAX_REPLY_CHARS:
        raise FormatError("the model's reply is too long")
    outside, calls = read_calls(reply)
    if not calls:
        raise FormatError(f"no function call in the model's reply (expected {_OPEN}{_CALL}…>…{_CLOSE})")
    if len(calls) > MAX_ACTIONS:
        raise FormatError(f"more than {MAX_ACTIONS} function calls in one reply")
    actions = [a for a in (_action(name, params) for name, params in calls) if a is not None]
    return ParsedReply(thought=_NOT_THOUGHT.sub("", outside).strip(), actions=actions)


def _action(name: str, p: dict[str, str]) -> Action | None:
    if name in _POINTERS:
        x, y = _point(p, "point", name)
        return Action(_POINTERS[name], x=x, y=y)
    if name == "drag":
        (x, y), (x2, y2) = _point(p, "start_point", name), _point(p, "end_point", name)
        return Action("drag", x=x, y=y, x2=x2, y2=y2)
    if name == "scroll":
        direction = p.get("direction", "").lower()
        if direction not in DIRECTIONS:
            raise FormatError(f"scroll needs a direction (up, down, left or right), got {direction[:20]!r}")
        x, y = _point(p, "point", name) if p.get("point") else (None, None)
        return Action("scroll", x=x, y=y, direction=direction)
    if name in ("mouse_down", "mouse_up"):
        button = p.get("button", "").lower() or "left"
        if button != "left":
            raise FormatError(f"{name} with the {button[:20]!r} button: only the left button can be held")
        x, y = _point(p, "point", name) if p.get("point") else (None, None)
        return Action(name, x=x, y=y)
    if name == "hotkey":
        return Action("hotkey", keys=normalize_combo(p.get("key", "")))
    if name == "press":
        if not p.get("key"):
            raise FormatError("press without a key")
        return Action("hotkey", keys=(normalize_key(p["key"]),))
    if name == "release":
        return None  # press already let go of its key
    if name == "type":
        if "content" not in p:
            raise FormatError("type without content")
        return Action("type", text=p["content"].replace("\\n", "\n"))
    if name in _WAITS:
        return Action("wait")
    if name == "finished":
        return Action("finished", content=p.get("content", ""))
    if name == "call_user":
        return Action("call_user", content=p.get("content"))
    raise FormatError(f"unknown function {name[:40]!r}")


def _point(p: dict[str, str], key: str, name: str) -> tuple[float, float]:
    if not p.get(key):
        raise FormatError(f"{name} without {key}")
    return parse_point(p[key])


# ---- writing one ----
_SPELLING = {v: k for k, v in _POINTERS.items()}


def _call(name: str, **params: str | None) -> str:
    inner = "".join(f"{_PARAM}{k}>{v}{_PARAM_END}" for k, v in params.items() if v is not None)
    return f"{_CALL}{name}>{inner}{_CALL_END}"


def _spell(a: Action) -> str | None:
    """One action as a UI-TARS-2 call (model units), or None when the family has no words for it."""
    at = point_tag(a.x, a.y) if a.has_point else None
    if a.type in _SPELLING:
        return _call(_SPELLING[a.type], point=at) if at else None  # no click "at the pointer" in this family
    if a.type == "drag":
        return _call("drag", start_point=at, end_point=point_tag(a.x2, a.y2)) if at else None
    if a.type == "scroll":
        return _call("scroll", point=at, direction=a.direction)
    if a.type in ("mouse_down", "mouse_up"):
        return _call(a.type, point=at)
    if a.type == "hotkey":  # keys split on spaces; " + " would join two of them, so the plus key is "plus"
        return _call("hotkey", key=" ".join("plus" if k == "+" else k for k in a.keys))
    if a.type == "type":
        return _call("type", content=(a.text or "").replace("\n", "\\n"))
    if a.type == "wait":
        return _call("wait")
    if a.type == "finished":
        return _call("finished", content=a.content or "")
    if a.type == "call_user":
        return _call("call_user", content=a.content)
    return None


@dataclass(frozen=True)
class UITars2(ChatFamily):
    def messages(self, context: Context, turns: list[Turn], current_image_url: str) -> list[dict[str, Any]]:
        head = [text_message("system", SYSTEM_PROMPT), text_message("user", context.task.strip())]
        return screenshot_dialogue(head, turns, current_image_url, self.history_text)

    def parse(self, reply: str) -> ParsedReply:
        return parse_uitars2(reply)

    def format_reply(self, actions: list[Action], thought: str, summary: str = "") -> str:
        thought = " ".join(thought.split())
        calls = "".join(c for c in map(_spell, actions) if c)
        return (f"<gui_think> {thought} </gui_think>\n" if thought else "") + f"{_OPEN}{calls}{_CLOSE}"


# Sizing and sampling are not published for UI-TARS-2: the Doubao budget (both hosted Seed GUI models; in 0..1000
# the size affects accuracy only) and the sampling of OSWorld's Doubao thinking agent (T 0, max_tokens 3000). No
# frequency penalty: it would push against the tags every call repeats. Names: "ui-tars-2", "bytedance/ui-tars-2",
# not UI-TARS-2B-SFT (1.0) nor doubao-1-5-ui-tars-250428.
UITARS_2 = UITars2("uitars-2", "UI-TARS-2", "thousandths", 5120 * FACTOR * FACTOR,
                   sampling=Sampling(max_tokens=3000, frequency_penalty=None),
                   model_names=(r"ui[-_ ]?tars[-_ ]?2(?![\d.]|b)",))
