"""The desktop app with pytest-qt on a real X display: settings (with the real keychain), full runs driven
through the window against the scripted server, pause / resume / stop, hand-overs and replays."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox

from agent_app.core.settings.config import Settings
from agent_app.ui.main_window import MainWindow
from agent_app.ui.settings_dialog import SettingsDialog

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
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    if w.running:
        w.run_thread.stop_and_wait()
    w.strip.close()


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
        strip_shown.append(window.strip.isVisible())  # (the strip itself comes back asynchronously)
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
    qtbot.addWidget(w)
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
    qtbot.addWidget(w)
    w.show()
    server.add(FINISH)

    def fill():
        d = QApplication.activeModalWidget()
        if not isinstance(d, SettingsDialog):
            QTimer.singleShot(50, fill)
            return
        assert "Welcome" in d.windowTitle()
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
    window.task.setPlainText("type while watched")
    window.start_run()
    qtbot.waitUntil(lambda: window.steps.rowCount() >= 1, timeout=20000)
    qtbot.mouseClick(window.strip.show_window, Qt.MouseButton.LeftButton)  # the person wants to watch
    qtbot.waitUntil(lambda: window.isVisible(), timeout=5000)
    wait_ended(qtbot, window)
    assert window.last_result.status == "finished"
    assert zen.communicate(timeout=10)[0] == "abc\n"  # every key reached the target, none went to our window
