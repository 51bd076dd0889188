"""The model client: one chat-completions call to any OpenAI-compatible endpoint, made unhangable.

Each request runs on its own daemon thread while the caller polls the stop flag, so a stop lands within
~20 ms even while a server is silent, and a per-request deadline bounds every attempt. Connection errors,
timeouts, 429 and 5xx are retried with backoff; a 400 naming an optional sampling parameter drops it; a 400
about the number of images or the context length is turned into something the loop (or this client) can
adapt to.

Only a whole reply is returned: one that ended with a finish reason such as "stop". A stream that ends
without one (the connection dropped, the server closed early) is asked again like a failed request; a reply
cut at max_tokens is asked again with a larger budget (T=0 would only repeat itself), a bounded number of
times. A stream that has delivered its finish reason is complete at once, whether or not `[DONE]` follows.
Every text that came from the server is redacted (`redact`) before it leaves this module.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from agent_app.core.errors import EndpointError, Interrupt
from agent_app.core.families.base import Sampling
from agent_app.core.families.qwen import with_tool_calls
from agent_app.core.redact import redact, remember_secret
from agent_app.core.text import one_line

if TYPE_CHECKING:
    from typing import Self  # 3.11; only read by type checkers here

    from agent_app.core.settings.config import RunConfig

RETRY_BACKOFF_S = (1.0, 2.0, 4.0, 8.0)
MAX_RETRY_AFTER_S = 30.0
MIN_MAX_TOKENS = 256
MAX_TOKENS_CAP = 4096  # a reply cut at max_tokens is asked again with double the budget, up to this
MAX_LENGTH_RAISES = 2
USAGE_GRACE_S = 0.2  # after the finish chunk, how long a stream may still send its usage chunk
COMPLETE_REASONS = frozenset({"stop", "eos", "end_turn", "stop_sequence", "tool_calls", "function_call", "tool_use"})
LENGTH_REASONS = frozenset({"length", "max_tokens"})


class ImageFormatError(EndpointError):
    """The server refused an image's format (an endpoint that does not decode WebP, say)."""


_FORMAT_REFUSED = re.compile(  # what servers say when they cannot decode an image's format (PIL, vLLM, APIs)
    r"webp|cannot identify image|unsupported image (?:format|type)|image (?:format|type) (?:is )?not supported"
    r"|unrecognized image|(?:failed to|cannot|could not) decode (?:the )?image"
)


class ImageLimitError(EndpointError):
    """The server accepts at most `limit` images per request (vLLM --limit-mm-per-prompt)."""

    def __init__(self, limit: int, message: str) -> None:
        super().__init__(message)
        self.limit = limit


@dataclass
class ModelReply:
    text: str
    usage: dict[str, int] | None = None
    request_ms: float = 0.0
    attempts: int = 1
    notes: list[str] = field(default_factory=list)  # adaptations made on the way (dropped params, …)


class IncompleteReplyError(Exception):
    """The reply ended without a finish reason (or with one that means "not all of it"): never acted on.
    `dropped`: why the connection broke off mid-reply, when it did."""

    def __init__(self, finish_reason: str | None, dropped: str | None = None) -> None:
        super().__init__(finish_reason, dropped)
        self.finish_reason, self.dropped = finish_reason, dropped


class CutAtMaxTokensError(Exception):
    """The reply was cut at the token budget (finish_reason "length")."""

    def __init__(self, max_tokens: int) -> None:
        super().__init__(max_tokens)
        self.max_tokens = max_tokens


class WebPageError(Exception):
    """The endpoint answered an API call with a web page (a base URL that points at a web UI)."""


class NotAChatCompletionError(Exception):
    """The endpoint answered 200 with something that is not a chat completion."""


WEB_PAGE_HINT = "the endpoint returned a web page — check the base URL (it usually ends in /v1)"


def describe_endpoint_error(exc: BaseException, base_url: str, model: str, have_key: bool) -> str:
    """One line that says what went wrong and what to do. Nothing secret-shaped survives in it."""
    return redact(_describe(exc, base_url, model, have_key))


def _describe(exc: BaseException, base_url: str, model: str, have_key: bool) -> str:
    import openai

    status = getattr(exc, "status_code", None)
    if isinstance(exc, (openai.APITimeoutError, DeadlineExceededError)):
        return f"the model at {base_url} did not answer in time; raise --timeout or check the server"
    if isinstance(exc, openai.APIConnectionError) and not _never_connected(exc):
        return f"the connection to {base_url} broke off ({_cause(exc)}); check the server and the network"
    if isinstance(exc, openai.APIConnectionError):
        return f"cannot reach {base_url} ({_cause(exc)}); check the base URL and that the server is running"
    if isinstance(exc, IncompleteReplyError):
        if exc.dropped:
            how = f"the connection dropped mid-reply: {exc.dropped}"
        elif exc.finish_reason is None:
            how = "the stream ended without a finish reason"
        else:
            how = f"the server ended it with finish_reason {exc.finish_reason!r}"
        return f"the model's reply was cut off ({how}); check the server and the network"
    if isinstance(exc, WebPageError):
        return WEB_PAGE_HINT
    if isinstance(exc, NotAChatCompletionError):
        return f"the endpoint's answer is not a chat completion ({exc}); check the base URL (it usually ends in /v1)"
    if isinstance(exc, openai.AuthenticationError) or status in (401, 403):
        if not have_key:
            return f"{base_url} needs an API key: run `agent-app key set` or set AGENT_APP_API_KEY"
        return f"{base_url} rejected the API key (HTTP {status}); set a valid one with `agent-app key set`"
    if status == 413:
        return ("the endpoint refused the request as too large (HTTP 413); lower the screenshot size "
                "(--max-pixels) or the number of screenshots per request (--history-images)")
    if isinstance(exc, openai.APIStatusError) and _looks_like_html(_body_text(exc)):
        if status is not None and status >= 500:
            return f"the endpoint answered HTTP {status} with an error page; check that the model server is running"
        return f"{WEB_PAGE_HINT} (HTTP {status})"
    if isinstance(exc, openai.NotFoundError):
        hint = "" if base_url.rstrip("/").endswith("/v1") else " (does the base URL need to end in /v1?)"
        return f"model {model!r} or its endpoint was not found at {base_url} (HTTP 404){hint}"
    if isinstance(exc, openai.APIStatusError):
        return f"the endpoint answered HTTP {status}: {one_line(_body_message(exc), 200)}"
    return f"model call failed: {one_line(redact(str(exc)), 200)}"


def _never_connected(exc: BaseException) -> bool:
    """Did the request fail before a connection was made (refused, unknown host) rather than break off later?"""
    seen: BaseException | None = exc
    for _ in range(8):
        seen = seen.__cause__ or seen.__context__ if seen is not None else None
        if seen is None:
            return True  # nothing more to go on: say what the person can check first
        if type(seen).__name__ in ("ConnectError", "ConnectTimeout") or isinstance(
            seen, (ConnectionRefusedError, socket.gaierror)
        ):
            return True
        if type(seen).__name__ in ("RemoteProtocolError", "ReadError", "WriteError", "CloseError"):
            return False
    return True


def _cause(exc: BaseException) -> str:
    inner = exc.__cause__ or exc.__context__
    text = str(inner or exc).strip()
    return one_line(redact(text), 120) if text else "connection failed"


def _body_text(exc: Any) -> str:
    body = getattr(exc, "body", None)
    return body if isinstance(body, str) else ""


def _looks_like_html(text: str) -> bool:
    head = text.lstrip()[:200].lower()
    return head.startswith(("<!doctype html", "<html", "<head", "<body")) or "<html" in head


def _body_message(exc: Any) -> str:
    """The server's own error message, wherever in the body it put it — redacted before anyone cuts it short."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error")
        msg = inner.get("message") if isinstance(inner, dict) else body.get("message") or inner
        if msg:
            return redact(str(msg))
    return redact(str(getattr(exc, "message", exc)))


_UNIT = r"(?!\d|[.,]\d)(?!\s*(?:[kmg]i?b\b|bytes?\b|px\b|pixels?\b|x\s*\d|megapixels?\b|mp\b|%))"
_IMAGE_COUNT = [re.compile(p + _UNIT) for p in (
    r"at most (\d+) images?(?:\(s\))?\s+(?:may|can|are)",  # vLLM: "At most 5 image(s) may be provided in one prompt"
    r"(\d+) image\(s\) may be provided",
    r"you set (?:or defaulted to )?['\"]?\{?\s*[\"']?image[\"']?\s*[=:]\s*(\d+)",  # vLLM --limit-mm-per-prompt
    r"(?:too many|number of|count of) images?\b[^\n]{0,60}?\b(?:max(?:imum)?|limit|at most|allowed|up to)\b"
    r"\D{0,20}(\d+)",
    r"\bmax(?:imum)? (?:number of )?images(?: allowed)?(?: per (?:request|prompt|message))?(?: is|:|=| of)? ?(\d+)",
    r"(?:only|up to)(?: include| send| provide| accept| pass)? (\d+) images? (?:per|in|are|is|may|can)",
)]


def image_count_limit(message: str) -> int | None:
    """The number of images per request a server's error message names as its limit, if it is about that.
    Messages about an image's size ("image exceeds 20 MB", "image too large") are not."""
    lowered = message.lower()
    for pattern in _IMAGE_COUNT:
        m = pattern.search(lowered)
        if m:
            return int(m.group(1))
    return None


class DeadlineExceededError(Exception):
    """Our own per-request deadline passed (the server may still be sending, or silent)."""


def _retryable(exc: BaseException) -> bool:
    import openai

    if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError, DeadlineExceededError,
                        IncompleteReplyError)):
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


@dataclass(frozen=True)
class Verdict:
    """What a failed request means: whether to try again (and when), and the one line that says what to do."""

    retryable: bool
    message: str
    retry_after: float | None = None


class RetryingClient:
    """What every model client shares, whatever its protocol: one request at a time on a daemon thread while
    `check` is polled (a stop or takeover lands in ~20 ms), retries with backoff (or the server's retry-after) for
    what is worth retrying, a bounded re-ask with a bigger budget for a reply cut at its token limit (never acted
    on), every text from the server redacted before it leaves. A protocol subclasses it with `_send` (one attempt:
    the whole answer) and `_explain` (what a failure means); `_adapt` may change the next request after a refusal
    that says how."""

    def __init__(self, base_url: str, model: str, api_key: str | None, *, timeout: float = 120.0, retries: int = 3,
                 stream: bool = True, sampling: Sampling | None = None) -> None:
        self.base_url, self.model, self.timeout, self.retries = base_url, model, timeout, retries
        self.stream = stream  # ask for a streamed reply where the protocol offers one (--no-stream: whole)
        self.sampling = replace(sampling) if sampling else Sampling()  # a copy: the client adapts it
        self._max_tokens_cap = max(MAX_TOKENS_CAP, 2 * self.sampling.max_tokens)  # GLM starts at 8192
        self.have_key = bool(api_key)
        remember_secret(api_key)  # whatever a server echoes of it is redacted from then on

    @classmethod
    def for_run(cls, config: RunConfig, sampling: Sampling | None = None) -> Self:
        """The client a run's settings ask for (the family's sampling)."""
        return cls(config.base_url, config.model, config.api_key, timeout=config.timeout, retries=config.retries,
                   stream=config.stream, sampling=sampling)

    def close(self) -> None:
        return None

    # ---- for subclasses ----
    def _send(self, request: Any, temperature: float | None, check: Callable[[], None],
              on_text: Callable[[str], None] | None) -> Answer:
        """One attempt, whole: the reply's text (an API family's: the JSON body), usage and finish reason."""
        raise NotImplementedError

    def _explain(self, exc: BaseException) -> Verdict:
        raise NotImplementedError

    def _adapt(self, exc: BaseException, notes: list[str]) -> str | None:
        """Change the request after a failure that says what the server will not take. A note, or None."""
        return None

    # ---- public ----
    def complete(
        self,
        messages: Any,
        check: Callable[[], None],
        *,
        temperature: float | None = None,
        on_text: Callable[[str], None] | None = None,
        on_retry: Callable[[str], None] | None = None,
        cut_ok: bool = False,
    ) -> ModelReply:
        """One whole reply, retried as needed. Raises Stopped (via `check`), ImageLimitError or EndpointError.

        `cut_ok`: a reply cut at max_tokens is good enough (a connection test needs an answer, not an action)."""
        notes: list[str] = []
        attempt, failures, raises = 0, 0, 0
        t_start = time.perf_counter()
        while True:
            attempt += 1
            budget = self.sampling.max_tokens
            try:
                answer = self._send(messages, temperature, check, on_text)
                if answer.finish_reason in LENGTH_REASONS and not cut_ok:
                    raise CutAtMaxTokensError(budget)
                if not answer.whole:
                    raise IncompleteReplyError(answer.finish_reason)
                # The run's own key never reaches an action or a record; key-shaped text the person may have
                # asked the model to type stays (only registered secrets are removed from a reply).
                text = redact(answer.text, shapes=False)
                return ModelReply(text, answer.usage, (time.perf_counter() - t_start) * 1000, attempt, notes)
            except Interrupt:
                raise
            except CutAtMaxTokensError as exc:
                if raises >= MAX_LENGTH_RAISES or self.sampling.max_tokens >= self._max_tokens_cap:
                    tries = f" ({raises + 1} tries, the budget raised each time)" if raises else ""
                    raise EndpointError(
                        f"the model's reply was cut off at max_tokens={exc.max_tokens}{tries}: it keeps writing "
                        "without ending its reply; check that --model-family matches the model"
                    ) from None
                raises += 1
                self.sampling.max_tokens = min(self._max_tokens_cap, self.sampling.max_tokens * 2)
                note = (f"the model's reply was cut off at max_tokens={exc.max_tokens}; "
                        f"asking again with max_tokens={self.sampling.max_tokens}")
                notes.append(note)
                if on_retry:
                    on_retry(note)
            except Exception as exc:  # noqa: BLE001 - classified below: adapt, retry or report
                adapted = self._adapt(exc, notes)
                if adapted:
                    if on_retry:
                        on_retry(adapted)
                    continue
                verdict = self._explain(exc)
                problem = redact(verdict.message)
                if not verdict.retryable or failures >= self.retries:
                    raise EndpointError(problem) from None
                delay = verdict.retry_after or RETRY_BACKOFF_S[min(failures, len(RETRY_BACKOFF_S) - 1)]
                failures += 1
                if on_retry:
                    on_retry(f"{problem} — retry {failures}/{self.retries} in {delay:.0f} s")
                _sleep(delay, check)

    def list_models(self, check: Callable[[], None] = lambda: None) -> list[str]:
        """The model ids the endpoint serves, where it says (else empty)."""
        return []

    def _in_thread(
        self, fn: Callable[[], Any], check: Callable[[], None], early: Callable[[], Any] | None = None,
    ) -> Any:
        """Run `fn` on a daemon thread; poll `check` meanwhile; give up after the request deadline.
        `early`: polled too; a result it returns (not None) is the answer even while `fn` still runs."""
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
            result = early() if early else None
            if result is not None:
                return result
            if time.monotonic() > deadline:
                raise DeadlineExceededError()
        if "error" in box:
            raise box["error"]
        return box["result"]


class ModelClient(RetryingClient):
    """Chat completions on any OpenAI-compatible endpoint (vLLM, SGLang, hosted ones): streamed by default."""

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

        super().__init__(base_url, model, api_key, timeout=timeout, retries=retries, stream=stream, sampling=sampling)
        self._dropped: set[str] = set()
        # A local server needs no key; the openai client insists on one, so send a placeholder.
        self._client = openai.OpenAI(
            base_url=base_url, api_key=api_key or "EMPTY", max_retries=0, timeout=timeout,
        )

    def close(self) -> None:
        self._client.close()

    def _send(self, request: Any, temperature: float | None, check: Callable[[], None],
              on_text: Callable[[str], None] | None) -> Answer:
        prefill = bool(request) and request[-1].get("role") == "assistant"
        return self._attempt(request, self._params(temperature, prefill=prefill), check, on_text)

    def _explain(self, exc: BaseException) -> Verdict:
        return Verdict(_retryable(exc), describe_endpoint_error(exc, self.base_url, self.model, self.have_key),
                       _retry_after(exc))

    def list_models(self, check: Callable[[], None] = lambda: None) -> list[str]:
        """The model ids the endpoint serves (used to pick a default and to test a connection)."""

        def request() -> list[str]:
            page = self._client.get("/models", cast_to=object, options={"timeout": self.timeout})
            if isinstance(page, str):
                raise WebPageError() if _looks_like_html(page) else NotAChatCompletionError("not a model list")
            data = page.get("data") if isinstance(page, dict) else None
            if not isinstance(data, list):
                raise NotAChatCompletionError("its /models answer is not a model list")
            return [str(m["id"]) for m in data if isinstance(m, dict) and m.get("id")]

        return self._in_thread(request, check)

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
        params.update(s.extra_body)
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
        if getattr(exc, "status_code", None) not in (400, 415, 422):
            return None
        message = _body_message(exc)
        lowered = message.lower()
        limit = image_count_limit(message)
        if limit is not None:
            raise ImageLimitError(limit, f"the server accepts at most {limit} image(s) per request")
        if _FORMAT_REFUSED.search(lowered) and "too large" not in lowered and "exceed" not in lowered:
            raise ImageFormatError(f"the endpoint refused the screenshot's format ({one_line(message, 120)})")
        for name in ("frequency_penalty", "stream_options", "top_p", "continue_final_message", "add_generation_prompt",
                     *self.sampling.extra_body):
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
    ) -> Answer:
        stream = bool(params.get("stream"))
        progress = _StreamProgress()

        def request() -> Answer:
            import openai
            from openai import Stream
            from openai.types.chat import ChatCompletion, ChatCompletionChunk

            # The SDK's low-level post: `chat.completions.create` re-validates every message on every call,
            # which costs ~0.4 ms per message and grows with the run (≈120 ms a request by step 300).
            response = self._client.post(
                "/chat/completions", body={"model": self.model, "messages": messages, **params},
                cast_to=ChatCompletion, stream=stream, stream_cls=Stream[ChatCompletionChunk],
            )
            if not stream:
                return _whole_answer(response)
            try:
                if "html" in response.response.headers.get("content-type", "").lower():
                    raise WebPageError()
                try:
                    for chunk in response:
                        progress.add(chunk, on_text)
                        if progress.abandoned.is_set():
                            break
                except openai.APIConnectionError as e:
                    if isinstance(e, openai.APITimeoutError):
                        raise
                    if progress.finish_reason is None:
                        raise IncompleteReplyError(None, _cause(e)) from None
                    # The finish chunk came: the reply is whole; only the usage chunk or [DONE] was lost.
            finally:
                response.close()
            return progress.answer()

        try:
            return self._in_thread(request, check, early=progress.settled if stream else None)
        finally:
            progress.abandoned.set()


@dataclass
class Answer:
    text: str
    usage: dict[str, int] | None
    finish_reason: str | None
    streamed: bool

    @property
    def whole(self) -> bool:
        """Did the whole reply arrive? A JSON body arrives whole or not at all (some servers omit the reason)."""
        if self.finish_reason is None:
            return not self.streamed
        return self.finish_reason in COMPLETE_REASONS or self.finish_reason in LENGTH_REASONS


def _whole_answer(response: Any) -> Answer:
    """A non-streamed answer: a chat completion, or a web page / other text where one was expected."""
    if isinstance(response, str):  # the SDK hands back the text of a body that is not JSON
        if _looks_like_html(response):
            raise WebPageError()
        raise NotAChatCompletionError(one_line(redact(response), 80) or "an empty body")
    choice = response.choices[0] if getattr(response, "choices", None) else None
    if choice is None:
        raise NotAChatCompletionError("no choices in it")
    message = choice.message
    calls = [_tool_call(c) for c in (_get(message, "tool_calls") or [])]
    text = with_tool_calls(_get(message, "content") or "", calls)
    return Answer(text, _usage(response.usage), choice.finish_reason, streamed=False)


def _get(obj: Any, key: str) -> Any:
    """A field of an SDK object, or of the plain dict the SDK leaves where a server's shape surprised it."""
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)


def _tool_call(call: Any) -> tuple[str, str]:
    """(name, arguments text) of a native tool call (or of one streamed piece of it)."""
    function = _get(call, "function")
    return str(_get(function, "name") or ""), str(_get(function, "arguments") or "")


class _StreamProgress:
    """What a stream has delivered so far, shared between the reading thread and the waiting one."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.calls: dict[int, list[str]] = {}  # streamed tool calls by index: [name, argument pieces…]
        self.usage: dict[str, int] | None = None
        self.finish_reason: str | None = None
        self.finished_at: float | None = None
        # The caller has its answer (or gave up): stop reading. A reader blocked on a server that keeps the
        # connection open without sending more ends at the SDK's read timeout; closing the socket from this
        # thread would not wake it (and could hand its file descriptor to another connection).
        self.abandoned = threading.Event()

    def add(self, chunk: Any, on_text: Callable[[str], None] | None) -> None:
        if chunk.usage:
            self.usage = _usage(chunk.usage)
        choice = chunk.choices[0] if chunk.choices else None
        if choice is None:
            return
        if choice.delta and choice.delta.content:
            self.parts.append(choice.delta.content)
            if on_text:
                on_text("".join(self.parts))
        for n, call in enumerate(_get(choice.delta, "tool_calls") or []):  # arguments come in pieces, by index
            name, arguments = _tool_call(call)
            index = _get(call, "index")
            entry = self.calls.setdefault(index if isinstance(index, int) else n, [""])
            entry[0] = entry[0] or name
            entry.append(arguments)
        if choice.finish_reason and self.finish_reason is None:
            self.finish_reason = choice.finish_reason
            self.finished_at = time.monotonic()

    def answer(self) -> Answer:
        calls = [(entry[0], "".join(entry[1:])) for _, entry in sorted(self.calls.items())]
        return Answer(with_tool_calls("".join(self.parts), calls), self.usage, self.finish_reason, streamed=True)

    def settled(self) -> Answer | None:
        """The answer once the finish reason is in and the usage chunk came (or had its short grace)."""
        if self.finished_at is None:
            return None
        if self.usage is None and time.monotonic() - self.finished_at < USAGE_GRACE_S:
            return None
        return self.answer()


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
