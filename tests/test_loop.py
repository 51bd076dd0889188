"""The loop itself, with a real HTTP model server and stand-ins for screen and input: statuses, pauses,
hand-overs, re-sampling, adaptation, stuck detection and events."""

from __future__ import annotations

import threading
import time

import pytest
from conftest import read_trajectory
from doubles import RecordingExecutor, StaticScreen, png_size

from agent_app.core.control import RunControl
from agent_app.core.loop import Agent
from agent_app.core.settings.config import RunConfig
from agent_app.testing.scripted_server import count_images

CLICK = "Thought: click\nAction: click(start_box='({x},100)')"
FINISH = "Thought: done\nAction: finished(content='ok')"


def agent(server, tmp_path, observers=None, **cfg) -> tuple[Agent, RecordingExecutor]:
    config = RunConfig(task="test task", base_url=server.base_url, model=server.model, runs_dir=str(tmp_path),
                       wait_seconds=cfg.pop("wait_seconds", 0.05), **cfg)
    executor = RecordingExecutor()
    return Agent(config, screen=StaticScreen(), executor=executor, control=RunControl(),
                 observers=observers or []), executor


def test_finished_maps_coordinates_and_records(server, tmp_path):
    server.add(CLICK.format(x=966), FINISH)
    a, ex = agent(server, tmp_path)
    result = a.run()
    assert (result.status, result.steps, result.final_answer) == ("finished", 2, "ok")
    assert [(x.x, x.y) for x in ex.actions] == [(960, 99)]  # 966/1932*1920, 100/1092*1080
    lines = read_trajectory(result.run_dir)
    # 1920x1080 only rounds to 1932x1092: sent native (the server's processor resizes as in training), recorded
    # as PNG, sent as lossless WebP to a local endpoint
    assert png_size((tmp_path / result.run_dir / lines[1]["screenshot"]).read_bytes()) == (1920, 1080)
    url = server.chat_requests()[0]["body"]["messages"][-1]["content"][0]["image_url"]["url"]
    assert url.startswith("data:image/webp;base64,")
    assert ex.released == 1


def test_events_arrive_in_phase_order(server, tmp_path):
    server.add(CLICK.format(x=10), FINISH)
    kinds: list[str] = []
    a, _ = agent(server, tmp_path, observers=[lambda e: kinds.append(e.kind) if e.kind != "model_text" else None])
    a.run()
    first_step = kinds[kinds.index("captured"): kinds.index("recorded") + 1]
    assert first_step == ["captured", "model_replied", "parsed", "executed", "recorded"]
    assert kinds[0] == "started" and kinds[-1] == "ended"


def test_a_broken_observer_does_not_break_the_run(server, tmp_path):
    server.add(FINISH)

    def broken(event):
        raise RuntimeError("listener bug")

    a, _ = agent(server, tmp_path, observers=[broken])
    assert a.run().status == "finished"


def test_history_sends_at_most_n_images(server, tmp_path):
    server.add(*(CLICK.format(x=100 * i) for i in range(1, 8)), FINISH)
    a, _ = agent(server, tmp_path, history_images=3)
    a.run()
    counts = [count_images(r["body"]) for r in server.chat_requests()]
    assert counts == [1, 2, 3, 3, 3, 3, 3, 3]
    last = server.chat_requests()[-1]["body"]["messages"]
    assert sum(m["role"] == "assistant" for m in last) == 7  # every earlier reply kept as text


def test_image_limit_of_the_server_lowers_history(server, tmp_path):
    server.max_images = 2
    server.add(*(CLICK.format(x=100 * i) for i in range(1, 5)), FINISH)
    a, _ = agent(server, tmp_path)
    assert a.run().status == "finished"
    assert max(count_images(r["body"]) for r in server.chat_requests()) <= 3  # refused ones included
    assert a.history.images == 2


def test_pause_resume_and_note(server, tmp_path):
    gate = threading.Event()

    def slow_click(body):
        gate.wait(5)
        return CLICK.format(x=100)

    server.add(slow_click, FINISH)
    statuses: list[str] = []
    def on_event(event):
        if event.kind == "status":
            statuses.append(event.data["status"])

    a, _ = agent(server, tmp_path, observers=[on_event])
    t = threading.Thread(target=a.run)
    t.start()
    time.sleep(0.2)
    a.control.pause()
    gate.set()
    deadline = time.monotonic() + 5
    while "paused" not in statuses and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "paused" in statuses
    assert len(server.chat_requests()) == 1  # nothing new was asked while paused
    a.control.resume(note="use the second window")
    t.join(5)
    assert statuses[-1] == "finished"
    last = server.chat_requests()[-1]["body"]["messages"]
    assert last[-2]["content"][0]["text"] == "Note from the user: use the second window"


def test_stop_during_wait_is_prompt_and_recorded(server, tmp_path):
    server.add("Thought: loading\nAction: wait()")
    a, _ = agent(server, tmp_path, wait_seconds=30)
    result = {}
    t = threading.Thread(target=lambda: result.setdefault("r", a.run()))
    t.start()
    deadline = time.monotonic() + 5
    while a.steps < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    stopped_at = time.monotonic()
    a.control.stop()
    t.join(5)
    assert time.monotonic() - stopped_at < 0.5
    assert result["r"].status == "stopped" and result["r"].steps == 1
    assert [x["kind"] for x in read_trajectory(result["r"].run_dir)] == ["header", "step", "end"]


def test_stop_during_an_action_releases_input(server, tmp_path):
    server.add(CLICK.format(x=5))
    a, ex = agent(server, tmp_path)
    ex.block.clear()  # the action never completes on its own
    threading.Timer(0.5, a.control.stop).start()
    result = a.run()
    assert result.status == "stopped" and ex.released >= 1
    step = next(x for x in read_trajectory(result.run_dir) if x["kind"] == "step")
    assert (step["interrupted"], step["error"]) == ("stopped", None)  # on disk, marked: a stop is not an error


def test_call_user_hand_over_resumes_with_reply(server, tmp_path):
    server.add("Thought: which account?\nAction: call_user()", FINISH)
    events = []
    a, _ = agent(server, tmp_path, call_user_pauses=True, observers=[events.append])

    def answer(event):
        if event.kind == "status" and event.data.get("by") == "call_user":
            assert event.data["thought"] == "which account?"
            threading.Timer(0.05, lambda: a.control.resume(note="the work one")).start()

    a.observers.append(answer)
    result = a.run()
    assert result.status == "finished" and result.steps == 2
    notes = [x for x in read_trajectory(result.run_dir) if x["kind"] == "note"]
    assert notes[0]["note"] == "the work one" and notes[0]["after_step"] == 1


def test_call_user_declined_ends_as_call_user(server, tmp_path):
    server.add("Thought: help\nAction: call_user()")
    a, _ = agent(server, tmp_path, call_user_pauses=True)
    a.observers.append(
        lambda e: threading.Timer(0.05, lambda: a.control.resume(decline=True)).start()
        if e.kind == "status" and e.data.get("by") == "call_user" else None
    )
    assert a.run().status == "call_user"


def test_stuck_detection_tolerates_small_jitter(server, tmp_path):
    server.add(*(CLICK.format(x=500 + (i % 2) * 10) for i in range(10)))
    a, _ = agent(server, tmp_path, stuck_repeats=4)
    result = a.run()
    assert result.status == "error" and result.error.startswith("stuck:") and result.steps == 4


def test_waits_do_not_count_as_stuck(server, tmp_path):
    server.add(*["Thought: wait\nAction: wait()"] * 6, FINISH)
    a, _ = agent(server, tmp_path, stuck_repeats=3)
    assert a.run().status == "finished"


def test_economy_max_pixels_shrinks_what_is_sent(server, tmp_path):
    server.add("Thought: c\nAction: click(start_box='(658,364)')", FINISH)
    a, ex = agent(server, tmp_path, max_pixels=1280 * 28 * 28)
    assert a.model_size == (1316, 728)
    a.run()
    assert (ex.actions[0].x, ex.actions[0].y) == (960, 540)


@pytest.mark.parametrize("family, reply", [
    ("uitars-1.0", "Thought: c\nAction: click(start_box='<|box_start|>(500,500)<|box_end|>')"),
    ("doubao", "Thought: c\nAction: click(point='<point>500 500</point>')"),
])
def test_relative_families(server, tmp_path, family, reply):
    server.add(reply, FINISH)
    a, ex = agent(server, tmp_path, model_family=family)
    a.run()
    assert (ex.actions[0].x, ex.actions[0].y) == (960, 540)


def test_a_bug_ends_the_run_cleanly_with_every_step_on_disk(server, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AGENT_APP_DATA_DIR", str(tmp_path / "data"))
    server.add(CLICK.format(x=10), CLICK.format(x=900))
    a, ex = agent(server, tmp_path)
    calls = []

    def explode(action, check):
        calls.append(action)
        if len(calls) == 2:
            raise RuntimeError("a bug in an executor")

    ex.execute = explode
    result = a.run()
    assert result.status == "error" and result.error.startswith("internal error: RuntimeError: a bug")
    assert "agent-app.log" in result.error
    kinds = [x["kind"] for x in read_trajectory(result.run_dir)]
    assert kinds == ["header", "step", "step", "end"]
    assert "Traceback" not in capsys.readouterr().err


def test_declined_actions_do_not_count_as_stuck(server, tmp_path):
    server.add(*[CLICK.format(x=500)] * 4, FINISH)
    a, ex = agent(server, tmp_path, stuck_repeats=3, confirm="always")
    a.observers.append(lambda e: a.control.resume(decline=True)
                       if e.kind == "status" and e.data.get("by") == "confirm" else None)
    result = a.run()
    assert (result.status, result.steps, ex.actions) == ("finished", 5, [])
    steps = [x for x in read_trajectory(result.run_dir) if x["kind"] == "step"]
    assert [s["skipped"] for s in steps] == [True] * 4 + [False]


def test_a_takeover_mid_action_marks_the_step_interrupted_not_failed(server, tmp_path):
    server.add(CLICK.format(x=5), FINISH)
    a, ex = agent(server, tmp_path)
    ex.block.clear()  # the click is in progress when the person grabs the mouse

    def person(event):
        if event.kind == "status" and event.data.get("by") == "takeover":
            ex.block.set()
            threading.Timer(0.05, a.control.resume).start()

    a.observers.append(person)
    threading.Timer(0.3, lambda: a.control.pause("takeover")).start()
    result = a.run()
    assert (result.status, result.steps) == ("finished", 2)
    lines = read_trajectory(result.run_dir)
    step = next(x for x in lines if x["kind"] == "step")
    assert (step["interrupted"], step["error"]) == ("taken over", None)
    assert [x["kind"] for x in lines] == ["header", "step", "takeover", "note", "step", "end"]


class ReactingScreen(StaticScreen):
    """After the agent's first action the screen reacts `delay` s later (a menu opening): pixels change."""

    def __init__(self, executor: RecordingExecutor, delay: float) -> None:
        super().__init__()
        self.executor, self.delay = executor, delay
        self.checks = 0

    def reacted(self) -> bool:
        acted = getattr(self.executor, "acted_at", None)
        return acted is not None and time.monotonic() >= acted + self.delay

    def capture(self, model_size, encoding=None, still_s=0.0, interval_s=0.015, check=None):
        from PIL import Image

        from agent_app.core import images
        from agent_app.core.desktop.capture import screenshot

        self.captures += 1
        colour = (200, 30, 30) if self.reacted() else (240, 240, 240)
        image = Image.new("RGB", (self.monitor.width, self.monitor.height), colour)
        shot = screenshot(image, model_size, encoding or images.PNG, self.monitor, images.signature(image))
        shot.reacted = self.reacted()
        return shot

    def changed_since(self, shot, ignore=()) -> bool:
        self.checks += 1
        return self.reacted() != shot.reacted


def test_a_late_reaction_cancels_the_request_and_the_model_answers_the_new_screen(server, tmp_path):
    def slow(text):
        return {"text": text, "delay": 0.5}  # the model thinks for half a second

    server.add(slow(CLICK.format(x=100)), slow(FINISH), slow(FINISH))
    a, ex = agent(server, tmp_path)
    original = ex.execute

    def execute(action, check):
        original(action, check)
        ex.acted_at = time.monotonic()

    ex.execute = execute
    a.screen = ReactingScreen(ex, delay=0.3)
    result = a.run()
    assert (result.status, result.steps) == ("finished", 2)
    lines = read_trajectory(result.run_dir)
    assert [x["kind"] for x in lines] == ["header", "step", "cancelled", "step", "end"]
    cancelled = lines[2]
    assert cancelled["before_step"] == 2 and cancelled["after_ms"] > 0
    # Three requests: the click, the one dropped when the screen reacted, the one the model answered.
    bodies = [r["body"] for r in server.chat_requests()]
    assert len(bodies) == 3
    assert bodies[1]["messages"][:-1] == bodies[2]["messages"][:-1]  # the same history: the drop left no trace
    from agent_app.core import images

    def last_colour(body):
        return images.decode_data_url(body["messages"][-1]["content"][0]["image_url"]["url"]).getpixel((5, 5))

    assert last_colour(bodies[1]) == (240, 240, 240) and last_colour(bodies[2]) == (200, 30, 30)


def test_settle_mode_never_cancels(server, tmp_path):
    server.add({"text": CLICK.format(x=100), "delay": 0.3}, {"text": FINISH, "delay": 0.3})
    a, ex = agent(server, tmp_path, freshness="settle")
    a.screen = ReactingScreen(ex, delay=0.1)
    ex.acted_at = time.monotonic()
    result = a.run()
    assert result.status == "finished" and a.screen.checks == 0
    assert "cancelled" not in [x["kind"] for x in read_trajectory(result.run_dir)]


def test_an_endpoint_that_refuses_webp_gets_png_from_then_on_and_it_is_remembered(server, tmp_path, monkeypatch):
    from agent_app.core.settings import endpoints
    from agent_app.testing.scripted_server import image_formats

    monkeypatch.setenv("AGENT_APP_DATA_DIR", str(tmp_path / "data"))
    server.image_formats = ("png",)
    server.add(CLICK.format(x=100), CLICK.format(x=900), FINISH)
    a, _ = agent(server, tmp_path)
    assert a.encoding.format == "webp"
    result = a.run()
    assert (result.status, result.steps) == ("finished", 3)
    formats = [image_formats(r["body"]) for r in server.chat_requests()]
    assert formats == [["webp"], ["png"], ["png", "png"], ["png", "png", "png"]]  # refused once, then PNG only
    assert endpoints.refuses_webp(server.base_url)
    again, _ = agent(server, tmp_path)
    assert again.encoding.format == "png"  # the next run starts with PNG
