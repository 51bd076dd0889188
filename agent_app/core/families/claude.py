"""Claude: Anthropic's Messages API with the computer tool (`computer_20251124` or `computer_20250124`, by model).

Facts (model-facts-api-families.md; Anthropic's computer-use docs and demo): the screenshot is scaled by us so the API
never rescales it (long edge ≤ 1568 px, ≤ 1.15 MP), the tool declares exactly that size and the model answers in its
pixels. State is ours: every request resends the conversation — the task and first screenshot, then per step the
reply as recorded (thinking blocks unchanged) and a user turn answering every `tool_use` with a `tool_result`, the
last one carrying the next screenshot. A reply with no tool call is the final answer.

`parse` reads the whole JSON body of one response (`content` blocks, `stop_reason`); nothing in it is executed.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agent_app.core.actions import Action
from agent_app.core.errors import FormatError
from agent_app.core.families.api import ApiFamily
from agent_app.core.families.base import ParsedReply
from agent_app.core.families.pycode import MAX_ACTIONS, MAX_COORDINATE
from agent_app.core.keys import normalize_combo, normalize_key, split_combo
from agent_app.core.text import one_line

if TYPE_CHECKING:
    from agent_app.core.client import RetryingClient
    from agent_app.core.families.base import Context
    from agent_app.core.history import Turn
    from agent_app.core.settings.config import RunConfig

PROVIDER = "anthropic"
TOOL_NAME = "computer"
MAX_BODY_CHARS = 4_000_000  # a response body (thinking and signatures included) is far smaller
MAX_SECONDS = 100.0  # the reference tool refuses a wait or a hold longer than this
LONG_EDGE = 1568  # the API scales an image down past this long edge …
MAX_IMAGE_PIXELS = 1_150_000  # … or past ~1.15 megapixels, and the model then answers in the smaller image
DECLINED_PREFIX = "The user did not allow that action."  # the loop's note when the person says Skip


@dataclass(frozen=True)
class ToolVersion:
    type: str
    beta: str
    zoom: bool


TOOL_20251124 = ToolVersion("computer_20251124", "computer-use-2025-11-24", zoom=True)
TOOL_20250124 = ToolVersion("computer_20250124", "computer-use-2025-01-24", zoom=False)

_NAMED = re.compile(r"(opus|sonnet|haiku)-(\d{1,2})(?!\d)(?:[-.](\d)(?!\d))?")  # claude-sonnet-4-5-20250929, …-4-20250514
_NUMBERED = re.compile(r"claude-(\d+)(?:[-.](\d)(?!\d))?-(opus|sonnet|haiku)")  # claude-3-7-sonnet-20250219


def tool_version(model: str) -> ToolVersion:
    """The computer tool a model takes: 20251124 (zoom) from Opus 4.5 and Sonnet 4.6 on, 20250124 before.
    A name that says no Claude generation (a local server, a new alias) gets the newest tool."""
    name = model.lower()
    m = _NAMED.search(name)
    if m:
        kind, version = m.group(1), (int(m.group(2)), int(m.group(3) or 0))
    elif m := _NUMBERED.search(name):
        kind, version = m.group(3), (int(m.group(1)), int(m.group(2) or 0))
    else:
        return TOOL_20251124
    first_new = {"opus": (4, 5), "sonnet": (4, 6), "haiku": (5, 0)}[kind]
    return TOOL_20251124 if version >= first_new else TOOL_20250124


def image_size(width: int, height: int, max_pixels: int | None = None) -> tuple[int, int]:
    """The screenshot size Anthropic recommends sending: scaled down (aspect kept) until its long edge is at most
    1568 px and it holds at most ~1.15 MP (or `max_pixels`, if lower), never up. Sides are floored, so the result
    is within both limits and scaling it again leaves it as it is."""
    width, height = max(1, int(width)), max(1, int(height))
    budget = min(MAX_IMAGE_PIXELS, max_pixels) if max_pixels else MAX_IMAGE_PIXELS
    scale = min(1.0, LONG_EDGE / max(width, height), math.sqrt(budget / (width * height)))
    if scale >= 1.0:
        return width, height
    return max(1, math.floor(width * scale)), max(1, math.floor(height * scale))


# ---- the reply ----
@dataclass
class Call:
    """One `tool_use` block of a reply and the actions it means (none for screenshot / cursor_position)."""

    id: str
    action: str
    actions: list[Action] = field(default_factory=list)


@dataclass
class Reply:
    """A Messages response body, read: its text, its computer calls in order, its content blocks as sent."""

    text: str
    calls: list[Call]
    content: list[dict[str, Any]]


_COMPLETE = ("end_turn", "tool_use", "stop_sequence")
_CUT = {
    "max_tokens": "the reply was cut at max_tokens (a tool input may be cut): not acted on",
    "model_context_window_exceeded": "the reply was cut at the model's context window: not acted on",
    "refusal": "the model refused to go on (stop_reason refusal)",
    "pause_turn": "the model paused its turn (stop_reason pause_turn) without finishing it",
}
_QUIET_BLOCKS = ("thinking", "redacted_thinking")  # read past: neither thought nor action
_CLICKS = {"left_click": "click", "right_click": "right_click", "double_click": "double_click",
           "triple_click": "triple_click", "middle_click": "middle_click"}
_BUTTONS = {"left_mouse_down": "mouse_down", "left_mouse_up": "mouse_up"}
_LOOKS = ("screenshot", "cursor_position")  # answered by the app, nothing to run
ACTIONS = (*_CLICKS, *_BUTTONS, *_LOOKS, "mouse_move", "left_click_drag", "key", "type", "scroll", "hold_key",
           "wait", "zoom")


def read_reply(body: str) -> Reply:
    """The response body → its text and calls, or FormatError with a one-line reason (the whole body rejected)."""
    if not isinstance(body, str) or not body.strip():
        raise FormatError("the response is empty")
    if len(body) > MAX_BODY_CHARS:
        raise FormatError("the response is too long")
    try:
        data = json.loads(body, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise FormatError("the response is not JSON") from None
    if not isinstance(data, dict):
        raise FormatError("the response is not a Messages response object")
    if data.get("type") == "error" or "error" in data:
        raise FormatError(f"the response is an error: {_error_text(data.get('error'))}")
    content = data.get("content")
    if data.get("type", "message") != "message" or data.get("role", "assistant") != "assistant" \
            or not isinstance(content, list):
        raise FormatError("the response is not a Messages response (no `content` list of an assistant message)")
    stop = data.get("stop_reason")
    if stop is None:  # a stream that broke off sums up to a message without one
        raise FormatError("the reply has no stop_reason (cut off?): not acted on")
    if stop not in _COMPLETE:
        raise FormatError(_CUT.get(stop, f"the reply ended with stop_reason {_short(stop)}: not acted on")
                          if isinstance(stop, str) else "stop_reason is not a string")
    texts: list[str] = []
    calls: list[Call] = []
    count = 0
    for block in content:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text":
            if not isinstance(block.get("text"), str):
                raise FormatError("a text block without text")
            texts.append(block["text"])
        elif kind in _QUIET_BLOCKS:
            continue
        elif kind == "tool_use":
            call = _call(block)
            count += len(call.actions)
            if count > MAX_ACTIONS:
                raise FormatError(f"more than {MAX_ACTIONS} actions in one reply")
            calls.append(call)
        elif isinstance(kind, str) and kind.endswith("tool_use"):
            raise FormatError(f"a call to another tool ({_short(kind)} {_short(block.get('name'))})")
        else:
            raise FormatError(f"an unknown content block {_short(kind)}")
    return Reply("\n".join(texts).strip(), calls, content)


def parse_reply(body: str) -> ParsedReply:
    """The contract's `parse` for claude: thought = the text blocks; actions in order; no tool call → finished."""
    reply = read_reply(body)
    if not reply.calls:
        return ParsedReply(reply.text, [Action("finished", content=reply.text)])
    return ParsedReply(reply.text, [a for call in reply.calls for a in call.actions])


def _call(block: dict[str, Any]) -> Call:
    if block.get("name") != TOOL_NAME:
        raise FormatError(f"a call to another tool {_short(block.get('name'))} (only {TOOL_NAME!r} is offered)")
    call_id, args = block.get("id"), block.get("input")
    if not isinstance(call_id, str) or not call_id:
        raise FormatError("a tool_use block without an id")
    if not isinstance(args, dict):
        raise FormatError("a tool_use block whose input is not an object")
    action = args.get("action")
    if not isinstance(action, str):
        raise FormatError("a computer call without an action")
    return Call(call_id, action, _actions(action, args))


def _actions(action: str, args: dict[str, Any]) -> list[Action]:
    held = _held(args) if action in (*_CLICKS, "mouse_move", "left_click_drag", "scroll") else ()
    if action in _CLICKS:
        point = _point(args, "coordinate", action, required=False)
        return [_at(Action(_CLICKS[action], keys=held), point)]
    if action in _BUTTONS:
        return [_at(Action(_BUTTONS[action]), _point(args, "coordinate", action, required=False))]
    if action == "mouse_move":
        return [_at(Action("move", keys=held), _point(args, "coordinate", action))]
    if action == "left_click_drag":
        start = _point(args, "start_coordinate", action, required=False)
        x2, y2 = _point(args, "coordinate", action)
        return [_at(Action("drag", x2=x2, y2=y2, keys=held), start)]
    if action == "key":
        chords = _text(args, action).split()
        if not chords:
            raise FormatError("a key action without keys")
        return [Action("hotkey", keys=normalize_combo(chord)) for chord in chords]
    if action == "type":
        return [Action("type", text=_text(args, action))]
    if action == "scroll":
        direction = args.get("scroll_direction")
        if direction not in ("up", "down", "left", "right"):
            raise FormatError(f"scroll_direction must be up, down, left or right, not {_short(direction)}")
        amount = args.get("scroll_amount")
        clicks = None if amount is None else round(_number(amount, "scroll_amount", minimum=0))
        point = _point(args, "coordinate", action, required=False)
        return [_at(Action("scroll", direction=direction, amount=clicks, keys=held), point)]
    if action == "hold_key":
        keys = normalize_combo(_text(args, action))
        return [Action("hotkey", keys=keys, hold=_seconds(args, action, required=True))]
    if action == "wait":
        return [Action("wait", seconds=_seconds(args, action, required=False))]
    if action == "zoom":
        region = args.get("region")
        if not isinstance(region, list) or len(region) != 4:
            raise FormatError(f"zoom needs region [x1, y1, x2, y2], got {_short(region)}")
        x1, y1, x2, y2 = (_number(v, "a zoom region") for v in region)
        return [Action("zoom", x=x1, y=y1, x2=x2, y2=y2)]
    if action in _LOOKS:
        return []
    raise FormatError(f"unknown computer action {_short(action)}")


def _at(action: Action, point: tuple[float, float] | None) -> Action:
    if point is None:
        return action
    return Action(**{**action.__dict__, "x": point[0], "y": point[1]})


def _point(args: dict[str, Any], key: str, action: str, required: bool = True) -> tuple[float, float] | None:
    value = args.get(key)
    if value is None:
        if required:
            raise FormatError(f"{action} without {key}")
        return None
    if not isinstance(value, list) or len(value) != 2:
        raise FormatError(f"{key} must be [x, y], got {_short(value)}")
    return _number(value[0], key), _number(value[1], key)


def _number(value: Any, what: str, minimum: float | None = None) -> float:
    # abs() first: a huge int is compared exactly, where float() would overflow. bool is not a number here.
    if type(value) not in (int, float) or not abs(value) <= MAX_COORDINATE:
        raise FormatError(f"{what} must be a number, got {_short(value)}")
    if minimum is not None and value < minimum:
        raise FormatError(f"{what} must be at least {minimum:g}, got {_short(value)}")
    return float(value)


def _seconds(args: dict[str, Any], action: str, required: bool) -> float | None:
    value = args.get("duration")
    if value is None:
        if required:
            raise FormatError(f"{action} without duration")
        return None
    seconds = _number(value, f"{action} duration", minimum=0)
    if seconds > MAX_SECONDS:
        raise FormatError(f"{action} duration of {seconds:g} s is too long (at most {MAX_SECONDS:g} s)")
    return seconds


def _text(args: dict[str, Any], action: str) -> str:
    value = args.get("text")
    if not isinstance(value, str):
        raise FormatError(f"{action} needs text, a string")
    return value


def _held(args: dict[str, Any]) -> tuple[str, ...]:
    """`text` on a click, move, drag or scroll: the modifier keys held meanwhile ("shift", "ctrl+alt")."""
    value = args.get("text")
    if value is None or value == "":
        return ()
    if not isinstance(value, str):
        raise FormatError(f"held keys must be a string, got {_short(value)}")
    return tuple(normalize_key(k) for k in split_combo(value))


def _error_text(error: Any) -> str:
    if isinstance(error, dict):
        kind, message = error.get("type"), error.get("message")
        return one_line(": ".join(str(p) for p in (kind, message) if p) or "no details", 200)
    return one_line(str(error), 200) if error else "no details"


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")



def _short(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return one_line(text, 40)


# ---- a reply written by us (a person's actions in Claude's words) ----
_XDOTOOL = {"enter": "Return", "esc": "Escape", "backspace": "BackSpace", "delete": "Delete", "tab": "Tab",
            "pagedown": "Page_Down", "pageup": "Page_Up", "win": "super", "command": "super", "up": "Up",
            "down": "Down", "left": "Left", "right": "Right", "home": "Home", "end": "End", "insert": "Insert",
            " ": "space", "+": "plus", "space": "space"}
_CLICK_ACTIONS = {v: k for k, v in _CLICKS.items()}


def xdotool_chord(keys: tuple[str, ...]) -> str:
    """Our key names as one xdotool chord ("ctrl+Return"); numN → KP_N."""
    return "+".join(_XDOTOOL.get(k, f"KP_{k[3:]}" if re.fullmatch(r"num\d", k) else k) for k in keys)


def tool_inputs(actions: list[Action]) -> list[dict[str, Any]]:
    """The computer tool inputs that perform `actions` (model units); finished / call_user / unsupported have none."""
    inputs: list[dict[str, Any]] = []
    for a in actions:
        at = {"coordinate": [round(a.x), round(a.y)]} if a.has_point else {}
        held = {"text": "+".join(xdotool_chord((k,)) for k in a.keys)} if a.keys and a.type != "hotkey" else {}
        t = a.type
        if t in _CLICK_ACTIONS:
            inputs.append({"action": _CLICK_ACTIONS[t], **at, **held})
        elif t in ("mouse_down", "mouse_up"):
            inputs.append({"action": f"left_{t}", **at})
        elif t == "move":
            inputs.append({"action": "mouse_move", **at, **held})
        elif t == "drag":
            start = {"start_coordinate": at["coordinate"]} if at else {}
            inputs.append({"action": "left_click_drag", **start, "coordinate": [round(a.x2 or 0), round(a.y2 or 0)],
                           **held})
        elif t == "hotkey" and a.hold is not None:
            inputs.append({"action": "hold_key", "text": xdotool_chord(a.keys), "duration": a.hold})
        elif t == "hotkey":
            inputs.append({"action": "key", "text": xdotool_chord(a.keys)})
        elif t == "type":
            inputs.append({"action": "type", "text": a.text or ""})
        elif t == "scroll":
            amount = {"scroll_amount": a.amount} if a.amount is not None else {}
            inputs.append({"action": "scroll", **at, "scroll_direction": a.direction, **amount, **held})
        elif t == "wait":
            inputs.append({"action": "wait", **({"duration": a.seconds} if a.seconds is not None else {})})
        elif t == "zoom":
            inputs.append({"action": "zoom", "region": [round(v or 0) for v in (a.x, a.y, a.x2, a.y2)]})
    return inputs


def format_body(actions: list[Action], thought: str, summary: str = "") -> str:
    """A Messages response body performing `actions`: the thought as a text block, one tool_use per call. A finished
    alone is a reply with no tool call (its content the text)."""
    inputs = tool_inputs(actions)
    text = thought
    if not inputs:
        final = next((a for a in actions if a.type == "finished"), None)
        text = final.content or "" if final else thought
    content: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    content += [{"type": "tool_use", "id": f"toolu_person_{n:02d}", "name": TOOL_NAME, "input": i}
                for n, i in enumerate(inputs)]
    body = {"id": "msg_person", "type": "message", "role": "assistant", "content": content,
            "stop_reason": "tool_use" if inputs else "end_turn", "stop_sequence": None}
    return json.dumps(body, ensure_ascii=False)


# ---- the request ----
SYSTEM_PROMPT = """\
<SYSTEM_CAPABILITY>
* You are operating the user's own computer ({os}) through the `computer` tool: its mouse, its keyboard and \
screenshots of its screen. The user is watching, and can pause you, take over or stop you at any time.
* After your tool calls have run, the last tool result carries a screenshot of the screen as it is then; you need \
not ask for a screenshot after every action.
* Where you can, chain several computer actions into one reply; they run in order.
* Anything irreversible or sensitive (sending, paying, deleting, entering passwords or personal data) may be held \
for the user to allow first. If the user does not allow an action, you are told so: try another way or stop.
* When the task is done, or you cannot go on without the user, reply with a short answer and no tool call.
</SYSTEM_CAPABILITY>"""
_OS = {"darwin": "macOS", "win32": "Windows"}


def system_prompt(platform: str | None = None) -> str:
    return SYSTEM_PROMPT.format(os=_OS.get(platform or sys.platform, "Linux"))


def tool_param(version: ToolVersion, width: int, height: int) -> dict[str, Any]:
    """The computer tool as declared: the size of the screenshots sent (the model answers in their pixels)."""
    tool: dict[str, Any] = {"type": version.type, "name": TOOL_NAME, "display_width_px": int(width),
                            "display_height_px": int(height)}
    if version.zoom:
        tool["enable_zoom"] = True
    return tool


def image_block(url: str) -> dict[str, Any]:
    """A screenshot as a Messages image block: a data URL inline; anything else (a replay's file) by reference."""
    m = re.fullmatch(r"data:(image/[a-z+.-]+);base64,(.*)", url, re.DOTALL)
    if not m:
        return {"type": "image", "source": {"type": "url", "url": url}}
    return {"type": "image", "source": {"type": "base64", "media_type": m.group(1), "data": m.group(2)}}


def _text_block(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def request_content(block: dict[str, Any]) -> dict[str, Any]:
    """A response content block as it goes back in the next request: only the fields a request takes (thinking and
    its signature unchanged)."""
    kind = block.get("type")
    keep = {"text": ("type", "text"), "thinking": ("type", "thinking", "signature"),
            "redacted_thinking": ("type", "data"), "tool_use": ("type", "id", "name", "input")}[kind]
    return {k: block[k] for k in keep if k in block}


def _indexed(mapping: Any, index: int) -> Any:
    """mapping[index], where the keys may be ints (live) or strings (read back from JSON)."""
    if not isinstance(mapping, dict):
        return None
    return mapping.get(index, mapping.get(str(index)))


def request_messages(context: Context, turns: list[Turn], current_image_url: str,
                     to_image: Callable[[float, float], tuple[int, int]] | None = None) -> list[dict[str, Any]]:
    """The `messages` of the next request, from the history alone (a replay rebuilds them exactly).

    user [task, the person's notes so far, the first screenshot] → per step: assistant [the reply's content as
    recorded] → user [one tool_result per tool_use, in order, the last carrying the screenshot that followed while it
    still travels; the person's notes after the step, and then that screenshot instead] … The current screenshot ends
    the last user turn. A step the person declined has every call answered as an error with their words.
    `to_image` maps the pointer (screen pixels, `extra["pointer"]`) to image pixels for cursor_position."""
    leading: list[Turn] = []
    steps: list[tuple[Turn, list[Turn]]] = []
    for turn in turns:
        if turn.kind == "step":
            steps.append((turn, []))
        else:
            (steps[-1][1] if steps else leading).append(turn)
    images = [t.image_url for t, _ in steps] + [current_image_url]
    user = [_text_block(context.task.strip()), *(_text_block(n.text) for n in leading)]
    if images[0]:
        user.append(image_block(images[0]))
    messages: list[dict[str, Any]] = []
    for s, (turn, notes) in enumerate(steps):
        messages.append({"role": "user", "content": user})
        reply = read_reply(turn.text)
        messages.append({"role": "assistant", "content": [request_content(b) for b in reply.content]})
        after = images[s + 1]
        extra = getattr(turn, "extra", None) or {}
        declined = notes[0].text if notes and notes[0].text.startswith(DECLINED_PREFIX) else None
        if declined is None and extra.get("declined"):
            declined = DECLINED_PREFIX
        said = notes[1:] if declined is not None else notes
        inline = bool(reply.calls) and declined is None and not said  # the screenshot goes in the last result
        user = _results(reply, extra, after if inline else None, declined, to_image,
                        zooms=bool(after))
        user += [_text_block(n.text) for n in said]
        if after and not inline:
            user.append(image_block(after))
        if not user:  # nothing to answer and nothing to show (cannot follow a real step): keep the turn valid
            user.append(_text_block("Continue."))
    messages.append({"role": "user", "content": user})
    return messages


def _results(reply: Reply, extra: dict[str, Any], image_url: str | None, declined: str | None,
             to_image: Callable[[float, float], tuple[int, int]] | None, zooms: bool) -> list[dict[str, Any]]:
    """The tool_result blocks answering every call of a step, in order. `extra` is keyed by action index."""
    results: list[dict[str, Any]] = []
    index = 0  # the index of the call's first action among the step's actions
    for k, call in enumerate(reply.calls):
        content: list[dict[str, Any]] = []
        error = declined
        for offset, action in enumerate(call.actions):
            unsupported = _indexed(extra.get("unsupported"), index + offset)
            if error is None and unsupported:
                error = str(unsupported)
            crop = _indexed(extra.get("zoom"), index + offset)
            if action.type == "zoom" and crop and zooms:
                content.append(image_block(crop))
        index += len(call.actions)
        pointer = extra.get("pointer")
        if call.action == "cursor_position" and isinstance(pointer, (list, tuple)) and len(pointer) == 2:
            x, y = to_image(*pointer) if to_image else (round(pointer[0]), round(pointer[1]))
            content.append(_text_block(f"X={x},Y={y}"))
        if k == len(reply.calls) - 1 and image_url:
            content.append(image_block(image_url))
        result: dict[str, Any] = {"type": "tool_result", "tool_use_id": call.id}
        if error is not None:
            result.update(content=[_text_block(error)], is_error=True)
        elif content:
            result["content"] = content
        results.append(result)
    return results


def request_piece(context: Context, turns: list[Turn], current_image_url: str) -> dict[str, Any]:
    """What the family contributes to a Messages request: the system prompt, the size of the screenshots (the tool
    declares it) and the messages. The transport adds the model, the tool version it takes and the budget."""
    monitor = context.monitor
    width, height = context.image_size

    def to_image(x: float, y: float) -> tuple[int, int]:
        if monitor is None or not width or not height:
            return round(x), round(y)
        ix, iy = monitor.to_picture(x, y, width, height)
        return min(max(0, round(ix)), width - 1), min(max(0, round(iy)), height - 1)  # exact inverse

    return {"system": system_prompt(), "display": [width, height],
            "messages": request_messages(context, turns, current_image_url, to_image)}


def create_args(model: str, piece: dict[str, Any], max_tokens: int) -> dict[str, Any]:
    """The whole `beta.messages.create` arguments for `model`: its computer tool version and beta header. No
    temperature: the SDK takes none (the model samples as Anthropic sets it; a re-ask is simply asked again)."""
    version = tool_version(model)
    width, height = piece["display"]
    args: dict[str, Any] = {"model": model, "max_tokens": int(max_tokens), "system": piece["system"],
                            "tools": [tool_param(version, width, height)], "betas": [version.beta],
                            "messages": piece["messages"]}
    return args


@dataclass(frozen=True)
class ClaudeFamily(ApiFamily):
    """The `claude` family: sizing, coordinates (pixels of the image sent), parsing, the request and its transport."""

    min_pixels: int = 1

    @property
    def description(self) -> str:
        return f"{self.label} (API): absolute pixels of the screenshot sent (scaled to ≤1568 px, ≤1.15 MP)"

    def model_image_size(self, width: int, height: int, max_pixels: int | None = None) -> tuple[int, int]:
        return image_size(width, height, max_pixels)

    def messages(self, context: Context, turns: list[Turn], current_image_url: str) -> list[dict[str, Any]]:
        """The request as the one item the history layer hands on (the transport completes it)."""
        return [request_piece(context, turns, current_image_url)]

    def parse(self, reply: str) -> ParsedReply:
        return parse_reply(reply)

    def format_reply(self, actions: list[Action], thought: str, summary: str = "") -> str:
        return format_body(actions, thought, summary)

    def client(self, config: RunConfig) -> RetryingClient:
        from agent_app.core.families.claude_client import ClaudeClient

        return ClaudeClient.for_run(config, self.sampling)


# The Claude models with a computer tool: 3.7 Sonnet, and every Opus, Sonnet and Haiku from 4 on.
CLAUDE = ClaudeFamily("claude", "Claude computer use", "image", PROVIDER, "claude-sonnet-4-6",
                      model_names=(r"^claude-(?:opus|sonnet|haiku)-(?:[4-9]|\d\d)(?!\d)", r"^claude-3[-.]7-sonnet"))
