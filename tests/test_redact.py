"""Secrets out of every text: the run's key wherever it shows, and anything shaped like a credential."""

from __future__ import annotations

import io
import logging

import pytest

from agent_app.core.redact import REDACTED, RedactingFilter, redact, remember_secret

KEY = "my-own-key-Zq81-without-a-known-shape"
KEY2 = "Zq/81+key=secret-value"


@pytest.fixture(autouse=True)
def known_key():
    remember_secret(KEY)
    remember_secret(KEY2)


@pytest.mark.parametrize("text, secret", [
    ("Authorization: Bearer sk-abcdefgh1234567890", "sk-abcdefgh1234567890"),
    ("{'authorization': 'Bearer tok_9f8e7d6c5b4a'}", "tok_9f8e7d6c5b4a"),
    ('{"Authorization": "Basic dXNlcjpwYXNzd29yZA=="}', "dXNlcjpwYXNzd29yZA=="),
    ("authorization=Token 5d41402abc4b2a76b9719d911017c592", "5d41402abc4b2a76b9719d911017c592"),
    ("x-api-key: abcd1234efgh5678", "abcd1234efgh5678"),
    ("X-Goog-Api-Key=AIzaSyA1234567890abcdefghijklmno", "AIzaSyA1234567890abcdefghijklmno"),
    ("api_key='q7w8e9r0t1y2u3i4o5p6'", "q7w8e9r0t1y2u3i4o5p6"),
    ("Incorrect API key provided: sk-proj-A1b2C3d4E5f6G7h8", "sk-proj-A1b2C3d4E5f6G7h8"),
    ("key sk-ant-api03-abcdefghijklmnop rejected", "sk-ant-api03-abcdefghijklmnop"),
    ("token abcdefghijklmnop1234 expired", "abcdefghijklmnop1234"),
    ("secret: 0123456789abcdefXYZ", "0123456789abcdefXYZ"),
    ("GET https://host/v1/models?api-key=ZZ99yy88xx77&x=1", "ZZ99yy88xx77"),
    ("hf_AbCdEfGhIjKlMnOpQrSt in the log", "hf_AbCdEfGhIjKlMnOpQrSt"),
    ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N", "eyJhbGciOiJIUzI1NiJ9"),
    (f"the key was {KEY}.", KEY),
    ("in a URL: ?k=Zq%2F81%2Bkey%3Dsecret-value&x=1", "Zq%2F81"),  # KEY2 as a query string carries it
    (f"Bearer {KEY}", KEY),
    ("cannot reach http://alice:hunter2pass@gpu-box:8000/v1 (refused)", "hunter2pass"),
    ("'https://u:p%40ss@proxy.example/v1'", "p%40ss"),
])
def test_credentials_are_redacted(text, secret):
    cleaned = redact(text)
    assert secret not in cleaned and REDACTED in cleaned


@pytest.mark.parametrize("text", [
    "the endpoint answered HTTP 400: image exceeds 20 MB",
    "unknown key 'hyper_turbo'",
    "http://127.0.0.1:9/v1 needs an API key: run `agent-app key set` or set AGENT_APP_API_KEY",
    "Anthropic needs an API key: save one with `agent-app key set --provider anthropic`",
    "the key combination ctrl+c",
    "max_tokens=4096 is more than the context allows",
    "basic authentication required",
    "the model uses 123456789012345678 tokens",
    "Bearer token missing",
    "cannot reach http://gpu-box:8000/v1 (refused); see https://docs.vllm.ai/en/latest/ or mailto:me@example.com",
    "http://[::1]:8000/v1 and http://user@host/v1 carry no password",
    "Thought: I need the password field.\nAction: click(start_box='(100,200)')",
])
def test_ordinary_text_is_left_alone(text):
    assert redact(text) == text


def test_a_reply_keeps_key_shaped_text_but_not_the_registered_key():
    text = f"type(content='sk-abcdefgh12345678 and {KEY}')"
    assert redact(text, shapes=False) == f"type(content='sk-abcdefgh12345678 and {REDACTED}')"


def test_short_placeholders_are_not_secrets():
    remember_secret("EMPTY")
    remember_secret(None)
    assert redact("EMPTY response") == "EMPTY response"


def test_the_log_filter_redacts_messages_arguments_tracebacks_and_stacks():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(RedactingFilter())
    log = logging.getLogger("test-redact")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("server said %s", f"Authorization: Bearer {KEY}")
        try:
            raise RuntimeError(f"HTTP 400: {{'authorization': 'Bearer {KEY}', 'x-api-key': 'zz11yy22xx33ww44'}}")
        except RuntimeError:
            log.exception("request failed with key %s", KEY)
        log.error("where", stack_info=True, extra={"k": KEY})
        log.warning("broken %s %s", "one")  # a bad format string still logs, redacted
    finally:
        log.removeHandler(handler)
    out = stream.getvalue()
    assert KEY not in out and "zz11yy22xx33ww44" not in out
    assert "Traceback" in out and "RuntimeError: HTTP 400" in out and "Stack (most recent call last)" in out
    assert out.count(REDACTED) >= 4


def test_the_app_log_file_never_holds_the_key(tmp_path, monkeypatch):
    from agent_app.core.settings.logs import setup_logging

    monkeypatch.setenv("AGENT_APP_DATA_DIR", str(tmp_path))
    root = logging.getLogger()
    before = list(root.handlers)
    for handler in before:  # a handler from another test in this process would make setup_logging a no-op
        if getattr(handler, "agent_app", False):
            root.removeHandler(handler)
    try:
        path = setup_logging()
        try:
            raise ValueError(f"server said: {{'authorization': 'Bearer {KEY}'}}")
        except ValueError:
            logging.getLogger("agent_app.core.loop").exception("internal error with %s", KEY)
        for handler in root.handlers:
            handler.flush()
    finally:
        for handler in list(root.handlers):
            if handler not in before:
                root.removeHandler(handler)
                handler.close()
        for handler in before:
            if handler not in root.handlers:
                root.addHandler(handler)
    text = path.read_text(encoding="utf-8")
    assert "ValueError: server said" in text and "internal error with" in text
    assert KEY not in text and text.count(REDACTED) >= 2


def test_a_password_in_the_base_url_stays_out_of_the_run_header():
    from agent_app.core.settings.config import RunConfig

    public = RunConfig("t", base_url="http://alice:hunter2pass@gpu-box:8000/v1", api_key="x" * 20).public()
    assert public["base_url"] == f"http://alice:{REDACTED}@gpu-box:8000/v1" and "hunter2pass" not in str(public)
