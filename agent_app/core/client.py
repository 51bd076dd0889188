"""The model client: one chat-completions call to any OpenAI-compatible endpoint, made unhangable.

Each request runs on its own daemon thread while the caller polls the stop flag, so a stop lands within
~20 ms even while a server is silent, and a per-request deadline bounds every attempt. Connection errors,
timeouts, 429 and 5xx are retried with backoff; a 400 naming an optional sampling parameter drops it; a 400
about image limits or context length is turned into something the loop (or this client) can adapt to.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agent_app.core.errors import EndpointError, Interrupt

if TYPE_CHECKING:
    from agent_app.core.settings.config import RunConfig

RETRY_BACKOFF_S = (1.0, 2.0, 4.0, 8.0)
MAX_RETRY_AFTER_S = 30.0
MIN_MAX_TOKENS = 256


class ImageLimitError(EndpointError):
    """The server accepts at most `limit` images per request (vLLM --limit-mm-per-prompt)."""

    def __init__(self, limit: int, message: str) -> None:
        super().__init__(message)
        self.limit = limit


@dataclass
class Sampling:
    temperature: float = 0.0
    top_p: float | None = 0.9
    max_tokens: int = 1000
    frequency_penalty: float | None = 1.0


@dataclass
class ModelReply:
    text: str
    usage: dict[str, int] | None = None
    request_ms: float = 0.0
    attempts: int = 1
    notes: list[str] = field(default_factory=list)  # adaptations made on the way (dropped params, …)


def describe_endpoint_error(exc: BaseException, base_url: str, model: str, have_key: bool) -> str:
    """One line that says what went wrong and what to do."""
    import openai

    if isinstance(exc, (openai.APITimeoutError, DeadlineExceededError)):
        return f"the model at {base_url} did not answer in time; raise --timeout or check the server"
    if isinstance(exc, openai.APIConnectionError):
        return f"cannot reach {base_url} ({_cause(exc)}); check the base URL and that the server is running"
    if isinstance(exc, openai.AuthenticationError) or getattr(exc, "status_code", None) in (401, 403):
        if not have_key:
            return f"{base_url} needs an API key: run `agent-app key set` or set AGENT_APP_API_KEY"
        return f"{base_url} rejected the API key (HTTP {exc.status_code}); set a valid one with `agent-app key set`"
    if isinstance(exc, openai.NotFoundError):
        hint = "" if base_url.rstrip("/").endswith("/v1") else " (does the base URL need to end in /v1?)"
        return f"model {model!r} or its endpoint was not found at {base_url} (HTTP 404){hint}"
    if isinstance(exc, openai.APIStatusError):
        return f"the endpoint answered HTTP {exc.status_code}: {_body_message(exc)[:200]}"
    return f"model call failed: {exc}"


def _cause(exc: BaseException) -> str:
    inner = exc.__cause__ or exc.__context__
    return str(inner or exc).splitlines()[0][:120] if (inner or exc) else "connection failed"


def _body_message(exc: Any) -> str:
    """The server's own error message, wherever in the body it put it."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error")
        msg = inner.get("message") if isinstance(inner, dict) else body.get("message") or inner
        if msg:
            return str(msg)
    return str(getattr(exc, "message", exc))


class DeadlineExceededError(Exception):
    """Our own per-request deadline passed (the server may still be sending, or silent)."""


def _retryable(exc: BaseException) -> bool:
    import openai

    if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError, DeadlineExceededError)):
        return True
    status = getattr(exc, "status_code", None)
    return status in (408, 409, 425, 429) or (status is not None and status >= 500)


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return min(float(value), MAX_RETRY_AFTER_S) if value else None
    except ValueError:
        return None


class ModelClient:
    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None,
        *,
        timeout: float = 120.0,
        retries: int = 3,
        stream: bool = True,
        sampling: Sampling | None = None,
    ) -> None:
        import openai

        self.base_url, self.model, self.timeout, self.retries, self.stream = base_url, model, timeout, retries, stream
        self.sampling = sampling or Sampling()
        self.have_key = bool(api_key)
        self._dropped: set[str] = set()
        # A local server needs no key; the openai client insists on one, so send a placeholder.
        self._client = openai.OpenAI(
            base_url=base_url, api_key=api_key or "EMPTY", max_retries=0, timeout=timeout,
        )

    @classmethod
    def for_run(cls, config: RunConfig) -> ModelClient:
        return cls(config.base_url, config.model, config.api_key, timeout=config.timeout, retries=config.retries,
                   stream=config.stream)

    def close(self) -> None:
        self._client.close()

    # ---- public ----
    def complete(
        self,
        messages: list[dict[str, Any]],
        check: Callable[[], None],
        *,
        temperature: float | None = None,
        on_text: Callable[[str], None] | None = None,
        on_retry: Callable[[str], None] | None = None,
    ) -> ModelReply:
        """One reply, retried as needed. Raises Stopped (via `check`), ImageLimitError or EndpointError."""
        notes: list[str] = []
        attempt, failures = 0, 0
        t_start = time.perf_counter()
        while True:
            attempt += 1
            params = self._params(temperature, prefill=bool(messages) and messages[-1].get("role") == "assistant")
            try:
                text, usage = self._attempt(messages, params, check, on_text)
                return ModelReply(text, usage, (time.perf_counter() - t_start) * 1000, attempt, notes)
            except Interrupt:
                raise
            except Exception as exc:  # noqa: BLE001 - classified below: adapt, retry or report
                adapted = self._adapt(exc, notes)
                if adapted:
                    if on_retry:
                        on_retry(adapted)
                    continue
                problem = describe_endpoint_error(exc, self.base_url, self.model, self.have_key)
                if not _retryable(exc) or failures >= self.retries:
                    raise EndpointError(problem) from None
                delay = _retry_after(exc) or RETRY_BACKOFF_S[min(failures, len(RETRY_BACKOFF_S) - 1)]
                failures += 1
                if on_retry:
                    on_retry(f"{problem} — retry {failures}/{self.retries} in {delay:.0f} s")
                _sleep(delay, check)

    def list_models(self, check: Callable[[], None] = lambda: None) -> list[str]:
        """The model ids the endpoint serves (used to pick a default and to test a connection)."""
        result = self._in_thread(lambda: [m.id for m in self._client.models.list(timeout=self.timeout)], check)
        return result

    # ---- internals ----
    def _params(self, temperature: float | None, prefill: bool = False) -> dict[str, Any]:
        s = self.sampling
        params: dict[str, Any] = {
            "temperature": s.temperature if temperature is None else temperature,
            "max_tokens": s.max_tokens,
        }
        if s.top_p is not None:
            params["top_p"] = s.top_p
        if s.frequency_penalty is not None:
            params["frequency_penalty"] = s.frequency_penalty
        if self.stream:
            params["stream"] = True
            params["stream_options"] = {"include_usage": True}
        if prefill:  # vLLM continues a final assistant message (Aguvis's enforced planning) only when told
            params.update(continue_final_message=True, add_generation_prompt=False)
        for name in self._dropped:
            params.pop(name, None)
        return params

    def _adapt(self, exc: BaseException, notes: list[str]) -> str | None:
        """Change the request after a 400 that says what the server will not take. A note, or None."""
        if getattr(exc, "status_code", None) not in (400, 422):
            return None
        message = _body_message(exc)
        lowered = message.lower()
        m = re.search(r"at most (\d+) image", lowered) or re.search(r"(\d+) image\(s\) may be provided", lowered)
        if m or ("image" in lowered and "limit" in lowered and re.search(r"\d+", lowered)):
            limit = int((m or re.search(r"(\d+)", lowered)).group(1))
            raise ImageLimitError(limit, f"the server accepts at most {limit} image(s) per request")
        for name in ("frequency_penalty", "stream_options", "top_p", "continue_final_message", "add_generation_prompt"):
            if name in lowered and name not in self._dropped:
                self._dropped.add(name)
                note = f"the endpoint does not accept {name}; sending requests without it"
                notes.append(note)
                return note
        if ("max_tokens" in lowered or "context length" in lowered or "maximum context" in lowered) and (
            self.sampling.max_tokens > MIN_MAX_TOKENS
        ):
            self.sampling.max_tokens = max(MIN_MAX_TOKENS, self.sampling.max_tokens // 2)
            note = f"the endpoint refused the token budget; retrying with max_tokens={self.sampling.max_tokens}"
            notes.append(note)
            return note
        return None

    def _attempt(
        self,
        messages: list[dict[str, Any]],
        params: dict[str, Any],
        check: Callable[[], None],
        on_text: Callable[[str], None] | None,
    ) -> tuple[str, dict[str, int] | None]:
        def request() -> tuple[str, dict[str, int] | None]:
            from openai import Stream
            from openai.types.chat import ChatCompletion, ChatCompletionChunk

            # The SDK's low-level post: `chat.completions.create` re-validates every message on every call,
            # which costs ~0.4 ms per message and grows with the run (≈120 ms a request by step 300).
            stream = bool(params.get("stream"))
            response = self._client.post(
                "/chat/completions", body={"model": self.model, "messages": messages, **params},
                cast_to=ChatCompletion, stream=stream, stream_cls=Stream[ChatCompletionChunk],
            )
            if not stream:
                choice = response.choices[0] if response.choices else None
                text = (choice.message.content if choice and choice.message else None) or ""
                return text, _usage(response.usage)
            parts: list[str] = []
            usage = None
            try:
                for chunk in response:
                    if chunk.usage:
                        usage = _usage(chunk.usage)
                    if chunk.choices and chunk.choices[0].delta and chunk.choices[0].delta.content:
                        parts.append(chunk.choices[0].delta.content)
                        if on_text:
                            on_text("".join(parts))
                    if stop_reading.is_set():
                        break
            finally:
                response.close()
            return "".join(parts), usage

        stop_reading = threading.Event()
        try:
            return self._in_thread(request, check)
        finally:
            stop_reading.set()

    def _in_thread(self, fn: Callable[[], Any], check: Callable[[], None]) -> Any:
        """Run `fn` on a daemon thread; poll `check` meanwhile; give up after the request deadline."""
        box: dict[str, Any] = {}
        done = threading.Event()

        def target() -> None:
            try:
                box["result"] = fn()
            except BaseException as e:  # noqa: BLE001 - handed to the caller's thread
                box["error"] = e
            finally:
                done.set()

        threading.Thread(target=target, name="agent-app-request", daemon=True).start()
        deadline = time.monotonic() + self.timeout + 1.0
        while not done.wait(0.02):
            check()
            if time.monotonic() > deadline:
                raise DeadlineExceededError()
        if "error" in box:
            raise box["error"]
        return box["result"]


def _usage(usage: Any) -> dict[str, int] | None:
    if usage is None:
        return None
    return {
        "prompt_tokens": int(getattr(usage, "prompt_tokens", 0) or 0),
        "completion_tokens": int(getattr(usage, "completion_tokens", 0) or 0),
    }


def _sleep(seconds: float, check: Callable[[], None]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        check()
        time.sleep(min(0.02, max(0.0, deadline - time.monotonic())))
