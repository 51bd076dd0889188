"""Keep secrets out of everything the app stores, shows or logs.

A server may echo request headers in an error body, a proxy may put a key in a URL, an exception may carry
either into a traceback. `redact` removes the API keys this process sends (registered by the model client)
and anything shaped like a credential: `Bearer …`/`Basic …`, the value after `Authorization:`/`x-api-key:`,
provider key shapes (`sk-…`, `AIza…`, `hf_…`, …), a URL's password (`https://user:…@host`), and long
secret-looking tokens after "key"/"token"/"secret".
"""

from __future__ import annotations

import logging
import re
import threading
from urllib.parse import quote

REDACTED = "[redacted]"
MIN_SECRET_CHARS = 6  # shorter "keys" (placeholders such as EMPTY) are not worth hunting in every text

_secrets: set[str] = set()
_lock = threading.Lock()

# Provider key shapes: OpenAI/Anthropic/DeepSeek sk-, Google AIza, Hugging Face hf_, Groq gsk_, xAI xai-,
# GitHub ghp_/github_pat_, Slack xox?-, AWS AKIA, JWTs.
_KEY_SHAPES = re.compile(
    r"\b(?:sk-[A-Za-z0-9_\-]{8,}|AIza[0-9A-Za-z_\-]{20,}|hf_[A-Za-z0-9]{16,}|gsk_[A-Za-z0-9]{16,}"
    r"|xai-[A-Za-z0-9]{16,}|ghp_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{16,}|xox[abprs]-[A-Za-z0-9\-]{10,}"
    r"|AKIA[0-9A-Z]{16}|eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,})"
)
# `Authorization: …`, `x-api-key = …`, `"api-key": "…"`: everything up to the end of the value.
_HEADER_VALUE = re.compile(
    r"(?i)((?:proxy-)?authorization|x-api-key|api[-_ ]?key|x-goog-api-key|ocp-apim-subscription-key)"
    r"([\"']?\s*[:=]\s*[\"']?)"
    r"(?!(?:(?:bearer|basic|token)\s+)?\[redacted\])((?:(?:bearer|basic|token)\s+)?)"
    r"(?=[^\s\"',;}\]]*\d|[^\s\"',;}\]]{16})([^\s\"',;}\]]+)"  # a value with a digit, or long: not "key: run"
)
# `Bearer …` anywhere; `Basic …` only when it looks like base64 (the word is common in prose).
_SCHEME_TOKEN = re.compile(
    r"(?i)\b(bearer)(\s+)([A-Za-z0-9._~+/=\-]{6,})|\b(basic)(\s+)(?=[A-Za-z0-9+/]*[\d+/=])([A-Za-z0-9+/]{6,}=*)"
)
# A long token with letters and digits right after a word naming a secret ("key sk…", "token=abc…").
_NAMED_TOKEN = re.compile(
    r"(?i)\b((?:api[-_ ]?)?(?:key|token|secret|password|passwd|access[-_]?token))(s?[\"']?\s*[:=]?\s*[\"']?)"
    r"(?=[A-Za-z0-9._~+/=\-]*\d)(?=[A-Za-z0-9._~+/=\-]*[A-Za-z])([A-Za-z0-9._~+/=\-]{16,})"
)
# The password of `scheme://user:password@host` (a proxy or a protected vLLM typed into the base URL).
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^/\s:@\[\]]*:)[^@\s/]+@")
_URL_PARAM = re.compile(r"(?i)([?&](?:api[-_]?key|key|token|access_token|auth|sig|signature)=)[^&\s#\"']+")


def remember_secret(secret: str | None) -> None:
    """Register a secret this process uses (the run's API key): from now on it is redacted wherever it shows."""
    if secret and len(secret.strip()) >= MIN_SECRET_CHARS:
        with _lock:
            _secrets.add(secret.strip())


def redact(text: str, shapes: bool = True) -> str:
    """`text` without any registered secret and (unless `shapes` is False) without anything shaped like a
    credential."""
    if not text:
        return text
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        for form in {secret, quote(secret, safe="")}:
            text = text.replace(form, REDACTED)
    if not shapes:
        return text
    text = _HEADER_VALUE.sub(lambda m: f"{m[1]}{m[2]}{m[3]}{REDACTED}", text)
    text = _SCHEME_TOKEN.sub(lambda m: f"{m[1] or m[4]}{m[2] or m[5]}{REDACTED}", text)
    text = _KEY_SHAPES.sub(REDACTED, text)
    text = _URL_PASSWORD.sub(lambda m: f"{m[1]}{REDACTED}@", text)
    text = _URL_PARAM.sub(lambda m: f"{m[1]}{REDACTED}", text)
    return _NAMED_TOKEN.sub(lambda m: f"{m[1]}{m[2]}{REDACTED}", text)


class RedactingFilter(logging.Filter):
    """On a log handler: the record's message, traceback and stack are redacted before any output."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not lose the record
            message = f"{record.msg!r} % {record.args!r}"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
