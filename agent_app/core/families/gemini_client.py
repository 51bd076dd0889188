"""The Gemini API through Google's SDK (`google-genai`, the `gemini` extra): one generateContent call, the response
as the JSON body that is recorded and parsed, and what each failure means for a person. `GeminiClient` is the
`RetryingClient` of the gemini family (the thread, retries, re-asks of cut responses and redaction are the shared
machinery's).

The SDK is imported only when a run needs it: the core imports without it, and a missing SDK is a one-line
ConfigError with the install command. The SDK's own retries stay off (the app's client retries, with backoff and
retry-after, while a stop still lands at once); it is never left to find a key by itself (it would read
GOOGLE_API_KEY / GEMINI_API_KEY, or switch to Vertex AI on GOOGLE_GENAI_USE_VERTEXAI): the run's key is passed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agent_app.core.client import MAX_RETRY_AFTER_S, Answer, DeadlineExceededError, RetryingClient, Verdict
from agent_app.core.errors import ConfigError
from agent_app.core.families.base import Sampling
from agent_app.core.families.gemini import generation_config, get
from agent_app.core.redact import redact
from agent_app.core.text import one_line

PUBLIC_BASE_URL = "https://generativelanguage.googleapis.com"
EXAMPLE_MODEL = "gemini-2.5-computer-use-preview-10-2025"
API_VERSION = "v1beta"  # POST {base}/v1beta/models/{model}:generateContent (model-facts-api-families.md)
INSTALL = "pip install 'agent-app[gemini]'"
KEY_HINT = "set GEMINI_API_KEY, or store the key with `agent-app key set --provider gemini`"
# What is left out of the recorded body: the SDK's own bookkeeping, not the API's response.
_SDK_ONLY = {"sdk_http_response", "automatic_function_calling_history", "parsed"}


@dataclass(frozen=True)
class Sent:
    """One answer: the response body as JSON text, its token usage, and whether it came whole or cut."""

    body: str
    usage: dict[str, int] | None
    finish_reason: str | None

    @property
    def cut(self) -> bool:
        return self.finish_reason == "MAX_TOKENS"


class Refused(Exception):
    """Gemini answered without a usable response: the prompt blocked, or the response stopped for `reason`."""

    def __init__(self, reason: str, blocked: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.blocked = reason, blocked


# Finish reasons that mean the model would not answer (the same request would meet the same end).
REFUSALS = frozenset({"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY",
                      "LANGUAGE"})


def genai_module() -> Any:
    try:
        from google import genai
    except ImportError:
        raise ConfigError(f"the gemini family needs Google's SDK google-genai: {INSTALL}") from None
    return genai


class GeminiClient(RetryingClient):
    """generateContent through google-genai: the request is the family's `contents`, the answer the response body."""

    def __init__(self, base_url: str | None, model: str, api_key: str | None, *, timeout: float = 120.0,
                 retries: int = 3, stream: bool = True, sampling: Sampling | None = None) -> None:
        genai = genai_module()
        base = (base_url or PUBLIC_BASE_URL).rstrip("/")
        # `stream` is kept for the record only: generateContent answers whole here (the live view waits for it).
        super().__init__(base, model, api_key, timeout=timeout, retries=retries, stream=stream, sampling=sampling)
        if not api_key and base == PUBLIC_BASE_URL:
            raise ConfigError(f"the Gemini API needs an API key: {KEY_HINT}")
        self._client = genai.Client(
            api_key=api_key or "none", vertexai=False,  # a local server needs no key; the SDK insists on one
            http_options={"base_url": base, "api_version": API_VERSION, "timeout": int(timeout * 1000)},
        )

    def close(self) -> None:
        close = getattr(self._client, "close", None)
        if close:
            close()

    def send(self, contents: list[dict[str, Any]], config: dict[str, Any]) -> Sent:
        """One generateContent call (runs on the request thread). Raises the SDK's or the transport's errors."""
        from google.genai import types

        request_config = types.GenerateContentConfig.model_validate(
            {**config, "automatic_function_calling": {"disable": True}})
        response = self._client.models.generate_content(
            model=self.model, contents=[types.Content.model_validate(c) for c in contents], config=request_config)
        body = response.model_dump(mode="json", exclude_none=True, by_alias=True, exclude=_SDK_ONLY)
        candidates = body.get("candidates") or []
        finish = get(candidates[0], "finishReason") if candidates and isinstance(candidates[0], dict) else None
        return Sent(json.dumps(body, ensure_ascii=False), usage(body), finish)

    def _send(self, request: Any, temperature: float | None, check: Callable[[], None],
              on_text: Callable[[str], None] | None) -> Answer:
        config = generation_config(self.sampling, temperature=temperature)
        sent: Sent = self._in_thread(lambda: self.send(request, config), check)
        data = json.loads(sent.body)
        if not data.get("candidates"):
            feedback = get(data, "promptFeedback")
            reason = get(feedback, "blockReason") if isinstance(feedback, dict) else None
            raise Refused(str(reason or "no candidates"), blocked=True)
        if sent.finish_reason in REFUSALS:
            raise Refused(str(sent.finish_reason))
        # STOP is whole; MAX_TOKENS is cut (asked again with a bigger budget, never acted on); anything else
        # (MALFORMED_FUNCTION_CALL, OTHER…) is whole as a body: `parse` rejects it and the loop asks again.
        finish = {"STOP": "stop", "MAX_TOKENS": "max_tokens"}.get(str(sent.finish_reason), "stop")
        return Answer(sent.body, sent.usage, finish, streamed=False)

    def _explain(self, exc: BaseException) -> Verdict:
        return explain(exc, self.base_url, self.model, self.have_key)


def usage(body: dict[str, Any]) -> dict[str, int] | None:
    """The response's usageMetadata as the app counts tokens (thinking is output)."""
    meta = get(body, "usageMetadata")
    if not isinstance(meta, dict):
        return None
    out = (get(meta, "candidatesTokenCount") or 0) + (get(meta, "thoughtsTokenCount") or 0)
    counts = {"prompt_tokens": int(get(meta, "promptTokenCount") or 0), "completion_tokens": int(out)}
    if cached := get(meta, "cachedContentTokenCount"):  # read from Gemini's cache: part of the prompt's count
        counts["cached_tokens"] = int(cached)
    return counts


def _names(exc: BaseException) -> set[str]:
    """The exception's class names up its hierarchy (the SDK's HTTP library varies: httpx, httpx2 …)."""
    return {k.__name__ for k in type(exc).__mro__}


def _one_line(value: Any, limit: int = 200) -> str:
    """A server's text, redacted before it is cut short."""
    return one_line(redact(str(value)), limit)


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    value = headers.get("retry-after") if headers is not None else None
    try:
        return min(float(value), MAX_RETRY_AFTER_S) if value is not None else None
    except (TypeError, ValueError):
        return None


def _reasons(exc: BaseException) -> set[str]:
    details = getattr(exc, "details", None)
    error = details.get("error") if isinstance(details, dict) else None
    items = error.get("details") if isinstance(error, dict) else None
    return {str(d.get("reason")) for d in items or [] if isinstance(d, dict) and d.get("reason")}


def explain(exc: BaseException, base_url: str, model: str, have_key: bool) -> Verdict:
    """Retry or not, and the one line that says what went wrong and what to do. Nothing secret survives in it."""
    if isinstance(exc, Refused):
        what = "blocked the request" if exc.blocked else "stopped its response"
        return Verdict(False, f"Gemini {what} (reason {_one_line(exc.reason, 40)}); the task or the screen "
                              "shows something it will not act on: change the task or take over")
    if isinstance(exc, DeadlineExceededError):
        return Verdict(True, f"Gemini at {base_url} did not answer in time; raise --timeout or try again later")
    names = _names(exc)
    code = getattr(exc, "code", None) if "APIError" in names else None
    if code is None:
        if names & {"TimeoutException", "ReadTimeout", "WriteTimeout", "PoolTimeout", "TimeoutError"}:
            return Verdict(True, f"Gemini at {base_url} did not answer in time; raise --timeout or try again later")
        if "ConnectError" in names or "ConnectionRefusedError" in names:
            return Verdict(True, f"cannot reach {base_url} ({_one_line(exc, 120)}); check --base-url and the network")
        if names & {"TransportError", "RemoteProtocolError", "NetworkError", "ConnectionError"}:
            return Verdict(True, f"the connection to {base_url} broke off ({_one_line(exc, 120)}); check the network")
        if "JSONDecodeError" in names:
            return Verdict(False, f"{base_url} answered with something that is not a Gemini API response; check "
                                  "--base-url (the API's root, e.g. https://generativelanguage.googleapis.com)")
        return Verdict(False, f"the Gemini call failed: {_one_line(exc)}")
    status = getattr(exc, "status", None) or ""
    message = _one_line(getattr(exc, "message", None) or exc)
    said = f"HTTP {code}" + (f" {status}" if status else "")
    if message.lstrip().lower().startswith(("<!doctype html", "<html")):
        return Verdict(code >= 500, f"{base_url} answered {said} with a web page; check --base-url")
    if "API_KEY_INVALID" in _reasons(exc) or code == 401 or "api key not valid" in message.lower():
        if not have_key:
            return Verdict(False, f"the Gemini API needs an API key ({said}): {KEY_HINT}")
        return Verdict(False, f"Google rejected the API key ({said}); {KEY_HINT} with a valid one")
    if code == 403:
        return Verdict(False, f"the API key may not use {model} ({said}: {message}); check the key's project and "
                              "that the Gemini API is enabled for it")
    if code == 404:
        return Verdict(False, f"model {model!r} was not found at {base_url} ({said}); check --model (e.g. "
                              f"{EXAMPLE_MODEL})")
    if code == 429:
        return Verdict(True, f"Gemini's rate limit or quota is used up ({said}: {message})", _retry_after(exc))
    if code == 503:
        return Verdict(True, f"Gemini is overloaded ({said}: {message}); try again later", _retry_after(exc))
    if code >= 500 or code in (408, 409):
        return Verdict(True, f"Gemini answered {said}: {message}", _retry_after(exc))
    return Verdict(False, f"Gemini refused the request ({said}: {message})")

