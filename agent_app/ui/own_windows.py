"""Which screen points and which keyboard focus belong to agent-app's own windows (the control strip, dialogs, the
main window, menus): the core's `OwnWindows`, asked from the input listener's threads.

The GUI thread keeps a snapshot of our top-level windows (their native ids and frames) up to date as they are
shown, hidden, moved and resized; the listener threads only read the snapshot. Under X11 the answer comes from
the X server itself, which knows the stacking order: the window on top at a point is asked for, so a desktop
window lying over our main window is the desktop's. Elsewhere the frames of our visible windows decide.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QGuiApplication, QWindow

log = logging.getLogger(__name__)

_REFRESH_ON = {QEvent.Type.Show, QEvent.Type.Hide, QEvent.Type.Move, QEvent.Type.Resize, QEvent.Type.Expose,
               QEvent.Type.WinIdChange, QEvent.Type.WindowStateChange, QEvent.Type.Close}
_DEPTH = 8  # frame → client → native children: far deeper than any real window tree


class OwnWindowTracker(QObject):
    """Create on the GUI thread after the QApplication; `at` and `focused` may be called from any thread."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._ids: frozenset[int] = frozenset()
        self._frames: tuple[tuple[float, float, float, float], ...] = ()
        self._focused = False
        self._refreshing = False
        app = QGuiApplication.instance()
        self._x11 = _X11.connect() if QGuiApplication.platformName() == "xcb" else None
        app.installEventFilter(self)
        app.focusWindowChanged.connect(lambda _w: self.refresh())
        self.refresh()

    # ---- GUI thread ----
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() in _REFRESH_ON and (isinstance(obj, QWindow) or (obj.isWidgetType() and obj.isWindow())):
            self.refresh()
        return False

    def refresh(self) -> None:
        if self._refreshing:  # asking a window for its id or frame may send it events of these kinds
            return
        self._refreshing = True
        try:
            self._refresh()
        finally:
            self._refreshing = False

    def _refresh(self) -> None:
        ids: set[int] = set()
        frames: list[tuple[float, float, float, float]] = []
        for w in QGuiApplication.topLevelWindows():
            if not w.isVisible():  # (a visible window has its native window: asking for the id creates none)
                continue
            ids.add(int(w.winId()))
            if w.windowState() != Qt.WindowState.WindowMinimized:
                g, dpr = w.frameGeometry(), w.devicePixelRatio()
                frames.append((g.x() * dpr, g.y() * dpr, (g.x() + g.width()) * dpr, (g.y() + g.height()) * dpr))
        focused = QGuiApplication.focusWindow() is not None
        with self._lock:
            self._ids, self._frames, self._focused = frozenset(ids), tuple(frames), focused

    def close(self) -> None:
        if self._x11 is not None:
            self._x11.close()
            self._x11 = None

    # ---- any thread ----
    def at(self, x: float, y: float) -> bool:
        with self._lock:
            ids, frames = self._ids, self._frames
        if self._x11 is not None:
            return self._x11.top_window_is(ids, x, y)
        return any(left <= x < right and top <= y < bottom for left, top, right, bottom in frames)

    def focused(self) -> bool:
        with self._lock:
            ids, focused = self._ids, self._focused
        if self._x11 is not None:
            return self._x11.focus_is(ids)
        return focused


class _X11:
    """A connection of our own to the X server, for the listener threads (serialised by a lock)."""

    def __init__(self, display: Any) -> None:
        self.display = display
        self.root = display.screen().root
        self.lock = threading.Lock()

    @classmethod
    def connect(cls) -> _X11 | None:
        try:
            from Xlib import display

            return cls(display.Display())
        except Exception as e:  # noqa: BLE001 - fall back to the windows' frames
            log.warning("no X connection for telling our windows apart (%s); using their frames", e)
            return None

    def top_window_is(self, ids: frozenset[int], x: float, y: float) -> bool:
        """Walk down from the root through the window on top at (x, y): frame, client, native children."""
        with self.lock:
            window = self.root
            for _ in range(_DEPTH):
                child = window.translate_coords(self.root, int(x), int(y)).child
                if not child:
                    return False
                if child.id in ids:
                    return True
                window = child
        return False

    def focus_is(self, ids: frozenset[int]) -> bool:
        """Is the X input focus on one of our windows (or inside one)?"""
        with self.lock:
            window = self.display.get_input_focus().focus
            for _ in range(_DEPTH):
                if isinstance(window, int) or not window:  # None or PointerRoot
                    return False
                if window.id in ids:
                    return True
                if window.id == self.root.id:
                    return False
                window = window.query_tree().parent
        return False

    def close(self) -> None:
        with self.lock:
            self.display.close()
