"""The openai-cua transport: one Responses API call through the official `openai` SDK, and what its failures mean.

The SDK is imported only inside these functions: the core imports without it.
A streamed response is read event by event (the reasoning summary and the message text reach the viewer as they
come) until its terminal event, which carries the whole response; a stream that ends without one never arrived.
The recorded reply is the response body as the provider sent it (the SDK's object, dumped with only the fields the
provider set).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

TERMINAL_EVENTS = ("response.completed", "response.incomplete", "response.failed")
TEXT_DELTAS = ("response.reasoning_summary_text.delta", "response.output_text.delta")


@dataclass
class ResponsesAnswer:
    text: str  # the whole response body, JSON
    usage: dict[str, int] | None
    status: str | None  # completed | incomplete | failed | …
    reason: str | None = None  # incomplete_details.reason


class StreamEndedError(Exception):
    """The stream ended (or reported an error event) before the response was whole."""


def send(sdk: Any, model: str, body: dict[str, Any], *, stream: bool,
         on_text: Callable[[str], None] | None = None, abandoned: Callable[[], bool] = lambda: False,
         ) -> ResponsesAnswer:
    """One request; the whole response, or an exception (the SDK's, or StreamEndedError)."""
    if not stream:
        return _answer(sdk.responses.create(model=model, **body))
    events = sdk.responses.create(model=model, stream=True, **body)
    pieces: dict[tuple[int, str, int], str] = {}  # (output index, kind, part index) → text so far
    try:
        for event in events:
            kind = getattr(event, "type", None)
            if kind in TEXT_DELTAS:
                part = getattr(event, "summary_index", None)
                key = (event.output_index, kind, part if part is not None else getattr(event, "content_index", 0))
                pieces[key] = pieces.get(key, "") + (event.delta or "")
                if on_text:
                    on_text("\n".join(text for _, text in sorted(pieces.items()) if text.strip()))
            elif kind in TERMINAL_EVENTS:
                return _answer(event.response)
            elif kind == "error":
                raise StreamEndedError(f"the stream reported an error: {getattr(event, 'message', '') or kind}")
            if abandoned():
                raise StreamEndedError("abandoned")
    finally:
        events.close()
    raise StreamEndedError("the stream ended before the response was complete")


def _answer(response: Any) -> ResponsesAnswer:
    usage = getattr(response, "usage", None)
    details = getattr(response, "incomplete_details", None)
    return ResponsesAnswer(
        response.model_dump_json(exclude_unset=True),
        {"prompt_tokens": int(getattr(usage, "input_tokens", 0) or 0),
         "completion_tokens": int(getattr(usage, "output_tokens", 0) or 0)} if usage is not None else None,
        getattr(response, "status", None), getattr(details, "reason", None) if details is not None else None,
    )


@dataclass(frozen=True)
class Failure:
    """What an exception from the SDK means: retry it (after `retry_after` s, if the server said), and the one line
    that tells the person what to do."""

    retryable: bool
    message: str
    retry_after: float | None = None


def explain(exc: BaseException, base_url: str, model: str, have_key: bool) -> Failure:
    import openai

    status = getattr(exc, "status_code", None)
    said = _server_message(exc)
    code = _error_code(exc)
    if isinstance(exc, openai.APITimeoutError):
        return Failure(True, f"OpenAI did not answer in time ({base_url}); raise --timeout or try again later")
    if isinstance(exc, openai.APIConnectionError):
        return Failure(True, f"cannot reach OpenAI at {base_url}; check the network and the base URL")
    if isinstance(exc, StreamEndedError):
        return Failure(True, f"OpenAI's reply was cut off ({exc}); check the network")
    if isinstance(exc, openai.AuthenticationError) or status == 401:
        if not have_key:
            return Failure(False, "OpenAI needs an API key: run `agent-app key set` or set OPENAI_API_KEY")
        return Failure(False, "OpenAI rejected the API key (HTTP 401); set a valid one with `agent-app key set`")
    if isinstance(exc, openai.RateLimitError) or status == 429:
        if code == "insufficient_quota":
            return Failure(False, f"the OpenAI account has no quota left (HTTP 429): {said}; check the plan and "
                           "billing")
        return Failure(True, f"OpenAI's rate limit was reached (HTTP 429): {said}", _retry_after(exc))
    if isinstance(exc, openai.NotFoundError) or status == 404:
        if code == "model_not_found":
            return Failure(False, f"the model {model!r} is not available to this key (HTTP 404); check --model")
        return Failure(False, f"not found at {base_url} (HTTP 404): {said}; check the base URL")
    if isinstance(exc, openai.PermissionDeniedError) or status == 403:
        return Failure(False, f"OpenAI refused access (HTTP 403): {said}")
    if status is not None and status >= 500:
        return Failure(True, f"OpenAI is unavailable or overloaded (HTTP {status}): {said}", _retry_after(exc))
    if status is not None:
        return Failure(status in (408, 409), f"OpenAI answered HTTP {status}: {said}", _retry_after(exc))
    return Failure(False, f"the OpenAI call failed: {type(exc).__name__}: {_one_line(str(exc), 200)}")


def _server_message(exc: BaseException) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else inner
        if message:
            return _one_line(str(message), 200)
    return _one_line(str(getattr(exc, "message", "") or exc), 200)


def _error_code(exc: BaseException) -> str | None:
    code = getattr(exc, "code", None)
    if code:
        return str(code)
    body = getattr(exc, "body", None)
    inner = body.get("error", body) if isinstance(body, dict) else None
    return str(inner.get("code")) if isinstance(inner, dict) and inner.get("code") else None


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            value = float(headers.get(name)) * scale
        except (TypeError, ValueError):
            continue
        if value >= 0:
            return value
    return None


def _one_line(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
