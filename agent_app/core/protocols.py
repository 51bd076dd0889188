"""The parts the loop drives, as protocols: the screen it looks at, the executor that acts, and the guard that keeps
the app's own windows out of the model's way. The real ones live in `desktop/`; tests use stand-ins."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from agent_app.core.actions import Action
from agent_app.core.desktop.capture import Screenshot
from agent_app.core.geometry import Monitor
from agent_app.core.images import Encoding

Rect = tuple[int, int, int, int]  # x, y, width, height in screen pixels


class Screen(Protocol):
    monitor: Monitor

    def capture(self, model_size: tuple[int, int], encoding: Encoding, still_s: float = 0.0,
                interval_s: float = 0.015, check: Callable[[], None] | None = None) -> Screenshot:
        """A screenshot sized for a model that sees `model_size`, once still (at most `still_s`)."""
        ...

    def changed_since(self, shot: Screenshot, ignore: list[Rect] = ()) -> bool:
        """Has the screen changed noticeably since `shot`, outside the `ignore` rectangles?"""
        ...


class Executor(Protocol):
    def execute(self, action: Action, check: Callable[[], None]) -> None: ...

    def release_all(self) -> None: ...

    def position(self) -> tuple[int, int]:
        """Where the pointer is (screen pixels)."""
        ...


class WindowGuard(Protocol):
    """Keeps the app's own windows out of the model's way (the desktop app's control strip, say)."""

    def hide(self) -> bool:
        """Take our windows off the screen; block until they are gone. True if any had been showing."""
        ...

    def show(self) -> None:
        """Bring back what `hide` took away."""
        ...

    def regions(self) -> list[Rect]:
        """Where our windows are on the screen now (not the desktop: a change there is no reaction)."""
        ...


class NoGuard:
    def hide(self) -> bool:
        return False

    def show(self) -> None:
        return None

    def regions(self) -> list[Rect]:
        return []
