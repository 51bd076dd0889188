"""Global hotkeys and takeover detection for the app: the core's GlobalInput, its callbacks turned into Qt
signals (they arrive on pynput's threads), told which windows are ours. The emergency stop acts at once, on the
listener thread."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from agent_app.core.control import RunControl
from agent_app.core.desktop.input_listener import GlobalInput
from agent_app.core.desktop.person import PersonRecorder
from agent_app.ui.own_windows import OwnWindowTracker


class HotkeyBridge(QObject):
    triggered = Signal(str)  # "pause", "stop", "show", "preset:NAME"
    taken_over = Signal(str)  # why: "the pointer moved", …

    def __init__(self, global_input: GlobalInput | None = None) -> None:
        super().__init__()
        self.input = global_input or GlobalInput()
        self.error = self.input.start()
        self.own_windows = OwnWindowTracker()  # input on agent-app's own windows is not the person's takeover
        self.input.set_own_windows(self.own_windows)
        self.current_control: Callable[[], RunControl | None] = lambda: None

    @property
    def available(self) -> bool:
        return self.error is None

    def bind(self, bindings: dict[str, str]) -> list[str]:
        """Bind {action: spec}; returns the problems to show (conflicts, malformed, unavailable)."""
        if self.error:
            return [self.error] if any(bindings.values()) else []

        def make(name: str) -> Callable[[], None]:
            def fire() -> None:
                if name == "stop":  # emergency stop: no round trip through the GUI thread
                    control = self.current_control()
                    if control is not None:
                        control.stop("emergency stop (hotkey)")
                self.triggered.emit(name)
            return fire

        return self.input.set_hotkeys(bindings, {name: make(name) for name in bindings})

    def watch(self, control: RunControl, threshold_px: float, person: PersonRecorder | None = None) -> None:
        self.input.watch(control, threshold_px, on_takeover=self.taken_over.emit, person=person)

    def unwatch(self) -> None:
        self.input.unwatch()

    def close(self) -> None:
        self.input.stop()
        self.own_windows.close()
