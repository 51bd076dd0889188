"""The doctor's calibration window (full screen on the chosen monitor) and the thread that runs the checks.

The checks live in the core (`core.doctor`) and run on a worker thread; `QtSurface` is the window as they see it,
each call carried over to the GUI thread and waited for. The window reports every mouse press it receives, in
its own pixels, and holds the text field the typing check types into. Esc cancels.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QPointF, QRect, Qt, QThread, Signal, Slot
from PySide6.QtGui import QColor, QFont, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QApplication, QPlainTextEdit, QWidget

from agent_app.core.doctor.calibration import MARKER
from agent_app.core.doctor.report import DoctorReport, failed
from agent_app.core.doctor.runner import DoctorOptions, run_doctor
from agent_app.core.errors import AgentAppError
from agent_app.core.settings.logs import log_path
from agent_app.ui.screens import screen_for_monitor

log = logging.getLogger(__name__)
BACKGROUND = QColor(30, 34, 42)
GUI_CALL_TIMEOUT_S = 10.0


class CalibrationWindow(QWidget):
    """Targets to be clicked, a text field to be typed into, and what is happening, in words."""

    cancel_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("calibrationWindow")
        self.setWindowTitle("agent-app — checking this computer")
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.presses: queue.Queue[tuple[float, float]] = queue.Queue()
        self.targets: list[tuple[int, int]] = []
        self.colours: list[QColor] = []
        self.landed: dict[int, tuple[float, float] | None] = {}
        self.status = "Getting ready…"
        self.field = QPlainTextEdit(self)
        self.field.setObjectName("calibrationText")
        self.field.setPlaceholderText("The check types here.")
        self.field.hide()

    def place_field(self) -> QRect:
        w, h = self.width(), self.height()
        rect = QRect(w * 2 // 10, h * 78 // 100, w * 6 // 10, max(60, h * 12 // 100))
        self.field.setGeometry(rect)
        return rect

    # ---- events ----
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        pos = event.position()
        self.presses.put((pos.x(), pos.y()))

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if event.key() == Qt.Key.Key_Escape:
            self.cancel_requested.emit()
            self.status = "Cancelling…"
            self.update()
            return
        super().keyPressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.fillRect(self.rect(), BACKGROUND)
        w, h = self.width(), self.height()
        heading = QFont(self.font())
        heading.setPointSizeF(max(12.0, h / 50))
        heading.setBold(True)
        p.setFont(heading)
        p.setPen(QColor(240, 240, 240))
        top = QRect(w // 10, h * 4 // 100, w * 8 // 10, h * 6 // 100)
        p.drawText(top, Qt.AlignmentFlag.AlignCenter, "agent-app is checking this computer")
        body = QFont(self.font())
        body.setPointSizeF(max(9.0, h / 80))
        p.setFont(body)
        p.setPen(QColor(190, 196, 206))
        lines = (f"{self.status}\nPlease keep your hands off the mouse and keyboard for a few seconds. "
                 "Esc cancels.")
        p.drawText(QRect(w // 10, h * 10 // 100, w * 8 // 10, h * 6 // 100),
                   Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap, lines)
        half = MARKER // 2
        for i, ((x, y), colour) in enumerate(zip(self.targets, self.colours, strict=True)):
            p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            done = i in self.landed
            ring = QColor(80, 200, 120) if done and self.landed[i] is not None else QColor(200, 204, 212)
            if done and self.landed[i] is None:
                ring = QColor(230, 80, 80)
            p.setPen(QPen(ring, 2))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawEllipse(QPointF(x + 0.5, y + 0.5), 16, 16)
            p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            p.fillRect(QRect(x - half, y - half, MARKER, MARKER), colour)  # the square the doctor looks for
            if self.landed.get(i) is not None:
                lx, ly = self.landed[i]
                p.setPen(QPen(QColor(255, 255, 255), 1))
                p.drawLine(QPointF(lx - 6, ly), QPointF(lx + 6, ly))
                p.drawLine(QPointF(lx, ly - 6), QPointF(lx, ly + 6))
        p.end()


class _GuiCalls(QObject):
    """Runs callables on the GUI thread for a worker thread, and hands back their result (or exception)."""

    job = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.job.connect(self._run, Qt.ConnectionType.QueuedConnection)

    @Slot(object)
    def _run(self, job: Callable[[], None]) -> None:
        job()

    def call(self, fn: Callable[[], Any], timeout: float = GUI_CALL_TIMEOUT_S) -> Any:
        if QThread.currentThread() is self.thread():
            return fn()
        done, box = threading.Event(), {}

        def job() -> None:
            try:
                box["value"] = fn()
            except BaseException as e:  # noqa: BLE001 - handed to the caller's thread
                box["error"] = e
            finally:
                done.set()

        self.job.emit(job)
        if not done.wait(timeout):
            raise AgentAppError("the calibration window stopped responding")
        if "error" in box:
            raise box["error"]
        return box.get("value")


class QtSurface:
    """The core's `Surface`: the calibration window, driven from the doctor's worker thread."""

    def __init__(self) -> None:
        self.gui = _GuiCalls()
        self.window: CalibrationWindow | None = None
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def open(self, monitor_index: int) -> tuple[int, int]:
        def show() -> None:
            screen = screen_for_monitor(monitor_index)
            w = self.window = CalibrationWindow()
            w.cancel_requested.connect(self.cancel)
            w.setScreen(screen)
            w.setGeometry(screen.geometry())
            w.showFullScreen()
            w.raise_()
            w.activateWindow()

        self.gui.call(show)
        wanted = self.gui.call(lambda: self._win.screen().geometry().size())
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:  # until the window manager has made it full-screen and it is exposed
            shown = self.gui.call(lambda: (self._win.windowHandle() is not None and self._win.windowHandle()
                                           .isExposed(), self._win.size()))
            if shown[0] and shown[1] == wanted:
                break
            time.sleep(0.02)
        return self.gui.call(lambda: (self._win.width(), self._win.height()))

    @property
    def _win(self) -> CalibrationWindow:
        if self.window is None:
            raise AgentAppError("the calibration window is not open")
        return self.window

    def draw_targets(self, targets: list[tuple[int, int]], colours: list[tuple[int, int, int]]) -> None:
        def draw() -> None:
            w = self._win
            w.targets, w.colours, w.landed = list(targets), [QColor(*c) for c in colours], {}
            w.repaint()
            QApplication.sync()

        self.gui.call(draw)

    def next_click(self, timeout: float) -> tuple[float, float] | None:
        try:
            if timeout <= 0:
                while True:  # drain: forget presses that came before
                    self._win.presses.get_nowait()
            return self._win.presses.get(timeout=timeout)
        except queue.Empty:
            return None

    def mark(self, index: int, landed: tuple[float, float] | None) -> None:
        def update() -> None:
            self._win.landed[index] = landed
            self._win.update()

        self.gui.call(update)

    def show_text_field(self) -> tuple[int, int, int, int]:
        def show() -> tuple[int, int, int, int]:
            w = self._win
            rect = w.place_field()
            w.field.clear()
            w.field.show()
            w.activateWindow()
            w.field.setFocus()
            return rect.x(), rect.y(), rect.width(), rect.height()

        return self.gui.call(show)

    def text(self) -> str:
        return self.gui.call(lambda: self._win.field.toPlainText())

    def say(self, text: str) -> None:
        def update() -> None:
            self._win.status = text
            self._win.update()

        self.gui.call(update)

    def close(self) -> None:
        def close() -> None:
            if self.window is not None:
                self.window.close()
                self.window.deleteLater()
                self.window = None

        try:
            self.gui.call(close)
        except AgentAppError:
            pass  # the GUI is gone already


class DoctorRun(QObject):
    """Runs `agent-app doctor` on a worker thread with the calibration window; `finished` carries the report."""

    finished = Signal(object)

    def __init__(self, options: DoctorOptions, make_executor: Callable[..., Any] | None = None) -> None:
        super().__init__()
        self.options, self.make_executor = options, make_executor
        self.surface = QtSurface()
        self.report: DoctorReport | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._work, name="agent-app-doctor", daemon=True)
        self._thread.start()

    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def _work(self) -> None:
        try:
            self.report = run_doctor(self.options, self.surface, self.make_executor)
        except Exception as e:  # a bug must still end in a report, not a hung window
            log.exception("the check failed")
            self.surface.close()
            self.report = DoctorReport([failed("doctor", f"internal error: {type(e).__name__}: {e}",
                                               f"Report it with the log file ({log_path()}).")],
                                       monitor_index=self.options.monitor)
        self.finished.emit(self.report)


def check_this_computer(options: DoctorOptions) -> DoctorReport:
    """`agent-app doctor` with the window: a Qt application just for the check. Ctrl+C cancels it."""
    import signal

    from PySide6.QtCore import QTimer

    from agent_app.ui.app import create_app

    app = create_app()
    app.setQuitOnLastWindowClosed(False)  # the window closes before the model check may have answered
    run = DoctorRun(options)
    previous = signal.signal(signal.SIGINT, lambda *_: run.surface.cancel())
    done = QTimer()  # also lets Python see Ctrl+C while Qt's loop runs
    done.timeout.connect(lambda: None if run.running() else app.quit())
    done.start(50)
    try:
        run.start()
        app.exec()
        run.wait()
    finally:
        done.stop()
        signal.signal(signal.SIGINT, previous)
    assert run.report is not None
    return run.report

