"""Carry out actions with pyautogui — directly, never through generated code.

* pyautogui's 0.1 s pause after every call is off; the few places that need a beat sleep explicitly.
* pyautogui's fail-safe stays on as the person's emergency exit (pointer into a screen corner). The agent's own
  targets never land on a corner pixel (nudged one pixel inwards), so only the person can trigger it, and it
  ends the run as "stopped", not as a crash.
* Plain ASCII is typed with key presses; anything else goes through the clipboard and the platform's paste
  shortcut, and the person's clipboard is put back afterwards. A trailing newline presses Enter once.
* Nothing stays held. Every key and button the agent holds is tracked and released whenever an action ends
  early (stop, error, takeover, Ctrl+C); the loop releases again when the run ends. At start, whatever an earlier
  run left held (killed mid-drag) is released too: the X server is asked what is down (see held_input).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from agent_app.core.actions import Action
from agent_app.core.desktop.clipboard import Clipboard
from agent_app.core.desktop.held_input import release_left_held
from agent_app.core.desktop.input_listener import AgentActivity
from agent_app.core.errors import AgentAppError, ConfigError, ExecutionError, Interrupt, Stopped
from agent_app.core.geometry import Monitor

log = logging.getLogger(__name__)

# Printable ASCII that key presses reproduce exactly on every platform ('<' and '>' get mangled on X11).
_KEYABLE = frozenset(chr(c) for c in range(0x20, 0x7F)) - {"<", ">"} | {"\n", "\t"}
# One "scroll" = this many wheel notches; pyautogui's units differ per platform (Windows: 1/120 notch).
SCROLL_NOTCHES = 5
# The most wheel clicks one scroll action turns: a model that writes pixels where clicks are meant (`pixels=-500`
# with a Qwen tool) would otherwise spin the wheel 500 times — pages past anything it could have seen.
MAX_SCROLL_CLICKS = 30
_NOTCH_UNITS = {"win32": 120, "darwin": 2}
_POINTER_CALLS = {"click": "click", "double_click": "doubleClick", "right_click": "rightClick", "move": "moveTo",
                  "triple_click": "tripleClick", "middle_click": "middleClick"}
FAILSAFE_STOP = "stopped: the pointer was pushed into a screen corner (fail-safe)"
TYPE_SLICE = 8
DRAG_STEPS = 12
DRAG_DURATION_S = 0.25
FOCUS_WAIT_S = 1.0  # how long keys wait for a window to have the keyboard focus (X11)
PASTE_SETTLE_S = 0.15  # give the target app time to fetch the clipboard before it is restored


def ensure_xauthority() -> None:
    """python-xlib (pulled in by pyautogui and pynput) prints "Xlib.xauth: warning, no xauthority details
    available" on stdout when its cookie file is empty (XAUTHORITY=/dev/null, an empty ~/.Xauthority), which
    breaks `--json`. A missing file it skips quietly and connects without a cookie. So an empty cookie file is
    swapped for a missing one; a cookie file with entries, or none at all, is left alone."""
    if not sys.platform.startswith("linux"):
        return
    path = os.environ.get("XAUTHORITY") or os.path.join(os.path.expanduser("~"), ".Xauthority")
    try:
        empty = os.path.getsize(path) == 0
    except OSError:
        return  # missing or unreadable: python-xlib connects without a cookie, silently
    if empty:
        os.environ["XAUTHORITY"] = os.path.join(os.path.dirname(os.path.abspath(path)), ".agent-app-no-xauthority")


def _load_pyautogui():  # returns the pyautogui module
    ensure_xauthority()
    try:
        import pyautogui
    except (ImportError, SystemExit, Exception) as e:  # noqa: BLE001 - pyautogui raises SystemExit without tkinter
        raise ConfigError(f"cannot control mouse and keyboard here ({e}); run inside a desktop session") from None
    pyautogui.PAUSE = 0
    pyautogui.MINIMUM_DURATION = 0
    pyautogui.FAILSAFE = True
    return pyautogui


def default_target_check(platform: str) -> Callable[[tuple[int, int]], str | None] | None:
    """On Windows: a check that the window under a point does not run elevated while we do not."""
    if platform != "win32":
        return None
    from agent_app.core.desktop.permissions import elevated_target_problem, windows_probes

    probes = windows_probes()

    def check(point: tuple[int, int]) -> str | None:
        problem = elevated_target_problem(probes, point=point)
        return problem.message if problem else None

    return check


def split_for_typing(text: str) -> list[tuple[bool, str]]:
    """Split text into runs: (True, keyable ASCII) and (False, text that must be pasted)."""
    runs: list[tuple[bool, str]] = []
    for ch in text:
        keyable = ch in _KEYABLE
        if runs and runs[-1][0] == keyable:
            runs[-1] = (keyable, runs[-1][1] + ch)
        else:
            runs.append((keyable, ch))
    return runs


class PyAutoGUIExecutor:
    """Executes actions on the real desktop, announcing each one to `activity` (for takeover detection)."""

    def __init__(
        self,
        monitor: Monitor,
        *,
        platform: str | None = None,
        scroll_notches: int = SCROLL_NOTCHES,
        clipboard: Clipboard | None = None,
        activity: AgentActivity | None = None,
        target_check: Callable[[tuple[int, int]], str | None] | None = None,
    ) -> None:
        self.pg = _load_pyautogui()
        self.monitor = monitor
        self.platform = platform or sys.platform
        self.notch_units = _NOTCH_UNITS.get(self.platform, 1)  # pyautogui units of one wheel click
        self.scroll_notches = scroll_notches  # a scroll that names no amount
        self.clipboard = clipboard or Clipboard()
        self.activity = activity
        # Windows blocks input into elevated windows (UIPI) without an error: say so instead of clicking.
        self.target_check = target_check if target_check is not None else default_target_check(self.platform)
        self._held_keys: list[str] = []
        self._held_buttons: list[str] = []
        self._last_target: tuple[int, int] | None = tuple(self.pg.position())
        self.paste_keys = ("command", "v") if self.platform == "darwin" else ("ctrl", "v")
        self.release_left_held()

    # ---- safety ----
    def _safe_point(self, x: int, y: int) -> tuple[int, int]:
        """Clamp into the monitor and step off fail-safe corners, so only the person can trigger it."""
        x, y = self.monitor.clamp(x, y)
        if (x, y) in self.pg.FAILSAFE_POINTS:
            x += 1 if x == self.monitor.left else -1
            y += 1 if y == self.monitor.top else -1
            x, y = self.monitor.clamp(x, y)
        self._last_target = (x, y)
        return x, y

    def _failsafe_check(self) -> None:
        """A pointer that *moved* into a corner since the agent last placed it is the person's emergency exit.

        One that was already resting there (e.g. when the run started) is just moved off the corner.
        """
        if not self.pg.FAILSAFE:
            return
        pos = tuple(self.pg.position())
        if pos not in self.pg.FAILSAFE_POINTS:
            return
        if pos != self._last_target:
            raise Stopped(FAILSAFE_STOP)
        self.pg.FAILSAFE = False
        try:
            self.pg.moveTo(*self._safe_point(*pos))
        finally:
            self.pg.FAILSAFE = True

    # ---- actions ----
    def execute(self, action: Action, check: Callable[[], None] = lambda: None) -> None:
        check()
        self._failsafe_check()
        keys = (action.text or "") if action.type == "type" else action.keys  # the chord, or modifiers held
        if self.activity:
            self.activity.begin(keys)
        try:
            getattr(self, "_do_" + action.type)(action, check)
        except (Interrupt, AgentAppError):  # stopped, taken over (nothing may stay held), refused target
            self.release_all()
            raise
        except self.pg.FailSafeException:
            self.release_all()
            raise Stopped(FAILSAFE_STOP) from None
        except Exception as e:  # noqa: BLE001 - any platform failure becomes one line
            self.release_all()
            raise ExecutionError(f"{action.describe()} failed: {e}") from None
        except BaseException:  # a second Ctrl+C: the process leaves, but not with a button down
            self.release_all()
            raise
        finally:
            if self.activity:
                self.activity.end(self._last_target)

    def _point(self, action: Action) -> tuple[int, int]:
        point = self._safe_point(int(action.x), int(action.y))
        problem = self.target_check(point) if self.target_check else None
        if problem:
            raise ExecutionError(problem)
        return point

    def _here(self, action: Action) -> tuple[int, int]:
        """The action's point, or where the pointer is (models may click 'here', at the pointer)."""
        if action.has_point:
            return self._point(action)
        return self._safe_point(*self.pg.position())

    @contextmanager
    def _modifiers(self, action: Action) -> Iterator[None]:
        """Hold the action's modifier keys (shift-click, ctrl-drag…) while it runs."""
        keys = action.keys if action.type != "hotkey" else ()
        for key in keys:
            self._held_keys.append(key)
            self.pg.keyDown(key)
        try:
            yield
        finally:
            for key in reversed(keys):
                self.pg.keyUp(key)
                self._held_keys.remove(key)

    def _pointer_action(self, action: Action, check: Callable[[], None]) -> None:
        x, y = self._here(action)
        with self._modifiers(action):
            getattr(self.pg, _POINTER_CALLS[action.type])(x, y)

    _do_click = _do_double_click = _do_right_click = _do_move = _do_triple_click = _do_middle_click = _pointer_action

    def _do_mouse_down(self, action: Action, check: Callable[[], None]) -> None:
        x, y = self._here(action)
        if "left" not in self._held_buttons:
            self._held_buttons.append("left")
        self.pg.mouseDown(x, y, button="left")

    def _do_mouse_up(self, action: Action, check: Callable[[], None]) -> None:
        x, y = self._here(action)
        self.pg.mouseUp(x, y, button="left")
        if "left" in self._held_buttons:
            self._held_buttons.remove("left")

    def _do_drag(self, action: Action, check: Callable[[], None]) -> None:
        x1, y1 = self._here(action)
        x2, y2 = self._safe_point(int(action.x2), int(action.y2))
        with self._modifiers(action):
            self.pg.moveTo(x1, y1)
            self._held_buttons.append("left")
            self.pg.mouseDown(x1, y1, button="left")
            for i in range(1, DRAG_STEPS + 1):  # intermediate motion: apps need it to start a drag
                check()
                xi, yi = round(x1 + (x2 - x1) * i / DRAG_STEPS), round(y1 + (y2 - y1) * i / DRAG_STEPS)
                self._last_target = (xi, yi)
                self.pg.moveTo(xi, yi)
                time.sleep(DRAG_DURATION_S / DRAG_STEPS)
            self._last_target = (x2, y2)
            self.pg.mouseUp(x2, y2, button="left")
            self._held_buttons.remove("left")

    def _await_keyboard_focus(self, check: Callable[[], None]) -> None:
        """X11: keys pressed while no window has the keyboard focus are lost. Right after a window went away (ours,
        stepping aside) the window manager needs a moment to hand the focus on: wait for it, briefly."""
        display = getattr(getattr(self.pg, "platformModule", None), "_display", None)
        if display is None:
            return
        deadline = time.monotonic() + FOCUS_WAIT_S
        waited = False
        try:
            root = display.screen().root
            while True:
                focus = display.get_input_focus().focus
                if not isinstance(focus, int) and focus and focus.id != root.id:
                    if waited:  # it has only just arrived there: let the window take it in
                        time.sleep(0.05)
                    return
                if time.monotonic() > deadline:
                    log.warning("no window has the keyboard focus (%s); typing anyway", focus)
                    return  # nobody has it: type anyway (a desktop that keeps it so has nothing to lose)
                check()
                waited = True
                time.sleep(0.01)
        except (Interrupt, AgentAppError):
            raise
        except Exception as e:  # noqa: BLE001 - asking is a courtesy; typing goes on
            log.debug("could not ask for the keyboard focus: %s", e)

    def _do_hotkey(self, action: Action, check: Callable[[], None]) -> None:
        self._await_keyboard_focus(check)
        self.press_keys(action.keys, action.hold or 0.0, check)

    def press_keys(self, keys: tuple[str, ...], hold: float = 0.0, check: Callable[[], None] = lambda: None) -> None:
        """Press keys together (modifiers first, as given), keep them down `hold` s, release in reverse order."""
        for key in keys:
            self._held_keys.append(key)
            self.pg.keyDown(key)
        deadline = time.monotonic() + hold
        while time.monotonic() < deadline:  # a stop lands while keys are held (released on the way out)
            check()
            time.sleep(min(0.02, max(0.0, deadline - time.monotonic())))
        for key in reversed(keys):
            self.pg.keyUp(key)
            self._held_keys.remove(key)

    def _do_type(self, action: Action, check: Callable[[], None]) -> None:
        self._await_keyboard_focus(check)
        text = action.text or ""
        submit = text.endswith("\n")
        if submit:
            text = text[:-1]
        for keyable, chunk in split_for_typing(text):
            check()
            if keyable:
                for i in range(0, len(chunk), TYPE_SLICE):  # slices: a stop lands mid-text, not after it
                    check()
                    self.pg.write(chunk[i : i + TYPE_SLICE], interval=0)
            else:
                self._paste(chunk)
        if submit:
            self.press_keys(("enter",))

    def _paste(self, text: str) -> None:
        saved = self.clipboard.save()  # the person's text, or the image they copied
        self.clipboard.write(text)
        self.press_keys(self.paste_keys)
        time.sleep(PASTE_SETTLE_S)
        self.clipboard.restore(saved)  # an empty clipboard stays empty: no typed text left

    def _do_scroll(self, action: Action, check: Callable[[], None]) -> None:
        if action.has_point:
            x, y = self._point(action)
            self.pg.moveTo(x, y)
        clicks = self.scroll_notches if action.amount is None else min(max(action.amount, 0), MAX_SCROLL_CLICKS)
        sign = 1 if action.direction in ("up", "right") else -1
        turn = self.pg.scroll if action.direction in ("up", "down") else self.pg.hscroll
        with self._modifiers(action):
            for done in range(0, clicks, SCROLL_NOTCHES):  # in slices: a stop lands mid-scroll
                check()
                turn(sign * min(SCROLL_NOTCHES, clicks - done) * self.notch_units)

    def _do_wait(self, action: Action, check: Callable[[], None]) -> None:  # the loop sleeps, not us
        return None

    # Nothing to carry out: the loop ends the run, or answers the model (a crop, an error result).
    _do_finished = _do_call_user = _do_zoom = _do_unsupported = _do_wait

    def position(self) -> tuple[int, int]:
        x, y = self.pg.position()
        return int(x), int(y)

    # ---- cleanup ----
    def release_left_held(self) -> str:
        """Release the buttons and modifier keys that are down before this executor has pressed anything
        (an earlier run killed mid-drag). Never raises; returns what was done, in words."""
        failsafe, self.pg.FAILSAFE = self.pg.FAILSAFE, False  # release even with the pointer in a corner
        try:
            done = release_left_held(self.pg, self.platform)
        finally:
            self.pg.FAILSAFE = failsafe
        log.info("at start: %s", done)
        return done

    def release_all(self) -> None:
        """Release every key and mouse button this executor may still hold. Never raises."""
        failsafe, self.pg.FAILSAFE = self.pg.FAILSAFE, False  # release even with the pointer in a corner
        for key in reversed(self._held_keys):
            try:
                self.pg.keyUp(key)
            except Exception:  # noqa: BLE001 - cleanup must not raise
                pass
        self._held_keys.clear()
        for button in self._held_buttons:
            try:
                self.pg.mouseUp(button=button)
            except Exception:  # noqa: BLE001 - cleanup must not raise
                pass
        self._held_buttons.clear()
        self.pg.FAILSAFE = failsafe
