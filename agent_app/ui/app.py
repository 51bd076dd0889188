"""`agent-app` with no arguments: the desktop app."""

from __future__ import annotations

import sys

from agent_app import __version__


def create_app(argv: list[str] | None = None):  # returns the QApplication
    from PySide6.QtWidgets import QApplication

    from agent_app.ui.resources import icon
    from agent_app.ui.style import apply_style

    app = QApplication.instance() or QApplication(argv or [sys.argv[0]])
    app.setApplicationName("agent-app")
    app.setApplicationDisplayName("agent-app")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("agent-app")
    app.setWindowIcon(icon())
    apply_style(app)
    return app


def open_window(hotkeys=None):  # returns the MainWindow
    """The main window on the saved settings. Saved settings or tasks that cannot be used never stop the app:
    they fall back to defaults (or are skipped), and the window says which."""
    from agent_app.core.settings.config import Settings
    from agent_app.core.settings.presets import load_presets_checked
    from agent_app.ui.main_window import MainWindow

    settings, problems = Settings.load_checked()
    problems += load_presets_checked()[1]
    window = MainWindow(settings, hotkeys=hotkeys)
    if problems:
        window.banner.show_message("info", "Some saved settings could not be used",
                                   "\n".join(problems) + "\nDefaults are used instead: check them in Settings.",
                                   settings=True)
    return window


def _end_on_signals(window) -> None:
    """SIGTERM (logout, `kill`), SIGINT (Ctrl+C in a terminal) and SIGHUP (its terminal closed) stop a run the way
    Stop does, then quit. Python runs a signal handler only between bytecodes, so a timer lets it in while Qt's
    event loop waits."""
    import signal

    from PySide6.QtCore import QTimer

    from agent_app.core.control import stop_signals

    def on_signal(signum: int, _frame) -> None:
        name = signal.Signals(signum).name
        QTimer.singleShot(0, lambda: window.shut_down(f"stopped by {name}"))

    for sig in stop_signals():
        signal.signal(sig, on_signal)
    window._signal_timer = QTimer(window)
    window._signal_timer.timeout.connect(lambda: None)
    window._signal_timer.start(200)


def main(argv: list[str] | None = None) -> int:
    import os

    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        print("agent-app: error: no display to open the app on; run it in a desktop session "
              "(or use `agent-app run TASK` headless)", file=sys.stderr)
        return 2
    app = create_app(argv)
    from agent_app.ui.hotkeys import HotkeyBridge
    from agent_app.ui.single_instance import SingleInstance

    instance = SingleInstance()
    if instance.ask_running("show"):
        print("agent-app is already running; brought its window forward", file=sys.stderr)
        return 0
    instance.listen()
    hotkeys = HotkeyBridge()
    app.aboutToQuit.connect(hotkeys.close)
    window = open_window(hotkeys)
    instance.activated.connect(lambda _message: window.bring_forward())
    window.closed.connect(app.quit)
    _end_on_signals(window)
    app.setQuitOnLastWindowClosed(False)  # the window hides during runs; quitting is explicit
    window.show()
    from agent_app.core.desktop.permissions import check, startup_message

    if message := startup_message(check()):  # macOS: Accessibility, Screen Recording; Windows: elevated target
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.warning(window, "agent-app needs a permission", message)
    if not window.settings.configured:
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, lambda: window.open_settings(first_run=True))
    return app.exec()
