"""The model client against a real HTTP server on 127.0.0.1: retries, timeouts, stop, adaptation."""

from __future__ import annotations

import threading
import time

import pytest

from agent_app.core.client import ImageLimitError, ModelClient
from agent_app.core.control import RunControl
from agent_app.core.errors import EndpointError, Stopped

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
