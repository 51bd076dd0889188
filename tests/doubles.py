"""Stand-ins for the screen and the input devices, for loop tests that need no display."""

from __future__ import annotations

import io
import threading

from PIL import Image

from agent_app.core import images
from agent_app.core.actions import Action
from agent_app.core.desktop.capture import Screenshot, screenshot
from agent_app.core.geometry import Monitor


class StaticScreen:
    """A screen that always shows the same picture (a gradient, so PNGs are realistic in size)."""

    def __init__(self, width: int = 1920, height: int = 1080) -> None:
        self.monitor = Monitor(0, 0, width, height)
        self.captures = 0

    def capture(self, model_size: tuple[int, int], encoding: images.Encoding = images.PNG, still_s: float = 0.0,
                interval_s: float = 0.015, check=None) -> Screenshot:
        self.captures += 1
        native = (self.monitor.width, self.monitor.height)
        image = Image.linear_gradient("L").resize(native).convert("RGB")
        size = images.send_size(native, native, model_size)
        return screenshot(image, size, encoding, self.monitor, images.signature(image))

    def changed_since(self, shot: Screenshot, ignore=()) -> bool:
        return False


class RecordingExecutor:
    """Records actions instead of performing them; can block inside an action until released."""

    def __init__(self) -> None:
        self.actions: list[Action] = []
        self.released = 0
        self.block = threading.Event()
        self.block.set()

    def execute(self, action: Action, check) -> None:
        check()
        while not self.block.wait(0.01):
            check()
        self.actions.append(action)

    def release_all(self) -> None:
        self.released += 1

    def position(self) -> tuple[int, int]:
        """Where the last pointer action left the pointer (0, 0 before any)."""
        for a in reversed(self.actions):
            if a.has_point:
                return (int(a.x2), int(a.y2)) if a.type == "drag" else (int(a.x), int(a.y))
        return 0, 0


def png_size(data: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(data)).size
