"""Image sizing and the one exact mapping from model coordinates to screen pixels.

The rules, for every platform:

* The *target space* is pyautogui's: logical points on macOS (a Retina capture is 2x larger), physical
  pixels on Windows (the process is made DPI-aware before anything measures the screen) and plain pixels
  on X11. mss reports each monitor's rectangle in that same space, so a `Monitor` is that rectangle.
* The screenshot is resized once, straight to `smart_resize(monitor size)`, before encoding. The model sees
  exactly the image we send, so its pixel coordinates need one scale factor to reach the monitor.
* uitars-1.5 answers in pixels of that image; uitars-1.0 and doubao in thousandths; aguvis in 0..1.
* Mapped points are rounded to the nearest pixel (Gemini's grid: cut to it, as Google denormalizes), offset
  by the monitor's origin and clamped inside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

FACTOR = 28
MIN_PIXELS = 100 * FACTOR * FACTOR
MAX_PIXELS = 16384 * FACTOR * FACTOR
MAX_ASPECT = 200


def smart_resize(
    height: int,
    width: int,
    factor: int = FACTOR,
    min_pixels: int = MIN_PIXELS,
    max_pixels: int = MAX_PIXELS,
) -> tuple[int, int]:
    """Qwen2-VL / Qwen2.5-VL `smart_resize`: the (height, width) the model's processor turns an image into.

    Sides are rounded to multiples of `factor` with Python's (banker's) `round`, then scaled down (floor)
    or up (ceil) to fit the pixel budget. Extreme aspect ratios are clamped instead of raising.
    """
    height, width = max(1, int(height)), max(1, int(width))
    if max(height, width) / min(height, width) > MAX_ASPECT:
        if height > width:
            height = width * MAX_ASPECT
        else:
            width = height * MAX_ASPECT
    h_bar = max(factor, round(height / factor) * factor)
    w_bar = max(factor, round(width / factor) * factor)
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt(height * width / max_pixels)
        h_bar = max(factor, math.floor(height / beta / factor) * factor)
        w_bar = max(factor, math.floor(width / beta / factor) * factor)
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
    # Rounding can push a ~200:1 image just past the limit; keep the result itself within it (idempotent).
    h_bar = min(h_bar, w_bar * MAX_ASPECT // factor * factor)
    w_bar = min(w_bar, h_bar * MAX_ASPECT // factor * factor)
    return h_bar, w_bar


@dataclass(frozen=True)
class Monitor:
    """A monitor's rectangle in pyautogui's coordinate space."""

    left: int
    top: int
    width: int
    height: int

    def contains(self, x: int, y: int) -> bool:
        return self.left <= x < self.left + self.width and self.top <= y < self.top + self.height

    def to_json(self) -> dict[str, int]:
        return {"left": self.left, "top": self.top, "width": self.width, "height": self.height}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None, default_size: tuple[int, int] = (1, 1)) -> Monitor:
        data = data or {}
        return cls(int(data.get("left", 0)), int(data.get("top", 0)),
                   int(data.get("width") or default_size[0]), int(data.get("height") or default_size[1]))

    def to_picture(self, x: float, y: float, width: float, height: float) -> tuple[float, float]:
        """Where screen pixel (x, y) lies on a picture of this monitor drawn `width`×`height` (for markers)."""
        return (x - self.left) / self.width * width, (y - self.top) / self.height * height

    def clamp(self, x: float, y: float) -> tuple[int, int]:
        cx = min(max(int(x), self.left), self.left + self.width - 1)
        cy = min(max(int(y), self.top), self.top + self.height - 1)
        return cx, cy


@dataclass(frozen=True)
class CoordinateSpace:
    """How the model's numbers span a monitor: `span_w` model units cover the monitor's width. Points are rounded
    to the nearest pixel, or, with `truncate`, cut to it as Google denormalizes Gemini's grid (int(x / 1000 * w))."""

    monitor: Monitor
    span_w: float
    span_h: float
    truncate: bool = False

    def to_screen(self, x: float, y: float) -> tuple[int, int]:
        m = self.monitor
        whole = int if self.truncate else round
        sx = m.left + whole(x / self.span_w * m.width)
        sy = m.top + whole(y / self.span_h * m.height)
        return m.clamp(sx, sy)

    def to_model(self, sx: float, sy: float) -> tuple[float, float]:
        """The inverse: where a screen pixel lies in the model's units (used to record a person's actions)."""
        m = self.monitor
        return (sx - m.left) / m.width * self.span_w, (sy - m.top) / m.height * self.span_h

