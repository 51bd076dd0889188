"""Claude's transport: one Messages API call through Anthropic's official SDK, and what its errors mean.

The SDK is imported only when a run needs it (the core imports without it). A reply comes back as the whole response
body (JSON text), streamed or not; a stream that breaks off before its message_stop is never passed on as a reply
(the SDK would sum up what came, without a stop_reason). Every error becomes a verdict: retry (after how long) or end the run, with one line that
says what to do. Nothing here ever holds the key longer than the SDK client does.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agent_app.core.client import Answer, RetryingClient, Verdict
from agent_app.core.errors import ConfigError
from agent_app.core.families.claude import create_args
from agent_app.core.redact import redact
from agent_app.core.text import one_line

if TYPE_CHECKING:
    from agent_app.core.families.base import Sampling

INSTALL = "pip install 'agent-app[claude]'"
PUBLIC_BASE_URL = "https://api.anthropic.com"
RETRYABLE_TYPES = frozenset({"overloaded_error", "api_error", "rate_limit_error", "timeout_error"})


def sdk() -> Any:
    """The `anthropic` module, or ConfigError with the install command."""
    try:
        import anthropic
    except ImportError:
        raise ConfigError(f"the claude family needs Anthropic's Python SDK: {INSTALL}") from None
    return anthropic


def make_client(base_url: str | None, api_key: str | None, timeout: float) -> Any:
    """An SDK client that never retries by itself (ours retries, and a stop lands meanwhile). A local server
    needs no key; the SDK insists on one, so a placeholder goes then."""
    anthropic = sdk()
    return anthropic.Anthropic(api_key=api_key or "EMPTY", base_url=base_url or PUBLIC_BASE_URL, max_retries=0,
                               timeout=timeout)


@dataclass
class Result:
    """A whole reply: the response body as JSON text, its token usage, how it ended."""

    body: str
    usage: dict[str, int] | None
    stop_reason: str | None


class RefusedError(Exception):
    """The model refused (stop_reason "refusal"): asking the same again will not help."""


class BrokenOffError(Exception):
    """The stream ended before its message_stop event (the connection dropped, the server closed early)."""


class ContextFullError(Exception):
    """The reply stopped at the model's context window (stop_reason "model_context_window_exceeded")."""


class ClaudeClient(RetryingClient):
    """The claude family's transport: the shared retrying, stopping and redacting around one SDK call."""

    def __init__(self, base_url: str | None, model: str, api_key: str | None, *, timeout: float = 120.0,
                 retries: int = 3, stream: bool = True, sampling: Sampling | None = None) -> None:
        super().__init__(base_url or PUBLIC_BASE_URL, model, api_key, timeout=timeout, retries=retries,
                         stream=stream, sampling=sampling)
        self._client = make_client(self.base_url, api_key, timeout)

    def close(self) -> None:
        self._client.close()

    def _send(self, request: Any, temperature: float | None, check: Callable[[], None],
              on_text: Callable[[str], None] | None) -> Answer:
        """`request`: the family's one item (system, display, messages), completed here for the model."""
        args = create_args(self.model, request[0], self.sampling.max_tokens)
        gave_up = threading.Event()
        try:
            result = self._in_thread(lambda: call(self._client, args, self.stream, on_text, gave_up.is_set), check)
        finally:
            gave_up.set()  # a stop or takeover: the request thread stops reading
        if result.stop_reason == "refusal":
            raise RefusedError()
        if result.stop_reason == "model_context_window_exceeded":
            raise ContextFullError()
        return Answer(result.body, result.usage, result.stop_reason, False)

    def _explain(self, exc: BaseException) -> Verdict:
        return explain(exc, self.base_url, self.model, self.have_key)


def call(client: Any, request: dict[str, Any], stream: bool, on_text: Callable[[str], None] | None = None,
         abandoned: Callable[[], bool] = lambda: False) -> Result:
    """One request. `request` holds the create() arguments (model, max_tokens, system, tools, betas, messages…).
    Streamed: the text so far goes to `on_text` as it comes; `abandoned` stops reading early (the caller gave up)."""
    if not stream:
        raw = client.beta.messages.with_raw_response.create(**request)
        body = raw.http_response.text
        data = _json(body)
        return Result(body, _usage(data.get("usage")), data.get("stop_reason"))
    with client.beta.messages.stream(**request) as events:
        texts: dict[int, str] = {}
        whole = False
        for event in events:
            kind = getattr(event, "type", None)
            whole = whole or kind == "message_stop"
            if abandoned():
                raise BrokenOffError("abandoned")
            if kind == "content_block_delta" and getattr(event.delta, "type", "") == "text_delta":
                texts[event.index] = texts.get(event.index, "") + event.delta.text
                if on_text:
                    on_text("\n".join(texts[k] for k in sorted(texts)))
        if not whole:  # the SDK sums up whatever came; a reply is only what ended with message_stop
            raise BrokenOffError("the stream ended before message_stop")
        message = events.get_final_message()
    data = message.to_dict(mode="json") if hasattr(message, "to_dict") else message.model_dump(mode="json")
    return Result(json.dumps(data, ensure_ascii=False), _usage(data.get("usage")), data.get("stop_reason"))


def _json(body: str) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _usage(usage: Any) -> dict[str, int] | None:
    """Anthropic's usage as the app counts it: prompt tokens include the cached ones."""
    if not isinstance(usage, dict):
        return None
    prompt = sum(int(usage.get(k) or 0) for k in ("input_tokens", "cache_creation_input_tokens",
                                                   "cache_read_input_tokens"))
    return {"prompt_tokens": prompt, "completion_tokens": int(usage.get("output_tokens") or 0)}


def explain(exc: BaseException, base_url: str | None, model: str, have_key: bool) -> Verdict:
    """What an error of a Messages call means for the run. The message is one redacted line that says what to do."""
    verdict = _explain(exc, base_url or PUBLIC_BASE_URL, model, have_key)
    return Verdict(verdict.retryable, redact(verdict.message), verdict.retry_after)


def _explain(exc: BaseException, base_url: str, model: str, have_key: bool) -> Verdict:
    anthropic = sdk()
    if isinstance(exc, RefusedError):
        return Verdict(False, "the model refused to go on (stop_reason refusal); rephrase the task or take over")
    if isinstance(exc, ContextFullError):
        return Verdict(False, "the run no longer fits the model's context window; send fewer screenshots "
                              "(--history-images) or start a new run")
    if isinstance(exc, BrokenOffError):
        return Verdict(True, "the reply from Anthropic's API broke off mid-way; check the network")
    if isinstance(exc, anthropic.APITimeoutError):
        return Verdict(True, f"Anthropic's API at {base_url} did not answer in time; raise --timeout or try later")
    if isinstance(exc, anthropic.APIConnectionError):
        return Verdict(True, f"cannot reach Anthropic's API at {base_url}; check the network and --base-url")
    status = getattr(exc, "status_code", None)
    kind, text = _error_body(exc)
    said = f": {text}" if text else ""
    if kind in ("overloaded_error",) or status == 529:
        return Verdict(True, f"Anthropic's API is overloaded (HTTP {status or 529}){said}", _retry_after(exc))
    if kind == "rate_limit_error" or status == 429:
        return Verdict(True, f"Anthropic's rate limit was reached (HTTP 429){said}", _retry_after(exc))
    if status == 401 or kind == "authentication_error":
        if not have_key:
            return Verdict(False, "Anthropic needs an API key: run `agent-app key set --provider anthropic` or set "
                                  "ANTHROPIC_API_KEY")
        return Verdict(False, "Anthropic rejected the API key (HTTP 401); set a valid one with "
                              "`agent-app key set --provider anthropic` or ANTHROPIC_API_KEY")
    if status == 403 or kind == "permission_error":
        return Verdict(False, f"the API key may not use {model!r} (HTTP 403){said}")
    if status == 402 or kind == "billing_error":
        return Verdict(False, f"Anthropic refused the request for billing reasons (HTTP 402){said}")
    if status == 404 or kind == "not_found_error":
        return Verdict(False, f"model {model!r} was not found at {base_url} (HTTP 404); check --model "
                              "(for example claude-sonnet-4-6)")
    if status == 413 or kind == "request_too_large":
        return Verdict(False, "the request is too large for Anthropic's API (HTTP 413); send fewer screenshots "
                              "(--history-images) or smaller ones (--max-pixels)")
    if status is not None and (status >= 500 or status in (408, 409) or kind in RETRYABLE_TYPES):
        return Verdict(True, f"Anthropic's API answered HTTP {status}{said}", _retry_after(exc))
    if status is not None:
        return Verdict(False, f"Anthropic's API refused the request (HTTP {status}){said}")
    return Verdict(False, f"the call to Anthropic's API failed: {one_line(redact(str(exc)), 200)}")


def _error_body(exc: BaseException) -> tuple[str | None, str]:
    body = getattr(exc, "body", None)
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return error.get("type"), one_line(redact(str(error.get("message") or "")), 200)
    return None, one_line(redact(str(getattr(exc, "message", "") or "")), 200)


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    value = headers.get("retry-after") if headers is not None else None
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None

