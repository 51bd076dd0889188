"""The openai-cua transport: one Responses API call through the official `openai` SDK, and what its failures mean.

The SDK is imported only inside these functions: the core imports without it.
A streamed response is read event by event (the reasoning summary and the message text reach the viewer as they
come) until its terminal event, which carries the whole response; a stream that ends without one never arrived.
The recorded reply is the response body as the provider sent it (the SDK's object, dumped with only the fields the
provider set).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agent_app.core.client import Answer, DeadlineExceededError, RetryingClient, Verdict
from agent_app.core.errors import ConfigError
from agent_app.core.families.base import Sampling
from agent_app.core.text import one_line

PUBLIC_BASE_URL = "https://api.openai.com/v1"

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
    details = getattr(response, "incomplete_details", None)
    return ResponsesAnswer(
        response.model_dump_json(exclude_unset=True), _usage(getattr(response, "usage", None)),
        getattr(response, "status", None), getattr(details, "reason", None) if details is not None else None,
    )


def _usage(usage: Any) -> dict[str, int] | None:
    """The Responses usage in the app's words (costs.py): input tokens (cached ones included, and named), output."""
    if usage is None:
        return None
    out = {"prompt_tokens": int(getattr(usage, "input_tokens", 0) or 0),
           "completion_tokens": int(getattr(usage, "output_tokens", 0) or 0)}
    cached = getattr(getattr(usage, "input_tokens_details", None), "cached_tokens", None)
    if cached:
        out["cached_tokens"] = int(cached)
    return out


class OpenAICuaClient(RetryingClient):
    """The Responses API through the `openai` SDK. The request is the family's body (`messages()[0]`); the answer
    is the whole response body, complete only when its status says so (cut at max_output_tokens: asked again with a
    bigger budget by RetryingClient, never acted on)."""

    def __init__(self, base_url: str, model: str, api_key: str | None, *, timeout: float = 120.0, retries: int = 3,
                 stream: bool = True, sampling: Sampling | None = None) -> None:
        try:
            import openai
        except ImportError:  # pragma: no cover - a core dependency; said plainly if a bundle lacks it
            raise ConfigError("the openai-cua family needs the openai SDK: pip install 'openai>=1.66'") from None
        super().__init__(base_url or PUBLIC_BASE_URL, model, api_key, timeout=timeout, retries=retries,
                         stream=stream, sampling=sampling)
        # No key: the SDK would refuse to start; the API's 401 then says so in our words.
        self._sdk = openai.OpenAI(base_url=self.base_url, api_key=api_key or "no-key", max_retries=0,
                                  timeout=timeout)

    def close(self) -> None:
        self._sdk.close()

    def _send(self, request: Any, temperature: float | None, check: Callable[[], None],
              on_text: Callable[[str], None] | None) -> Answer:
        # Reasoning models (gpt-5.4) refuse `temperature`, and the preview model is not sampled by it either:
        # the budget is the one knob sent.
        body = {**request[0], "max_output_tokens": self.sampling.max_tokens}
        abandoned = threading.Event()
        try:
            answer = self._in_thread(lambda: send(self._sdk, self.model, body, stream=self.stream, on_text=on_text,
                                                  abandoned=abandoned.is_set), check)
        finally:
            abandoned.set()
        if answer.status == "failed":
            raise ResponseFailedError(answer.text)
        if answer.status == "incomplete" and answer.reason != "max_output_tokens":
            raise ResponseStoppedError(answer.reason or "no reason given")
        finish = "length" if answer.status == "incomplete" else "stop" if answer.status == "completed" else None
        return Answer(answer.text, answer.usage, finish, streamed=False)

    def _explain(self, exc: BaseException) -> Verdict:
        failure = explain(exc, self.base_url, self.model, self.have_key)
        return Verdict(failure.retryable, failure.message, failure.retry_after)


class ResponseFailedError(Exception):
    """The response ended with status "failed" (a server-side error: worth another try)."""


class ResponseStoppedError(Exception):
    """The response ended incomplete for a reason other than its token budget (content_filter): not acted on."""


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
    if isinstance(exc, ResponseFailedError):
        return Failure(True, f"OpenAI could not finish the response ({_failed_message(str(exc))})")
    if isinstance(exc, ResponseStoppedError):
        return Failure(False, f"OpenAI stopped the response ({one_line(str(exc), 60)}); nothing of it was run — "
                       "rephrase the task")
    if isinstance(exc, DeadlineExceededError):
        return Failure(True, f"OpenAI did not answer in time ({base_url}); raise --timeout or try again later")
    if isinstance(exc, openai.AuthenticationError) or status == 401:
        if not have_key:
            return Failure(False, "OpenAI needs an API key; save one with `agent-app key set --provider openai` "
                           "or set OPENAI_API_KEY")
        return Failure(False, "OpenAI rejected the API key (HTTP 401); set a valid one with "
                       "`agent-app key set --provider openai`")
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
    return Failure(False, f"the OpenAI call failed: {type(exc).__name__}: {one_line(str(exc), 200)}")


def _failed_message(body: str) -> str:
    """The error message of a failed response's body."""
    try:
        error = json.loads(body).get("error") or {}
    except (ValueError, AttributeError):
        return "status failed"
    return one_line(str(error.get("message") or error.get("code") or "status failed"), 200)


def _server_message(exc: BaseException) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else inner
        if message:
            return one_line(str(message), 200)
    return one_line(str(getattr(exc, "message", "") or exc), 200)


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


