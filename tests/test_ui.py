"""The desktop app with pytest-qt on a real X display: settings (with the real keychain), full runs driven
through the window against the scripted server, pause / resume / stop, hand-overs and replays, and the window
speaking to a person (issue 10, item 9): settings instead of flags, unusable replies, final states, the run's
own budget, reports without a browser, provider presets, ask-before-acting that shows where the action lands."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QFormLayout, QMessageBox

from agent_app.core.events import Event
from agent_app.core.runs.reading import read_lines
from agent_app.core.settings.config import Settings
from agent_app.core.settings.presets import Preset, find_preset, save_presets
from agent_app.ui.main_window import MainWindow
from agent_app.ui.open_file import PathDialog
from agent_app.ui.screenshot_view import MARK
from agent_app.ui.settings_dialog import SettingsDialog
from agent_app.ui.wording import SETTINGS

pytestmark = pytest.mark.x11

FINISH = "Thought: All done.\nAction: finished(content='The greeting is typed.')"


def click_at(x: int, y: int) -> str:
    """A UI-TARS-1.5 click on 1920x1080 (the model sees 1932x1092)."""
    return f"Thought: Click there.\nAction: click(start_box='({round(x * 1932 / 1920)},{round(y * 1092 / 1080)})')"


@pytest.fixture
def configured(app_dirs, server):
    Settings(base_url=server.base_url, model=server.model, model_family="uitars-1.5", max_steps=10,
             wait_seconds=0.2).save()
    return Settings.load()


@pytest.fixture
def window(qtbot, configured):
    w = MainWindow(configured)
    qtbot.addWidget(w, before_close_func=stop_run)
    w.show()
    qtbot.waitExposed(w)
    yield w
    if w.running:
        w.run_thread.stop_and_wait()
    w.strip.close()


def stop_run(w: MainWindow) -> None:
    """Before pytest-qt closes the window: a failed test must not leave a run that makes closing ask."""
    if w.running:
        w.run_thread.stop_and_wait()


def wait_ended(qtbot, window: MainWindow, timeout: int = 30000) -> None:
    qtbot.waitUntil(lambda: window.last_result is not None and not window.running, timeout=timeout)


# ---------------------------------------------------------------- settings
def _dialog(qtbot, settings: Settings, first_run: bool = False) -> SettingsDialog:
    d = SettingsDialog(settings, None, first_run)
    qtbot.addWidget(d)
    return d


def test_settings_persist_and_the_key_lives_in_the_keychain(qtbot, app_dirs):
    import keyring

    d = _dialog(qtbot, Settings())
    assert "SecretService" in type(keyring.get_keyring()).__module__  # a real OS keychain
    d.provider.setCurrentIndex(d.provider.findData("openrouter"))
    assert d.base_url.text() == "https://openrouter.ai/api/v1" and d.family.currentData() == "uitars-1.5"
    d.model.setText("bytedance/ui-tars-1.5-7b")
    d.key.setText("sk-or-test-123456")
    d.max_steps.setValue(42)
    d.pixels.setCurrentIndex(2)
    assert d.key.echoMode() == d.key.EchoMode.Password
    d.accept()
    saved = Settings.load()
    assert (saved.provider, saved.base_url, saved.model, saved.max_steps) == (
        "openrouter", "https://openrouter.ai/api/v1", "bytedance/ui-tars-1.5-7b", 42)
    assert saved.max_pixels == 1280 * 28 * 28
    assert keyring.get_password("agent-app", "default") == "sk-or-test-123456"
    assert "sk-or-test" not in Settings.path().read_text()
    # Reopening shows the saved key (masked); clearing it removes it from the keychain.
    d2 = _dialog(qtbot, saved)
    assert d2.key.text() == "sk-or-test-123456"
    d2.key.clear()
    d2.accept()
    assert keyring.get_password("agent-app", "default") is None


def test_cancel_leaves_settings_untouched(qtbot, app_dirs):
    Settings(base_url="http://example.invalid/v1", max_steps=7).save()
    before = Settings.path().read_text()
    d = _dialog(qtbot, Settings.load())
    d.base_url.setText("http://changed/v1")
    d.max_steps.setValue(99)
    d.reject()
    assert Settings.path().read_text() == before


@pytest.mark.parametrize("case", ["ok", "unreachable", "bad_key", "no_model", "no_images"])
def test_test_connection_says_plainly_what_is_wrong(qtbot, app_dirs, server, case):
    d = _dialog(qtbot, Settings(base_url=server.base_url, model=server.model))
    expected = {
        "ok": "Connected: scripted-ui-tars", "unreachable": "cannot reach", "bad_key": "needs an API key",
        "no_model": "is not served here", "no_images": "does not accept images",
    }[case]
    if case == "unreachable":
        d.base_url.setText("http://127.0.0.1:9/v1")
    elif case == "bad_key":
        server.api_key = "secret"
    elif case == "no_model":
        d.model.setText("ui-tars-72b")
    elif case == "no_images":
        server.add({"status": 400, "message": "This model does not support image input."})
    qtbot.mouseClick(d.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: d.test_button.isEnabled(), timeout=20000)
    assert expected in d.test_result.text()
    assert d.test_result.text().startswith("✔" if case == "ok" else "✖")


def test_first_start_opens_the_settings_dialog(desktop, app_env):
    """`agent-app` with nothing configured: the real program opens its welcome settings dialog."""
    proc = subprocess.Popen([sys.executable, "-m", "agent_app"], env=desktop.full_env(app_env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        desktop.wait_window("Welcome to agent-app")
        desktop.wait_window("agent-app")
    finally:
        proc.terminate()
        proc.wait(10)


# ---------------------------------------------------------------- runs
def test_a_full_run_through_the_window(qtbot, window, server, desktop):
    zen = desktop.spawn(["zenity", "--entry", "--title", "UI run target", "--text", "Name"],
                        stdout=subprocess.PIPE, text=True)
    desktop.procs.append(zen)
    x, y, w, h = desktop.wait_window("UI run target")
    shown_rows: list[int] = []
    collapsed: list[bool] = []
    strip_shown: list[bool] = []

    def observe(body):
        shown_rows.append(window.steps.rowCount())  # the viewer already lists every finished step
        collapsed.append(not window.isVisible())  # the window stays out of the way the whole run
        # The strip is out of the picture while the screenshot is taken and comes back on the GUI thread after
        # it: give it up to a second while the model "thinks".
        deadline = time.monotonic() + 1.0
        while not window.strip.isVisible() and time.monotonic() < deadline:
            time.sleep(0.02)
        strip_shown.append(window.strip.isVisible())
        return None

    def step(reply):
        return lambda body: observe(body) or reply

    server.add(step(click_at(x + w // 2, y + h // 2)),
               step("Thought: Type the name.\nAction: type(content='Zoë (test)\\n')"),
               step(FINISH))
    window.task.setPlainText("Enter the name Zoë")
    qtbot.mouseClick(window.run_button, Qt.MouseButton.LeftButton)
    wait_ended(qtbot, window)
    assert window.last_result.status == "finished"
    assert shown_rows == [0, 1, 2]
    assert all(collapsed) and any(strip_shown)  # collapsed to the strip while the agent worked
    assert window.isVisible() and not window.strip.isVisible()
    assert window.steps.rowCount() == 3
    assert window.banner.isVisible() and "The greeting is typed." in window.banner.text.text()
    assert "Finished" in window.state_label.text() and "Step 3 of 10" in window.step_label.text()
    assert zen.communicate(timeout=10)[0] == "Zoë (test)\n"
    # The viewer follows the newest step and shows it with its screenshot and action.
    assert window.list.currentIndex().row() == 2
    window.list.setCurrentIndex(window.steps.index(0, 0))
    assert window.detail.title.text() == "Step 1"
    assert window.detail.view.pixmap is not None and not window.detail.view.pixmap.isNull()
    assert "click" in window.detail.actions.text()
    # The control strip never appears in what the model saw.
    strip_geometry = window.strip.geometry()
    run_dir = Path(window.last_result.run_dir)
    from PIL import Image

    shot = Image.open(run_dir / "step-002.png").convert("RGB")
    sx, sy = 1932 / 1920, 1092 / 1080
    region = shot.crop((int(strip_geometry.x() * sx), int(strip_geometry.y() * sy),
                        int(strip_geometry.right() * sx), int(strip_geometry.bottom() * sy)))
    strip_colour = (0x1F, 0x22, 0x33)
    assert region.getcolors(1 << 20) is None or all(c != strip_colour for _, c in region.getcolors(1 << 20))


def test_pause_resume_and_stop_from_the_window(qtbot, window, server):
    gate_times: list[float] = []

    def slow(reply):
        def item(body):
            gate_times.append(time.monotonic())
            return {"text": reply, "delay": 0.4}
        return item

    server.add(*(slow(click_at(300 + 40 * i, 300)) for i in range(8)))
    window.task.setPlainText("click around slowly")
    window.start_run()
    qtbot.waitUntil(lambda: window.steps.rowCount() >= 1, timeout=20000)
    qtbot.mouseClick(window.strip.primary, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.state == "paused" and window.control.paused_by == "user", timeout=10000)
    qtbot.wait(300)
    asked = len(server.chat_requests())
    qtbot.wait(1200)
    assert len(server.chat_requests()) == asked  # paused: the model is not asked again
    assert window.strip.primary.text() == "Resume"
    qtbot.mouseClick(window.strip.primary, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(server.chat_requests()) > asked, timeout=10000)
    started = time.monotonic()
    qtbot.mouseClick(window.strip.stop, Qt.MouseButton.LeftButton)
    wait_ended(qtbot, window, timeout=5000)
    assert time.monotonic() - started < 2.0
    assert window.last_result.status == "stopped"
    lines = [json.loads(x) for x in (Path(window.last_result.run_dir) / "trajectory.jsonl").read_text().splitlines()]
    assert lines[-1]["status"] == "stopped"
    assert window.banner.isVisible() and window.isVisible()


def test_call_user_brings_the_window_forward_and_resumes_with_the_reply(qtbot, window, server):
    server.add("Thought: I need to know which account to use.\nAction: call_user()", FINISH)
    window.task.setPlainText("log in")
    window.start_run()
    qtbot.waitUntil(lambda: window.state == "call_user", timeout=20000)
    assert window.isVisible()
    assert window.banner.kind == "call_user"
    assert "which account to use" in window.banner.text.text()
    qtbot.keyClicks(window.banner.reply, "use the work account")
    qtbot.mouseClick(window.banner.resume_button, Qt.MouseButton.LeftButton)
    wait_ended(qtbot, window)
    assert window.last_result.status == "finished" and window.last_result.steps == 2
    last = server.chat_requests()[-1]["body"]["messages"]
    assert any("use the work account" in json.dumps(m) for m in last if m["role"] == "user")
    assert window.steps.rowCount() == 3  # step, the person's note, step


def test_a_run_that_cannot_start_says_what_to_do(qtbot, app_dirs):
    Settings(base_url="not a url", max_steps=3).save()
    w = MainWindow(Settings.load())
    qtbot.addWidget(w, before_close_func=stop_run)
    w.show()
    w.task.setPlainText("anything")
    w.start_run()
    qtbot.waitUntil(lambda: w.banner.isVisible() and w.banner.kind == "error", timeout=10000)
    assert "http://" in w.banner.text.text()
    assert w.banner.settings_button.isVisible()
    assert w.isVisible() and w.run_button.isEnabled()
    w.strip.close()


def test_replaying_a_past_run_from_history(qtbot, window, server, cli, desktop):
    server.add(click_at(500, 500), FINISH)
    proc, _ = cli.run_task(server, "a past run", "--runs-dir", str(Path(window.runs_dir())))
    assert proc.returncode == 0, proc.stderr
    dialog = window.open_history()
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1)
    assert dialog.model.data(dialog.model.index(0, 2)) == "finished"
    assert dialog.model.data(dialog.model.index(0, 3)) == "2"
    qtbot.mouseClick(dialog.buttons["open"], Qt.MouseButton.LeftButton)
    assert window.state == "replay"
    assert window.steps.rowCount() == 2
    assert window.detail.title.text() == "Step 1"
    assert window.detail.view.pixmap is not None
    assert "The greeting is typed." in window.banner.text.text()
    assert window.task.toPlainText() == "a past run"


def test_history_delete_and_run_again(qtbot, window, server, cli):
    server.add(FINISH, FINISH)
    for task in ("first task", "second task"):
        proc, _ = cli.run_task(server, task, "--runs-dir", str(window.runs_dir()))
        assert proc.returncode == 0
    dialog = window.open_history()
    qtbot.addWidget(dialog)
    assert dialog.model.rowCount() == 2
    assert dialog.model.data(dialog.model.index(0, 0)) == "second task"  # newest first

    def confirm():
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            next(b for b in box.buttons() if b.text() == "Delete").click()
        else:
            QTimer.singleShot(50, confirm)

    QTimer.singleShot(50, confirm)
    qtbot.mouseClick(dialog.buttons["delete"], Qt.MouseButton.LeftButton)
    assert dialog.model.rowCount() == 1
    assert not any("second" in p.name for p in window.runs_dir().iterdir())
    server.add(FINISH)
    dialog.table.selectRow(0)
    qtbot.mouseClick(dialog.buttons["rerun"], Qt.MouseButton.LeftButton)
    wait_ended(qtbot, window)
    assert window.task.toPlainText() == "first task" and window.last_result.status == "finished"


def test_tray_and_notifications_degrade_gracefully(qtbot, window):
    tray = window.tray
    tray.set_state("running", running=True, paused=False)
    assert tray.action_stop.isEnabled() and tray.action_pause.text() == "Pause"
    tray.set_state("paused", running=True, paused=True)
    assert tray.action_pause.text() == "Resume"
    tray.set_state("idle", running=False, paused=False)
    assert not tray.action_stop.isEnabled()
    # Xvfb with openbox has no system tray: notifications fall back instead of failing.
    assert tray.notify("title", "message") in ("tray", "notify-send", "none")


def test_run_without_settings_asks_for_an_endpoint_first(qtbot, app_dirs, server):
    w = MainWindow(Settings.load())
    qtbot.addWidget(w, before_close_func=stop_run)
    w.show()
    server.add(FINISH)

    def fill():
        d = QApplication.activeModalWidget()
        if not isinstance(d, SettingsDialog):
            QTimer.singleShot(50, fill)
            return
        assert "Welcome" in d.windowTitle()
        assert d.buttons.button(QDialogButtonBox.StandardButton.Save).text() == "Save and run"
        assert d.base_url.text() == "http://localhost:8000/v1"  # the Local vLLM preset, filled in
        d.base_url.setText(server.base_url)
        assert d.family.currentData() == "auto"  # a new profile; "scripted-ui-tars" names no family: choose one
        d.family.setCurrentIndex(d.family.findData("uitars-1.5"))
        d.buttons.button(QDialogButtonBox.StandardButton.Save).click()

    QTimer.singleShot(50, fill)
    w.task.setPlainText("say done")
    w.start_run()
    wait_ended(qtbot, w)
    assert w.last_result.status == "finished"
    assert Settings.load().base_url == server.base_url
    w.strip.close()


def test_watching_with_the_window_shown_does_not_steal_the_targets_focus(qtbot, window, server, desktop):
    zen = desktop.spawn(["zenity", "--entry", "--title", "Focus target", "--text", "Name"],
                        stdout=subprocess.PIPE, text=True)
    desktop.procs.append(zen)
    x, y, w, h = desktop.wait_window("Focus target")

    server.add(click_at(x + w // 2, y + h // 2), {"text": "Thought: Type.\nAction: type(content='abc')", "delay": 0.8},
               "Thought: Submit.\nAction: hotkey(key='enter')", FINISH)
    # Each step's screenshot after a still screen: the keyboard is what is tested here. (Watching, the typed text
    # appearing in the entry is a late reaction that drops the next request, and a reply sent at once is spent.)
    window.settings = replace(window.settings, freshness="settle")
    window.task.setPlainText("type while watched")
    window.start_run()
    qtbot.waitUntil(lambda: window.steps.rowCount() >= 1, timeout=20000)
    qtbot.mouseClick(window.strip.show_window, Qt.MouseButton.LeftButton)  # the person wants to watch
    qtbot.waitUntil(lambda: window.isVisible(), timeout=5000)
    wait_ended(qtbot, window)
    assert window.last_result.status == "finished"
    assert zen.communicate(timeout=10)[0] == "abc\n"  # every key reached the target, none went to our window


# ---------------------------------------------------------------- the window speaks to a person (issue 10, item 9)
LONG_THOUGHT = ("The Save button sits at the bottom right of the dialog. " * 12).strip()


def confirm_click(x: int, y: int) -> str:
    return (f"Thought: {LONG_THOUGHT}\nAction: click(start_box='({round(x * 1932 / 1920)},"
            f"{round(y * 1092 / 1080)})')")


def test_ask_before_acting_shows_where_the_action_lands(qtbot, window, server, desktop):
    """Step-through: the window comes forward with the proposed click marked on this step's screenshot and the
    model's thought in full; Skip, then Allow the rest of this run."""
    window.settings.confirm = "always"
    desktop.xdotool("mousemove", "--sync", "100", "100")
    server.add(confirm_click(700, 500), confirm_click(720, 520), confirm_click(740, 540), FINISH)
    window.task.setPlainText("careful run")
    window.start_run()
    qtbot.waitUntil(lambda: window.state == "confirm", timeout=20000)
    assert window.isVisible() and not window.strip.isVisible()
    assert window.banner.kind == "confirm" and "click (700, 500)" in window.banner.title.text()
    assert all(b.isVisible() for b in (window.banner.allow_button, window.banner.skip_button,
                                        window.banner.rest_button))
    assert window.banner.rest_button.text() == "Allow the rest of this run"
    detail = window.detail
    assert "proposed" in detail.title.text() and detail.thought.text() == LONG_THOUGHT
    assert detail.view.pixmap is not None and not detail.view.pixmap.isNull()
    assert detail.view.line["actions"] == [{"type": "click", "x": 700, "y": 500}]
    qtbot.wait(100)
    mark = detail.view.to_widget(700, 500)
    picture = detail.view.grab().toImage()
    centre = QColor(picture.pixel(round(mark.x()), round(mark.y())))
    assert max(abs(centre.red() - MARK.red()), abs(centre.green() - MARK.green()),
               abs(centre.blue() - MARK.blue())) < 40  # the mark is drawn where the click will land
    qtbot.keyClicks(window.banner.reply, "not that one")
    qtbot.mouseClick(window.banner.skip_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.state == "confirm" and window.steps_done == 1, timeout=20000)
    assert desktop.pointer() == (100, 100)  # the skipped click never happened
    assert window.steps.data(window.steps.index(0, 0)).startswith("1. Skipped: click (700, 500)")
    qtbot.mouseClick(window.banner.rest_button, Qt.MouseButton.LeftButton)
    wait_ended(qtbot, window)
    assert window.last_result.status == "finished" and desktop.pointer() == (740, 540)  # step 3 was not asked
    lines = read_lines(Path(window.last_result.run_dir))
    steps = [x for x in lines if x["kind"] == "step"]
    assert [x.get("skipped") for x in steps] == [True, False, False, False]
    declined = [x for x in lines if x["kind"] == "note" and x.get("declined")]
    assert len(declined) == 1 and declined[0]["note"] == "not that one"
    window.list.setCurrentIndex(window.steps.index(0, 0))
    assert "Skipped" in window.detail.note.text()


def test_unusable_replies_appear_in_the_viewer_with_their_raw_text(qtbot, window, server):
    server.add("I would like to click the button, please.", FINISH)
    window.task.setPlainText("anything")
    window.start_run()
    wait_ended(qtbot, window)
    assert window.last_result.status == "finished"
    rows = [window.steps.data(window.steps.index(i, 0)) for i in range(window.steps.rowCount())]
    assert rows[0].startswith("Unusable reply (attempt 1)")
    window.list.setCurrentIndex(window.steps.index(0, 0))
    assert window.detail.title.text() == "Unusable reply (attempt 1)"
    assert window.detail.raw.isVisible()
    assert window.detail.raw.toPlainText() == "I would like to click the button, please."
    window.open_run(Path(window.last_result.run_dir))  # the replay lists it too
    assert window.steps.data(window.steps.index(0, 0)).startswith("Unusable reply")


def test_failures_name_settings_not_flags(qtbot, window, server):
    server.add(*["Not an action."] * 3)
    window.task.setPlainText("anything")
    window.start_run()
    wait_ended(qtbot, window)
    assert window.last_result.status == "error" and "--model-family" in window.last_result.error
    text = window.banner.text.text()
    assert "Settings → Model → Model family" in text and "--" not in text


@pytest.mark.parametrize("ending", ["finished", "max_steps", "stopped", "asked", "error"])
def test_the_status_line_ends_on_the_final_state(qtbot, window, server, ending):
    window.settings.max_steps = 2
    replies = {
        "finished": [FINISH], "max_steps": [click_at(300, 300), click_at(320, 300)],
        "stopped": [{"text": click_at(300, 300), "delay": 10}],
        "asked": ["Thought: Which account?\nAction: call_user()"], "error": ["Not an action."] * 3,
    }[ending]
    server.add(*replies)
    window.task.setPlainText("end somehow")
    window.start_run()
    if ending == "stopped":
        qtbot.waitUntil(lambda: len(server.chat_requests()) == 1, timeout=20000)
        window.stop_run()
    if ending == "asked":
        qtbot.waitUntil(lambda: window.state == "call_user", timeout=20000)
        qtbot.mouseClick(window.banner.end_button, Qt.MouseButton.LeftButton)
    wait_ended(qtbot, window)
    qtbot.wait(300)  # any late event from the run's thread has arrived
    expected = {"finished": "Finished", "max_steps": "Budget used up", "stopped": "Stopped",
                "asked": "Ended: asked for help", "error": "Error"}[ending]
    assert window.state_label.text() == expected
    assert window.run_button.isEnabled() and not window.stop_button.isEnabled()
    assert not window.strip.isVisible()
    window._on_event(Event("status", 2, {"status": "running"}))  # a straggler from the run's last moments
    assert window.state_label.text() == expected


def test_the_status_line_shows_the_runs_own_budget_and_model(qtbot, window, server):
    save_presets([Preset("Short", "a short saved task", max_steps=3, model="ui-tars-72b")])
    server.model = "ui-tars-72b"
    server.add({"text": click_at(300, 300), "delay": 1.5}, FINISH)
    window.start_run(preset=find_preset("Short"))
    qtbot.waitUntil(lambda: bool(window.run_settings), timeout=20000)
    assert window.step_label.text() == "Step 0 of 3"  # the settings say 10
    assert window.model_label.text().startswith("ui-tars-72b")
    wait_ended(qtbot, window)
    assert window.step_label.text() == "Step 2 of 3"
    window.open_run(Path(window.last_result.run_dir))  # a replay too shows the run's own
    assert window.step_label.text() == "Step 2 of 3" and window.model_label.text().startswith("ui-tars-72b")


def test_open_report_without_a_browser_shows_the_path_to_copy(qtbot, window, server):
    server.add(FINISH)
    window.task.setPlainText("make a report")
    window.start_run()
    wait_ended(qtbot, window)
    dialog = window.open_report()  # this machine has no browser: no program opens file URLs
    assert isinstance(dialog, PathDialog)
    qtbot.addWidget(dialog)
    report = Path(window.last_result.run_dir) / "report.html"
    assert dialog.path.text() == str(report) and report.is_file()
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == str(report)
    assert dialog.copy_button.text().startswith("Copied")
    dialog.reject()


def test_provider_presets_fill_in_but_never_replace_what_was_typed(qtbot, app_dirs):
    d = _dialog(qtbot, Settings(), first_run=True)
    assert d.provider.currentData() == "local-vllm" and d.base_url.text() == "http://localhost:8000/v1"
    assert d.result_settings().configured  # Save on the welcome dialog gives a usable endpoint
    d.provider.setCurrentIndex(d.provider.findData("openrouter"))  # a preset's URL is replaced
    assert d.base_url.text() == "https://openrouter.ai/api/v1" and d.model.text() == "bytedance/ui-tars-1.5-7b"
    d.base_url.setText("http://gpu-box:9000/v1")
    d.model.setText("my-finetune")
    d.provider.setCurrentIndex(d.provider.findData("volcengine"))  # typed values stay
    assert d.base_url.text() == "http://gpu-box:9000/v1" and d.model.text() == "my-finetune"
    assert d.use_preset_url.isVisibleTo(d) and "ark.cn-beijing" in d.use_preset_url.text()
    qtbot.mouseClick(d.use_preset_url, Qt.MouseButton.LeftButton)
    assert d.base_url.text() == "https://ark.cn-beijing.volces.com/api/v3" and not d.use_preset_url.isVisibleTo(d)
    d.base_url.clear()
    d.provider.setCurrentIndex(d.provider.findData("local-vllm"))
    assert d.base_url.text() == "http://localhost:8000/v1"
    d.provider.setCurrentIndex(d.provider.findData("custom"))  # custom fills nothing
    assert d.base_url.text() == "http://localhost:8000/v1"


def test_every_setting_the_messages_name_is_where_they_say(qtbot, app_dirs):
    d = _dialog(qtbot, Settings())
    tabs = {d.tabs.tabText(i): d.tabs.widget(i) for i in range(d.tabs.count())}
    places = [v.split(" → ")[1:] for v in SETTINGS.values() if v.startswith("Settings → ")]
    assert places
    for tab, label in places:
        assert tab in tabs, tab
        form = tabs[tab].findChild(QFormLayout)
        labels = [form.itemAt(row, QFormLayout.ItemRole.LabelRole).widget().text() for row in range(form.rowCount())
                  if form.itemAt(row, QFormLayout.ItemRole.LabelRole) is not None]
        assert label in labels, (tab, label, labels)


def test_the_detail_pane_starts_at_the_top_of_each_step(qtbot, window):
    long = {"kind": "step", "step": 1, "thought": "A long thought.\n" * 200, "actions": [], "response": "x"}
    window.resize(900, 600)
    window.detail.show_line(long, None)
    bar = window.detail.scroll.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=5000)
    bar.setValue(bar.maximum())
    window.detail.show_line({**long, "step": 2}, None)
    assert bar.value() == 0
