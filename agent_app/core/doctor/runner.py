"""`agent-app doctor`: every check in order, on the chosen monitor, through the real executor and capture.

The calibration window is the UI's (`Surface`, called from this worker thread; the UI marshals to its own).
The model call runs alongside the desktop checks, on a thread of its own: it waits on the network, they on the
display, and together they stay within seconds.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from agent_app.core.actions import Action
from agent_app.core.doctor.calibration import PALETTE, Calibration, calibration_targets, click_check, find_markers
from agent_app.core.doctor.report import Check, DoctorReport, failed, skipped
from agent_app.core.doctor.system import hotkeys_check, keychain_check, permissions_check, session_check
from agent_app.core.doctor.typing_check import TYPING_TEXT, clipboard_check, typing_check
from agent_app.core.errors import AgentAppError, ExecutionError, Stopped
from agent_app.core.geometry import Monitor

DESK_CHECKS = ("clicks", "typing", "clipboard", "hotkeys")
NOMINAL_MONITOR = Monitor(0, 0, 1920, 1080)  # for the model check when there is no display to measure
CLICK_ARRIVES_S = 1.0
WINDOW_SHOWS_S = 3.0
TEXT_SETTLES_S = 0.5
TEXT_ARRIVES_S = 4.0
CANCELLED = "the check was cancelled"
log = logging.getLogger(__name__)


class Surface(Protocol):
    """The calibration window, as the doctor drives it from its worker thread. Coordinates are the window's own."""

    cancelled: bool

    def open(self, monitor_index: int) -> tuple[int, int]:
        """Show full-screen on the monitor (mss numbering); return its size. Blocks until it is shown."""
        ...

    def draw_targets(self, targets: list[tuple[int, int]], colours: list[tuple[int, int, int]]) -> None:
        """Draw each target as a square of its colour; blocks until painted."""
        ...

    def next_click(self, timeout: float) -> tuple[float, float] | None:
        """Where the next mouse press arrived, or None if none did within `timeout` s."""
        ...

    def mark(self, index: int, landed: tuple[float, float] | None) -> None:
        """Show the person that target `index` was clicked (and where the click arrived)."""
        ...

    def show_text_field(self) -> tuple[int, int, int, int]:
        """Show the (empty) text field; its (x, y, width, height)."""
        ...

    def text(self) -> str:
        ...

    def say(self, text: str) -> None:
        """A line of progress for the person watching."""
        ...

    def close(self) -> None:
        ...


@dataclass
class DoctorOptions:
    monitor: int = 1
    run_config: Any = None  # a RunConfig with an endpoint: the model check runs; None: it is skipped
    platform: str = field(default_factory=lambda: sys.platform)
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))


def run_doctor(options: DoctorOptions, surface: Surface | None,
               make_executor: Callable[[Monitor], Any] | None = None) -> DoctorReport:
    """Every check; never raises for what it finds (each problem is a failed check with what to do)."""
    t0 = time.perf_counter()
    report = DoctorReport(monitor_index=options.monitor)
    display = session_check(options.env, options.platform)
    report.checks += [display, permissions_check(options.platform), keychain_check(options.env)]
    has_display = display.ok or bool(display.figures.get("display"))  # a Wayland session may still show XWayland
    monitor = _monitor(options.monitor) if has_display else None
    model: list[Check] = []
    thread = _start_model_check(options, monitor, model, lambda: surface is not None and surface.cancelled)
    if surface is None or monitor is None:
        if not has_display:
            why, advice = display.summary, display.advice or ""
        elif monitor is None:
            why, advice = (f"monitor {options.monitor} does not exist",
                           "Choose a connected monitor: --monitor N, or Settings → Runs → Monitor.")
        else:
            why, advice = "no window can be shown here", "Run the check inside a desktop session."
        report.checks += [failed(name, f"not checked: {why}", advice) for name in DESK_CHECKS]
    else:
        report.monitor = monitor.to_json()
        report.checks += desk_checks(options, surface, make_executor)
    if thread is not None:
        thread.join()
    report.checks += model or [skipped("model", "no endpoint configured: pass --base-url (or set up Settings) to "
                                                 "check the model's clicks too")]
    report.seconds = time.perf_counter() - t0
    return report


def _monitor(index: int) -> Monitor | None:
    from agent_app.core.desktop.capture import list_monitors

    monitors = list_monitors()
    return monitors[index - 1] if 1 <= index <= len(monitors) else None


def _start_model_check(options: DoctorOptions, monitor: Monitor | None, out: list[Check],
                       cancelled: Callable[[], bool]) -> threading.Thread | None:
    config = options.run_config
    if config is None or not config.base_url:
        return None
    from agent_app.core.doctor.model_check import model_check

    def check() -> None:
        if cancelled():
            raise Stopped(CANCELLED)

    def work() -> None:
        try:
            out.append(model_check(config, monitor or NOMINAL_MONITOR, check))
        except Stopped:
            out.append(failed("model", CANCELLED, "Run the check again and let it finish."))
        except Exception as e:  # a verdict, never a crash
            log.exception("the model check failed")  # the advice sends the person to the log file: it must be there
            out.append(failed("model", f"the model check failed: {type(e).__name__}: {e}",
                              "Run the check again; if it keeps failing, report it with the log file."))

    thread = threading.Thread(target=work, name="agent-app-doctor-model", daemon=True)
    thread.start()
    return thread


def desk_checks(options: DoctorOptions, surface: Surface,
                make_executor: Callable[[Monitor], Any] | None) -> list[Check]:
    """Clicks, typing, clipboard and global input, on our own full-screen window (every input lands in it)."""
    from agent_app.core.desktop.capture import MSSCapture
    from agent_app.core.desktop.executor import PyAutoGUIExecutor

    try:
        screen = MSSCapture(options.monitor)
    except AgentAppError as e:
        return [failed(name, f"not checked: {e}", "Run the check inside a desktop session.") for name in DESK_CHECKS]
    done: list[Check] = []
    try:
        executor = (make_executor or PyAutoGUIExecutor)(screen.monitor)
        start = tuple(executor.pg.position())
        probe = _DeskProbe(options, surface, screen, executor)
        steps = [(("clicks",), lambda: [probe.clicks()]), (("typing", "clipboard"), probe.typing),
                 (("hotkeys",), lambda: [probe.hotkeys()])]
        try:
            for names, step in steps:
                try:
                    done += step()
                except Stopped:
                    raise
                except AgentAppError as e:  # this step could not run here; the next ones still may
                    done += [failed(n, f"not checked: {e}", _CANNOT_ACT) for n in names]
        finally:
            executor.release_all()
            if start not in executor.pg.FAILSAFE_POINTS:
                executor.pg.moveTo(*start)  # the pointer back where the person left it
    except Stopped as e:
        done += [failed(n, str(e), "Run the check again and let it finish.") for n in DESK_CHECKS[len(done):]]
    except AgentAppError as e:
        done += [failed(n, f"not checked: {e}", _CANNOT_ACT) for n in DESK_CHECKS[len(done):]]
    finally:
        surface.close()
        screen.close()
    return done


_CANNOT_ACT = "Run the check inside a desktop session where agent-app may control the mouse and keyboard."


class _DeskProbe:
    def __init__(self, options: DoctorOptions, surface: Surface, screen: Any, executor: Any) -> None:
        self.options, self.surface, self.screen, self.executor = options, surface, screen, executor
        self.cal: Calibration | None = None
        self.size = (0, 0)

    def check(self) -> None:
        if self.surface.cancelled:
            raise Stopped(CANCELLED)

    def grab(self):  # a PIL image of the monitor, as captured
        from PIL import Image

        raw = self.screen.grab_raw()
        return Image.frombuffer("RGB", raw.size, raw.bgra, "raw", "BGRX", 0, 1)

    # ---- clicks ----
    def clicks(self) -> Check:
        size = self.size = self.surface.open(self.options.monitor)
        targets = calibration_targets(*size)
        self.surface.say("Clicking the targets through the agent's own mouse control…")
        self.surface.draw_targets(targets, list(PALETTE[: len(targets)]))
        deadline = time.monotonic() + WINDOW_SHOWS_S
        while True:  # the window manager may still be placing or repainting the window
            self.check()
            image = self.grab()
            found = find_markers(image, len(targets))
            if all(found) or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        cal = self.cal = Calibration(self.screen.monitor, image.size, size, targets, found, [], [])
        for i, f in enumerate(found):
            self.check()
            if f is None:
                cal.aimed.append(None)
                cal.landed.append(None)
                continue
            aim = cal.aim(f)
            self.surface.next_click(0)  # forget any stray press
            self.executor.execute(Action("click", x=aim[0], y=aim[1]), self.check)
            landed = self.surface.next_click(CLICK_ARRIVES_S)
            cal.aimed.append(aim)
            cal.landed.append(landed)
            self.surface.mark(i, landed)
        return click_check(cal, self.options.platform)

    def to_input(self, x: float, y: float) -> tuple[int, int]:
        """A point of the window in input coordinates, by what was measured (falls back to the run's mapping)."""
        wx, wy = self.cal.window_fits() if self.cal is not None else (None, None)
        if self.cal is None or wx is None or wy is None:
            m = self.screen.monitor
            return m.clamp(m.left + x, m.top + y)
        cx, cy = wx(x), wy(y)
        ix, iy = self.cal.input_fits()
        if ix is not None and iy is not None:
            return self.screen.monitor.clamp(round(ix(cx)), round(iy(cy)))
        return self.cal.space.to_screen(cx, cy)

    # ---- typing and the clipboard ----
    def typing(self) -> list[Check]:
        self.surface.say("Typing into the text field (ASCII, accents, CJK, emoji, quotes, Enter)…")
        x, y, w, h = self.surface.show_text_field()
        self.executor.execute(Action("click", *self.to_input(x + w / 2, y + h / 2)), self.check)
        self.surface.next_click(0)
        clipboard = self.executor.clipboard
        before = clipboard.save()
        refused = None
        try:
            self.executor.execute(Action("type", text=TYPING_TEXT), self.check)
        except ExecutionError as e:  # e.g. no clipboard tool: what did arrive is still the verdict
            refused = str(e)
        got = self._wait_text()
        after = clipboard.save()
        typing = typing_check(TYPING_TEXT, got, clipboard.available, self.options.platform)
        if refused:
            typing.figures["error"] = refused
        return [typing, clipboard_check(before, after, pasted=clipboard.available and refused is None)]

    def _wait_text(self) -> str:
        """The field's text once it is complete, or once it has stopped changing."""
        deadline = time.monotonic() + TEXT_ARRIVES_S
        last, since = None, time.monotonic()
        while time.monotonic() < deadline:
            self.check()
            text = self.surface.text()
            if text == TYPING_TEXT:
                return text
            if text != last:
                last, since = text, time.monotonic()
            elif time.monotonic() - since > TEXT_SETTLES_S:
                break
            time.sleep(0.02)
        return last or ""

    # ---- global input ----
    def hotkeys(self) -> Check:
        self.surface.say("Checking global hotkeys and takeover detection…")
        self.check()
        away = self.to_input(self.size[0] / 2, self.size[1] / 3)  # inside our window, away from the text field
        return hotkeys_check(self.executor, away, self.options.platform)
