"""Gemini's Computer Use tool (family `gemini`): its request, its responses, its 0..999 grid.

Facts (shared/docs/model-facts-api-families.md, Google's reference agent google-gemini/computer-use-preview):

* The request is `generateContent` with the tool `{"computerUse": {"environment": "ENVIRONMENT_BROWSER",
  "excludedPredefinedFunctions": [...]}}`: on a desktop the browser-only functions are excluded (as cua does); one
  that comes anyway maps to the browser's own keys, or (`open_web_browser`) is answered with an error result.
  The reference samples at temperature 1, top_p 0.95, top_k 40, 8192 output tokens, with thoughts included.
* State is ours: `contents` = user [task, screenshot] → model (the recorded response's content, thought signatures
  and all) → user [one functionResponse per call, the new screenshot on the last one] → …  Which screenshots still
  travel is History's rule (at most 3, as the reference keeps images in the 3 latest turns).
* Coordinates are a 1000x1000 grid whatever the image: screen_x = int(x / 1000 * screen_w), as Google denormalizes
  (`truncate`). No display size is declared, so the screenshot is sized as Google recommends the screen:
  1440x900 at most (orientation kept), never enlarged.
* `args.safety_decision = {"decision": "require_confirmation", "explanation": …}` puts `confirm` on the call's first
  action: the loop asks the person; only an allowed call is answered with `"safety_acknowledgement": "true"`.

`parse` reads the whole JSON body of one response (REST camelCase or the SDK's snake_case keys) into actions in grid
units, exactly as the CLI contract's "API model families (parse)" section says, or raises FormatError.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
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

PROVIDER = "gemini"  # the keychain entry and env vars of its key (GEMINI_API_KEY, GOOGLE_API_KEY)
DEFAULT_MODEL = "gemini-2.5-computer-use-preview-10-2025"
GRID = 1000  # coordinates are 0..999 on a 1000x1000 grid
RECOMMENDED_SCREEN = (1440, 900)
MAX_BODY_CHARS = 4_000_000  # a response body with thought signatures is larger than a chat reply
SEARCH_URL = "https://www.google.com"
ENVIRONMENT = "ENVIRONMENT_BROWSER"
BROWSER_ONLY = ("open_web_browser", "search", "navigate", "go_back", "go_forward")
FUNCTIONS = ("click_at", "hover_at", "type_text_at", "key_combination", "scroll_at", "scroll_document",
             "drag_and_drop", "wait_5_seconds", *BROWSER_ONLY)
REQUIRE_CONFIRMATION = "require_confirmation"
DEFAULT_CONFIRM = "Gemini asks you to confirm this action before it runs."
UNSUPPORTED_ERROR = "{name} is not available: this is a desktop, not a browser. Use the desktop's own windows."
DECLINED_ERROR = "The user did not allow this action; it was not carried out."
NOT_RUN_ERROR = "Not carried out: the user did not allow an action of this turn."
# Parts that carry something else than text or a function call: not what this tool answers with.
_FOREIGN_PARTS = ("inlineData", "fileData", "executableCode", "codeExecutionResult", "functionResponse")


# ---- reading a response ----
@dataclass(frozen=True)
class Call:
    """One functionCall of a response, and the actions it means (grid units)."""

    name: str
    args: dict[str, Any]
    id: str | None
    actions: tuple[Action, ...]
    confirm: str | None  # the explanation of a require_confirmation safety decision


@dataclass(frozen=True)
class Response:
    """A generateContent response read: the model's content as it came, its text and its calls."""

    content: dict[str, Any]
    thought: str  # every text part, thoughts included
    answer: str  # the text parts that are not thoughts
    calls: tuple[Call, ...]

    @property
    def actions(self) -> list[Action]:
        if not self.calls:
            return [Action("finished", content=self.answer)]
        return [a for c in self.calls for a in c.actions]


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def get(obj: dict[str, Any], name: str) -> Any:
    """A field by its REST (camelCase) name, or by the SDK's snake_case one."""
    if name in obj:
        return obj[name]
    return obj.get(_snake(name))


def _has(obj: dict[str, Any], name: str) -> bool:
    return name in obj or _snake(name) in obj


def _clip(value: Any, limit: int = 120) -> str:
    return one_line(str(value), limit)


def read_response(body: str) -> Response:
    """The response body → its content, text and calls. FormatError for whatever the contract rejects."""
    if len(body) > MAX_BODY_CHARS:
        raise FormatError(f"the response is too long ({len(body)} characters)")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise FormatError("the response is not JSON (expected a Gemini generateContent response body)") from None
    if not isinstance(data, dict):
        raise FormatError("the response is not a Gemini generateContent response (not a JSON object)")
    if "error" in data:
        raise FormatError(f"the response is an error: {_error_text(data['error'])}")
    candidates = data.get("candidates")
    if not candidates:
        feedback = get(data, "promptFeedback")
        reason = get(feedback, "blockReason") if isinstance(feedback, dict) else None
        if reason:
            raise FormatError(f"Gemini blocked the request (blockReason {_clip(reason, 40)})")
        raise FormatError("the response has no candidates (not a Gemini generateContent response?)")
    if not isinstance(candidates, list) or not isinstance(candidates[0], dict):
        raise FormatError("the response's candidates are not a list of objects")
    candidate = candidates[0]
    finish = get(candidate, "finishReason")
    if finish != "STOP":
        raise FormatError(_finish_problem(finish))
    content = candidate.get("content")
    if not isinstance(content, dict):
        raise FormatError("the response's candidate has no content")
    parts = content.get("parts")
    if not isinstance(parts, list) or not parts:
        raise FormatError("the response's content has no parts")
    texts: list[str] = []
    answers: list[str] = []
    calls: list[Call] = []
    count = 0
    for part in parts:
        if not isinstance(part, dict):
            raise FormatError("a part of the response is not an object")
        for name in _FOREIGN_PARTS:
            if _has(part, name):
                raise FormatError(f"the response has a {name} part, not text or a function call")
        text = part.get("text")
        if text is not None:
            if not isinstance(text, str):
                raise FormatError("a text part's text is not a string")
            if text:
                texts.append(text)
                if get(part, "thought") is not True:
                    answers.append(text)
        call = get(part, "functionCall")
        if call is not None:
            calls.append(read_call(call))
            count += len(calls[-1].actions)
            if count > MAX_ACTIONS:
                raise FormatError(f"more than {MAX_ACTIONS} actions in one response")
    if not texts and not calls:
        raise FormatError("the response has neither text nor a function call")
    return Response(content, "\n".join(texts), "\n".join(answers), tuple(calls))


def _error_text(error: Any) -> str:
    if isinstance(error, dict):
        bits = [str(v) for v in (error.get("code"), error.get("status")) if v is not None]
        message = error.get("message")
        return _clip(" ".join(bits) + (f": {message}" if message else "") or "no message")
    return _clip(error)


def _finish_problem(finish: Any) -> str:
    if finish is None:
        return "the response has no finishReason (it may be incomplete)"
    if finish == "MAX_TOKENS":
        return "the response was cut at the output token limit (finishReason MAX_TOKENS); a call may be incomplete"
    if finish == "SAFETY":
        return "Gemini stopped the response for safety (finishReason SAFETY)"
    if finish == "MALFORMED_FUNCTION_CALL":
        return "Gemini wrote a malformed function call (finishReason MALFORMED_FUNCTION_CALL)"
    return f"the response ended with finishReason {_clip(finish, 40)}, not STOP"


def read_call(call: Any) -> Call:
    """One functionCall → its actions in grid units (the contract's gemini mapping)."""
    if not isinstance(call, dict):
        raise FormatError("a functionCall is not an object")
    name = call.get("name")
    if not isinstance(name, str):
        raise FormatError("a functionCall has no name")
    if name not in FUNCTIONS:
        raise FormatError(f"a call to another function: {_clip(name, 40)!s}")
    args = call.get("args")
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise FormatError(f"{name}: its args are not an object")
    call_id = call.get("id")
    if call_id is not None and not isinstance(call_id, str):
        raise FormatError(f"{name}: its id is not a string")
    actions = _actions(name, args)
    confirm = _confirmation(name, args.get("safety_decision"))
    if confirm is not None:
        actions[0] = replace(actions[0], confirm=confirm)
    return Call(name, args, call_id, tuple(actions), confirm)


def _confirmation(name: str, decision: Any) -> str | None:
    """The message to ask the person with, for a require_confirmation decision (others are allowed)."""
    if decision is None:
        return None
    if not isinstance(decision, dict) or not isinstance(decision.get("decision"), str):
        raise FormatError(f"{name}: its safety_decision cannot be read")
    if decision["decision"] != REQUIRE_CONFIRMATION:
        return None
    explanation = decision.get("explanation")
    if explanation is None or (isinstance(explanation, str) and not explanation.strip()):
        return DEFAULT_CONFIRM
    if not isinstance(explanation, str):
        raise FormatError(f"{name}: its safety_decision's explanation is not text")
    return explanation


def _number(args: dict[str, Any], key: str, name: str) -> float:
    if key not in args:
        raise FormatError(f"{name} has no {key}")
    return number(args[key], f"{name} {key}")


def _point(args: dict[str, Any], name: str, x: str = "x", y: str = "y") -> tuple[float, float]:
    return _number(args, x, name), _number(args, y, name)


def _flag(args: dict[str, Any], key: str, name: str) -> bool:
    value = args.get(key, True)  # Google's action table: both flags default to true
    if not isinstance(value, bool):
        raise FormatError(f"{name} {key} must be true or false, got {_clip(value, 30)!s}")
    return value


def _text(args: dict[str, Any], key: str, name: str) -> str:
    value = args.get(key)
    if not isinstance(value, str):
        raise FormatError(f"{name} has no {key} text")
    return value


def _direction(args: dict[str, Any], name: str) -> str:
    value = args.get("direction")
    direction = value.strip().lower() if isinstance(value, str) else None
    if direction not in ("up", "down", "left", "right"):
        raise FormatError(f"{name} direction must be up, down, left or right, got {_clip(value, 30)!s}")
    return direction


def _address_bar(url: str) -> list[Action]:
    """Go to `url` with the browser's own keys: focus the address bar, type it, Enter."""
    return [Action("hotkey", keys=("ctrl", "l")), Action("type", text=url + "\n")]


def _actions(name: str, args: dict[str, Any]) -> list[Action]:
    if name in ("click_at", "hover_at"):
        x, y = _point(args, name)
        return [Action("click" if name == "click_at" else "move", x, y)]
    if name == "type_text_at":
        x, y = _point(args, name)
        text = _text(args, "text", name)
        clear, enter = _flag(args, "clear_before_typing", name), _flag(args, "press_enter", name)
        clearing = [Action("hotkey", keys=("ctrl", "a")), Action("hotkey", keys=("delete",))] if clear else []
        return [Action("click", x, y), *clearing, Action("type", text=text + ("\n" if enter else ""))]
    if name == "key_combination":
        keys = args.get("keys")
        if not isinstance(keys, str):
            raise FormatError("key_combination has no keys text")
        return [Action("hotkey", keys=normalize_combo(keys))]
    if name == "scroll_at":
        x, y = _point(args, name)
        return [Action("scroll", x, y, direction=_direction(args, name))]
    if name == "scroll_document":
        return [Action("scroll", direction=_direction(args, name))]
    if name == "drag_and_drop":
        x, y = _point(args, name)
        x2, y2 = _point(args, name, "destination_x", "destination_y")
        return [Action("drag", x, y, x2, y2)]
    if name == "wait_5_seconds":
        return [Action("wait", seconds=5.0)]
    if name == "navigate":
        url = _text(args, "url", name)
        if not url.strip():
            raise FormatError("navigate has an empty url")
        return _address_bar(url)
    if name == "search":
        return _address_bar(SEARCH_URL)
    if name in ("go_back", "go_forward"):
        return [Action("hotkey", keys=("alt", "left" if name == "go_back" else "right"))]
    return [Action("unsupported", name=name)]  # open_web_browser


# ---- writing a response (a person's actions in the tool's words; not training data here) ----
_CALL_OF = {"click": "click_at", "move": "hover_at"}


def response_body(parts: list[dict[str, Any]], finish_reason: str = "STOP",
                  usage: dict[str, int] | None = None) -> dict[str, Any]:
    """A generateContent response body (REST spelling) with these parts."""
    body: dict[str, Any] = {"candidates": [{"content": {"role": "model", "parts": parts},
                                            "finishReason": finish_reason, "index": 0}]}
    if usage is not None:
        body["usageMetadata"] = usage
    return body


def call_part(name: str, **args: Any) -> dict[str, Any]:
    return {"functionCall": {"name": name, "args": args}}


def _grid(v: float | None) -> int:
    return min(GRID - 1, max(0, math.floor(v or 0)))


def _calls_for(actions: list[Action]) -> Iterable[dict[str, Any]]:
    """The calls that say `actions`: a click followed by typing is one type_text_at (nothing cleared)."""
    i = 0
    while i < len(actions):
        a = actions[i]
        nxt = actions[i + 1] if i + 1 < len(actions) else None
        at = {"x": _grid(a.x), "y": _grid(a.y)} if a.has_point else None
        if a.type == "click" and at and nxt is not None and nxt.type == "type":
            text = nxt.text or ""
            enter = text.endswith("\n")
            yield call_part("type_text_at", **at, text=text[:-1] if enter else text, press_enter=enter,
                            clear_before_typing=False)
            i += 2
            continue
        if a.type in _CALL_OF and at:
            yield call_part(_CALL_OF[a.type], **at)
        elif a.type == "drag" and at and a.x2 is not None:
            yield call_part("drag_and_drop", **at, destination_x=_grid(a.x2), destination_y=_grid(a.y2))
        elif a.type == "hotkey" and a.keys:
            yield call_part("key_combination", keys="+".join(a.keys))
        elif a.type == "scroll" and a.direction and at:
            yield call_part("scroll_at", **at, direction=a.direction)
        elif a.type == "scroll" and a.direction:
            yield call_part("scroll_document", direction=a.direction)
        elif a.type == "wait":
            yield call_part("wait_5_seconds")
        i += 1


# ---- the family ----
@dataclass(frozen=True)
class GeminiFamily(ApiFamily):
    """Gemini's Computer Use tool over the Gemini API (`google-genai`)."""

    name: str = "gemini"
    label: str = "Gemini computer use"
    coordinates: str = "thousandths"
    provider: str = PROVIDER
    default_model: str = DEFAULT_MODEL
    max_images: int | None = 3  # the reference keeps screenshots in the 3 latest turns
    sampling: Sampling = field(default_factory=lambda: Sampling(
        temperature=1.0, top_p=0.95, max_tokens=8192, frequency_penalty=None, extra_body={"top_k": 40}))
    model_names: tuple[str, ...] = (r"^gemini-2\.5-computer-use", r"^gemini-3-flash-preview",
                                    r"^gemini-3\.1-pro-preview")
    truncate: bool = True  # screen_x = int(x / 1000 * screen_w), Google's denormalization
    min_pixels: int = 64 * 64
    max_pixels: int = RECOMMENDED_SCREEN[0] * RECOMMENDED_SCREEN[1]

    @property
    def description(self) -> str:
        return f"{self.label} (API): relative 0–999 of the screen"

    def model_image_size(self, width: int, height: int, max_pixels: int | None = None) -> tuple[int, int]:
        """Within Google's recommended 1440x900 (portrait: 900x1440), aspect kept, never enlarged; within
        `max_pixels` when given."""
        width, height = max(1, int(width)), max(1, int(height))
        long_side, short_side = RECOMMENDED_SCREEN
        box_w, box_h = (long_side, short_side) if width >= height else (short_side, long_side)
        scale = min(1.0, box_w / width, box_h / height)
        if max_pixels:
            scale = min(scale, math.sqrt(max(self.min_pixels, max_pixels) / (width * height)))
        return max(1, math.floor(width * scale + 1e-6)), max(1, math.floor(height * scale + 1e-6))

    def span(self, image_w: int, image_h: int) -> tuple[float, float]:
        return float(GRID), float(GRID)

    def client(self, config: RunConfig) -> RetryingClient:
        from agent_app.core.families.gemini_client import GeminiClient

        return GeminiClient.for_run(config, self.sampling)

    def parse(self, reply: str) -> ParsedReply:
        response = read_response(reply)
        return ParsedReply(response.thought, response.actions)

    def format_reply(self, actions: list[Action], thought: str, summary: str = "") -> str:
        """The response Gemini would have given for `actions` (grid units); a finished is its text. Actions the
        tool has no function for are left out."""
        words = summary or thought
        parts: list[dict[str, Any]] = [{"text": words}] if words else []
        finished = next((a for a in actions if a.type == "finished"), None)
        calls = list(_calls_for(actions))
        if finished is not None and not calls:
            parts = [{"text": finished.content or words or "Done."}]
        parts += calls
        return json.dumps(response_body(parts or [{"text": ""}]), ensure_ascii=False)

    # ---- the request ----
    def messages(self, context: Context, turns: list[Turn], current_image_url: str) -> list[dict[str, Any]]:
        """The `contents` of the next generateContent request (REST spelling), from the history alone."""
        return contents(context, turns, current_image_url)

    def config(self, max_tokens: int | None = None, temperature: float | None = None) -> dict[str, Any]:
        """The request's generation config (the SDK's `GenerateContentConfig` fields)."""
        return generation_config(self.sampling, max_tokens, temperature)


GEMINI = GeminiFamily()


# ---- building the request from the history ----
def generation_config(sampling: Sampling, max_tokens: int | None = None,
                      temperature: float | None = None) -> dict[str, Any]:
    config: dict[str, Any] = {
        "temperature": sampling.temperature if temperature is None else temperature,
        "max_output_tokens": max_tokens or sampling.max_tokens,
        "tools": [{"computer_use": {"environment": ENVIRONMENT,
                                    "excluded_predefined_functions": list(BROWSER_ONLY)}}],
        "thinking_config": {"include_thoughts": True},
    }
    if sampling.top_p is not None:
        config["top_p"] = sampling.top_p
    config.update(sampling.extra_body)
    return config


def image_part(url: str) -> dict[str, Any]:
    """A screenshot as Gemini takes it: a data URL as inlineData; a file (a replay of a run folder) as fileData."""
    head, sep, data = url.partition(",")
    if sep and head.startswith("data:") and head.endswith(";base64"):
        return {"inlineData": {"mimeType": head[5:-7], "data": data}}
    kind = url.rpartition(".")[2].lower()
    return {"fileData": {"mimeType": f"image/{'jpeg' if kind == 'jpg' else kind}", "fileUri": url}}


def _index_map(mapping: Any) -> dict[int, Any]:
    """An `extra` map keyed by action index (ints, or strings once it went through a JSON file)."""
    out: dict[int, Any] = {}
    for key, value in (mapping or {}).items() if isinstance(mapping, dict) else ():
        try:
            out[int(key)] = value
        except (TypeError, ValueError):
            continue
    return out


def function_responses(turn: Turn, next_image_url: str | None) -> list[dict[str, Any]]:
    """What the app answers for a step's calls: one functionResponse each, the screenshot taken after them on the
    last; an unsupported call gets an error, a declined step errors for all (the declined call says so), an allowed
    confirmation its acknowledgement. A step with no call (or one whose reply cannot be read) gets the plain
    screenshot."""
    extra = getattr(turn, "extra", None) or {}
    try:
        calls = read_response(turn.text).calls
    except FormatError:
        calls = ()
    if not calls:
        return [image_part(next_image_url)] if next_image_url else []
    unsupported = _index_map(extra.get("unsupported"))
    confirmed = extra.get("confirmed") is True
    declined = extra.get("declined") is True or (any(c.confirm for c in calls) and not confirmed)
    parts: list[dict[str, Any]] = []
    index = 0
    for n, call in enumerate(calls):
        response: dict[str, Any]
        if declined:
            response = {"error": DECLINED_ERROR if call.confirm else NOT_RUN_ERROR}
        elif call.actions[0].type == "unsupported":
            text = unsupported.get(index)
            response = {"error": str(text) if text else UNSUPPORTED_ERROR.format(name=call.name)}
        else:
            response = {"url": ""}
            if call.confirm:
                response["safety_acknowledgement"] = "true"
        answer: dict[str, Any] = {"name": call.name, "response": response}
        if call.id is not None:
            answer["id"] = call.id
        if next_image_url and n == len(calls) - 1:
            answer["parts"] = [image_part(next_image_url)]
        parts.append({"functionResponse": answer})
        index += len(call.actions)
    return parts


def model_content(turn: Turn) -> dict[str, Any]:
    """The model's turn exactly as it came (thought signatures included), or its text when unreadable."""
    try:
        content = read_response(turn.text).content
    except FormatError:
        return {"role": "model", "parts": [{"text": turn.text}]}
    return {**content, "role": "model"}


def contents(context: Context, turns: list[Turn], current_image_url: str) -> list[dict[str, Any]]:
    """user [task, first screenshot] → per step: model (its response) → user (the answers to its calls with the next
    screenshot, then the person's notes given after it) … The screenshots are those `turns` still carry."""
    steps = [t for t in turns if t.kind == "step"]
    images = [t.image_url for t in steps[1:]] + [current_image_url]
    first: list[dict[str, Any]] = [{"text": context.task}]
    out: list[dict[str, Any]] = [{"role": "user", "parts": first}]
    user = first
    k = 0  # steps seen
    for turn in turns:
        if turn.kind == "note":
            user.append({"text": turn.text})
            continue
        if k == 0 and turn.image_url:
            first.append(image_part(turn.image_url))
        out.append(model_content(turn))
        user = function_responses(turn, images[k])
        out.append({"role": "user", "parts": user})
        k += 1
    if k == 0:
        first.append(image_part(current_image_url))
    return out
