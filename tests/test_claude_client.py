"""Claude's transport through the real `anthropic` SDK against the scripted Messages API server: streamed and whole
replies give the same body, a stream that breaks off is never a reply, every error status means retry or stop with a
line that says what to do, the key is never in one, and the core imports without the SDK."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from agent_app.core.client import EndpointError
from agent_app.core.errors import ConfigError
from agent_app.core.families.claude import CLAUDE, TOOL_20251124, tool_param
from agent_app.core.families.claude_client import (
    INSTALL,
    PUBLIC_BASE_URL,
    BrokenOffError,
    ClaudeClient,
    RefusedError,
    call,
    explain,
    make_client,
    sdk,
)
from agent_app.testing.scripted_claude import ScriptedClaude, text, thinking, tool_use

KEY = "sk-ant-api03-Zq9vXlT4mN2pR7sK1wY6bH3cJ8dF5gA0eL"
BLOCKS = [thinking("The dialog is open."), text("Typing the greeting into the field."),
          tool_use("left_click", coordinate=[700, 400]), tool_use("type", text="Grüße 世界\n")]


def request(model: str = "claude-scripted") -> dict:
    return {"model": model, "max_tokens": 256, "messages": [{"role": "user", "content": [text("do it")]}],
            "tools": [tool_param(TOOL_20251124, 1429, 804)], "betas": [TOOL_20251124.beta]}


@pytest.fixture
def claude():
    server = ScriptedClaude(api_key=KEY).start()
    yield server
    server.stop()


def test_streamed_and_whole_replies_give_the_same_actions(claude):
    claude.add(BLOCKS, BLOCKS)
    client = make_client(claude.base_url, KEY, 10)
    seen: list[str] = []
    streamed = call(client, request(), stream=True, on_text=seen.append)
    whole = call(client, request(), stream=False)
    assert streamed.stop_reason == whole.stop_reason == "tool_use"
    assert streamed.usage == whole.usage == {"prompt_tokens": 1000, "completion_tokens": 50}
    assert CLAUDE.parse(streamed.body) == CLAUDE.parse(whole.body)
    assert [a.to_json() for a in CLAUDE.parse(whole.body).actions] == [
        {"type": "click", "x": 700, "y": 400}, {"type": "type", "text": "Grüße 世界\n"}]
    assert seen[-1] == "Typing the greeting into the field." and len(seen) > 1  # the viewer sees it come
    sent = claude.message_requests()
    assert [r["body"].get("stream") for r in sent] == [True, None]
    assert all(r["headers"]["anthropic-beta"] == "computer-use-2025-11-24" for r in sent)
    assert all(r["body"]["tools"][0]["type"] == "computer_20251124" for r in sent)


@pytest.mark.parametrize("cut", [0, 200, 600, 900, 1400])
def test_a_stream_that_breaks_off_is_never_a_reply_and_is_asked_again(claude, cut):
    claude.add({"content": BLOCKS, "cut_after": cut})
    with pytest.raises(BrokenOffError) as info:
        call(make_client(claude.base_url, KEY, 10), request(), stream=True)
    verdict = explain(info.value, claude.base_url, "m", True)
    assert verdict.retryable and "broke off" in verdict.message


@pytest.mark.parametrize("cut", [1, 100, 400])
def test_a_whole_body_cut_short_is_retried(claude, cut):
    exc = failure(claude, {"content": BLOCKS, "cut_after": cut})
    assert explain(exc, claude.base_url, "m", True).retryable


def failure(claude: ScriptedClaude, item: dict, stream: bool = False, key: str | None = KEY) -> BaseException:
    claude.add(item)
    with pytest.raises(Exception) as info:
        call(make_client(claude.base_url, key, 5), request(), stream=stream)
    return info.value


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("item, retry, says, after", [
    ({"status": 429, "error_type": "rate_limit_error", "message": "Number of requests exceeded",
      "headers": {"retry-after": "7"}}, True, "rate limit", 7.0),
    ({"status": 529, "error_type": "overloaded_error", "message": "Overloaded"}, True, "overloaded", None),
    ({"status": 500, "error_type": "api_error", "message": "Internal server error"}, True, "HTTP 500", None),
    ({"status": 503, "error_type": "api_error", "message": "busy", "headers": {"retry-after": "2"}}, True, "503", 2.0),
    ({"status": 400, "error_type": "invalid_request_error", "message": "messages.1: bad"}, False, "refused the request",
     None),
    ({"status": 403, "error_type": "permission_error", "message": "no access"}, False, "may not use", None),
    ({"status": 413, "error_type": "request_too_large", "message": "too big"}, False, "--history-images", None),
    ({"status": 402, "error_type": "billing_error", "message": "credit balance is too low"}, False, "billing", None),
])
def test_every_error_status_means_retry_or_stop(claude, item, retry, says, after, stream):
    verdict = explain(failure(claude, item, stream), claude.base_url, "claude-scripted", True)
    assert (verdict.retryable, verdict.retry_after) == (retry, after)
    assert says in verdict.message and "\n" not in verdict.message and KEY not in verdict.message


def test_an_overloaded_event_mid_stream_is_retried(claude):
    exc = failure(claude, {"content": BLOCKS, "stream_error": "Overloaded"}, stream=True)
    verdict = explain(exc, claude.base_url, "claude-scripted", True)
    assert verdict.retryable and "overloaded" in verdict.message


def test_a_wrong_or_missing_key_and_an_unknown_model_stop_with_what_to_do(claude):
    wrong = explain(failure(claude, {}, key="sk-ant-wrong-key-1234567890abcdef"), claude.base_url, "m", True)
    assert not wrong.retryable and "rejected the API key" in wrong.message and "agent-app key set" in wrong.message
    missing = explain(failure(claude, {}, key=None), claude.base_url, "m", False)
    assert not missing.retryable and "needs an API key" in missing.message
    client = make_client(claude.base_url, KEY, 5)
    with pytest.raises(Exception) as info:
        call(client, request("claude-nonexistent-9"), stream=False)
    unknown = explain(info.value, claude.base_url, "claude-nonexistent-9", True)
    assert not unknown.retryable and "'claude-nonexistent-9' was not found" in unknown.message


def test_no_server_and_no_answer_are_retried():
    refused = make_client("http://127.0.0.1:9", KEY, 2)  # nothing listens on the discard port
    with pytest.raises(Exception) as info:
        call(refused, request(), stream=False)
    verdict = explain(info.value, "http://127.0.0.1:9", "m", True)
    assert verdict.retryable and "cannot reach" in verdict.message
    with ScriptedClaude([{"hang": True}], api_key=KEY) as silent, pytest.raises(Exception) as info:
        call(make_client(silent.base_url, KEY, 0.5), request(), stream=True)
    assert explain(info.value, silent.base_url, "m", True).retryable


def test_a_refusal_is_not_retried():
    verdict = explain(RefusedError(), None, "m", True)
    assert not verdict.retryable and "refused" in verdict.message and "api.anthropic.com" not in verdict.message


def test_a_server_echoing_the_key_is_redacted(claude):
    from agent_app.core.redact import remember_secret

    remember_secret(KEY)
    exc = failure(claude, {"status": 400, "error_type": "invalid_request_error", "message": f"bad key {KEY}"})
    assert KEY not in explain(exc, claude.base_url, "m", True).message


def test_the_core_imports_and_says_how_to_install_without_the_sdk(monkeypatch):
    code = ("import sys; sys.modules['anthropic'] = None\n"
            "from agent_app.core.families.registry import FAMILIES\n"
            "from agent_app.core.families import claude_client\n"
            "assert 'claude' in FAMILIES\n"
            "try:\n    claude_client.make_client(None, 'k', 1)\n"
            "except Exception as e:\n    print(type(e).__name__, e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"ConfigError the claude family needs Anthropic's Python SDK: {INSTALL}"
    monkeypatch.setitem(sys.modules, "anthropic", None)
    with pytest.raises(ConfigError, match="agent-app\\[claude\\]"):
        sdk()


def test_the_scripted_server_refuses_what_the_api_would(claude):
    client = make_client(claude.base_url, KEY, 5)
    bad_beta = {**request(), "betas": ["computer-use-2025-01-24"]}
    unanswered = {**request(), "messages": [
        {"role": "user", "content": [text("go")]},
        {"role": "assistant", "content": [tool_use("screenshot")]},
        {"role": "user", "content": [text("here")]}]}
    for bad, says in ((bad_beta, "needs the beta header computer-use-2025-11-24"), (unanswered, "tool_result")):
        with pytest.raises(Exception) as info:
            call(client, bad, stream=False)
        assert getattr(info.value, "status_code", None) == 400 and says in json.dumps(info.value.body)


def complete(claude: ScriptedClaude, *items, stream: bool = True, base_url: str | None = None):
    """One `complete` of the run's client (the shared retrying machinery around the SDK call)."""
    from agent_app.core.families.base import Context

    claude.add(*items)
    client = ClaudeClient(base_url or claude.base_url, claude.model, KEY, retries=1, stream=stream,
                          sampling=CLAUDE.sampling)
    piece = CLAUDE.messages(Context("do it", "en", (1429, 804)), [], "data:image/png;base64,SU1H")
    try:
        return client.complete(piece, lambda: None)
    finally:
        client.close()


@pytest.mark.parametrize("stream", [True, False])
def test_a_whole_reply_through_the_run_client_is_the_body_with_its_usage(claude, stream):
    reply = complete(claude, BLOCKS, stream=stream)
    assert CLAUDE.parse(reply.text).actions[1].text == "Grüße 世界\n"
    assert reply.usage == {"prompt_tokens": 1000, "completion_tokens": 50} and reply.attempts == 1
    body = claude.message_requests()[0]["body"]
    assert body["model"] == "claude-scripted" and body["max_tokens"] == CLAUDE.sampling.max_tokens
    assert "temperature" not in body and body["tools"][0]["display_width_px"] == 1429


@pytest.mark.parametrize("stop, says", [("refusal", "refused"), ("model_context_window_exceeded", "context window")])
def test_a_refusal_or_a_full_context_ends_without_asking_again(claude, stop, says):
    with pytest.raises(EndpointError) as info:
        complete(claude, {"content": BLOCKS, "stop_reason": stop}, BLOCKS)
    assert says in str(info.value) and len(claude.message_requests()) == 1


def test_a_cut_reply_is_asked_again_with_a_bigger_budget(claude):
    reply = complete(claude, {"content": BLOCKS, "stop_reason": "max_tokens"}, BLOCKS)
    assert "max_tokens=8192" in reply.notes[0]
    assert [r["body"]["max_tokens"] for r in claude.message_requests()] == [4096, 8192]


def test_the_public_endpoint_when_none_is_given():
    client = ClaudeClient(None, "claude-sonnet-4-6", KEY)
    assert client.base_url == PUBLIC_BASE_URL == "https://api.anthropic.com"
    assert str(client._client.base_url).rstrip("/") == PUBLIC_BASE_URL
    client.close()


def test_test_connection_asks_claude_through_its_own_client():
    from agent_app.core.settings.connection import check_connection

    with ScriptedClaude([[text("OK.")]], model=CLAUDE.default_model, api_key=KEY) as claude:
        report = check_connection(claude.base_url, "", KEY, family="claude")  # no model: the family's default
        assert report.ok, report.message
        body = claude.message_requests()[0]["body"]
        assert body["model"] == CLAUDE.default_model and body["tools"][0]["name"] == "computer"
        wrong = check_connection(claude.base_url, "", "sk-ant-api03-wrong-000000000000000000", family="claude")
        assert not wrong.ok and "rejected the API key" in wrong.message


def test_the_doctors_model_check_asks_claude_and_finds_its_click(monkeypatch, tmp_path):
    from agent_app.cli import build_parser, doctor_config
    from agent_app.core.doctor.model_check import button_rect, model_check, settings_problem
    from agent_app.core.geometry import Monitor
    from agent_app.core.settings.config import RunConfig, Settings

    monitor = Monitor(0, 0, 1920, 1080)
    r = button_rect(1920, 1080)
    cx, cy = r.left + r.width // 2, r.top + r.height // 2
    point = [round(cx * 1429 / 1920), round(cy * 804 / 1080)]  # the button's centre in image pixels
    with ScriptedClaude([[text("Clicking OK."), tool_use("left_click", coordinate=point)]],
                        model=CLAUDE.default_model, api_key=KEY) as claude:
        monkeypatch.setenv("AGENT_APP_API_KEY", KEY)
        config = RunConfig("Click the OK button.", base_url=claude.base_url, model_family="claude", retries=0)
        check = model_check(config, monitor)
        assert check.ok, check.summary
        assert claude.message_requests()[0]["body"]["tools"][0]["display_width_px"] == 1429
    # with no endpoint given, claude's own (public) one: the check is made, not skipped as for a local server
    assert settings_problem(RunConfig("t", base_url="", model_family="claude")) is None
    assert "http://" in settings_problem(RunConfig("t", base_url="", model_family="uitars-1.5"))
    monkeypatch.setenv("AGENT_APP_CONFIG_DIR", str(tmp_path))
    for name in ("AGENT_APP_BASE_URL", "AGENT_APP_MODEL"):
        monkeypatch.delenv(name, raising=False)
    saved = Settings(base_url="http://localhost:8000/v1", model="ui-tars", model_family="uitars-1.5")
    config = doctor_config(build_parser().parse_args(["doctor", "--model-family", "claude"]), saved)
    assert config is not None and (config.base_url, config.model) == ("", "")
