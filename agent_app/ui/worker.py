"""The run off the UI thread: a QThread runs the core loop; its events reach the window as one signal.

`ScreenGuard` is the loop's `WindowGuard`: called from the worker thread, it hides the app's windows that
lie on the monitor being captured (blocking until they are gone) and brings them back afterwards.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QEventLoop, QMetaObject, QObject, QRect, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import QApplication, QWidget

from agent_app.core.control import RunControl
from agent_app.core.desktop.input_listener import AgentActivity
from agent_app.core.desktop.person import PersonRecorder
from agent_app.core.errors import ConfigError, UnplacedModelError
from agent_app.core.events import RunResult
from agent_app.core.settings.config import RunConfig
from agent_app.ui.focus import FocusKeeper

FOCUS_RETURN_S = 0.3  # at most this long for the keyboard focus to leave our hidden windows
FOCUS_SETTLE_S = 0.05  # then this long for the window that has it to take keys


class ScreenGuard(QObject):
    """Hides our top-level windows that overlap the captured monitor, on the GUI thread, on request."""

    def __init__(self, monitor_rect: QRect | None = None) -> None:
        super().__init__()
        self.monitor_rect = monitor_rect
        self.enabled = True
        self._hidden: list[QWidget] = []
        self._any_hidden = False
        self._regions: list[tuple[int, int, int, int]] = []
        self.focus = FocusKeeper()

    # ---- called from the worker thread ----
    def hide(self) -> bool:
        if not self.enabled:
            return False
        QMetaObject.invokeMethod(self, "_hide", Qt.ConnectionType.BlockingQueuedConnection)
        return self._any_hidden

    def show(self) -> None:
        if self.enabled:
            QMetaObject.invokeMethod(self, "_show", Qt.ConnectionType.QueuedConnection)

    def regions(self) -> list[tuple[int, int, int, int]]:
        """Where our visible windows are (screen pixels), read on the GUI thread."""
        if not self.enabled:
            return []
        QMetaObject.invokeMethod(self, "_measure", Qt.ConnectionType.BlockingQueuedConnection)
        return self._regions

    # ---- GUI thread ----
    @Slot()
    def _hide(self) -> None:
        self._any_hidden = False
        had_focus = QApplication.activeWindow() is not None
        for w in QApplication.topLevelWidgets():
            if w.isVisible() and not w.isMinimized() and self._in_the_way(w):
                w.hide()
                if w not in self._hidden:
                    self._hidden.append(w)
                self._any_hidden = True
        if self._any_hidden:
            QApplication.sync()  # the X server has unmapped them before the worker grabs the screen
        if had_focus:  # the window manager hands the keyboard back to the desktop: wait for it, or keys go astray
            deadline = time.monotonic() + FOCUS_RETURN_S
            while QApplication.activeWindow() is not None and time.monotonic() < deadline:
                QApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents, 10)
        if self._any_hidden and (self.focus.restore() or had_focus):
            time.sleep(FOCUS_SETTLE_S)  # the window given the keyboard needs a moment before keys reach it

    @Slot()
    def _show(self) -> None:
        if self._hidden:
            self.focus.note(ours={int(w.winId()) for w in QApplication.topLevelWidgets() if w.isVisible()})
        for w in self._hidden:
            # Coming back must not take the keyboard focus from the window the agent is typing into.
            before = w.testAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
            w.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating, True)
            w.show()
            w.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating, before)
        self._hidden.clear()

    @Slot()
    def _measure(self) -> None:
        regions = []
        for w in QApplication.topLevelWidgets():
            if w.isVisible() and not w.isMinimized():
                g = w.frameGeometry()
                regions.append(self.focus.frame(int(w.winId())) or (g.x(), g.y(), g.width(), g.height()))
        self._regions = regions

    def _in_the_way(self, w: QWidget) -> bool:
        return self.monitor_rect is None or w.frameGeometry().intersects(self.monitor_rect)


class RunWorker(QObject):
    """Runs one task. `event` carries every core Event; `ended` the RunResult; `failed` a setup error."""

    event = Signal(object)
    ended = Signal(object)
    failed = Signal(str)

    def __init__(self, config: RunConfig, control: RunControl, guard: ScreenGuard | None,
                 activity: AgentActivity | None = None, person: PersonRecorder | None = None) -> None:
        super().__init__()
        self.config, self.control, self.guard, self.activity = config, control, guard, activity
        self.person = person
        self.done = False  # set by the worker itself as it returns (the thread's own end arrives later, queued)

    @Slot()
    def run(self) -> None:
        from agent_app.core.runner import run_task

        try:
            self._run(run_task)
        finally:
            self.done = True

    def _run(self, run_task: Any) -> None:
        try:
            result: RunResult = run_task(self.config, self.control, [self.event.emit], guard=self.guard,
                                         activity=self.activity, person=self.person)
        except UnplacedModelError as e:
            self.failed.emit(e.saying("in Settings → Model family"))
            return
        except ConfigError as e:
            self.failed.emit(str(e))
            return
        except BaseException as e:  # noqa: BLE001 - the window shows it; the run folder has what was recorded
            self.failed.emit(f"internal error: {type(e).__name__}: {e}")  # (and the thread always ends)
            return
        self.ended.emit(result)


class RunThread(QObject):
    """Owns the QThread and the worker for one run."""

    def __init__(self, worker: RunWorker) -> None:
        super().__init__()
        self.worker = worker
        self.thread = QThread()
        self.thread.setObjectName("agent-app-run")
        worker.moveToThread(self.thread)
        self.thread.started.connect(worker.run)
        # Straight from the worker's thread (quit is thread-safe): the thread ends as soon as the run does, not when
        # the GUI thread next gets round to a queued call — a QThread destroyed while running aborts the process.
        worker.ended.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)
        worker.failed.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)

    def start(self) -> None:
        self.thread.start()

    def is_running(self) -> bool:
        return self.thread.isRunning() and not self.worker.done

    def stop_and_wait(self, timeout_ms: int = 3000, reason: str = "the app is closing") -> bool:
        """Stop the run and wait for the thread, still serving the worker's blocking calls meanwhile."""
        import time

        if self.worker.guard is not None:
            self.worker.guard.enabled = False
        self.worker.control.stop(reason)
        deadline = time.monotonic() + timeout_ms / 1000
        while self.thread.isRunning() and time.monotonic() < deadline:
            QApplication.processEvents()
            self.thread.wait(20)
        return not self.thread.isRunning()
