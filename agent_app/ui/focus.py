"""Our windows as the X server sees them: who has the keyboard, and where our windows really are.

When agent-app's windows step aside, the keyboard goes back to the desktop window that had it, so what the agent
types lands there; and what the screen watcher must ignore is where the X server says our windows are (Qt's own
idea of a frameless tool window's position can lag behind after a hide and show).

Under X11 a window manager hands the focus on when the focused window goes away — usually to the window that had
it before, but not always (openbox sometimes parks it on a window of its own, and the agent's keys are lost). So
the guard notes which desktop window had the focus before our windows came back, and returns it there if, once
they are gone again, nobody real has it. Elsewhere the system does this itself: nothing to do.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)
_DEPTH = 16


class FocusKeeper:
    def __init__(self) -> None:
        self._display: Any = None
        self._noted: Any = None
        try:
            from Xlib import display

            self._display = display.Display()
            self._root = self._display.screen().root
            self._wm_state = self._display.intern_atom("WM_STATE")
        except Exception as e:  # noqa: BLE001 - not X11, or no connection: the system keeps the focus itself
            log.debug("no X connection for the keyboard focus: %s", e)

    def note(self, ours: set[int] = frozenset()) -> None:
        """Remember the desktop window that has the keyboard now (before our windows come back). A window of ours
        (`ours`: their X ids — the person brought the main window forward) is never the one to give it back to."""
        if self._display is None:
            return
        try:
            client = self._client(self._display.get_input_focus().focus)
            if client is not None and client.id not in ours:
                self._noted = client
        except Exception as e:  # noqa: BLE001 - a courtesy, never a failure
            log.debug("cannot read the keyboard focus: %s", e)

    def restore(self) -> bool:
        """Our windows are gone: if no real window has the keyboard, give it back to the one noted. True if so."""
        if self._display is None or self._noted is None:
            return False
        try:
            if self._is_client(self._display.get_input_focus().focus):
                return False
            if self._noted.get_attributes().map_state != 2:  # IsViewable: the window has gone meanwhile
                return False
            from Xlib import X

            self._noted.set_input_focus(X.RevertToParent, X.CurrentTime)
            self._display.sync()
            return True
        except Exception as e:  # noqa: BLE001
            log.debug("cannot give the keyboard focus back: %s", e)
            return False

    def frame(self, window_id: int) -> tuple[int, int, int, int] | None:
        """Where the X server says a window of ours is (x, y, width, height on the root), or None. Qt's own idea
        can lag behind after a hide and show (a frameless tool window reported at 0,0 while shown elsewhere)."""
        if self._display is None:
            return None
        try:
            window = self._display.create_resource_object("window", window_id)
            geometry = window.get_geometry()
            at = self._root.translate_coords(window, 0, 0)
            return at.x, at.y, geometry.width, geometry.height
        except Exception as e:  # noqa: BLE001
            log.debug("cannot read a window's geometry: %s", e)
            return None

    def _is_client(self, window: Any) -> bool:
        """A window (or inside one) that the window manager manages for an application (it has WM_STATE)."""
        return self._client(window) is not None

    def _client(self, window: Any) -> Any:
        """The application window (it has WM_STATE) that `window` is, or is inside; None when there is none."""
        for _ in range(_DEPTH):
            if isinstance(window, int) or not window or window.id == self._root.id:
                return None
            if window.get_full_property(self._wm_state, 0) is not None:
                return window
            window = window.query_tree().parent
        return None

    def close(self) -> None:
        if self._display is not None:
            try:
                self._display.close()
            except Exception:  # noqa: BLE001 - closing must not raise
                pass
            self._display = None
