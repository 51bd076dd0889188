"""What the loop does for the computer-use API families, with a stand-in family whose replies are JSON lists of
contract actions: the provider's safety check always goes to the person (headless: the run ends as call_user),
the answers a call wants (pointer, a full-resolution zoom crop, an error for an unsupported call) are recorded and
handed to the family through the history, and a replay of the run folder gives the family the same."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from conftest import read_trajectory
from doubles import RecordingExecutor, StaticScreen

from agent_app.core import images
from agent_app.core.actions import Action
from agent_app.core.client import Answer, RetryingClient, Verdict
from agent_app.core.control import RunControl
from agent_app.core.families.api import ApiFamily, answers, result_image
from agent_app.core.families.base import Context, ParsedReply
from agent_app.core.history import History, Turn
from agent_app.core.loop import Agent
from agent_app.core.runs.export import replay
from agent_app.core.settings.config import RunConfig


class ScriptedClient(RetryingClient):
    """Answers each request with the next reply of a script, and keeps every request."""

    def __init__(self, replies: list[list[dict[str, Any]]]) -> None:
        super().__init__("", "scripted", None, retries=0)
        self.replies, self.requests = list(replies), []

    def _send(self, request, temperature, check, on_text) -> Answer:
        self.requests.append(request)
        return Answer(json.dumps(self.replies.pop(0)), {"prompt_tokens": 10, "completion_tokens": 2}, "stop", False)

    def _explain(self, exc: BaseException) -> Verdict:
        return Verdict(False, str(exc))


@dataclass(frozen=True)
class EchoFamily(ApiFamily):
    """Replies are JSON lists of contract actions in image pixels; a request is what the history says."""

    def model_image_size(self, width: int, height: int, max_pixels: int | None = None) -> tuple[int, int]:
        return 960, 540  # a provider that wants half size

    def parse(self, reply: str) -> ParsedReply:
        return ParsedReply("", [Action.from_json(a) for a in json.loads(reply)])

    def messages(self, context: Context, turns: list[Turn], current_image_url: str) -> list[dict[str, Any]]:
        out = []
        for i, t in enumerate(turns):
            if t.kind == "step":
                out.append({"reply": t.text, "answers": answers(t), "result_image": result_image(turns, i,
                                                                                                 current_image_url)})
            else:
                out.append({"note": t.text})
        return [*out, {"current": current_image_url}]


FAMILY = EchoFamily("echo", "Echo", "image", "echo-provider", "echo-1")
FINISH = [{"type": "finished", "content": "done"}]


def run(tmp_path, replies, *, interactive: bool, answer=None) -> tuple[Any, Agent, ScriptedClient]:
    config = RunConfig(task="check the gate", base_url="", model="echo-1", model_family="uitars-1.5",
                       runs_dir=str(tmp_path), call_user_pauses=interactive, wait_seconds=0.01)
    client = ScriptedClient(replies)
    agent = Agent(config, screen=StaticScreen(), executor=RecordingExecutor(), client=client, control=RunControl())
    agent.family = FAMILY  # the stand-in family, wired as the registry would
    agent.model_size = FAMILY.model_image_size(1920, 1080)
    agent.space = type(agent.space)(agent.space.monitor, *FAMILY.span(*agent.model_size))
    agent.context = Context(config.task, config.language, agent.model_size)
    agent.history = History.for_family(FAMILY, 5)
    if answer is not None:
        agent.observers.append(lambda e: threading.Timer(0.02, answer, [agent.control]).start()
                               if e.kind == "status" and e.data.get("by") == "confirm" else None)
    return agent.run(), agent, client


def test_a_safety_check_with_nobody_to_ask_ends_the_run_as_call_user_and_nothing_runs(tmp_path):
    reply = [{"type": "click", "x": 100, "y": 50, "confirm": "the page asks for a password"}]
    result, agent, _ = run(tmp_path, [reply], interactive=False)
    assert result.status == "call_user" and "the page asks for a password" in result.error
    assert agent.executor.actions == []
    step = next(x for x in read_trajectory(result.run_dir) if x["kind"] == "step")
    assert step["skipped"] is True and step["actions"][0]["confirm"] == "the page asks for a password"


def test_allowed_checks_are_acknowledged_and_declined_ones_run_nothing(tmp_path):
    reply = [{"type": "click", "x": 100, "y": 50, "confirm": "sensitive domain"}]
    asked: list[int] = []

    def person(control) -> None:  # Allow the first, Skip the second
        asked.append(1)
        control.resume() if len(asked) == 1 else control.resume(note="not that site", decline=True)

    result, agent, client = run(tmp_path, [reply, reply, FINISH], interactive=True, answer=person)
    assert result.status == "finished" and len(asked) == 2
    assert [(a.x, a.y) for a in agent.executor.actions] == [(200, 100)]  # only the allowed one; half-size image
    first, second, note, _ = client.requests[2]
    assert first["answers"] == {"pointer": [200, 100], "confirmed": True}  # acknowledged only once allowed
    assert second["answers"] == {"declined": True}  # ran nothing; the family answers the pending call so
    assert note["note"] == "The user did not allow that action. not that site"


def test_zoom_crops_unsupported_calls_and_the_pointer_are_answered_and_replayed(tmp_path):
    reply = [{"type": "zoom", "x": 0, "y": 0, "x2": 99, "y2": 49},
             {"type": "unsupported", "name": "open_web_browser"},
             {"type": "move", "x": 300, "y": 200}]
    result, agent, client = run(tmp_path, [reply, FINISH], interactive=False)
    assert result.status == "finished"
    answered = client.requests[1][0]["answers"]
    assert answered["pointer"] == [600, 400]
    assert "open_web_browser() has no meaning on this desktop" in answered["unsupported"]["1"]
    crop = images.decode_data_url(answered["zoom"]["0"])
    x2, y2 = agent.space.to_screen(99, 49)  # the region's far corner, on the screen
    assert crop.size == (x2 + 1, y2 + 1) == (199, 99)  # full resolution: the screen's pixels, not the half-size image's
    lines = read_trajectory(result.run_dir)
    step = next(x for x in lines if x["kind"] == "step")
    assert step["answers"]["zoom"] == {"0": "step-001-zoom-0.png"}
    assert (agent.recorder.run_dir / "step-001-zoom-0.png").is_file()
    # A replay hands the family the same answers, the crop as the file it was saved to
    (messages, _, _), _ = list(replay(lines, FAMILY, "."))
    replayed = replay(lines, FAMILY, str(agent.recorder.run_dir))
    second = list(replayed)[1][0]
    assert second[0]["answers"]["zoom"] == {"0": f"{agent.recorder.run_dir}/step-001-zoom-0.png"}
    assert second[0]["answers"]["unsupported"] == answered["unsupported"]
    assert messages[-1]["current"].endswith("step-001.png")
