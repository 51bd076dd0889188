"""Screen capture with mss: grab one monitor, size it as `images.send_size` says, encode it once.

The encode starts on a worker thread as soon as a frame is grabbed (Pillow releases the GIL), while the next grab
confirms the screen is still; the frame that proves still is the one already being encoded. mss and the display
are touched lazily (importing this module needs no display) and an `MSSCapture` must be used from the thread that
created it (mss keeps per-thread X connections).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from agent_app.core import images
from agent_app.core.errors import ConfigError
from agent_app.core.geometry import Monitor
from agent_app.core.images import Encoding


@dataclass
class Screenshot:
    """One capture as the model gets it: the encoded bytes at the size sent, and where it came from."""

    data: bytes
    mime: str
    width: int
    height: int
    monitor: Monitor
    timings_ms: dict[str, float] = field(default_factory=dict)
    image: Any = None  # the picture as sent (PIL), for the run folder's PNG
    signature: Any = None  # the grab's change-detection thumbnail (images.signature)
    native: Any = None  # the picture as grabbed, before any resize (a zoom's full-resolution crop)

    @cached_property
    def data_url(self) -> str:
        """Computed once and reused for every request that carries this screenshot in its history."""
        return images.data_url(self.data, self.mime)

    @cached_property
    def png(self) -> bytes:
        """The same pixels as PNG, for the run folder (lossless either way)."""
        return self.data if self.mime == "image/png" else images.PNG.encode(self.image)


def encode_png(image: Any) -> bytes:
    return images.PNG.encode(image)


def screenshot(image: Any, size: tuple[int, int], encoding: Encoding, monitor: Monitor,
               signature: Any = None) -> Screenshot:
    """Resize (when `size` says so) and encode one picture."""
    t0 = time.perf_counter()
    sent = images.resize(image, size)
    data = encoding.encode(sent)
    encode_ms = (time.perf_counter() - t0) * 1000
    return Screenshot(data, encoding.mime, size[0], size[1], monitor, {"encode": encode_ms}, sent, signature, image)


def list_monitors() -> list[Monitor]:
    """The monitors as `--monitor N` numbers them (1-based, mss's order); empty without a display."""
    try:
        import mss

        with mss.MSS() as m:
            return [Monitor(d["left"], d["top"], d["width"], d["height"]) for d in m.monitors[1:]]
    except Exception:  # noqa: BLE001 - no display reachable: nothing to list
        return []


class MSSCapture:
    """Captures a monitor (1-based, as mss numbers them; 1 is the primary on Windows and macOS)."""

    def __init__(self, monitor_index: int = 1) -> None:
        try:
            import mss
        except ImportError as e:  # pragma: no cover - a dependency
            raise ConfigError(f"screen capture is unavailable: {e}") from None
        try:
            self._mss = mss.MSS() if hasattr(mss, "MSS") else mss.mss()
        except Exception as e:  # noqa: BLE001 - mss raises several types when no display is reachable
            raise ConfigError(
                f"cannot open the display for screen capture ({e}); run inside a desktop session"
            ) from None
        monitors = self._mss.monitors[1:]
        if not 1 <= monitor_index <= len(monitors):
            raise ConfigError(f"monitor {monitor_index} does not exist: this desktop has {len(monitors)} monitor(s)")
        m = monitors[monitor_index - 1]
        self._rect = m
        self.monitor = Monitor(m["left"], m["top"], m["width"], m["height"])
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="agent-app-encode")
        self._watched: bytes | None = None

    def grab_raw(self) -> Any:
        return self._mss.grab(self._rect)

    def _picture(self, raw: Any) -> Any:
        from PIL import Image

        return Image.frombuffer("RGB", raw.size, raw.bgra, "raw", "BGRX", 0, 1)

    def capture(self, model_size: tuple[int, int], encoding: Encoding = images.PNG,
                still_s: float = 0.0, interval_s: float = 0.015,
                check: Callable[[], None] | None = None) -> Screenshot:
        """A screenshot for a model that sees `model_size`. With `still_s`, first make sure the screen has stopped
        changing (two grabs `interval_s` apart alike, at most `still_s`), encoding meanwhile."""
        t0 = time.perf_counter()
        raw = self.grab_raw()
        picture = self._picture(raw)
        size = images.send_size(picture.size, (self.monitor.width, self.monitor.height), model_size)
        job = self._encode(picture, size, encoding)
        deadline = t0 + still_s
        while time.perf_counter() < deadline:
            if check:
                check()
            time.sleep(interval_s)
            again = self.grab_raw()
            if again.raw == raw.raw:
                break
            raw, picture = again, self._picture(again)
            job = self._encode(picture, size, encoding)  # the earlier encode finishes unused
        grabbed = time.perf_counter()
        shot = job.result()
        shot.timings_ms = {"capture": (grabbed - t0) * 1000, "encode": (time.perf_counter() - grabbed) * 1000,
                           "encode_cpu": shot.timings_ms["encode"]}
        self._watched = raw.raw
        return shot

    def _encode(self, picture: Any, size: tuple[int, int], encoding: Encoding) -> Future[Screenshot]:
        def work() -> Screenshot:
            return screenshot(picture, size, encoding, self.monitor, images.signature(picture))

        return self._pool.submit(work)

    def changed_since(self, shot: Screenshot, ignore: list[tuple[int, int, int, int]] = ()) -> bool:
        """Has the screen changed, beyond our own windows (`ignore`, screen pixels), since `shot` was grabbed?"""
        raw = self.grab_raw()
        if raw.raw == self._watched:
            return False
        self._watched = raw.raw
        picture = self._picture(raw)
        sx, sy = picture.size[0] / self.monitor.width, picture.size[1] / self.monitor.height
        rects = [(round((x - self.monitor.left) * sx), round((y - self.monitor.top) * sy), round(w * sx),
                  round(h * sy)) for x, y, w, h in ignore]
        return images.changed_cells(shot.signature, images.signature(picture), rects) >= images.CHANGED_CELLS

    def wait_until_still(self, max_s: float, interval_s: float = 0.05,
                         check: Callable[[], None] | None = None) -> float:
        """Wait until two grabs `interval_s` apart are identical (the UI reacted), at most `max_s`. Returns ms."""
        t0 = time.perf_counter()
        previous = self.grab_raw().raw
        while time.perf_counter() - t0 < max_s:
            if check:
                check()
            time.sleep(interval_s)
            current = self.grab_raw().raw
            if current == previous:
                break
            previous = current
        return (time.perf_counter() - t0) * 1000

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        try:
            self._mss.close()
        except Exception:  # noqa: BLE001 - closing must not raise
            pass
