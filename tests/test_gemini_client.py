"""The Gemini transport through the real google-genai SDK against the scripted Gemini API server: the recorded body,
token usage, a cut response, and every failure told in one line that says what to do (retried or not), with the key
in none of them."""

from __future__ import annotations

import json
import sys

import pytest

from agent_app.core.errors import ConfigError, EndpointError, Stopped
from agent_app.core.families.gemini import GEMINI, read_response
from agent_app.core.families.gemini_client import PUBLIC_BASE_URL, GeminiClient
from agent_app.testing.scripted_gemini import ScriptedGemini, call

KEY = "AIzaSyD-scripted-test-key-0123456789abcdef"
CONTENTS = [{"role": "user", "parts": [{"text": "Open the calculator"}]}]


@pytest.fixture
def gemini():
    with ScriptedGemini(api_key=KEY) as server:
        yield server


def transport(server: ScriptedGemini, key: str | None = KEY, timeout: float = 10.0, retries: int = 3) -> GeminiClient:
    return GeminiClient(server.base_url, server.model, key, timeout=timeout, retries=retries, sampling=GEMINI.sampling)


def failure(server: ScriptedGemini, item: dict | None = None, *, key: str | None = KEY, timeout: float = 10.0):
    if item is not None:
        server.add(item)
    t = transport(server, key, timeout)
    with pytest.raises(Exception) as e:
        t.send(CONTENTS, GEMINI.config())
    return t._explain(e.value)


def test_a_response_is_recorded_as_the_rest_body_with_its_usage(gemini, monkeypatch):
    monkeypatch.setenv("GOOGLE_API_KEY", "another-key-from-the-environment")
    monkeypatch.setenv("GOOGLE_GENAI_USE_VERTEXAI", "true")  # never switches the run to Vertex AI
    gemini.add({"parts": [{"text": "The calculator is in the dock.", "thought": True, "thoughtSignature": "c2ln"},
                          call("click_at", x=500, y=980)],
                "usage": {"promptTokenCount": 1800, "candidatesTokenCount": 40, "thoughtsTokenCount": 25}})
    sent = transport(gemini).send(CONTENTS, GEMINI.config())
    request = gemini.generate_requests()[0]
    assert request["path"] == f"/v1beta/models/{gemini.model}:generateContent"
    assert request["headers"]["x-goog-api-key"] == KEY
    assert request["body"]["generationConfig"]["maxOutputTokens"] == 8192
    assert "automatic_function_calling" not in json.dumps(request["body"])  # the SDK's own switch stays local
    body = json.loads(sent.body)
    assert body["candidates"][0]["content"]["parts"][0]["thoughtSignature"] == "c2ln"  # REST spelling, kept
    assert "sdkHttpResponse" not in body and "automaticFunctionCallingHistory" not in body
    assert (sent.usage, sent.finish_reason, sent.cut) == ({"prompt_tokens": 1800, "completion_tokens": 65}, "STOP",
                                                          False)
    assert [c.name for c in read_response(sent.body).calls] == ["click_at"]
    gemini.add({"parts": [call("click_at", x=1, y=1)], "usage": {
        "promptTokenCount": 9000, "cachedContentTokenCount": 6000, "candidatesTokenCount": 20}})
    assert transport(gemini).send(CONTENTS, GEMINI.config()).usage == {
        "prompt_tokens": 9000, "completion_tokens": 20, "cached_tokens": 6000}  # Gemini's implicit cache


def test_a_response_cut_at_max_tokens_is_said_to_be_cut(gemini):
    gemini.add({"parts": [call("type_text_at", x=1, y=2, text="half")], "finish_reason": "MAX_TOKENS"})
    sent = transport(gemini).send(CONTENTS, GEMINI.config(max_tokens=16))
    assert sent.cut and sent.finish_reason == "MAX_TOKENS"
    assert gemini.generate_requests()[0]["body"]["generationConfig"]["maxOutputTokens"] == 16


@pytest.mark.parametrize(("item", "retryable", "words", "after"), [
    ({"status": 429, "message": "Resource has been exhausted (e.g. check quota).", "retry_after": 7}, True,
     "rate limit or quota is used up (HTTP 429 RESOURCE_EXHAUSTED", 7.0),
    ({"status": 503, "message": "The model is overloaded. Please try again later."}, True,
     "Gemini is overloaded (HTTP 503 UNAVAILABLE", None),
    ({"status": 500, "message": "An internal error has occurred."}, True, "HTTP 500 INTERNAL", None),
    ({"status": 504, "message": "Deadline expired", "retry_after": 2}, True, "HTTP 504 DEADLINE_EXCEEDED", 2.0),
    ({"status": 401, "message": "Request had invalid authentication credentials."}, False,
     "Google rejected the API key (HTTP 401 UNAUTHENTICATED)", None),
    ({"status": 403, "message": "Method doesn't allow unregistered callers."}, False,
     "may not use gemini-2.5-computer-use-preview-10-2025 (HTTP 403 PERMISSION_DENIED", None),
    ({"status": 400, "message": "Request contains an invalid argument."}, False,
     "Gemini refused the request (HTTP 400 INVALID_ARGUMENT: Request contains an invalid argument.)", None),
    ({"html": True, "status": 502}, True, "with a web page; check --base-url", None),
    ({"html": True}, False, "not a Gemini API response; check --base-url", None),
])
def test_each_failure_is_one_line_that_says_what_to_do(gemini, item, retryable, words, after):
    f = failure(gemini, item)
    assert (f.retryable, f.retry_after) == (retryable, after)
    assert words in f.message and "\n" not in f.message


def test_a_wrong_key_and_no_key(gemini):
    f = failure(gemini, key="AIzaSyWRONG-key-0000000000000000000000")
    assert not f.retryable and "Google rejected the API key (HTTP 400 INVALID_ARGUMENT)" in f.message
    assert "WRONG" not in f.message
    f = failure(gemini, key=None)
    assert not f.retryable and f.message.startswith("the Gemini API needs an API key (HTTP 400")
    with pytest.raises(ConfigError, match="needs an API key: set GEMINI_API_KEY"):
        GeminiClient(None, "gemini-2.5-computer-use-preview-10-2025", None)  # the public API: asked first
    with pytest.raises(ConfigError):
        GeminiClient(PUBLIC_BASE_URL + "/", "m", "")


def test_another_model_is_not_found(gemini):
    t = GeminiClient(gemini.base_url, "gemini-9-nope", KEY, timeout=5.0)
    with pytest.raises(Exception) as e:
        t.send(CONTENTS, GEMINI.config())
    f = t._explain(e.value)
    assert not f.retryable and "model 'gemini-9-nope' was not found" in f.message and "--model" in f.message


def test_the_network_failures_are_retried(gemini):
    f = failure(gemini, {"hang": True}, timeout=0.5)
    assert f.retryable and "did not answer in time; raise --timeout" in f.message
    f = failure(gemini, {"cut_after": 30, "parts": [call("click_at", x=1, y=1)]})
    assert f.retryable and "broke off" in f.message
    dead = GeminiClient("http://127.0.0.1:9", "m", KEY, timeout=2.0)
    with pytest.raises(Exception) as e:
        dead.send(CONTENTS, GEMINI.config())
    f = dead._explain(e.value)
    assert f.retryable and f.message.startswith("cannot reach http://127.0.0.1:9") and "check --base-url" in f.message


def test_a_key_echoed_by_a_server_is_never_shown(gemini):
    f = failure(gemini, {"status": 400, "message": "bad request", "echo_key": True})
    assert "bad request" in f.message and KEY not in f.message and "x-goog-api-key" in f.message


def test_a_missing_sdk_is_one_line_with_the_install_command(monkeypatch, gemini):
    import google

    monkeypatch.setitem(sys.modules, "google.genai", None)  # as if it were not installed
    monkeypatch.delattr(google, "genai", raising=False)
    with pytest.raises(ConfigError) as e:
        transport(gemini)
    assert str(e.value) == "the gemini family needs Google's SDK google-genai: pip install 'agent-app[gemini]'"


# ---- the whole request, through the shared RetryingClient machinery ----
def never_stopped() -> None:
    return None


def test_a_cut_response_is_asked_again_with_a_bigger_budget_and_never_returned(gemini):
    cut = {"parts": [call("type_text_at", x=1, y=2, text="hal")], "finish_reason": "MAX_TOKENS"}
    gemini.add(cut, {"parts": [call("click_at", x=10, y=20)]})
    retries: list[str] = []
    reply = transport(gemini).complete(CONTENTS, never_stopped, on_retry=retries.append)
    budgets = [r["body"]["generationConfig"]["maxOutputTokens"] for r in gemini.generate_requests()]
    assert budgets == [8192, 16384]
    assert [c.name for c in read_response(reply.text).calls] == ["click_at"]  # only the whole one comes back
    assert retries and "cut off at max_tokens=8192" in retries[0]
    gemini.add(cut, cut, cut)
    with pytest.raises(EndpointError, match="cut off at max_tokens"):
        transport(gemini).complete(CONTENTS, never_stopped)


def test_429_waits_for_retry_after_then_succeeds_and_401_ends_at_once(gemini):
    gemini.add({"status": 429, "message": "quota", "retry_after": 1}, {"parts": [call("click_at", x=1, y=1)]})
    said: list[str] = []
    reply = transport(gemini).complete(CONTENTS, never_stopped, on_retry=said.append)
    assert reply.attempts == 2 and said == [
        "Gemini's rate limit or quota is used up (HTTP 429 RESOURCE_EXHAUSTED: quota) — retry 1/3 in 1 s"]
    gemini.add({"status": 401, "message": "Request had invalid authentication credentials."})
    before = len(gemini.generate_requests())
    with pytest.raises(EndpointError, match="Google rejected the API key"):
        transport(gemini).complete(CONTENTS, never_stopped)
    assert len(gemini.generate_requests()) == before + 1  # not retried


@pytest.mark.parametrize(("item", "words"), [
    ({"parts": [{"text": "I can't help with that."}], "finish_reason": "SAFETY"},
     "Gemini stopped its response (reason SAFETY)"),
    ({"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}},
     "Gemini blocked the request (reason PROHIBITED_CONTENT)"),
])
def test_a_refusal_ends_with_one_line_and_is_not_asked_again(gemini, item, words):
    gemini.add(item)
    with pytest.raises(EndpointError) as e:
        transport(gemini).complete(CONTENTS, never_stopped)
    assert str(e.value).startswith(words) and "take over" in str(e.value)
    assert len(gemini.generate_requests()) == 1


def test_a_stop_lands_while_gemini_is_silent(gemini):
    gemini.add({"hang": True})
    client = transport(gemini, timeout=30.0)
    asked = [0]

    def check() -> None:
        asked[0] += 1
        if asked[0] > 5:  # ~100 ms into the request
            raise Stopped("stopped by the person")

    with pytest.raises(Stopped):
        client.complete(CONTENTS, check)
    assert len(gemini.generate_requests()) == 1


def test_test_connection_asks_gemini_through_its_own_client(gemini):
    from agent_app.core.settings.connection import check_connection

    gemini.add({"parts": [call("click_at", x=500, y=500)]})
    report = check_connection(gemini.base_url, "", KEY, family="gemini")
    assert report.ok and report.model == gemini.model and report.message.startswith(f"Connected: {gemini.model}")
    (request,) = gemini.generate_requests()
    assert "computerUse" in json.dumps(request["body"]["tools"])  # the family's own request, its tool declared
    report = check_connection(gemini.base_url, "", "AIzaSyWRONG-key-0000000000000000000000", family="gemini")
    assert not report.ok and "Google rejected the API key" in report.message and "WRONG" not in report.message
