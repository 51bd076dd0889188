"""Screenshots as the model gets them: what size to send, how to encode, and how to tell that the screen changed.

* Size: the native screenshot when the model's processor would only round it (smart_resize within a few percent:
  1920x1080 → 1932x1092): the server then resizes exactly as in training. A real downscale (a pixel budget, a 4K
  screen, a Retina capture) is done here with the processor's own filter (bicubic, Qwen2-VL family) straight to
  the size the model sees, so the server does nothing more.
* Encoding: lossless WebP — the same pixels as PNG for a fraction of the bytes. Its effort is chosen by where the
  endpoint is: on this machine or the LAN time matters (method 1, quality 0: ≈38 ms and ≈112 KB for a busy 1080p
  desktop); across the internet bytes do (quality 80: ≈61 ms and ≈36 KB; quality 50, the obvious middle, is both
  slower and twice as big there: ≈72 ms, ≈80 KB). PNG is the fallback for endpoints that refuse WebP.
* Change: a coarse colour thumbnail (one cell per 8x8 pixels) of each grab; two differ when enough cells differ, so
  a blinking caret or a ticking clock does not count, a menu, a dialog or a page load does.
"""

from __future__ import annotations

import base64
import io
import ipaddress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

NATIVE_TOLERANCE = 0.05  # send the native size when the model's size is within 5 % of it on each side
CELL = 8  # change detection works on 8x8-pixel cells
CELL_LEVELS = 12  # a cell changed when its mean grey moved more than this
CHANGED_CELLS = 24  # the screen changed when at least this many cells did (≈1500 px: more than a caret)
PNG_LEVEL = 1


@dataclass(frozen=True)
class Encoding:
    format: str  # "webp" | "png"
    quality: int = 0  # WebP lossless: encoder effort, not loss (every setting decodes to the same pixels)
    method: int = 1

    @property
    def mime(self) -> str:
        return f"image/{self.format}"

    def encode(self, image: Any) -> bytes:
        buf = io.BytesIO()
        if self.format == "webp":
            image.save(buf, format="WEBP", lossless=True, quality=self.quality, method=self.method)
        else:
            image.save(buf, format="PNG", compress_level=PNG_LEVEL)
        return buf.getvalue()


PNG = Encoding("png")
WEBP_FAST = Encoding("webp", quality=0)
WEBP_SMALL = Encoding("webp", quality=80)


def encoding_for(base_url: str, refuses_webp: bool = False) -> Encoding:
    """WebP for every endpoint that takes it; its effort by where the endpoint is."""
    if refuses_webp:
        return PNG
    return WEBP_FAST if is_near(base_url) else WEBP_SMALL


def is_near(base_url: str) -> bool:
    """Is the endpoint on this machine or the local network (time matters more than bytes)?"""
    host = (urlparse(base_url).hostname or "").lower()
    if not host:
        return False  # no address: the provider's own public endpoint
    if host == "localhost" or host.endswith((".local", ".lan", ".internal", ".home.arpa")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "." not in host  # a bare host name: the LAN
    return address.is_loopback or address.is_private or address.is_link_local


def send_size(capture: tuple[int, int], monitor: tuple[int, int], model: tuple[int, int]) -> tuple[int, int]:
    """What to send: the capture as it is when it is the monitor at native size and the model's size only rounds
    it; else the model's own size (one real resize, here)."""
    if capture != monitor:
        return model
    near = all(abs(m - c) <= c * NATIVE_TOLERANCE for m, c in zip(model, capture, strict=True))
    return capture if near else model


def resize(image: Any, size: tuple[int, int]) -> Any:
    """Straight to `size` with the Qwen2-VL processors' filter (bicubic); unchanged when it already is."""
    from PIL import Image

    return image if image.size == size else image.resize(size, Image.Resampling.BICUBIC)


def data_url(data: bytes, mime: str) -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


def decode_data_url(url: str) -> Any:
    """The image in a data URL (for re-encoding a history screenshot once, when an endpoint refuses WebP)."""
    from PIL import Image

    return Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB")


def signature(image: Any) -> Any:
    """A colour thumbnail of 8x8-pixel cells: what change detection compares. Colour, not grey: a red button
    turning an equally bright green is a change (as grey, 109 → 113, it was not)."""
    return (image if image.mode == "RGB" else image.convert("RGB")).reduce(CELL)


def changed_cells(a: Any, b: Any, ignore: list[tuple[int, int, int, int]] = ()) -> int:
    """How many cells differ between two signatures, outside `ignore` rectangles (x, y, w, h in pixels of the
    captured image: our own windows)."""
    from PIL import ImageChops, ImageDraw

    if a.size != b.size:
        return a.size[0] * a.size[1]
    diff = ImageChops.difference(a, b)
    if diff.mode != "L":  # the channel that moved most
        red, green, blue = diff.split()[:3]
        diff = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    diff = diff.point(lambda v: 255 if v > CELL_LEVELS else 0)
    if ignore:
        draw = ImageDraw.Draw(diff)
        for x, y, w, h in ignore:
            draw.rectangle((x // CELL, y // CELL, (x + w) // CELL + 1, (y + h) // CELL + 1), fill=0)
    return diff.histogram()[255]
