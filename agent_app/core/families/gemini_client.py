"""The Gemini API through Google's SDK (`google-genai`, the `gemini` extra): one generateContent call, the response
as the JSON body that is recorded and parsed, and what each failure means for a person.

The SDK is imported only when a run needs it: the core imports without it, and a missing SDK is a one-line
ConfigError with the install command. The SDK's own retries stay off (the app's client retries, with backoff and
retry-after, while a stop still lands at once); it is never left to find a key by itself (it would read
GOOGLE_API_KEY / GEMINI_API_KEY, or switch to Vertex AI on GOOGLE_GENAI_USE_VERTEXAI): the run's key is passed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from agent_app.core.errors import ConfigError
from agent_app.core.families.gemini import get
from agent_app.core.redact import redact, remember_secret

PUBLIC_BASE_URL = "https://generativelanguage.googleapis.com"
EXAMPLE_MODEL = "gemini-2.5-computer-use-preview-10-2025"
API_VERSION = "v1beta"  # POST {base}/v1beta/models/{model}:generateContent (model-facts-api-families.md)
INSTALL = "pip install 'agent-app[gemini]'"
KEY_HINT = "set GEMINI_API_KEY, or store the key with `agent-app key set`"
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


@dataclass(frozen=True)
class Failure:
    """What a failed request means: retry it (after `retry_after` s, if the server said), and the one line to show."""

    retryable: bool
    message: str
    retry_after: float | None = None


def genai_module() -> Any:
    try:
        from google import genai
    except ImportError:
        raise ConfigError(f"the gemini family needs Google's SDK google-genai: {INSTALL}") from None
    return genai


class GeminiTransport:
    def __init__(self, base_url: str | None, model: str, api_key: str | None, timeout: float) -> None:
        genai = genai_module()
        self.base_url = (base_url or PUBLIC_BASE_URL).rstrip("/")
        self.model, self.have_key = model, bool(api_key)
        remember_secret(api_key)  # whatever a server echoes of it is redacted from then on
        if not api_key and self.base_url == PUBLIC_BASE_URL:
            raise ConfigError(f"the Gemini API needs an API key: {KEY_HINT}")
        self._client = genai.Client(
            api_key=api_key or "none", vertexai=False,  # a local server needs no key; the SDK insists on one
            http_options={"base_url": self.base_url, "api_version": API_VERSION, "timeout": int(timeout * 1000)},
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

    def explain(self, exc: BaseException) -> Failure:
        return explain(exc, self.base_url, self.model, self.have_key)


def usage(body: dict[str, Any]) -> dict[str, int] | None:
    """The response's usageMetadata as the app counts tokens (thinking is output)."""
    meta = get(body, "usageMetadata")
    if not isinstance(meta, dict):
        return None
    out = (get(meta, "candidatesTokenCount") or 0) + (get(meta, "thoughtsTokenCount") or 0)
    return {"prompt_tokens": int(get(meta, "promptTokenCount") or 0), "completion_tokens": int(out)}


def _names(exc: BaseException) -> set[str]:
    """The exception's class names up its hierarchy (the SDK's HTTP library varies: httpx, httpx2 …)."""
    return {k.__name__ for k in type(exc).__mro__}


def _one_line(text: Any, limit: int = 200) -> str:
    text = " ".join(redact(str(text)).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    value = headers.get("retry-after") if headers is not None else None
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _reasons(exc: BaseException) -> set[str]:
    details = getattr(exc, "details", None)
    error = details.get("error") if isinstance(details, dict) else None
    items = error.get("details") if isinstance(error, dict) else None
    return {str(d.get("reason")) for d in items or [] if isinstance(d, dict) and d.get("reason")}


def explain(exc: BaseException, base_url: str, model: str, have_key: bool) -> Failure:
    """Retry or not, and the one line that says what went wrong and what to do. Nothing secret survives in it."""
    names = _names(exc)
    code = getattr(exc, "code", None) if "APIError" in names else None
    if code is None:
        if names & {"TimeoutException", "ReadTimeout", "WriteTimeout", "PoolTimeout", "TimeoutError"}:
            return Failure(True, f"Gemini at {base_url} did not answer in time; raise --timeout or try again later")
        if "ConnectError" in names or "ConnectionRefusedError" in names:
            return Failure(True, f"cannot reach {base_url} ({_one_line(exc, 120)}); check --base-url and the network")
        if names & {"TransportError", "RemoteProtocolError", "NetworkError", "ConnectionError"}:
            return Failure(True, f"the connection to {base_url} broke off ({_one_line(exc, 120)}); check the network")
        if "JSONDecodeError" in names:
            return Failure(False, f"{base_url} answered with something that is not a Gemini API response; check "
                                  "--base-url (the API's root, e.g. https://generativelanguage.googleapis.com)")
        return Failure(False, f"the Gemini call failed: {_one_line(exc)}")
    status = getattr(exc, "status", None) or ""
    message = _one_line(getattr(exc, "message", None) or exc)
    said = f"HTTP {code}" + (f" {status}" if status else "")
    if message.lstrip().lower().startswith(("<!doctype html", "<html")):
        return Failure(code >= 500, f"{base_url} answered {said} with a web page; check --base-url")
    if "API_KEY_INVALID" in _reasons(exc) or code == 401 or "api key not valid" in message.lower():
        if not have_key:
            return Failure(False, f"the Gemini API needs an API key ({said}): {KEY_HINT}")
        return Failure(False, f"Google rejected the API key ({said}); {KEY_HINT} with a valid one")
    if code == 403:
        return Failure(False, f"the API key may not use {model} ({said}: {message}); check the key's project and "
                              "that the Gemini API is enabled for it")
    if code == 404:
        return Failure(False, f"model {model!r} was not found at {base_url} ({said}); check --model (e.g. "
                              f"{EXAMPLE_MODEL})")
    if code == 429:
        return Failure(True, f"Gemini's rate limit or quota is used up ({said}: {message})", _retry_after(exc))
    if code == 503:
        return Failure(True, f"Gemini is overloaded ({said}: {message}); try again later", _retry_after(exc))
    if code >= 500 or code in (408, 409):
        return Failure(True, f"Gemini answered {said}: {message}", _retry_after(exc))
    return Failure(False, f"Gemini refused the request ({said}: {message})")

