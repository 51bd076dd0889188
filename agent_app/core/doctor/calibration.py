"""Do clicks land where the agent aims? Targets, finding them in a screen grab, and the verdict.

The calibration window draws each target as a small square of its own colour, centred on the target pixel. The
doctor finds the squares in an mss grab (capture space: what the model would see), aims at each one exactly as a
run maps a model's answer (`CoordinateSpace` from capture pixels to the monitor) and clicks through the real
executor; the window reports where each click arrived, in its own coordinates. Nothing about the display is
assumed: the window's placement in the grab is fitted from the squares, and the scale between capture and input
spaces is fitted from where the clicks arrived — so a HiDPI mismatch shows up as a measured factor.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from agent_app.core.doctor.report import Check, failed, passed
from agent_app.core.geometry import CoordinateSpace, Monitor

MARKER = 7  # side of a target square, in the window's pixels; odd, so the target pixel is its centre
INSET = 3  # the corner targets lie this many pixels in from each edge
COLOUR_TOLERANCE = 40  # per channel: colour management may shift a drawn colour slightly
# Saturated colours, ≥ 127 apart on some channel from each other and far from the window's greys.
PALETTE: tuple[tuple[int, int, int], ...] = (
    (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 0, 255), (0, 255, 255), (255, 255, 0),
    (255, 128, 0), (128, 0, 255), (0, 128, 255),
)
SCALE_TOLERANCE = 0.02  # a measured capture/input scale this far from the assumed one is a mismatch


def calibration_targets(width: int, height: int) -> list[tuple[int, int]]:
    """Target pixels in a `width`×`height` window: 3 px in from each corner, the centre, and four odd spots."""
    right, bottom = width - 1 - INSET, height - 1 - INSET
    spots = [(29, 71), (83, 17), (61, 43), (13, 37)]  # odd coordinates catch off-by-one and rounding errors
    return [
        (INSET, INSET), (right, INSET), (INSET, bottom), (right, bottom), (width // 2, height // 2),
        *[(min(width * px // 100 | 1, right), min(height * py // 100 | 1, bottom)) for px, py in spots],
    ]


@dataclass(frozen=True)
class Found:
    """A target square in the grab: its centre and size in capture pixels."""

    x: float
    y: float
    width: int
    height: int


def find_marker(image, colour: tuple[int, int, int], tolerance: int = COLOUR_TOLERANCE) -> Found | None:
    """The square of `colour` in a PIL RGB image, or None when there is none (or the colour is scattered)."""
    from PIL import Image, ImageChops

    diff = ImageChops.difference(image.convert("RGB"), Image.new("RGB", image.size, colour))
    r, g, b = diff.split()
    mask = ImageChops.lighter(ImageChops.lighter(r, g), b).point(lambda v: 255 if v <= tolerance else 0)
    box = mask.getbbox()
    if box is None:
        return None
    left, top, right, bottom = box
    w, h = right - left, bottom - top
    filled = mask.crop(box).histogram()[255]
    if w < 3 or h < 3 or abs(w - h) > 2 + 0.2 * max(w, h) or filled < 0.8 * w * h:
        return None  # stray pixels of that colour elsewhere, not one square
    return Found((left + right - 1) / 2, (top + bottom - 1) / 2, w, h)


def find_markers(image, count: int) -> list[Found | None]:
    return [find_marker(image, PALETTE[i]) for i in range(count)]


@dataclass(frozen=True)
class Fit:
    """A straight-line fit `y = scale * x + offset`, with its worst residual."""

    scale: float
    offset: float
    residual: float

    def __call__(self, x: float) -> float:
        return self.scale * x + self.offset


def fit_line(xs: Sequence[float], ys: Sequence[float]) -> Fit | None:
    """Least squares over the pairs; None with fewer than two distinct xs."""
    n = len(xs)
    if n < 2 or max(xs) - min(xs) < 1e-9:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    scale = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    offset = my - scale * mx
    residual = max(abs(scale * x + offset - y) for x, y in zip(xs, ys, strict=True))
    return Fit(scale, offset, residual)


@dataclass
class Calibration:
    """Everything measured on one monitor. Points are (x, y); `landed` holds None for a click that never arrived."""

    monitor: Monitor  # in input (pyautogui) coordinates, as mss reports it
    grab_size: tuple[int, int]  # the capture's size in pixels
    window_size: tuple[int, int]  # the calibration window's size in its own pixels
    targets: list[tuple[int, int]]  # in the window's own pixels
    found: list[Found | None]  # each target's square in the grab
    aimed: list[tuple[int, int] | None]  # where the executor clicked, input coordinates
    landed: list[tuple[float, float] | None]  # where the window saw each click, in its own pixels

    @property
    def space(self) -> CoordinateSpace:
        """The mapping a run uses for a model that answers in capture pixels."""
        return CoordinateSpace(self.monitor, *self.grab_size)

    def aim(self, found: Found) -> tuple[int, int]:
        return self.space.to_screen(found.x, found.y)

    def window_fits(self) -> tuple[Fit | None, Fit | None]:
        """Window pixels → capture pixels, per axis, fitted from the squares found."""
        pairs = [(t, f) for t, f in zip(self.targets, self.found, strict=True) if f is not None]
        return (fit_line([t[0] for t, _ in pairs], [f.x for _, f in pairs]),
                fit_line([t[1] for t, _ in pairs], [f.y for _, f in pairs]))

    def landed_in_capture(self) -> list[tuple[float, float] | None]:
        fx, fy = self.window_fits()
        if fx is None or fy is None:
            return [None] * len(self.landed)
        return [(fx(p[0]), fy(p[1])) if p is not None else None for p in self.landed]

    def errors(self) -> list[float | None]:
        """Per target: how far (capture pixels) the click arrived from the square's centre."""
        out: list[float | None] = []
        for f, c in zip(self.found, self.landed_in_capture(), strict=True):
            out.append(math.dist((f.x, f.y), c) if f is not None and c is not None else None)
        return out

    def input_fits(self) -> tuple[Fit | None, Fit | None]:
        """Capture pixels → input coordinates, per axis, fitted from where the clicks arrived (measured).

        A click that arrived on the window's outermost pixels on an axis may have been aimed past the screen and
        held at its edge: it says nothing about the scale on that axis, and is left out of that axis's fit."""
        fits = []
        for axis in (0, 1):
            pairs = [(a[axis], c[axis]) for a, c, p in zip(self.aimed, self.landed_in_capture(), self.landed,
                                                             strict=True)
                     if a is not None and c is not None and 0 < p[axis] < self.window_size[axis] - 1]
            fits.append(fit_line([c for _, c in pairs], [a for a, _ in pairs]))
        return fits[0], fits[1]

    def assumed_capture_per_input(self) -> tuple[float, float]:
        return self.grab_size[0] / self.monitor.width, self.grab_size[1] / self.monitor.height


def _r(v: float | None, digits: int = 3) -> float | None:
    return None if v is None else round(v, digits)


def _advice_scale(platform: str) -> str:
    if platform == "win32":
        return ("Windows display scaling is in the way: start agent-app itself (agent-app.exe is DPI-aware), or set "
                "python.exe → Properties → Compatibility → Change high DPI settings → Override → Application, "
                "then run the check again.")
    if platform == "darwin":
        return ("Capture and input disagree on this display's scaling: choose the display's default resolution in "
                "System Settings → Displays, then run the check again.")
    return ("Capture and input disagree on the screen's scaling (a scaled XWayland output, or an X server and a "
            "desktop with different DPI): set the display scale to 100 % or log in with an X11 session, then run "
            "the check again.")


def click_check(cal: Calibration, platform: str) -> Check:
    """The verdict: every click on its target (≤ one input unit off), and the measured scale as assumed."""
    n = len(cal.targets)
    seen = sum(f is not None for f in cal.found)
    figures: dict = {"targets": n, "grab": list(cal.grab_size), "monitor": cal.monitor.to_json()}
    if seen < n:
        figures["targets_seen"] = seen
        if platform == "darwin":
            advice = ("Give agent-app Screen Recording access (System Settings → Privacy & Security → Screen "
                      "Recording), reopen it and run the check again.")
        else:
            advice = ("Make sure nothing covers the calibration window (screen savers, always-on-top windows) and "
                      "that the desktop is not a Wayland session, then run the check again.")
        return failed("clicks", f"the calibration window is not in the screen capture ({seen} of {n} targets seen)",
                      advice, **figures)
    errors = cal.errors()
    landed = [e for e in errors if e is not None]
    per_input = cal.assumed_capture_per_input()
    tolerance = max(1.0, *per_input)  # one input unit, in capture pixels
    fits = cal.input_fits()
    measured = tuple(1 / f.scale if f is not None and abs(f.scale) > 1e-9 else None for f in fits)
    figures.update({
        "clicks_landed": len(landed),
        "max_error_px": _r(max(landed), 2) if landed else None,
        "capture_per_input": [_r(m) for m in measured],
        "capture_per_input_assumed": [_r(a) for a in per_input],
        "points": [
            {"target": list(t), "aimed": list(a) if a else None,
             "landed": [_r(c[0], 1), _r(c[1], 1)] if c else None, "error_px": _r(e, 2)}
            for t, a, c, e in zip(cal.targets, cal.aimed, cal.landed_in_capture(), errors, strict=True)
        ],
    })
    scale_text = (f"capture/input scale {_fmt(measured[0])}×{_fmt(measured[1])}"
                  f" (assumed {_fmt(per_input[0])}×{_fmt(per_input[1])})")
    mismatch = [m / a for m, a in zip(measured, per_input, strict=True)
                if m is not None and abs(m / a - 1) > SCALE_TOLERANCE]
    if not landed:
        return failed("clicks", f"none of the {n} clicks reached the calibration window", (
            "The clicks go somewhere else: check the monitor arrangement and display scaling, and that "
            "--monitor (Settings → Runs → Monitor) names the monitor you mean."), **figures)
    if mismatch:
        return failed("clicks", (
            f"clicks land at {mismatch[0]:.2f}× the distance they were aimed at: capture and input disagree on the "
            f"screen's scale (a HiDPI mismatch); {scale_text}; max error {max(landed):.0f} px"),
            _advice_scale(platform), **figures)
    worst = max(landed)
    if len(landed) < n or worst > tolerance:
        missed = n - len(landed)
        what = f"{missed} of {n} clicks never arrived; " if missed else ""
        return failed("clicks", f"{what}clicks land up to {worst:.0f} px off target; {scale_text}", (
            "Clicks miss by an offset: check the monitor arrangement (Settings → Displays) and that nothing moved "
            "the pointer during the check, then run it again."), **figures)
    return passed("clicks", f"{n} of {n} clicks on target, max error {worst:.0f} px; {scale_text}", **figures)


def _fmt(v: float | None) -> str:
    return "?" if v is None else f"{v:.3f}".rstrip("0").rstrip(".")
