"""Qwen2.5-VL, Qwen3-VL and GUI-Owl-1.5: the `computer_use` tool, its request layout, its `<tool_call>` replies.

The three share the reply format (qwen-agent's NousFnCallPrompt: JSON in `<tool_call>` blocks) and the layout;
they differ in the tool's text, the resolution it declares, the actions it offers, the image sizing and what the
system text adds. Prompt texts are quoted from the official sources:

* qwen2.5-vl — `QwenLM/Qwen3-VL` cookbooks/utils/agent_function_call.py at d08310c (the Qwen2.5-VL cookbook),
  rendered as the qwen-agent of that time did (after "You are a helpful assistant.", with `name_for_human` and
  `args_format`); the declared resolution is the image the model is sent, so it answers in its pixels.
* qwen3-vl — the same file today, rendered as qwen-agent renders it now, declaring 1000x1000, followed by the
  response format of OSWorld's qwen3vl_agent (an `Action:` line, then the call), as Qwen3-VL's own cookbooks add one.
* gui-owl-1.5 — the system prompt of `X-PLUG/MobileAgent` Mobile-Agent-v3.5/computer_use/utils.py (1000x1000,
  with `interact`); its PC runner also takes `call_user`.

Layout (GUI-Owl's runner, OSWorld's qwen3vl_agent): system → user [the instruction with "Previous actions", the
oldest screenshot still sent] → assistant reply → user [screenshot] → … → user [current screenshot]. Steps whose
screenshot no longer travels are only their `Action:` line in "Previous actions"; a person's note is a line there
when it came before the screenshots that still travel, else a user text turn where it was given.

Replies: every `<tool_call>` outside the model's thinking, in order (qwen-agent does not read calls in a thought);
`<think>`/`<thinking>` tags and `<|im_end|>` are dropped and the rest of the text is the thought.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agent_app.core.actions import Action
from agent_app.core.errors import FormatError
from agent_app.core.families.base import (
    ChatFamily,
    Context,
    ParsedReply,
    Sampling,
    image_part,
    previous_actions,
    text_part,
)
from agent_app.core.families.pycode import MAX_ACTIONS, MAX_COORDINATE, MAX_REPLY_CHARS
from agent_app.core.keys import normalize_combo, split_combo
from agent_app.core.text import one_line

if TYPE_CHECKING:
    from agent_app.core.history import Turn

TOOL_NAMES = ("computer_use", "computer")
SCROLL_CLICKS = 5  # a person's scroll has no measured amount: written as this many wheel clicks

# ---- the tool, as its sources word it ----
_ABOUT = (
    "Use a mouse and keyboard to interact with a computer, and take screenshots.\n"
    "* This is an interface to a desktop GUI. You do not have access to a terminal or applications menu. You must "
    "click on desktop icons to start applications.\n"
    "* Some applications may take time to start or process actions, so you may need to wait and take successive "
    "screenshots to see the results of your actions. E.g. if you click on Firefox and a window doesn't open, try "
    "wait and taking another screenshot.\n"
    "* The screen's resolution is {w}x{h}.\n"
)
_CONSULT = (
    "* Whenever you intend to move the cursor to click on an element like an icon, you should consult a screenshot "
    "to determine the coordinates of the element before moving the cursor.\n"
    "* If you tried clicking on a program or link but it failed to load, even after waiting, try adjusting your "
    "cursor position so that the tip of the cursor visually falls on the element that you want to click.\n"
)
_CENTRE = ("* Make sure to click any buttons, links, icons, etc with the cursor tip in the center of the element. "
           "Don't click boxes on their edges")
_AT = " at a specified (x, y) pixel coordinate on the screen"
_COORDINATE = ("(x, y): The x (pixels from the left edge) and y (pixels from the top edge) coordinates to move the "
               "mouse to.")
_COORDINATE_REQUIRED = " Required only by `action=mouse_move` and `action=left_click_drag`."
_PIXELS = "The amount of scrolling to perform. Positive values scroll up, negative values scroll down."
_ACTIONS = {
    "key": "Performs key down presses on the arguments passed in order, then performs key releases in reverse order.",
    "type": "Type a string of text on the keyboard.",
    "mouse_move": "Move the cursor to a specified (x, y) pixel coordinate on the screen.",
    "left_click": "Click the left mouse button",
    "left_click_drag": "Click and drag the cursor to a specified (x, y) pixel coordinate on the screen.",
    "right_click": "Click the right mouse button",
    "middle_click": "Click the middle mouse button",
    "double_click": "Double-click the left mouse button",
    "triple_click": "Triple-click the left mouse button",
    "scroll": "Performs a scroll of the mouse scroll wheel.",
    "hscroll": "Performs a horizontal scroll.",
    "wait": "Wait specified seconds for the change to happen.",
    "terminate": "Terminate the current task and report its completion status.",
    "answer": "Answer a question.",
    "interact": "Resolve the blocking window by interacting with the user.",
}
_CLICKS = ("left_click", "right_click", "middle_click", "double_click", "triple_click")
QWEN25_ACTIONS = ("key", "type", "mouse_move", "left_click", "left_click_drag", "right_click", "middle_click",
                  "double_click", "scroll", "wait", "terminate")
QWEN3_ACTIONS = ("key", "type", "mouse_move", "left_click", "left_click_drag", "right_click", "middle_click",
                 "double_click", "triple_click", "scroll", "hscroll", "wait", "terminate", "answer")
GUI_OWL_ACTIONS = (*QWEN3_ACTIONS, "interact")


def _action_list(names: tuple[str, ...], clicks_at: bool, notes: dict[str, str]) -> str:
    lines = []
    for name in names:
        text = _ACTIONS[name] + (_AT if clicks_at and name in _CLICKS else "") + ("." if name in _CLICKS else "")
        lines.append(f"* `{name}`: {notes.get(name, text)}")
    return "The action to perform. The available actions are:\n" + "\n".join(lines)


def _parameters(names: tuple[str, ...], actions: str, text: str, coordinate: str, pixels: str) -> dict[str, Any]:
    return {
        "properties": {
            "action": {"description": actions, "enum": list(names), "type": "string"},
            "keys": {"description": "Required only by `action=key`.", "type": "array"},
            "text": {"description": text, "type": "string"},
            "coordinate": {"description": coordinate, "type": "array"},
            "pixels": {"description": pixels, "type": "number"},
            "time": {"description": "The seconds to wait. Required only by `action=wait`.", "type": "number"},
            "status": {"description": "The status of the task. Required only by `action=terminate`.",
                       "type": "string", "enum": ["success", "failure"]},
        },
        "required": ["action"],
        "type": "object",
    }


def _tools(function: dict[str, Any]) -> str:
    """qwen-agent NousFnCallPrompt's "# Tools" text for one function."""
    tool = json.dumps({"type": "function", "function": function}, ensure_ascii=False)
    return (
        "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
        "You are provided with function signatures within <tools></tools> XML tags:\n"
        f"<tools>\n{tool}\n</tools>\n\n"
        "For each function call, return a json object with function name and arguments within "
        "<tool_call></tool_call> XML tags:\n"
        '<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>'
    )


def _response_format(sentence: str, outside: str) -> str:
    return (
        "\n\n# Response format\n\nResponse format for every step:\n"
        "1) Action: a short imperative describing what to do in the UI.\n"
        '2) A single <tool_call>...</tool_call> block containing only the JSON: {"name": <function-name>, '
        '"arguments": <args-json-object>}.\n\n'
        "Rules:\n- Output exactly in the order: Action, <tool_call>.\n"
        f"- Be brief: {sentence} Action.\n- Do not output anything else outside those {outside}.\n"
        "- If finishing, use action=terminate in the tool call."
    )


def qwen25_system(w: int, h: int) -> str:
    actions = _action_list(QWEN25_ACTIONS, clicks_at=False, notes={})
    function = {
        "name_for_human": "computer_use",
        "name": "computer_use",
        "description": _ABOUT.format(w=w, h=h) + _CONSULT + _CENTRE + " unless asked.",
        "parameters": _parameters(QWEN25_ACTIONS, actions, "Required only by `action=type`.",
                                  _COORDINATE + _COORDINATE_REQUIRED, _PIXELS + " Required only by `action=scroll`."),
        "args_format": "Format the arguments as a JSON object.",
    }
    return "You are a helpful assistant.\n\n" + _tools(function)


def qwen3_system(w: int, h: int) -> str:
    actions = _action_list(QWEN3_ACTIONS, clicks_at=True, notes={
        "triple_click": _ACTIONS["triple_click"] + _AT + " (simulated as double-click since it's the closest action).",
        "hscroll": "Performs a horizontal scroll (mapped to regular scroll).",
    })
    function = {
        "name": "computer_use",
        "description": _ABOUT.format(w=w, h=h) + _CONSULT + _CENTRE + ".",
        "parameters": _parameters(QWEN3_ACTIONS, actions, "Required only by `action=type` and `action=answer`.",
                                  _COORDINATE, _PIXELS + " Required only by `action=scroll` and `action=hscroll`."),
    }
    return _tools(function) + _response_format("one sentence for", "parts")


def gui_owl_system(w: int, h: int) -> str:
    actions = _action_list(GUI_OWL_ACTIONS, clicks_at=True, notes={})
    function = {
        "name": "computer_use",
        "description": _ABOUT.format(w=w, h=h) + _CENTRE + " unless asked.",
        "parameters": _parameters(GUI_OWL_ACTIONS, actions,
                                  "Required only by `action=type`, `action=answer` and `action=interact`.",
                                  _COORDINATE + _COORDINATE_REQUIRED,
                                  _PIXELS + " Required only by `action=scroll` and `action=hscroll`."),
    }
    return _tools(function) + _response_format("one for", "two parts")


INSTRUCTION = (
    "Please generate the next move according to the UI screenshot, instruction and previous actions.\n\n"
    "Instruction: {instruction}\n\nPrevious actions:\n{previous}"
)


# ---- tool-call blocks (also the client's spelling of native tool_calls) ----
def tool_call_text(name: str, arguments: dict[str, Any] | str) -> str:
    """One `<tool_call>` block as Qwen writes it. `arguments` as a server sends them (a JSON string) become their
    object; a string that is no JSON object stays verbatim, so that the block fails to parse instead of guessing."""
    if isinstance(arguments, str):
        try:
            decoded = json.loads(arguments)
        except (ValueError, RecursionError):
            decoded = None
        if not isinstance(decoded, dict):
            head = json.dumps(name, ensure_ascii=False)
            return f'<tool_call>\n{{"name": {head}, "arguments": {arguments}}}\n</tool_call>'
        arguments = decoded
    call = json.dumps({"name": name, "arguments": arguments}, ensure_ascii=False)
    return f"<tool_call>\n{call}\n</tool_call>"


def join_tool_calls(content: str, blocks: list[str]) -> str:
    """The content, then each block on a line of its own (as Qwen's chat template lays out tool calls)."""
    text = content
    for block in blocks:
        text += ("" if not text or text.endswith("\n") else "\n") + block
    return text


def with_tool_calls(content: str, calls: list[tuple[str, str]]) -> str:
    """A reply whose tool calls a server parsed out (vLLM `--tool-call-parser hermes`) as the model wrote it: the
    content, then a block per (name, arguments text). This is what is parsed, recorded and sent back as history."""
    return join_tool_calls(content, [tool_call_text(name, arguments) for name, arguments in calls])


# ---- reading a reply ----
_TOKEN = re.compile(r"</?tool_call>|</?think(?:ing)?>")
_FENCE_LINE = re.compile(r"^[ \t]*```[\w+-]*[ \t]*$\n?", re.MULTILINE)
_FENCED = re.compile(r"\A```[\w+-]*[ \t]*\n?(.*?)\n?[ \t]*```\Z", re.DOTALL)
_ACTION_LINE = re.compile(r"^[ \t*#>-]*Action[ \t]*\**[ \t]*[:：][ \t]*(.*\S)", re.IGNORECASE | re.MULTILINE)


@dataclass
class ReplyParts:
    calls: list[str] = field(default_factory=list)  # the bodies of the calls outside the thinking
    text: list[str] = field(default_factory=list)  # everything else


def split_reply(reply: str) -> ReplyParts:
    """The calls (their bodies) and the rest. A call inside the thinking is thinking; a bare `</think>` (the chat
    template opened the thinking) makes everything before it thinking. Raises FormatError for a damaged call."""
    text = reply.replace("\r\n", "\n").replace("<|im_end|>", "")
    out = ReplyParts()
    pos, state = 0, "text"  # "text" | "call" | "think"
    for m in _TOKEN.finditer(text):
        token = m.group()
        if state == "call":
            if token == "<tool_call>":
                raise FormatError("a <tool_call> opens inside another one")
            if token == "</tool_call>":
                out.calls.append(text[pos : m.start()])
                pos, state = m.end(), "text"
            continue
        if state == "think":
            if token.startswith("</think"):
                out.text.append(text[pos : m.start()])
                pos, state = m.end(), "text"
            continue
        out.text.append(text[pos : m.start()])
        pos = m.end()
        if token == "<tool_call>":
            state = "call"
        elif token == "</tool_call>":
            raise FormatError("a </tool_call> without its <tool_call>")
        elif token.startswith("<think"):
            state = "think"
        else:  # a bare </think>: everything before it was thinking, calls included
            out.calls.clear()
            out.text[:] = [text[: m.start()]]
    if state == "call":
        raise FormatError("the model's reply ends inside a <tool_call> (cut off?)")
    out.text.append(text[pos:])
    return out


def _thought(parts: list[str]) -> str:
    """The text outside the calls without tags (a draft call in the thinking stays as text) and fence lines."""
    cleaned = (_FENCE_LINE.sub("", _TOKEN.sub("", part)) for part in parts)
    return "\n".join(p.strip() for p in cleaned if p.strip())


def _decode(body: str) -> dict[str, Any]:
    """A call's arguments object. Raises FormatError."""
    body = body.strip()
    fenced = _FENCED.match(body)
    if fenced:
        body = fenced.group(1).strip()
    try:
        call = json.loads(body, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise FormatError(f"a tool call is not JSON: {one_line(body, 60)!r}") from None
    if not isinstance(call, dict):
        raise FormatError("a tool call is not a JSON object")
    name, arguments = call.get("name"), call.get("arguments")
    if name not in TOOL_NAMES:
        raise FormatError(f"a call to an unknown tool {one_line(str(name), 40)!r}")
    if isinstance(arguments, str):  # arguments written as a JSON string
        try:
            arguments = json.loads(arguments, parse_constant=_no_constant)
        except (ValueError, RecursionError):
            raise FormatError("a tool call's arguments are not JSON") from None
    if not isinstance(arguments, dict):
        raise FormatError("a tool call without an arguments object")
    return arguments


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number")


def _number(value: Any, what: str) -> float:
    # `abs` first: an int too large for a float (10**400) makes isfinite raise OverflowError.
    if type(value) not in (int, float) or abs(value) > MAX_COORDINATE or not math.isfinite(value):
        raise FormatError(f"{what} must be a number, got {one_line(json.dumps(value), 30)}")
    return float(value)


def _point(args: dict[str, Any]) -> tuple[float, float] | None:
    """`coordinate` [x, y] (a 4-number box: its centre), or None when the call names no point."""
    value = args.get("coordinate")
    if value is None:
        return None
    if not isinstance(value, list) or len(value) not in (2, 4):
        raise FormatError(f"a coordinate must be [x, y], got {one_line(json.dumps(value), 30)}")
    n = [_number(v, "a coordinate") for v in value]
    return (n[0], n[1]) if len(n) == 2 else ((n[0] + n[2]) / 2, (n[1] + n[3]) / 2)


def _keys(args: dict[str, Any]) -> tuple[str, ...]:
    keys = args.get("keys")
    if isinstance(keys, str):
        keys = [keys]
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise FormatError("a key action needs `keys`, a list of key names")
    tokens = [t for k in keys for t in (split_combo(k) if len(k) > 1 and "+" in k else [k])]
    return normalize_combo(tokens)


def _text(args: dict[str, Any], action: str, required: bool = True) -> str | None:
    text = args.get("text")
    if text is None and not required:
        return None
    if not isinstance(text, str):
        raise FormatError(f"a {action} action needs `text`")
    return text


_CLICK_TYPES = {"left_click": "click", "right_click": "right_click", "middle_click": "middle_click",
                "double_click": "double_click", "triple_click": "triple_click"}
_CLICK_NAMES = {v: k for k, v in _CLICK_TYPES.items()}
_COMMON = frozenset({*_CLICK_TYPES, "mouse_move", "left_click_drag", "key", "type", "scroll", "hscroll", "wait",
                     "terminate", "answer"})


def _action(args: dict[str, Any], last: tuple[float, float] | None) -> Action:
    """One call's action (coordinates in model units); `last`: the last point set earlier in the reply."""
    name = args["action"]
    point = _point(args)
    at = {"x": point[0], "y": point[1]} if point else {}
    if name in _CLICK_TYPES:
        return Action(_CLICK_TYPES[name], **at)
    if name in ("mouse_move", "left_click_drag"):
        if point is None:
            raise FormatError(f"{name} without a coordinate")
        if name == "mouse_move":
            return Action("move", **at)
        start = {"x": last[0], "y": last[1]} if last else {}
        return Action("drag", **start, x2=point[0], y2=point[1])
    if name == "key":
        return Action("hotkey", keys=_keys(args))
    if name == "type":
        return Action("type", text=_text(args, name))
    if name in ("scroll", "hscroll"):
        pixels = _number(args.get("pixels"), f"{name} `pixels`")
        if pixels == 0:
            raise FormatError(f"a {name} of 0 pixels has no direction")
        up = pixels > 0
        direction = ("up" if up else "down") if name == "scroll" else ("right" if up else "left")
        return Action("scroll", **at, direction=direction, amount=max(1, round(abs(pixels))))
    if name == "wait":
        return Action("wait")
    if name == "terminate":
        status = args.get("status")
        if status not in ("success", "failure"):
            raise FormatError(f"terminate with status {one_line(json.dumps(status), 20)} (success or failure)")
        return Action("finished", content="") if status == "success" else Action("call_user")
    if name == "answer":
        return Action("finished", content=_text(args, name))
    return Action("call_user", content=_text(args, name, required=False))  # interact, call_user


# ---- the family ----
@dataclass(frozen=True)
class QwenToolFamily(ChatFamily):
    system: Callable[[int, int], str] = qwen3_system
    declared: tuple[int, int] | None = (1000, 1000)  # the resolution the tool names; None: the image sent
    says: tuple[str, ...] = QWEN3_ACTIONS  # the tool's actions: what `format_reply` may write
    accepts: frozenset[str] = _COMMON  # the actions `parse` takes (the contract's list for this family)

    # -- the request --
    def system_text(self, context: Context) -> str:
        return self.system(*(self.declared or context.image_size))

    def messages(self, context: Context, turns: list[Turn], current_image_url: str) -> list[dict[str, Any]]:
        first = next((i for i, t in enumerate(turns) if t.kind == "step" and t.image_url), len(turns))
        intro = text_part(INSTRUCTION.format(instruction=context.task.strip(),
                                             previous=previous_actions(turns[:first], low_level_action)))
        messages: list[dict[str, Any]] = [{"role": "system", "content": [text_part(self.system_text(context))]}]
        opening: list[dict[str, Any]] = [intro]  # goes with the first screenshot that travels
        for turn in turns[first:]:
            if turn.kind == "note":
                messages.append({"role": "user", "content": [text_part(turn.text)]})
                continue
            if turn.image_url:
                messages.append({"role": "user", "content": [*opening, image_part(turn.image_url)]})
                opening = []
            messages.append({"role": "assistant", "content": [text_part(self.history_text(turn.text))]})
        messages.append({"role": "user", "content": [*opening, image_part(current_image_url)]})
        return messages

    # -- the reply --
    def parse(self, reply: str) -> ParsedReply:
        if not isinstance(reply, str) or not reply.strip():
            raise FormatError("the model returned an empty reply")
        if len(reply) > MAX_REPLY_CHARS:
            raise FormatError("the model's reply is too long")
        split = split_reply(reply)
        if not split.calls:
            raise FormatError("no <tool_call> in the model's reply")
        if len(split.calls) > MAX_ACTIONS:
            raise FormatError(f"more than {MAX_ACTIONS} tool calls in one reply")
        actions: list[Action] = []
        last: tuple[float, float] | None = None
        for body in split.calls:
            args = _decode(body)
            name = args.get("action")
            if not isinstance(name, str) or name not in self.accepts:
                raise FormatError(f"unknown computer_use action {one_line(json.dumps(name), 40)}")
            action = _action(args, last)
            if action.x2 is not None:
                last = (action.x2, action.y2)
            elif action.has_point:
                last = (action.x, action.y)
            actions.append(action)
        return ParsedReply(_thought(split.text), actions)

    # -- a person's actions in the tool's words --
    def format_reply(self, actions: list[Action], thought: str, summary: str = "") -> str:
        """An `Action:` line (the summary), then one block per call. A drag from a point the pointer is not at
        is a mouse_move there first; a scroll without an amount is SCROLL_CLICKS clicks."""
        blocks: list[str] = []
        last: tuple[int, int] | None = None
        for a in actions:
            blocks += [tool_call_text("computer_use", args) for args in self._calls(a, last)]
            if a.type == "drag" and a.x2 is not None:
                last = (round(a.x2), round(a.y2))
            elif a.has_point:
                last = (round(a.x), round(a.y))
        line = one_line(summary or thought, 300)
        return join_tool_calls(f"Action: {line}" if line else "", blocks)

    def _calls(self, a: Action, last: tuple[int, int] | None) -> list[dict[str, Any]]:
        at = {"coordinate": [round(a.x), round(a.y)]} if a.has_point else {}
        t = a.type
        if t in _CLICK_NAMES and _CLICK_NAMES[t] in self.says:
            return [{"action": _CLICK_NAMES[t], **at}]
        if t == "move" and at:
            return [{"action": "mouse_move", **at}]
        if t == "drag" and a.x2 is not None:
            start = [{"action": "mouse_move", **at}] if at and tuple(at["coordinate"]) != last else []
            return [*start, {"action": "left_click_drag", "coordinate": [round(a.x2), round(a.y2)]}]
        if t == "hotkey":
            return [{"action": "key", "keys": list(a.keys)}]
        if t == "type":
            return [{"action": "type", "text": a.text or ""}]
        if t == "scroll":
            horizontal = a.direction in ("left", "right")
            if horizontal and "hscroll" not in self.says:
                return []
            pixels = (a.amount or SCROLL_CLICKS) * (1 if a.direction in ("up", "right") else -1)
            return [{"action": "hscroll" if horizontal else "scroll", **at, "pixels": pixels}]
        if t == "wait":
            return [{"action": "wait", "time": a.seconds or 5}]
        if t == "finished":
            if a.content and "answer" in self.says:
                return [{"action": "answer", "text": a.content}]
            return [{"action": "terminate", "status": "success"}]
        if t == "call_user":
            if a.content is not None and "interact" in self.says:
                return [{"action": "interact", "text": a.content}]
            return [{"action": "terminate", "status": "failure"}]
        return []  # mouse_down/up, zoom, unsupported, a triple click in Qwen2.5's tool: it has no words for them


def low_level_action(reply: str) -> str:
    """What a reply did, in one line: its first `Action:` line, else its tool calls, else its first line."""
    try:
        split = split_reply(reply)
    except FormatError:
        split = ReplyParts(text=[reply])
    outside = _thought(split.text)
    found = _ACTION_LINE.search(outside)
    if found:
        return one_line(found.group(1), 300)
    if split.calls:
        return one_line("; ".join(c.strip() for c in split.calls), 300)
    return one_line(next((s for s in outside.splitlines() if s.strip()), ""), 300) or "(no action)"


def _sampling(max_tokens: int) -> Sampling:
    """The reference agents' (GUI-Owl cookbook, OSWorld): greedy, top_p 0.9, no repetition penalty."""
    return Sampling(temperature=0.0, top_p=0.9, max_tokens=max_tokens, frequency_penalty=None)


QWEN25_VL = QwenToolFamily(
    "qwen2.5-vl", "Qwen2.5-VL", "image", 12845056, min_pixels=3136, factor=28, max_images=5,
    sampling=_sampling(1000), system=qwen25_system, declared=None, says=QWEN25_ACTIONS,
    model_names=(r"qwen[-_ ]?2(?:\.|p|_)?5[-_ ]?vl",),
)
# Qwen3-VL and GUI-Owl-1.5 come as thinking models too: room for the thinking before the call.
QWEN3_VL = QwenToolFamily(
    "qwen3-vl", "Qwen3-VL", "thousandths", 12845056, min_pixels=3136, factor=32, max_images=5,
    sampling=_sampling(4096), system=qwen3_system, says=QWEN3_ACTIONS, model_names=(r"qwen[-_ ]?3[-_ ]?vl",),
)
GUI_OWL_15 = QwenToolFamily(
    "gui-owl-1.5", "GUI-Owl-1.5", "thousandths", 10035200, min_pixels=3136, factor=16, max_images=5,
    sampling=_sampling(4096), system=gui_owl_system, says=GUI_OWL_ACTIONS,
    accepts=_COMMON | {"interact", "call_user"}, model_names=(r"gui[-_ ]?owl[-_ ]?1[._-]?5(?!\d)",),
)
