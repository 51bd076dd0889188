"""The parts the loop drives, as protocols: the screen it looks at, the executor that acts, and the guard that keeps
the app's own windows out of the model's way. The real ones live in `desktop/`; tests use stand-ins."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from agent_app.core.actions import Action
from agent_app.core.desktop.capture import Screenshot
from agent_app.core.geometry import Monitor


class Screen(Protocol):
    monitor: Monitor

    def capture(self, model_size: tuple[int, int]) -> Screenshot: ...

    def wait_until_still(self, max_s: float, interval_s: float = 0.05, check: Any = None) -> float: ...


class Executor(Protocol):
    def execute(self, action: Action, check: Callable[[], None]) -> None: ...

    def release_all(self) -> None: ...


class WindowGuard(Protocol):
    """Keeps the app's own windows out of the model's way (the desktop app's control strip, say)."""

    def hide(self) -> bool:
        """Take our windows off the screen; block until they are gone. True if any had been showing."""
        ...

    def show(self) -> None:
        """Bring back what `hide` took away."""
        ...


class NoGuard:
    def hide(self) -> bool:
        return False

    def show(self) -> None:
        return None
