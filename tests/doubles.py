"""Stand-ins for the screen and the input devices, for loop tests that need no display."""

from __future__ import annotations

import io
import threading

from PIL import Image

from agent_app.core.actions import Action
from agent_app.core.desktop.capture import Screenshot, encode_png
from agent_app.core.geometry import Monitor


class StaticScreen:
    """A screen that always shows the same picture (a gradient, so PNGs are realistic in size)."""

    def __init__(self, width: int = 1920, height: int = 1080) -> None:
        self.monitor = Monitor(0, 0, width, height)
        self.captures = 0

    def capture(self, model_size: tuple[int, int]) -> Screenshot:
        self.captures += 1
        image = Image.linear_gradient("L").resize(model_size).convert("RGB")
        return Screenshot(encode_png(image), *model_size, self.monitor, {"capture": 0.0, "encode": 0.0})

    def wait_until_still(self, max_s: float, interval_s: float = 0.05, check=None) -> float:
        return 0.0


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


def png_size(data: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(data)).size
