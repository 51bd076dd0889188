"""OpenAI computer use on the Responses API (`openai-cua`): the preview tool and the GA computer tool.

Two tools, chosen by the model name (the facts in model-facts-api-families.md):

* preview — `computer-use-preview*`: tool `computer_use_preview` declaring the display size and environment,
  `truncation: "auto"`, one `action` per `computer_call`.
* GA — every other model (`gpt-5.4`, …): tool `computer` (no sizes), a batch of `actions` per `computer_call`, run
  all in order, then one screenshot answers it.

Screenshots are sized so that the provider does not rescale them behind our back: GA images go with detail
"original", kept as sent up to 10.24 MP, so we send the screen as it is (scaled down only above that, or to the
person's pixel budget); preview images go with detail "high", which OpenAI fits within 2048x2048 and then to a
shortest side of 768, so we do exactly that ourselves. The model answers in pixels of the image it was sent.

The conversation is chained the way the API expects: each request names the previous response
(`previous_response_id`) and carries only what is new — a `computer_call_output` with the new screenshot for every
`computer_call` of that response (acknowledging its pending safety checks only when the person allowed them), then
the person's words. A call the person declined cannot be answered without acknowledging its checks (the API refuses
an unacknowledged one), so the next request branches from the response before it and says what was not run.
Everything is rebuilt from the history alone: a step's reply is the response body as recorded, its `extra` what
the app answered.
"""

from __future__ import annotations

import json
import math
import re
import sys
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from agent_app.core.actions import Action
from agent_app.core.errors import FormatError
from agent_app.core.families.api import ApiFamily
from agent_app.core.families.base import Context, ParsedReply, Sampling
from agent_app.core.families.pycode import MAX_ACTIONS, number
from agent_app.core.keys import normalize_combo
from agent_app.core.text import one_line

if TYPE_CHECKING:
    from agent_app.core.client import RetryingClient
    from agent_app.core.history import Turn
    from agent_app.core.settings.config import RunConfig

PROVIDER = "openai"
DEFAULT_MODEL = "gpt-5.4"
PREVIEW_MODEL = re.compile(r"computer-use-preview", re.IGNORECASE)
ORIGINAL_MAX_PIXELS = 10_240_000  # detail "original": kept at full resolution up to this
HIGH_DETAIL_LONG, HIGH_DETAIL_SHORT = 2048, 768  # detail "high": fit in 2048x2048, then shortest side 768
MAX_BODY_CHARS = 5_000_000
MAX_OUTPUT_TOKENS = 4096
SCROLL_PIXELS = 100  # a person's scroll, written in the tool's pixels per wheel click (format_reply only)

_BUTTONS = {"left": "click", "right": "right_click", "wheel": "middle_click"}
_HISTORY_BUTTONS = {"back": ("alt", "left"), "forward": ("alt", "right")}
_SCROLLS = (("scroll_y", "down", "up"), ("scroll_x", "right", "left"))  # vertical first


# ---- the response body ----
def read_body(reply: str) -> dict[str, Any]:
    """The Responses body a reply holds: a JSON object with an `output` list. FormatError otherwise."""
    if not reply.strip():
        raise FormatError("the provider returned an empty body")
    if len(reply) > MAX_BODY_CHARS:
        raise FormatError("the provider's response is too long")
    try:
        body = json.loads(reply)
    except (ValueError, RecursionError):
        raise FormatError("the provider's response is not JSON") from None
    if not isinstance(body, dict):
        raise FormatError("the provider's response is not a JSON object")
    error = body.get("error")
    if error:
        message = error.get("message") if isinstance(error, dict) else error
        raise FormatError(f"the provider returned an error: {one_line(str(message or error), 200)}")
    status = body.get("status")
    if status == "incomplete":
        details = body.get("incomplete_details")
        reason = details.get("reason") if isinstance(details, dict) else None
        raise FormatError(f"the response is incomplete ({one_line(str(reason or 'no reason given'), 60)}): "
                          "never acted on")
    if status not in (None, "completed"):
        raise FormatError(f"the response's status is {one_line(json.dumps(status), 30)}, not completed")
    output = body.get("output")
    if not isinstance(output, list):
        raise FormatError("not a Responses API body (no `output` list)")
    for item in output:
        if not isinstance(item, dict):
            raise FormatError("an output item is not a JSON object")
    return body


def computer_calls(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The body's `computer_call` items, in order (each with its `call_id`)."""
    return [item for item in body["output"] if item.get("type") == "computer_call"]


def safety_message(call: dict[str, Any]) -> str | None:
    """What a call's pending safety checks say (their messages joined by "; ", else their codes), or None."""
    checks = call.get("pending_safety_checks") or []
    if not isinstance(checks, list):
        raise FormatError("`pending_safety_checks` is not a list")
    words = []
    for check in checks:
        if not isinstance(check, dict):
            raise FormatError("a pending safety check is not a JSON object")
        said = next((check[k] for k in ("message", "code", "id") if isinstance(check.get(k), str) and check[k]), "")
        words.append(said.strip() or "a pending safety check")
    return "; ".join(words) if words else None



def _number(value: Any, what: str) -> float:
    return number(value, what)  # a huge int is compared exactly (math.isfinite overflowed on 10**400) and shown short


def _point(spec: dict[str, Any], what: str) -> tuple[float, float]:
    if "x" not in spec or "y" not in spec:
        raise FormatError(f"{what} without x and y")
    return _number(spec["x"], f"{what}'s x"), _number(spec["y"], f"{what}'s y")


def _held(spec: dict[str, Any], what: str) -> tuple[str, ...]:
    """GA's optional `keys` held during a pointer action."""
    keys = spec.get("keys")
    if keys is None:
        return ()
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise FormatError(f"a {what}'s `keys` must be a list of key names")
    return normalize_combo(keys) if keys else ()


def _actions_of(spec: Any) -> list[Action]:
    """One tool action → our actions (model units: pixels of the image sent)."""
    if not isinstance(spec, dict):
        raise FormatError("a computer action is not a JSON object")
    kind = spec.get("type")
    if kind == "click":
        button = spec.get("button", "left")
        x, y = _point(spec, "a click")
        held = _held(spec, "click")
        if button in _HISTORY_BUTTONS:  # the browser's own keys (a mouse's back/forward buttons)
            return [Action("hotkey", keys=tuple(dict.fromkeys((*held, *_HISTORY_BUTTONS[button]))))]
        if button not in _BUTTONS:
            raise FormatError(f"a click with the unknown button {one_line(json.dumps(button), 30)}")
        return [Action(_BUTTONS[button], x=x, y=y, keys=held)]
    if kind in ("double_click", "move"):
        x, y = _point(spec, f"a {kind}")
        return [Action(kind, x=x, y=y, keys=_held(spec, kind))]
    if kind == "drag":
        path = spec.get("path")
        if not isinstance(path, list) or len(path) < 2:
            raise FormatError("a drag needs a `path` of at least 2 points")
        points = [_point(p if isinstance(p, dict) else {}, "a drag point") for p in path]
        (x, y), (x2, y2) = points[0], points[-1]
        return [Action("drag", x=x, y=y, x2=x2, y2=y2, keys=_held(spec, "drag"))]
    if kind == "keypress":
        keys = spec.get("keys")
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
            raise FormatError("a keypress needs `keys`, a list of key names")
        return [Action("hotkey", keys=normalize_combo(keys))]
    if kind == "type":
        text = spec.get("text")
        if not isinstance(text, str):
            raise FormatError("a type action needs `text`")
        return [Action("type", text=text)]
    if kind == "scroll":
        x, y = _point(spec, "a scroll")
        held = _held(spec, "scroll")
        scrolls = []
        for axis, positive, negative in _SCROLLS:
            amount = _number(spec.get(axis, 0), f"a scroll's {axis}")
            if amount:
                scrolls.append(Action("scroll", x=x, y=y, direction=positive if amount > 0 else negative, keys=held))
        return scrolls
    if kind == "wait":
        return [Action("wait")]
    if kind == "screenshot":
        return []  # answered by the next step's screenshot
    raise FormatError(f"unknown computer action {one_line(json.dumps(kind), 40)}")


def _call_actions(call: dict[str, Any]) -> list[Action]:
    """A computer_call's actions: its batch (`actions`, GA), else its one `action` (preview)."""
    batch, one = call.get("actions"), call.get("action")
    if batch is not None and not isinstance(batch, list):
        raise FormatError("a computer_call's `actions` is not a list")
    if batch:
        specs = batch
    elif one is not None:
        specs = [one]
    elif batch == []:
        specs = []
    else:
        raise FormatError("a computer_call without an action")
    if len(specs) > MAX_ACTIONS:
        raise FormatError(f"more than {MAX_ACTIONS} actions in one computer call")
    actions = [a for spec in specs for a in _actions_of(spec)]
    confirm = safety_message(call)
    if confirm is not None:  # the person sees it before any of this call's actions runs
        actions = actions or [Action("wait", seconds=0.0)]  # a call that only looks still needs the person's yes
        actions[0] = replace(actions[0], confirm=confirm)
    return actions


def _texts(item: dict[str, Any]) -> list[str]:
    """A reasoning item's summary texts, or a message's output texts (a refusal rejects the response)."""
    if item["type"] == "reasoning":
        summary = item.get("summary") or []
        if not isinstance(summary, list):
            raise FormatError("a reasoning item's `summary` is not a list")
        texts = [part.get("text") for part in summary if isinstance(part, dict)]
        if len(texts) != len(summary) or not all(isinstance(t, str) for t in texts):
            raise FormatError("a reasoning summary part without text")
        return texts
    content = item.get("content")
    if isinstance(content, str):
        return [content]
    if not isinstance(content, list):
        raise FormatError("a message without content")
    texts = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "refusal":
            raise FormatError(f"the model refused: {one_line(str(part.get('refusal') or ''), 200)}")
        if kind != "output_text" or not isinstance(part.get("text"), str):
            raise FormatError(f"a message part of unknown type {one_line(json.dumps(kind), 30)}")
        texts.append(part["text"])
    return texts


def parse_body(reply: str) -> ParsedReply:
    """A whole Responses body → thought (reasoning summaries, then message texts) and actions in response order.
    A body with no computer_call is the final answer: one `finished` with the message text."""
    body = read_body(reply)
    reasoning: list[str] = []
    said: list[str] = []
    actions: list[Action] = []
    calls = 0
    for item in body["output"]:
        kind = item.get("type")
        if kind == "reasoning":
            reasoning += _texts(item)
        elif kind == "message":
            said += _texts(item)
        elif kind == "computer_call":
            calls += 1
            actions += _call_actions(item)
            if len(actions) > MAX_ACTIONS:
                raise FormatError(f"more than {MAX_ACTIONS} actions in one response")
        elif isinstance(kind, str) and kind.endswith(("_call", "_request")):
            raise FormatError(f"a call to another tool ({one_line(kind, 40)}), not the computer")
        else:
            raise FormatError(f"an output item of unknown type {one_line(json.dumps(kind), 40)}")
    thought = "\n".join(t for t in (*reasoning, *said) if t.strip())
    if calls:
        return ParsedReply(thought, actions)
    answer = "\n".join(t for t in said if t.strip())
    if not answer:
        raise FormatError("the response has neither a computer call nor a message")
    return ParsedReply(thought, [Action("finished", content=answer)])


# ---- screenshot sizing ----
def original_size(width: int, height: int, budget: int) -> tuple[int, int]:
    """Kept as it is within `budget` pixels; else scaled down, aspect kept, to fit it."""
    width, height = max(1, int(width)), max(1, int(height))
    if width * height <= budget:
        return width, height
    scale = math.sqrt(budget / (width * height))
    w, h = max(1, math.floor(width * scale)), max(1, math.floor(height * scale))
    while w * h > budget:  # float error at the edge: take a pixel off the side that is relatively longer
        if w > 1 and (h == 1 or w * height >= h * width):
            w -= 1
        else:
            h -= 1
    return w, h


def high_detail_size(width: int, height: int) -> tuple[int, int]:
    """OpenAI's detail "high" resizing, done by us: within 2048x2048, then a shortest side of at most 768."""
    width, height = max(1, int(width)), max(1, int(height))
    long_side, short_side = max(width, height), min(width, height)
    if long_side <= HIGH_DETAIL_LONG and short_side <= HIGH_DETAIL_SHORT:
        return width, height
    # The binding limit sets its side exactly; the other side is rounded (integers only: no float error).
    if long_side * HIGH_DETAIL_SHORT >= short_side * HIGH_DETAIL_LONG:  # the 2048 limit binds
        new_long, new_short = HIGH_DETAIL_LONG, max(1, (2 * short_side * HIGH_DETAIL_LONG + long_side) // (2 * long_side))
    else:
        new_short = HIGH_DETAIL_SHORT
        new_long = min(HIGH_DETAIL_LONG, (2 * long_side * HIGH_DETAIL_SHORT + short_side) // (2 * short_side))
    return (new_long, new_short) if width >= height else (new_short, new_long)


# ---- the family ----
@dataclass(frozen=True)
class OpenAICuaFamily(ApiFamily):
    """The `openai-cua` family for one model (`model` chooses the tool; "" = the GA tool)."""

    name: str = "openai-cua"
    label: str = "OpenAI computer use"
    coordinates: str = "image"
    max_images: int | None = 1  # the server keeps the conversation: each request sends only the new screenshot
    sampling: Sampling = field(default_factory=lambda: Sampling(
        temperature=0.0, top_p=None, max_tokens=MAX_OUTPUT_TOKENS, frequency_penalty=None))
    model_names: tuple[str, ...] = (r"^computer-use-preview", r"^gpt-5\.(?:[4-9]|\d\d)(?!\d)")
    provider: str = PROVIDER
    default_model: str = DEFAULT_MODEL
    watches: bool = False  # a dropped request is billed: settle before each screenshot
    model: str = ""

    @property
    def preview(self) -> bool:
        return bool(PREVIEW_MODEL.search(self.model))

    def for_model(self, model: str) -> OpenAICuaFamily:
        """This family as it serves `model` (the preview tool for computer-use-preview, else the GA tool)."""
        return replace(self, model=model)

    # ---- sizing and coordinates ----
    def model_image_size(self, width: int, height: int, max_pixels: int | None = None) -> tuple[int, int]:
        budget = min(ORIGINAL_MAX_PIXELS, max_pixels) if max_pixels else ORIGINAL_MAX_PIXELS
        if self.preview:
            width, height = high_detail_size(width, height)
        return original_size(width, height, budget)

    # ---- replies ----
    def parse(self, reply: str) -> ParsedReply:
        return parse_body(reply)

    def format_reply(self, actions: list[Action], thought: str, summary: str = "") -> str:
        """A Responses body performing `actions` as the GA tool would have written them (best effort: what the
        tool has no word for is left out), then the answer of a `finished` as the final message."""
        output: list[dict[str, Any]] = []
        if thought:
            output.append({"type": "reasoning", "id": "rs_person", "summary": [
                {"type": "summary_text", "text": thought}]})
        batch = [spec for a in actions for spec in _tool_actions(a)]
        if batch:
            output.append({"type": "computer_call", "id": "cu_person", "call_id": "call_person",
                           "status": "completed", "pending_safety_checks": [], "actions": batch})
        final = next((a for a in actions if a.type in ("finished", "call_user")), None)
        if final is not None and (final.content or summary):
            output.append({"type": "message", "id": "msg_person", "role": "assistant", "status": "completed",
                           "content": [{"type": "output_text", "text": final.content or summary,
                                        "annotations": []}]})
        return json.dumps({"object": "response", "status": "completed", "output": output}, ensure_ascii=False)

    # ---- requests ----
    def tool(self, image_size: tuple[int, int]) -> dict[str, Any]:
        if self.preview:
            w, h = image_size
            return {"type": "computer_use_preview", "display_width": w, "display_height": h,
                    "environment": environment()}
        return {"type": "computer"}

    def request(self, context: Context, turns: list[Turn], current_image_url: str) -> dict[str, Any]:
        """The next request's body (without `model`): the tool, then the conversation chained from the last
        response that can be answered, carrying only what is new since it."""
        body: dict[str, Any] = {"tools": [self.tool(context.image_size)], "reasoning": {"summary": "concise"}}
        if self.preview:
            body["truncation"] = "auto"
        anchor = _anchor(turns)
        later = turns[anchor + 1:] if anchor is not None else turns
        words = [_words(t) for t in later]
        if anchor is None:  # the first request (or every response so far was declined): the task, then the screen
            content = [_text(context.task), *(_text(w) for w in words if w),
                       {"type": "input_image", "image_url": current_image_url, "detail": self.detail}]
            body["input"] = [{"role": "user", "content": content}]
            return body
        answered = turns[anchor]
        reply = read_body(answered.text)
        body["previous_response_id"] = reply.get("id")
        confirmed = bool(_extra(answered).get("confirmed"))
        items: list[dict[str, Any]] = []
        for call in computer_calls(reply):
            out: dict[str, Any] = {"type": "computer_call_output", "call_id": call.get("call_id"),
                                   "output": {"type": "computer_screenshot", "image_url": current_image_url}}
            checks = call.get("pending_safety_checks") or []
            if checks and confirmed:  # only the person's yes acknowledges a check
                out["acknowledged_safety_checks"] = checks
            items.append(out)
        items += [{"role": "user", "content": [_text(w)]} for w in words if w]
        if not items:  # nothing to answer and nothing said: show the screen again
            items.append({"role": "user", "content": [
                {"type": "input_image", "image_url": current_image_url, "detail": self.detail}]})
        body["input"] = items
        return body

    @property
    def detail(self) -> str:
        return "high" if self.preview else "original"

    def messages(self, context: Context, turns: list[Turn], current_image_url: str) -> list[dict[str, Any]]:
        """The request as the one message the history layer hands on (the transport sends it as the body)."""
        return [self.request(context, turns, current_image_url)]

    # ---- transport ----
    def client(self, config: RunConfig) -> RetryingClient:
        from agent_app.core.families.openai_cua_client import OpenAICuaClient

        return OpenAICuaClient.for_run(config, self.sampling)


def environment(platform: str | None = None) -> str:
    """The preview tool's `environment` for this computer."""
    platform = platform or sys.platform
    if platform == "darwin":
        return "mac"
    return "windows" if platform.startswith("win") else "linux"


def _extra(turn: Turn) -> dict[str, Any]:
    extra = getattr(turn, "extra", None)
    return extra if isinstance(extra, dict) else {}


def _declined(turn: Turn) -> bool:
    """A step whose call carried safety checks that the person did not allow: it cannot be answered."""
    if _extra(turn).get("confirmed"):
        return False
    return any(call.get("pending_safety_checks") for call in computer_calls(read_body(turn.text)))


def _anchor(turns: list[Turn]) -> int | None:
    """The index of the last step whose response the next request can answer (steps after it were declined)."""
    for i in range(len(turns) - 1, -1, -1):
        if turns[i].kind == "step" and not _declined(turns[i]):
            return i
    return None


def _words(turn: Turn) -> str:
    """What a turn after the anchor tells the model: a person's note, or what a declined call would have done."""
    if turn.kind != "step":
        return turn.text
    calls = computer_calls(read_body(turn.text))
    done = [a.describe() for call in calls for a in _call_actions(call) if a.type != "wait" or a.seconds != 0.0]
    what = "; ".join(done) if done else "a screenshot"
    checks = "; ".join(m for call in calls if (m := safety_message(call)))
    return f"Your last computer call was not run ({what}); its safety check said: {checks}"


def _text(text: str) -> dict[str, Any]:
    return {"type": "input_text", "text": text}


def _tool_actions(a: Action) -> list[dict[str, Any]]:
    """One of our actions as the GA tool's actions (model units); [] where the tool has no word for it."""
    held = {"keys": list(a.keys)} if a.keys and a.type != "hotkey" else {}
    point = {"x": _int(a.x), "y": _int(a.y)} if a.has_point else None
    clicks = {"click": "left", "right_click": "right", "middle_click": "wheel"}
    if a.type in clicks and point:
        return [{"type": "click", "button": clicks[a.type], **point, **held}]
    if a.type in ("double_click", "move") and point:
        return [{"type": a.type, **point, **held}]
    if a.type == "drag" and point and a.x2 is not None and a.y2 is not None:
        return [{"type": "drag", "path": [point, {"x": _int(a.x2), "y": _int(a.y2)}], **held}]
    if a.type == "hotkey" and a.keys:
        return [{"type": "keypress", "keys": [k.upper() for k in a.keys]}]
    if a.type == "type":
        return [{"type": "type", "text": a.text or ""}]
    if a.type == "scroll" and point and a.direction:
        pixels = SCROLL_PIXELS * (a.amount or 1)
        dx = {"right": pixels, "left": -pixels}.get(a.direction, 0)
        dy = {"down": pixels, "up": -pixels}.get(a.direction, 0)
        return [{"type": "scroll", **point, "scroll_x": dx, "scroll_y": dy, **held}]
    if a.type == "wait":
        return [{"type": "wait"}]
    return []


def _int(v: float | None) -> int | float | None:
    return int(v) if v is not None and float(v).is_integer() else v


OPENAI_CUA = OpenAICuaFamily()
