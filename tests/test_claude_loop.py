"""The loop with the claude family and its real transport (the `anthropic` SDK against the scripted Messages API
server), on a monitor that does not start at 0,0: the pointer goes back to the model in image pixels, a zoom's
full-resolution crop rides in its tool result, a stream that breaks off is asked again and never acted on, and a
replay of the run folder rebuilds every request the server received."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import read_trajectory
from doubles import RecordingExecutor, StaticScreen

from agent_app.core import images
from agent_app.core.control import RunControl
from agent_app.core.families.claude import CLAUDE
from agent_app.core.geometry import Monitor
from agent_app.core.loop import Agent
from agent_app.core.runs.export import replay
from agent_app.core.settings.config import RunConfig
from agent_app.testing.scripted_claude import ScriptedClaude, text, thinking, tool_use

KEY = "sk-ant-api03-LoopSecret-0123456789abcdefGHIJKL"
MODEL = "claude-sonnet-4-6"
MONITOR = Monitor(1920, 0, 1920, 1080)  # the second monitor of two
IMAGE = (1429, 804)


@pytest.fixture
def claude():
    with ScriptedClaude(model=MODEL, api_key=KEY) as server:
        yield server


def run(tmp_path, server: ScriptedClaude, stream: bool = True) -> tuple[Any, Agent]:
    config = RunConfig(task="look closely", base_url=server.base_url, model=MODEL, model_family="claude",
                       runs_dir=str(tmp_path), api_key=KEY, wait_seconds=0.01, stream=stream, retries=2)
    screen = StaticScreen()
    screen.monitor = MONITOR
    agent = Agent(config, screen=screen, executor=RecordingExecutor(), control=RunControl())
    try:
        return agent.run(), agent
    finally:
        agent.client.close()


def pictures(value: Any) -> Any:
    """A request with every image replaced by a marker (a replay names the files the run sent inline)."""
    if isinstance(value, list):
        return [pictures(v) for v in value]
    if isinstance(value, dict):
        return "IMAGE" if value.get("type") == "image" else {k: pictures(v) for k, v in value.items()}
    return value


def result_images(body: dict) -> list[tuple[int, int]]:
    sizes = []
    for block in body["messages"][-1]["content"]:
        for part in block.get("content", []) if block.get("type") == "tool_result" else []:
            if part["type"] == "image":
                data = f"data:{part['source']['media_type']};base64,{part['source']['data']}"
                sizes.append(images.decode_data_url(data).size)
    return sizes


@pytest.mark.parametrize("stream", [True, False])
def test_pointer_and_zoom_answers_travel_back_and_a_replay_rebuilds_every_request(tmp_path, claude, stream):
    claude.add([thinking("The corner first."), text("Looking, then moving."),
                tool_use("zoom", region=[0, 0, 142, 80]), tool_use("mouse_move", coordinate=[714, 402]),
                tool_use("cursor_position")],
               [text("Done looking.")])
    result, agent = run(tmp_path, claude, stream)
    assert result.status == "finished", result.error
    assert [(a.type, a.x, a.y) for a in agent.executor.actions] == [("zoom", 1920, 0), ("move", 1920 + 959, 540)]
    requests = [r["body"] for r in claude.message_requests()]
    assert len(requests) == 2
    assert requests[0]["tools"][0]["display_width_px"] == IMAGE[0]
    results = requests[1]["messages"][-1]["content"]
    assert results[2]["content"][0] == {"type": "text", "text": "X=714,Y=402"}  # image pixels, not screen ones
    # the crop at the screen's full resolution (142x80 image px → 192x108 screen px), then the next screenshot
    assert result_images(requests[1]) == [(192, 108), IMAGE]

    lines = read_trajectory(result.run_dir)
    replayed = [messages for messages, _, _ in replay(lines, CLAUDE, result.run_dir)]
    assert len(replayed) == 2
    for piece, sent in zip(replayed, requests, strict=True):
        assert pictures(piece[0]["messages"]) == pictures(sent["messages"])
        assert piece[0]["display"] == list(IMAGE) and piece[0]["system"] == sent["system"]
    zoomed = replayed[1][0]["messages"][-1]["content"][0]["content"][0]
    assert zoomed["source"] == {"type": "url", "url": f"{result.run_dir}/step-001-zoom-0.png"}


@pytest.mark.parametrize("cut", [0, 300, 900])
def test_a_stream_that_breaks_off_is_asked_again_and_never_acted_on(tmp_path, claude, cut):
    claude.add({"content": [text("Moving."), tool_use("mouse_move", coordinate=[100, 100])], "cut_after": cut},
               [text("Moving."), tool_use("mouse_move", coordinate=[200, 200])], [text("Done.")])
    result, agent = run(tmp_path, claude)
    assert result.status == "finished", result.error
    assert [(a.x, a.y) for a in agent.executor.actions] == [(1920 + 269, 269)]  # only the whole reply's move
    assert len(claude.message_requests()) == 3
    steps = [x for x in read_trajectory(result.run_dir) if x["kind"] == "step"]
    assert json.loads(steps[0]["response"])["content"][1]["input"]["coordinate"] == [200, 200]
