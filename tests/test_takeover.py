"""Issues 5 and 10 on a real X display: global hotkeys sent with `xdotool key`, the person's mouse and keyboard
(made with xdotool) taking over a run while the agent's own clicks do not, the person's use of agent-app's own
windows (the strip) that is not a takeover, hand-backs with a note, saved tasks, step-through confirmation and
the single-instance rule."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from agent_app.core.settings.config import Settings
from agent_app.core.settings.presets import Preset, save_presets
from agent_app.ui.hotkeys import HotkeyBridge
from agent_app.ui.main_window import MainWindow

pytestmark = pytest.mark.x11

FINISH = "Thought: Done.\nAction: finished(content='ok')"


def click_at(x: int, y: int) -> str:
    return f"Thought: Click.\nAction: click(start_box='({round(x * 1932 / 1920)},{round(y * 1092 / 1080)})')"


def slow(reply: str, delay: float = 0.4):
    return lambda body: {"text": reply, "delay": delay}


@pytest.fixture(scope="module")
def bridge(qapp):
    b = HotkeyBridge()
    assert b.available, b.error
    yield b
    b.close()


@pytest.fixture
def window(qtbot, app_dirs, server, bridge):
    Settings(base_url=server.base_url, model=server.model, model_family="uitars-1.5", max_steps=12, wait_seconds=0.2,
             takeover_threshold_px=12).save()
    w = MainWindow(Settings.load(), hotkeys=bridge)
    qtbot.addWidget(w, before_close_func=stop_run)
    w.show()
    qtbot.waitExposed(w)
    yield w
    if w.running:
        w.run_thread.stop_and_wait()
    bridge.triggered.disconnect(w._on_hotkey)
    bridge.taken_over.disconnect(w._on_taken_over)
    bridge.unwatch()
    w.strip.close()


def glide(desktop, x: int, y: int, steps: int = 12) -> None:
    """Move the pointer to (x, y) as a hand does: a trail of small moves, not one jump."""
    x0, y0 = desktop.pointer()
    for i in range(1, steps + 1):
        desktop.xdotool("mousemove", "--sync", str(round(x0 + (x - x0) * i / steps)),
                        str(round(y0 + (y - y0) * i / steps)))
        time.sleep(0.015)


def centre(widget) -> tuple[int, int]:
    p = widget.mapToGlobal(widget.rect().center())
    return p.x(), p.y()


def stop_run(w: MainWindow) -> None:
    """Before pytest-qt closes the window: a failed test must not leave a run that makes closing ask."""
    if w.running:
        w.run_thread.stop_and_wait()


def trajectory(window: MainWindow) -> list[dict]:
    text = (Path(window.last_result.run_dir) / "trajectory.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def test_hotkeys_pause_resume_and_stop_a_run(qtbot, window, server, desktop):
    server.add(*(slow(click_at(400 + 30 * i, 400)) for i in range(10)))
    window.task.setPlainText("click slowly")
    window.start_run()
    qtbot.waitUntil(lambda: window.steps.rowCount() >= 1, timeout=20000)
    desktop.xdotool("key", "ctrl+alt+p")
    qtbot.waitUntil(lambda: window.state == "paused", timeout=5000)
    qtbot.wait(600)
    asked = len(server.chat_requests())
    qtbot.wait(800)
    assert len(server.chat_requests()) == asked
    desktop.xdotool("key", "ctrl+alt+p")
    qtbot.waitUntil(lambda: len(server.chat_requests()) > asked, timeout=5000)
    sent = time.monotonic()
    desktop.xdotool("key", "ctrl+alt+x")
    qtbot.waitUntil(lambda: window.control.stop_requested, timeout=2000)
    latency_ms = (time.monotonic() - sent) * 1000
    qtbot.waitUntil(lambda: window.last_result is not None, timeout=5000)
    print(f"\nemergency stop: {latency_ms:.0f} ms from xdotool to the stop flag (incl. xdotool start-up)")
    assert window.last_result.status == "stopped"
    assert "emergency stop" in window.last_result.error


def test_the_agents_own_clicks_and_keys_are_not_a_takeover(qtbot, window, server):
    server.add(*(click_at(300 + 90 * i, 300 + 40 * i) for i in range(4)),
               "Thought: Type.\nAction: type(content='hello')",
               "Thought: Keys.\nAction: hotkey(key='ctrl a')",
               FINISH)
    window.task.setPlainText("click around")
    window.start_run()
    qtbot.waitUntil(lambda: window.last_result is not None, timeout=30000)
    assert window.last_result.status == "finished"
    assert not any(x["kind"] == "takeover" for x in trajectory(window))


def test_the_persons_mouse_takes_over_and_hands_back_with_a_note(qtbot, window, server, desktop):
    def person_moves(body):
        desktop.xdotool("mousemove", "--sync", "900", "700")  # the person grabs the mouse mid-thought
        return {"text": click_at(1500, 300), "delay": 0.5}

    server.add(click_at(300, 300), person_moves, click_at(600, 600), FINISH)
    window.task.setPlainText("work while I watch")
    window.start_run()
    qtbot.waitUntil(lambda: window.state == "takeover", timeout=20000)
    qtbot.waitUntil(window.strip.isVisible, timeout=5000)  # back once the takeover's screenshot is taken
    assert window.strip.secondary.text() == "Resume with note…"
    qtbot.wait(1000)
    asked = len(server.chat_requests())
    assert asked == 2  # the stale reply was dropped, nothing new was asked
    assert desktop.pointer() == (900, 700)  # the agent did not click while the person had control
    qtbot.mouseClick(window.strip.secondary, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(window.strip.note, "I opened the file for you")
    qtbot.keyClick(window.strip.note, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.last_result is not None, timeout=20000)
    assert window.last_result.status == "finished"
    lines = trajectory(window)
    kinds = [x["kind"] for x in lines]
    assert kinds.index("takeover") < kinds.index("note")
    note = next(x for x in lines if x["kind"] == "note")
    assert note["intervened"] and note["note"] == "I opened the file for you"
    clicks = [a for x in lines if x["kind"] == "step" for a in x["actions"] if a["type"] == "click"]
    assert (1500, 300) not in [(a["x"], a["y"]) for a in clicks]  # the dropped reply never acted
    resumed = server.chat_requests()[2]["body"]["messages"]
    assert "took over control" in json.dumps(resumed) and "I opened the file for you" in json.dumps(resumed)
    report = (Path(window.last_result.run_dir) / "report.html").read_text()
    assert "took the controls" in report and "handed back" in report


def test_a_key_press_by_the_person_takes_over(qtbot, window, server, desktop):
    def person_types(body):
        desktop.xdotool("key", "a")
        return {"text": click_at(500, 500), "delay": 0.5}

    server.add(click_at(300, 300), person_types, FINISH)
    window.task.setPlainText("typing test")
    window.start_run()
    qtbot.waitUntil(lambda: window.state == "takeover", timeout=20000)
    qtbot.mouseClick(window.strip.primary, Qt.MouseButton.LeftButton)  # Resume, no note
    qtbot.waitUntil(lambda: window.last_result is not None, timeout=20000)
    assert window.last_result.status == "finished"
    note = next(x for x in trajectory(window) if x["kind"] == "note")
    assert note["intervened"] and note["note"] == ""


def test_a_hotkey_starts_a_saved_task(qtbot, window, server, desktop):
    save_presets([Preset("Greeter", "say hello from the preset", max_steps=3, hotkey="<ctrl>+<alt>+1")])
    assert window.apply_hotkeys() == []
    server.add(FINISH)
    desktop.xdotool("key", "ctrl+alt+1")
    qtbot.waitUntil(lambda: window.last_result is not None, timeout=20000)
    assert window.last_result.status == "finished"
    assert trajectory(window)[0]["task"] == "say hello from the preset"
    assert trajectory(window)[0]["settings"]["max_steps"] == 3


def test_conflicting_hotkeys_are_reported_plainly(qtbot, window):
    window.settings.hotkeys = {"pause": "<ctrl>+<alt>+p", "stop": "<ctrl>+<alt>+p", "show": "<ctrl>+<alt>+a"}
    problems = window.apply_hotkeys()
    assert problems and "bound twice" in problems[0]
    assert window.banner.isVisible() and "bound twice" in window.banner.text.text()


def test_step_through_asks_before_every_action(qtbot, window, server, desktop):
    window.settings.confirm = "always"
    server.add(click_at(700, 500), click_at(720, 520), FINISH)
    window.task.setPlainText("careful run")
    window.start_run()
    qtbot.waitUntil(lambda: window.state == "confirm", timeout=20000)
    assert window.isVisible() and not window.strip.isVisible()  # the window itself asks
    assert "click (700, 500)" in window.banner.title.text()
    qtbot.mouseClick(window.banner.allow_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.state == "confirm" and window.steps_done == 1, timeout=20000)
    assert desktop.pointer() == (700, 500)
    qtbot.mouseClick(window.banner.skip_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.last_result is not None, timeout=20000)
    assert window.last_result.status == "finished"
    assert desktop.pointer() == (700, 500)  # the skipped click never happened
    lines = trajectory(window)
    assert [(x["skipped"], x["error"]) for x in lines if x["kind"] == "step"][1] == (True, None)
    assert any(x["kind"] == "note" and x.get("declined") for x in lines)


def test_a_second_start_brings_the_first_forward(desktop, app_env, server):
    env = desktop.full_env(app_env)
    env["AGENT_APP_CONFIG_DIR"] = app_env["AGENT_APP_CONFIG_DIR"]
    cfg = Path(app_env["AGENT_APP_CONFIG_DIR"])
    cfg.mkdir(parents=True, exist_ok=True)
    (cfg / "settings.json").write_text(json.dumps({"base_url": server.base_url}))
    first = subprocess.Popen([sys.executable, "-m", "agent_app"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        desktop.wait_window("agent-app")
        second = subprocess.run([sys.executable, "-m", "agent_app"], env=env, capture_output=True,
                                text=True, timeout=30)
        assert second.returncode == 0
        assert "already running" in second.stderr
        assert first.poll() is None
        windows = desktop.xdotool("search", "--onlyvisible", "--name", "^agent-app$").split()
        assert len(windows) == 1
    finally:
        first.terminate()
        first.wait(10)


def test_what_the_person_does_becomes_a_correction_pair(qtbot, window, server, desktop, cli):
    """xdotool plays the person: during a takeover it clicks, types and presses a hotkey. The run records
    that in the model's own action space, and `runs export --format dpo` pairs it with the model's step."""
    wrong_step = click_at(1500, 900)

    def person_takes_over(body):
        desktop.xdotool("mousemove", "--sync", "800", "600")
        return {"text": click_at(1200, 300), "delay": 0.3}

    server.add(wrong_step, person_takes_over, FINISH)
    window.task.setPlainText("learn from me")
    window.start_run()
    qtbot.waitUntil(lambda: window.state == "takeover", timeout=20000)
    desktop.xdotool("mousemove", "--sync", "812", "345")
    desktop.xdotool("click", "1")
    desktop.xdotool("type", "--delay", "20", "hi there")
    desktop.xdotool("key", "Return")
    desktop.xdotool("key", "ctrl+s")
    qtbot.wait(400)
    qtbot.mouseClick(window.strip.primary, Qt.MouseButton.LeftButton)  # hand back
    qtbot.waitUntil(lambda: window.last_result is not None, timeout=20000)
    lines = trajectory(window)
    person = next(x for x in lines if x["kind"] == "person_actions")
    assert person["actions"] == [
        {"type": "click", "x": 812, "y": 345},
        {"type": "type", "text": "hi there\n"},
        {"type": "hotkey", "keys": ["ctrl", "s"]},
    ]
    mx, my = round(812 * 1932 / 1920), round(345 * 1092 / 1080)
    assert f"click(start_box='({mx},{my})')" in person["response"]
    assert (Path(window.last_result.run_dir) / person["screenshot"]).is_file()
    assert window.steps.rowCount() == 4 and "You did: click (812, 345)" in window.steps.data(window.steps.index(1, 0))

    out = Path(window.last_result.run_dir).parent.parent / "dpo"
    proc = cli.run("runs", "export", "--format", "dpo", "--out", str(out), "--runs-dir",
                   str(Path(window.last_result.run_dir).parent))
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(x) for x in (out / "train.jsonl").read_text().splitlines()]
    assert len(records) == 1
    pair = records[0]
    assert pair["messages"][-1]["role"] == "assistant"
    assert f"click(start_box='<|box_start|>({mx},{my})<|box_end|>')" in pair["messages"][-1]["content"]
    assert "<|box_start|>" in pair["rejected_response"]
    assert pair["rejected_response"].split("Action: ")[1] == (
        "click(start_box='<|box_start|>(" + wrong_step.split("'(")[1].split(")'")[0] + ")<|box_end|>')")
    assert sum(m["content"].count("<image>") for m in pair["messages"]) == len(pair["images"]) == 1
    assert all((out / image).is_file() for image in pair["images"])


def test_a_click_into_a_window_that_would_swallow_it_is_refused_with_a_reason(qapp, desktop):
    """On Windows an elevated window silently drops our input; the executor checks the target first.
    Here the check is injected (the real one needs Windows): the click must not happen and say why."""
    from agent_app.core.actions import Action
    from agent_app.core.desktop.executor import PyAutoGUIExecutor
    from agent_app.core.errors import ExecutionError
    from agent_app.core.geometry import Monitor

    desktop.xdotool("mousemove", "--sync", "100", "100")
    executor = PyAutoGUIExecutor(Monitor(0, 0, 1920, 1080), target_check=lambda p: (
        "“Admin tool” runs as administrator" if p == (500, 500) else None))
    with pytest.raises(ExecutionError, match="runs as administrator"):
        executor.execute(Action("click", x=500, y=500))
    assert desktop.pointer() == (100, 100)
    executor.execute(Action("click", x=600, y=600))
    assert desktop.pointer() == (600, 600)


def wait_for_the_model(qtbot, window: MainWindow, server, requests: int) -> None:
    """The agent is waiting for a (slow) reply: it looked, the strip is back on the screen."""
    qtbot.waitUntil(lambda: len(server.chat_requests()) >= requests, timeout=20000)
    qtbot.waitUntil(lambda: window.strip.isVisible(), timeout=5000)
    qtbot.wait(300)  # the strip is mapped and painted


def test_clicking_pause_on_the_strip_pauses_and_is_not_a_takeover(qtbot, window, server, desktop):
    """The person reaches for the strip's Pause with the mouse while the agent runs: one click pauses."""
    server.add(click_at(300, 700), {"text": click_at(350, 700), "delay": 3}, click_at(400, 700), FINISH)
    window.task.setPlainText("work while I reach for Pause")
    desktop.xdotool("mousemove", "--sync", "200", "900")
    window.start_run()
    wait_for_the_model(qtbot, window, server, 2)
    glide(desktop, *centre(window.strip.primary))
    assert window.strip.primary.text() == "Pause" and window.state == "running"  # nothing rearranged under it
    desktop.xdotool("click", "1")
    qtbot.waitUntil(lambda: window.control.paused_by == "user", timeout=5000)
    assert window.state == "paused"
    qtbot.waitUntil(lambda: window.steps_done == 2, timeout=10000)  # the step in flight finishes
    qtbot.wait(500)
    asked = len(server.chat_requests())
    assert asked == 2 and window.control.paused_by == "user"  # held before the next step
    wait_for_the_model(qtbot, window, server, 2)
    glide(desktop, *centre(window.strip.primary))
    assert window.strip.primary.text() == "Resume"
    desktop.xdotool("click", "1")
    qtbot.waitUntil(lambda: window.last_result is not None, timeout=20000)
    assert window.last_result.status == "finished"
    lines = trajectory(window)
    kinds = [x["kind"] for x in lines]
    assert "takeover" not in kinds and "person_actions" not in kinds
    assert not any(x.get("intervened") for x in lines if x["kind"] == "note")
    for request in server.chat_requests():
        assert "took over" not in json.dumps(request["body"]["messages"])


def test_a_correction_holds_the_desktop_click_and_not_the_note_typed_on_the_strip(qtbot, window, server, desktop):
    """Take over by clicking a zenity window, then hand back with "Resume with note…" typed on the strip:
    the correction is that one click; the note is exactly what was typed."""
    zen = desktop.spawn(["zenity", "--entry", "--title", "Correction target", "--text", "Name"],
                        stdout=subprocess.PIPE, text=True)
    desktop.procs.append(zen)
    zx, zy, zw, zh = desktop.wait_window("Correction target")
    target = (zx + zw // 2, zy + zh // 2)
    server.add(click_at(300, 700), {"text": click_at(350, 700), "delay": 3}, FINISH)
    window.task.setPlainText("work while I correct you")
    window.start_run()
    wait_for_the_model(qtbot, window, server, 2)
    glide(desktop, *target)
    desktop.xdotool("click", "1")  # on the desktop: the person takes over
    qtbot.waitUntil(lambda: window.state == "takeover", timeout=5000)
    run_dir = window.run_dir
    qtbot.waitUntil(lambda: (run_dir / "takeover-001.png").exists(), timeout=5000)
    qtbot.waitUntil(lambda: window.strip.isVisible() and window.strip.secondary.isVisible(), timeout=5000)
    qtbot.wait(300)
    glide(desktop, *centre(window.strip.secondary))  # "Resume with note…"
    desktop.xdotool("click", "1")
    qtbot.waitUntil(lambda: window.strip.note.isVisible() and window.strip.note.hasFocus(), timeout=5000)
    desktop.xdotool("type", "--delay", "30", "I picked the name field")
    desktop.xdotool("key", "Return")
    qtbot.waitUntil(lambda: window.last_result is not None, timeout=20000)
    assert window.last_result.status == "finished"
    lines = trajectory(window)
    person = [x for x in lines if x["kind"] == "person_actions"]
    assert len(person) == 1 and person[0]["actions"] == [{"type": "click", "x": target[0], "y": target[1]}]
    note = next(x for x in lines if x["kind"] == "note")
    assert note["intervened"] and note["note"] == "I picked the name field"
