"""`agent-app doctor` for real: the program in a subprocess on Xvfb (1920x1080, 1366x768) and on two monitors (Xorg
dummy driver), its calibration window clicked and typed into through the real executor, the model check against
the scripted server (which finds the button in the screenshot, and answers in a right or a wrong convention).
In-process with pytest-qt: a deliberately wrong input scale is detected, and Help → Check this computer… in the app.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from grounding import clicks_ok_in

pytestmark = pytest.mark.x11

ALL = ["display", "permissions", "keychain", "clicks", "typing", "clipboard", "hotkeys", "model"]


def doctor(cli, *args: str, env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess, dict]:
    proc = cli.run("doctor", "--json", *args, env=env, timeout=60)
    return proc, json.loads(proc.stdout)  # one JSON object and nothing else


def checks(report: dict) -> dict[str, dict]:
    return {c["name"]: c for c in report["checks"]}


def clipboard(desktop, text: str | None = None) -> str | None:
    """Read the desktop's clipboard, or put `text` on it (xclip keeps serving it after we return)."""
    if text is not None:
        subprocess.run(["xclip", "-selection", "clipboard", "-in"], input=text.encode(), env=desktop.full_env(),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10, check=True)
        return text
    out = subprocess.run(["xclip", "-selection", "clipboard", "-out"], capture_output=True, env=desktop.full_env(),
                         timeout=10)
    return out.stdout.decode() if out.returncode == 0 else None


@pytest.fixture
def pristine(dbus_session):
    """A display of its own, never used before: its clipboard has never held anything."""
    from desktop import Desktop

    started: list = []

    def start(width: int, height: int):
        started.append(Desktop.start(width, height, dbus_session))
        return started[-1]

    yield start
    for d in started:
        d.stop()


@pytest.mark.parametrize("size, held", [((1920, 1080), None), ((1366, 768), "the person's own text ✓")],
                         ids=["1920x1080-empty-clipboard", "1366x768-clipboard-with-text"])
def test_doctor_proves_clicks_land_typing_arrives_and_the_model_matches(desktops, pristine, app_env, tmp_path,
                                                                        server, size, held):
    from conftest import CLI

    desktop = desktops(*size) if held else pristine(*size)
    cli = CLI(desktop, app_env, tmp_path / "runs")
    clipboard(desktop, held)
    before = clipboard(desktop)
    assert before == held
    pointer = (size[0] // 3, size[1] // 4)
    desktop.xdotool("mousemove", "--sync", str(pointer[0]), str(pointer[1]))
    server.add(clicks_ok_in("image"))
    proc, report = doctor(cli, "--base-url", server.base_url)
    found = checks(report)
    assert list(found) == ALL
    assert proc.returncode == 0 and report["ok"], proc.stdout
    assert "Traceback" not in proc.stderr
    clicks = found["clicks"]["figures"]
    assert clicks["clicks_landed"] == clicks["targets"] == 9 and clicks["max_error_px"] == 0
    assert clicks["capture_per_input"] == [1.0, 1.0] == clicks["capture_per_input_assumed"]
    w, h = size
    assert [p["aimed"] for p in clicks["points"][:4]] == [[3, 3], [w - 4, 3], [3, h - 4], [w - 4, h - 4]]
    assert found["typing"]["figures"]["received_chars"] == found["typing"]["figures"]["sent_chars"]
    assert clipboard(desktop) == held or (held is None and clipboard(desktop) in (None, ""))  # put back
    assert found["hotkeys"]["figures"]["hotkey_heard"] and found["hotkeys"]["figures"]["pointer_heard"]
    assert "Secret Service" in found["keychain"]["summary"]
    assert found["model"]["figures"]["error_px"] <= 2 and not found["model"].get("skipped")
    sent = server.chat_requests()
    assert len(sent) == 1
    assert report["monitor_rect"] == {"left": 0, "top": 0, "width": w, "height": h}
    assert desktop.pointer() == pointer  # the pointer is back where the person left it
    # Human output: one line per check, then the verdict.
    proc = cli.run("doctor", "--no-model", timeout=60)
    lines = proc.stdout.splitlines()
    assert proc.returncode == 0 and len(lines) == len(ALL) + 1
    assert lines[3].startswith("✔ clicks") and lines[-2].startswith("– model") and "Everything holds" in lines[-1]


def test_a_copied_image_is_put_back_byte_for_byte(desktop, cli, tmp_path):
    """The person copied an image (an owner offering image/png and no text): typing pastes through the clipboard,
    and afterwards the same image is there again, not an empty or garbled text."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(buf, format="PNG")
    image = buf.getvalue()
    subprocess.run(["xclip", "-selection", "clipboard", "-t", "image/png", "-in"], input=image,
                   env=desktop.full_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10, check=True)

    def held(target: str) -> bytes:
        return subprocess.run(["xclip", "-selection", "clipboard", "-out", "-t", target], capture_output=True,
                              env=desktop.full_env(), timeout=10).stdout

    assert held("TARGETS").split() == [b"TARGETS", b"image/png"]
    proc, report = doctor(cli, "--no-model")
    found = checks(report)
    assert found["typing"]["ok"], found["typing"]
    assert found["clipboard"]["ok"] and "image (image/png) is back" in found["clipboard"]["summary"]
    assert held("TARGETS").split() == [b"TARGETS", b"image/png"] and held("image/png") == image
    assert proc.returncode == 0, proc.stdout


def test_doctor_on_the_second_monitor_measures_zero_error_there(two_monitors, app_env, tmp_path):
    from conftest import CLI

    code = "import json, mss; print(json.dumps([[m['left'], m['width'], m['height']] for m in mss.MSS().monitors[1:]]))"
    listed = subprocess.run([sys.executable, "-c", code], env=two_monitors.full_env(), capture_output=True, text=True,
                            check=True).stdout
    right = json.loads(listed).index([1920, 1366, 768]) + 1  # mss's number for the right-hand monitor
    cli = CLI(two_monitors, app_env, tmp_path / "runs")
    proc, report = doctor(cli, "--monitor", str(right))
    found = checks(report)
    assert proc.returncode == 0 and report["ok"], proc.stdout
    assert report["monitor_rect"] == {"left": 1920, "top": 0, "width": 1366, "height": 768}
    clicks = found["clicks"]["figures"]
    assert clicks["max_error_px"] == 0 and clicks["clicks_landed"] == 9
    assert all(1920 <= p["aimed"][0] < 1920 + 1366 and 0 <= p["aimed"][1] < 768 for p in clicks["points"])
    assert [p["aimed"] for p in clicks["points"][:4]] == [[1923, 3], [1920 + 1362, 3], [1923, 764], [3282, 764]]
    proc, report = doctor(cli, "--monitor", "3")
    assert proc.returncode == 1 and "monitor 3 does not exist" in checks(report)["clicks"]["summary"]
    assert "--monitor" in checks(report)["clicks"]["advice"]


def test_monitor_0_is_no_monitor_not_the_default_one(cli):
    """Monitors count from 1 (as for run): `--monitor 0` must not quietly check monitor 1 and say all is well."""
    proc, report = doctor(cli, "--monitor", "0", "--no-model")
    assert proc.returncode == 1 and report["monitor"] == 0
    clicks = checks(report)["clicks"]
    assert "monitor 0 does not exist" in clicks["summary"] and "--monitor" in clicks["advice"]


def test_a_model_answering_in_the_wrong_convention_is_named(desktop, cli, server):
    """UI-TARS-1.5 answers in pixels; this 'model' answers in thousandths, as UI-TARS-1.0 and Doubao do."""
    server.add(clicks_ok_in("thousandths"), clicks_ok_in("thousandths"))
    proc, report = doctor(cli, "--base-url", server.base_url, "--model-family", "uitars-1.5")
    model = checks(report)["model"]
    assert proc.returncode == 1 and not report["ok"]
    assert [c["name"] for c in report["checks"] if not c["ok"]] == ["model"]  # the desktop itself is fine
    assert "the model answered in 0–1000 but uitars-1.5 says pixels of the screenshot" in model["summary"]
    assert model["figures"]["error_px"] > 300 and model["figures"]["conventions_that_hit"] == ["thousandths"]
    assert "Settings → Model family" in model["advice"] and "--model-family uitars-1.0" in model["advice"]
    proc = cli.run("doctor", "--base-url", server.base_url, "--model-family", "uitars-1.5", timeout=60)
    assert proc.returncode == 1
    line = next(line for line in proc.stdout.splitlines() if line.startswith("✖ model"))
    assert "0–1000" in line and "—" in line  # one line: what is wrong — what to do


def test_without_a_display_doctor_says_so_and_exits_1(cli_nodisplay):
    proc, report = doctor(cli_nodisplay)
    found = checks(report)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert not found["display"]["ok"] and "DISPLAY" in found["display"]["summary"]
    assert all(not found[n]["ok"] and "not checked" in found[n]["summary"] for n in ("clicks", "typing", "hotkeys"))
    assert found["model"].get("skipped")


# ---------------------------------------------------------------- in-process (pytest-qt)
class ScaledInput:
    """pyautogui as a process that is not DPI-aware sees it: every point it is given lands at `factor` times."""

    def __init__(self, pg, factor: float) -> None:
        self._pg, self.factor = pg, factor
        self.FAILSAFE = pg.FAILSAFE

    def __getattr__(self, name: str):
        return getattr(self._pg, name)

    def _at(self, x, y):
        return (None, None) if x is None else (round(x * self.factor), round(y * self.factor))

    def click(self, x=None, y=None, *args, **kw):
        return self._pg.click(*self._at(x, y), *args, **kw)

    def moveTo(self, x=None, y=None, *args, **kw):  # noqa: N802 - pyautogui's name
        return self._pg.moveTo(*self._at(x, y), *args, **kw)

    def position(self):
        x, y = self._pg.position()
        return round(x / self.factor), round(y / self.factor)


def test_a_deliberately_wrong_input_scale_is_detected_and_named(qapp, qtbot, desktop, app_dirs):
    from agent_app.core.desktop.executor import PyAutoGUIExecutor
    from agent_app.core.doctor.runner import DoctorOptions
    from agent_app.ui.calibration import DoctorRun

    def scaled_executor(monitor):
        executor = PyAutoGUIExecutor(monitor)
        executor.pg = ScaledInput(executor.pg, 0.8)
        return executor

    run = DoctorRun(DoctorOptions(monitor=1, env=desktop.env), make_executor=scaled_executor)
    with qtbot.waitSignal(run.finished, timeout=30000) as signal:
        run.start()
    report = signal.args[0]
    clicks = report.get("clicks")
    assert not clicks.ok
    assert "clicks land at 0.80× the distance they were aimed at" in clicks.summary and "HiDPI" in clicks.summary
    assert clicks.figures["capture_per_input"] == [pytest.approx(0.8, abs=0.005)] * 2
    assert clicks.figures["capture_per_input_assumed"] == [1, 1]
    assert "display scale" in clicks.advice
    # The other checks aim with what was measured, so they still land in the window and hold.
    assert all(report.get(n).ok for n in ("typing", "clipboard", "hotkeys"))
    assert report.exit_code == 1


def test_help_check_this_computer_shows_the_results_in_a_dialog(qtbot, app_dirs, server, desktop, tmp_path):
    from agent_app.core.settings.config import Settings
    from agent_app.ui.doctor_dialog import DoctorDialog
    from agent_app.ui.main_window import MainWindow

    Settings(base_url=server.base_url, model=server.model, model_family="uitars-1.5", max_steps=5).save()
    window = MainWindow(Settings.load())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    action = next(a for a in help_menu.actions() if a.text() == "Check this computer…")
    server.add(clicks_ok_in("thousandths"))  # a family mismatch, so the dialog has a problem to explain
    action.trigger()
    assert not action.isEnabled() and not window.run_button.isEnabled()  # no run while the check drives the desktop
    qtbot.waitUntil(lambda: isinstance(window.doctor_dialog, DoctorDialog) and window.doctor_dialog.isVisible(),
                    timeout=30000)
    dialog = window.doctor_dialog
    assert action.isEnabled() and window.run_button.isEnabled()
    assert [row.name for row in dialog.rows] == ALL
    assert "One problem: the model clicks what it means" in dialog.headline.text()
    model_row = dialog.rows[-1]
    assert "0–1000" in model_row.summary.text() and "Settings → Model family" in model_row.advice.text()
    assert model_row.advice.isVisibleTo(dialog) and not dialog.rows[3].advice.isVisibleTo(dialog)
    dialog.grab().save(str(tmp_path / "doctor-dialog.png"))
    dialog.copy_button.click()
    from PySide6.QtWidgets import QApplication

    copied = json.loads(QApplication.clipboard().text())
    assert [c["name"] for c in copied["checks"]] == ALL
    dialog.close()
    window.strip.close()


def test_the_dialogs_findings_are_legible(qapp, qtbot):
    """What was measured (max error, scale) is the point of the dialog: its text stands out from the background
    as WCAG asks of body text (≥ 4.5:1), not light grey on grey."""
    from test_report_legibility import contrast

    from agent_app.core.doctor.report import DoctorReport, failed, passed
    from agent_app.ui.doctor_dialog import DoctorDialog

    report = DoctorReport([passed("clicks", "9 of 9 clicks on target, max error 0 px; capture/input scale 1×1"),
                           failed("model", "the model answered in 0–1000", "Choose a model family.")], seconds=1.9)
    dialog = DoctorDialog(report)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    for label in (dialog.rows[0].summary, dialog.rows[1].summary, dialog.rows[1].advice):
        image = label.grab().toImage()
        colours = {image.pixelColor(x, y).name() for x in range(image.width()) for y in range(image.height())}
        background = dialog.grab().toImage().pixelColor(2, dialog.height() // 2).name()
        ink = max(colours, key=lambda c: contrast(c, background))  # the text's own colour: its darkest pixels
        assert contrast(ink, background) >= 4.5, (label.text(), ink, background)
    dialog.close()


def test_the_check_waits_for_a_running_task(qtbot, app_dirs, server, desktop):
    from agent_app.core.settings.config import Settings
    from agent_app.ui.main_window import MainWindow

    Settings(base_url=server.base_url, model=server.model, max_steps=5).save()
    window = MainWindow(Settings.load())
    qtbot.addWidget(window)
    window.collapse_during_runs = False
    window.show()
    server.add({"delay": 3, "text": "Thought: done\nAction: finished(content='ok')"})
    window.start_run("wait a moment")
    qtbot.waitUntil(lambda: window.running, timeout=5000)
    window.check_computer()
    assert window.doctor is None and window.banner.isVisible() and "run is in progress" in window.banner.title.text()
    window.run_thread.stop_and_wait()
    window.strip.close()


def test_esc_cancels_the_check_and_says_so(qapp, qtbot, desktop, app_dirs):
    from PySide6.QtCore import Qt

    from agent_app.core.doctor.runner import CANCELLED, DoctorOptions
    from agent_app.ui.calibration import DoctorRun

    run = DoctorRun(DoctorOptions(monitor=1, env=desktop.env))
    with qtbot.waitSignal(run.finished, timeout=30000) as signal:
        run.start()
        qtbot.waitUntil(lambda: run.surface.window is not None and run.surface.window.isVisible(), timeout=10000)
        qtbot.keyClick(run.surface.window, Qt.Key.Key_Escape)
    report = signal.args[0]
    assert not report.ok and run.surface.cancelled
    cancelled = [c for c in report.checks if c.summary == CANCELLED]
    assert cancelled and all(c.advice for c in cancelled)
    assert run.surface.window is None  # the window is gone


def test_without_a_clipboard_tool_typing_says_to_install_one_and_the_rest_still_runs(qapp, qtbot, desktop, app_dirs):
    from agent_app.core.desktop.clipboard import Clipboard
    from agent_app.core.desktop.executor import PyAutoGUIExecutor
    from agent_app.core.doctor.runner import DoctorOptions
    from agent_app.ui.calibration import DoctorRun

    class NoClipboardTool(Clipboard):  # a Linux desktop without xclip or xsel
        def __init__(self) -> None:
            super().__init__()
            self._copy = self._paste = None

    run = DoctorRun(DoctorOptions(monitor=1, env=desktop.env),
                    make_executor=lambda monitor: PyAutoGUIExecutor(monitor, clipboard=NoClipboardTool()))
    with qtbot.waitSignal(run.finished, timeout=30000) as signal:
        run.start()
    report = signal.args[0]
    typing, clip = report.get("typing"), report.get("clipboard")
    assert not typing.ok and "xclip" in typing.advice and "clipboard tool" in typing.figures["error"]
    assert typing.figures["received"].startswith("Hello, World 42")  # the keyed part arrived, then it stopped
    assert not clip.ok and "xclip" in clip.advice
    assert report.get("clicks").ok and report.get("hotkeys").ok
