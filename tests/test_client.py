"""The model client against a real HTTP server on 127.0.0.1: retries, timeouts, stop, adaptation, whole replies
only, errors in words, no secrets."""

from __future__ import annotations

import threading
import time

import pytest

from agent_app.core.client import MAX_TOKENS_CAP, WEB_PAGE_HINT, ImageLimitError, ModelClient, Sampling
from agent_app.core.control import RunControl
from agent_app.core.errors import ConfigError, EndpointError, Stopped
from agent_app.core.runner import resolve_model

MESSAGES = [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]


def client(server, **kw) -> ModelClient:
    kw.setdefault("timeout", 5)
    return ModelClient(server.base_url, server.model, None, **kw)


@pytest.mark.parametrize("stream", [True, False])
def test_reply_text_and_usage(server, stream):
    server.add("Thought: t\nAction: wait()")
    reply = client(server, stream=stream).complete(MESSAGES, lambda: None)
    assert reply.text == "Thought: t\nAction: wait()"
    assert reply.usage == {"prompt_tokens": 1000, "completion_tokens": 6}
    body = server.chat_requests()[0]["body"]
    assert body["temperature"] == 0.0 and body["top_p"] == 0.9 and body["max_tokens"] == 1000
    assert body["frequency_penalty"] == 1.0 and body.get("stream", False) is stream


def test_streamed_text_arrives_incrementally(server):
    server.add("x" * 100)
    seen: list[str] = []
    client(server).complete(MESSAGES, lambda: None, on_text=seen.append)
    assert len(seen) > 2 and seen[-1] == "x" * 100


def test_5xx_and_429_are_retried_then_succeed(server):
    server.add({"status": 502}, {"status": 429}, "ok")
    retries: list[str] = []
    reply = client(server).complete(MESSAGES, lambda: None, on_retry=retries.append)
    assert reply.text == "ok" and reply.attempts == 3
    assert "HTTP 502" in retries[0] and "retry 1/3" in retries[0]


def test_retries_are_bounded(server):
    server.default = {"status": 500, "message": "internal"}
    with pytest.raises(EndpointError, match="HTTP 500"):
        client(server, retries=1).complete(MESSAGES, lambda: None)
    assert len(server.chat_requests()) == 2


def test_silent_server_times_out(server):
    server.default = {"hang": True}
    started = time.monotonic()
    with pytest.raises(EndpointError, match="did not answer in time"):
        client(server, timeout=0.5, retries=0).complete(MESSAGES, lambda: None)
    assert time.monotonic() - started < 5


def test_stop_interrupts_an_in_flight_request(server):
    server.default = {"hang": True}
    control = RunControl()
    threading.Timer(0.3, control.stop).start()
    started = time.monotonic()
    with pytest.raises(Stopped):
        client(server, timeout=60).complete(MESSAGES, control.check)
    assert time.monotonic() - started < 1.0


def test_unaccepted_parameters_are_dropped(server):
    server.reject_params = {"frequency_penalty", "stream_options"}
    server.add("ok")
    c = client(server)
    notes: list[str] = []
    assert c.complete(MESSAGES, lambda: None, on_retry=notes.append).text == "ok"
    assert "frequency_penalty" not in server.chat_requests()[-1]["body"]
    assert any("frequency_penalty" in n for n in notes)


def test_image_limit_is_reported_with_the_number(server):
    server.max_images = 2
    images = [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:,"}}]}] * 3
    with pytest.raises(ImageLimitError) as info:
        client(server).complete(images, lambda: None)
    assert info.value.limit == 2


def test_unreachable_endpoint_says_so(server):
    server.stop()
    with pytest.raises(EndpointError, match="cannot reach"):
        client(server, retries=0).complete(MESSAGES, lambda: None)


def test_list_models(server):
    assert client(server).list_models() == ["scripted-ui-tars"]


# ---- only whole replies (issue 10 item 2) ----
CLICK = "Thought: Open the menu.\nAction: click(start_box='(1500,90)')"


@pytest.fixture
def quick_backoff(monkeypatch):
    import agent_app.core.client as client_module

    monkeypatch.setattr(client_module, "RETRY_BACKOFF_S", (0.01,))


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "no-stream"])
@pytest.mark.parametrize("fault", ["cut_after", "drop_after"])
def test_a_reply_cut_off_mid_action_is_asked_again(server, quick_backoff, stream, fault):
    server.add({"text": CLICK, fault: len(CLICK) - 8}, CLICK)
    retries: list[str] = []
    reply = client(server, stream=stream).complete(MESSAGES, lambda: None, on_retry=retries.append)
    assert reply.text == CLICK and reply.attempts == 2
    assert len(retries) == 1 and "retry 1/3" in retries[0]
    assert "cut off" in retries[0] or "broke off" in retries[0]


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "no-stream"])
@pytest.mark.parametrize("fault", ["cut_after", "drop_after"])
def test_a_reply_that_keeps_being_cut_off_ends_with_one_clear_line(server, quick_backoff, stream, fault):
    server.default = {"text": CLICK, fault: 44}
    retries: list[str] = []
    with pytest.raises(EndpointError) as info:
        client(server, stream=stream, retries=2).complete(MESSAGES, lambda: None, on_retry=retries.append)
    message = str(info.value)
    assert "\n" not in message and "check the server and the network" in message
    assert ("cut off" in message) if stream else ("broke off" in message)
    assert len(server.chat_requests()) == 3 and len(retries) == 2


def test_a_stream_that_ends_without_a_finish_reason_is_not_a_reply(server, quick_backoff):
    server.add({"text": CLICK, "finish_reason": None})  # every chunk and [DONE], but no finish reason
    retries: list[str] = []
    reply = client(server).complete(MESSAGES, lambda: None, on_retry=retries.append)
    assert reply.attempts == 2 and "ended without a finish reason" in retries[0]


def test_a_whole_body_without_a_finish_reason_is_a_reply(server):
    server.add({"text": CLICK, "finish_reason": None})  # a JSON body arrives whole or not at all
    reply = client(server, stream=False).complete(MESSAGES, lambda: None)
    assert reply.text == CLICK and reply.attempts == 1


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "no-stream"])
def test_a_reply_cut_at_max_tokens_is_asked_again_with_a_larger_budget(server, stream):
    server.add({"text": CLICK[:30], "finish_reason": "length"}, CLICK)
    retries: list[str] = []
    c = client(server, stream=stream)
    reply = c.complete(MESSAGES, lambda: None, on_retry=retries.append)
    assert reply.text == CLICK
    assert [r["body"]["max_tokens"] for r in server.chat_requests()] == [1000, 2000]
    assert retries == ["the model's reply was cut off at max_tokens=1000; asking again with max_tokens=2000"]
    assert reply.notes == retries


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "no-stream"])
def test_a_reply_always_cut_at_max_tokens_ends_with_one_clear_line(server, stream):
    server.default = {"text": "Thought: " + "again " * 50, "finish_reason": "length"}
    with pytest.raises(EndpointError) as info:
        client(server, stream=stream).complete(MESSAGES, lambda: None)
    assert [r["body"]["max_tokens"] for r in server.chat_requests()] == [1000, 2000, 4000]
    assert str(info.value).startswith("the model's reply was cut off at max_tokens=4000 (3 tries")
    assert "--model-family" in str(info.value)


def test_the_token_budget_is_never_raised_past_the_cap(server):
    """The cap is 4096, or twice the family's own budget when that is larger (GLM-4.5V starts at 8192)."""
    server.default = {"text": "x", "finish_reason": "length"}
    c = client(server, sampling=Sampling(max_tokens=2 * MAX_TOKENS_CAP))
    with pytest.raises(EndpointError, match=f"max_tokens={4 * MAX_TOKENS_CAP} .*: it keeps writing"):
        c.complete(MESSAGES, lambda: None)
    assert [r["body"]["max_tokens"] for r in server.chat_requests()] == [2 * MAX_TOKENS_CAP, 4 * MAX_TOKENS_CAP]


def test_a_cut_reply_is_good_enough_where_the_caller_says_so(server):
    server.add({"text": "O", "finish_reason": "length"})
    assert client(server).complete(MESSAGES, lambda: None, cut_ok=True).text == "O"


def test_a_finished_stream_without_done_is_complete_at_once_with_its_usage(server):
    """Finish chunk and usage, then neither [DONE] nor the end of the body: the reply is whole. Were it to
    wait for more, the 2 s request deadline would end it as a timeout (retries 0)."""
    server.add({"text": CLICK, "no_done": True}, {"text": CLICK, "no_done": True})
    c = client(server, timeout=2, retries=0)
    for _ in range(2):
        reply = c.complete(MESSAGES, lambda: None)
        assert reply.text == CLICK and reply.usage == {"prompt_tokens": 1000, "completion_tokens": len(CLICK) // 4}


def test_a_finished_stream_without_usage_or_done_is_complete_too(server):
    server.add({"text": CLICK, "no_done": True})
    c = client(server, timeout=2, retries=0)
    c._dropped.add("stream_options")  # as after a server that refused include_usage: no usage chunk comes
    reply = c.complete(MESSAGES, lambda: None)
    assert reply.text == CLICK and reply.usage is None


def test_a_finished_stream_whose_connection_then_drops_is_a_whole_reply(server):
    server.add({"text": CLICK, "no_done": "hang_up"})
    reply = client(server, retries=0).complete(MESSAGES, lambda: None)
    assert reply.text == CLICK and reply.attempts == 1


def test_stop_interrupts_a_stream_that_stalls_mid_reply(server):
    server.add(lambda body: {"text": CLICK, "no_done": True, "finish_reason": None})  # chunks, then silence
    control = RunControl()
    threading.Timer(0.3, control.stop).start()
    with pytest.raises(Stopped):
        client(server, timeout=60).complete(MESSAGES, control.check)


# ---- what the endpoint answered, in words (issue 10 item 10) ----
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "no-stream"])
def test_a_web_page_instead_of_an_api_answer_says_check_the_base_url(server, stream):
    server.add({"html": True}, {"html": True, "status": 405})
    c = client(server, stream=stream)
    for _ in range(2):
        with pytest.raises(EndpointError) as info:
            c.complete(MESSAGES, lambda: None)
        assert str(info.value).startswith(WEB_PAGE_HINT)
    assert len(server.chat_requests()) == 2  # not retried: asking again cannot help


def test_a_web_ui_at_the_base_url_is_named_when_listing_models(server):
    server.web_ui = True
    with pytest.raises(ConfigError, match="returned a web page — check the base URL"):
        resolve_model(client(server), lambda: None)


def test_http_413_says_to_send_less(server):
    server.add({"status": 413, "html": True})
    with pytest.raises(EndpointError) as info:
        client(server).complete(MESSAGES, lambda: None)
    assert "--max-pixels" in str(info.value) and "--history-images" in str(info.value)
    assert len(server.chat_requests()) == 1


def test_an_unreachable_base_url_says_it_cannot_be_reached(server):
    server.stop()
    with pytest.raises(ConfigError) as info:
        resolve_model(client(server), lambda: None)
    assert str(info.value).startswith(f"cannot reach {server.base_url}") and "--model" not in str(info.value)


def test_an_endpoint_without_a_model_list_asks_for_a_model_name(server):
    server.lists_models = False
    with pytest.raises(ConfigError, match="does not list its models; pass --model NAME"):
        resolve_model(client(server), lambda: None)


@pytest.mark.parametrize("message, limit", [
    ("At most 2 image(s) may be provided in one request.", 2),
    ("At most 3 image(s) may be provided in one prompt. (parameter=image)", 3),
    ("You set image=1 (or defaulted to 1) in `--limit-mm-per-prompt`, but passed 2 image items in the same prompt.",
     1),
    ("You set or defaulted to '{\"image\": 4}' in `--limit-mm-per-prompt`, but passed 5 image items in the same "
     "prompt.", 4),
    ("Too many images in request. Max is 10.", 10),
    ("Number of images 7 exceeds the limit of 5", 5),
    ("Maximum number of images per request is 4", 4),
    ("You can only include 3 images per request", 3),
])
def test_only_a_400_about_the_number_of_images_lowers_the_history(server, message, limit):
    server.add({"status": 400, "message": message})
    with pytest.raises(ImageLimitError) as info:
        client(server).complete(MESSAGES, lambda: None)
    assert info.value.limit == limit


@pytest.mark.parametrize("message", [
    "image exceeds 20 MB", "Image too large", "image too large: limit 2048x2048",
    "Image size exceeds the limit of 20 MB",
    "Image base64 size 25000000 exceeds API limit 20971520", "the image limit is 10MB", "max image size 4096 px",
    "image 3 of 5 exceeds the limit of 20.5 MB", "number of image bytes exceeds max 20 MB",
    "Invalid image: limit 1 per content part is not a format we know",
])
def test_a_400_about_an_image_size_is_reported_not_adapted_to(server, message):
    server.add({"status": 400, "message": message})
    with pytest.raises(EndpointError) as info:
        client(server).complete(MESSAGES, lambda: None)
    assert not isinstance(info.value, ImageLimitError)
    assert str(info.value) == f"the endpoint answered HTTP 400: {message}"


# ---- the key never appears (issue 10 item 6) ----
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "no-stream"])
def test_a_server_echoing_the_key_never_gets_it_into_a_message(server, quick_backoff, stream):
    secret = "sk-proj-Echo-0123456789abcdefABCDEF"
    server.api_key = secret
    server.add({"status": 500, "echo_auth": True, "message": "upstream failed"},
               {"status": 400, "echo_auth": True, "message": "bad request " + "x" * 170})
    retries: list[str] = []
    c = ModelClient(server.base_url, server.model, secret, timeout=5, stream=stream)
    with pytest.raises(EndpointError) as info:
        c.complete(MESSAGES, lambda: None, on_retry=retries.append)
    assert server.chat_requests()[0]["headers"]["authorization"] == f"Bearer {secret}"  # the echo had it
    for text in [str(info.value), *retries]:
        assert secret not in text and "sk-proj" not in text and "Echo-0123" not in text  # not even a part
    assert "[redacted]" in retries[0] and "HTTP 500" in retries[0]
    assert str(info.value).startswith("the endpoint answered HTTP 400: bad request")


def test_a_reply_echoing_the_key_does_not_carry_it(server):
    secret = "a-long-key-without-a-known-shape-42"
    server.api_key = secret
    server.add(lambda body: f"Thought: key {secret}\nAction: type(content='{secret}')")
    c = ModelClient(server.base_url, server.model, secret, timeout=5)
    reply = c.complete(MESSAGES, lambda: None)
    assert secret not in reply.text and reply.text.count("[redacted]") == 2
