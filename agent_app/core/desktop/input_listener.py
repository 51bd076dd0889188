"""Global hotkeys and takeover detection: one pynput keyboard + mouse listener for the whole app.

Under X11 pynput cannot tell the agent's synthetic input from the person's, so the executor reports what it
is doing (`AgentActivity`): while it acts, and for a short grace period after, input is taken to be the
agent's — except a hotkey that the agent is not itself pressing, so the emergency stop always works.

The person's use of agent-app itself is not a takeover: the UI says which screen points and which keyboard
focus are its own (`OwnWindows`), and input there is neither a takeover nor part of a correction. Elsewhere a
click, a scroll or a key press is the person taking over: the run pauses at once (see RunControl.check) until
they hand back. Pointer movement beyond a small threshold holds the agent until the pointer comes to rest: at
rest on the desktop it is a takeover; at rest on our windows (the person reached for the control strip) it was
not. A press is attributed where it began and its release follows it (a drag from the desktop that ends over
our window is the person's; one that starts on the strip is not). Global hotkeys work everywhere.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from agent_app.core.control import RunControl
from agent_app.core.desktop.person import PersonRecorder

log = logging.getLogger(__name__)

GRACE_S = 0.25  # how long after a synthetic action its events may still arrive from the X server
REST_S = 0.5  # a moved pointer at rest this long is where the person meant to go
MOVING_MAX_S = 3.0  # moving about on the desktop this long is a takeover even without coming to rest
MODIFIERS = {"ctrl", "alt", "shift", "cmd"}
_NAMED = {"ctrl_l": "ctrl", "ctrl_r": "ctrl", "alt_l": "alt", "alt_r": "alt", "alt_gr": "alt",
          "shift_l": "shift", "shift_r": "shift", "cmd_l": "cmd", "cmd_r": "cmd", "super": "cmd",
          "return": "enter", "escape": "esc"}


class AgentActivity:
    """The agent's own input, as the executor announces it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._busy = 0
        self._last_end = 0.0
        self._keys: frozenset[str] = frozenset()
        self.pointer: tuple[int, int] | None = None

    def begin(self, keys: tuple[str, ...] | str = ()) -> None:
        """The agent starts an action that presses `keys` (key names, or the text it types)."""
        names = [canonical(k) for k in keys] if not isinstance(keys, str) else [c.lower() for c in keys]
        with self._lock:
            self._busy += 1
            self._keys = frozenset(names) | ({"enter", "ctrl", "v", "cmd"} if isinstance(keys, str) else set())

    def end(self, pointer: tuple[int, int] | None = None) -> None:
        with self._lock:
            self._busy = max(0, self._busy - 1)
            self._last_end = time.monotonic()
            if pointer is not None:
                self.pointer = pointer

    def acting(self, now: float | None = None) -> bool:
        """True while the agent's own input may be what the listener sees."""
        return self.phase(now) != "idle"

    def phase(self, now: float | None = None) -> str:
        """'busy' (acting now), 'grace' (its last events may still arrive) or 'idle'."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if self._busy > 0:
                return "busy"
            return "grace" if now - self._last_end < GRACE_S else "idle"

    def owns_key(self, key: str) -> bool:
        """Could this key event be one of the agent's own (its hotkey, typed characters, paste)?"""
        with self._lock:
            return key in self._keys

    def pressing(self, keys: frozenset[str]) -> bool:
        with self._lock:
            return self._busy > 0 and keys <= self._keys


def canonical(name: str) -> str:
    """pynput/pyautogui key names → one spelling: 'Key.ctrl_l' / '<ctrl>' / 'control' → 'ctrl'."""
    name = name.strip().lower().removeprefix("key.").strip("<>")
    name = _NAMED.get(name, name)
    return {"control": "ctrl", "win": "cmd", "command": "cmd", "option": "alt"}.get(name, name)


def parse_hotkey(spec: str) -> frozenset[str]:
    """'<ctrl>+<alt>+p' (pynput syntax) or 'Ctrl+Alt+P' → {'ctrl', 'alt', 'p'}. ValueError if malformed."""
    parts = [p for p in spec.replace(" ", "").split("+") if p]
    if not parts:
        raise ValueError("empty hotkey")
    keys = frozenset(canonical(p) for p in parts)
    if not keys - MODIFIERS:
        raise ValueError(f"{spec!r} has no key besides modifiers")
    if len(keys) != len(parts):
        raise ValueError(f"{spec!r} repeats a key")
    return keys


def describe(keys: frozenset[str]) -> str:
    order = ["ctrl", "alt", "shift", "cmd"]
    mods = [k for k in order if k in keys]
    rest = sorted(keys - set(order))
    return "+".join([m.capitalize() for m in mods] + [r.upper() if len(r) == 1 else r.capitalize() for r in rest])


def check_hotkeys(bindings: dict[str, str]) -> tuple[dict[frozenset[str], str], list[str]]:
    """Validate bindings {action: spec}. Returns {keys: action} and one plain sentence per problem."""
    parsed: dict[frozenset[str], str] = {}
    problems: list[str] = []
    for action, spec in bindings.items():
        if not spec:
            continue
        try:
            keys = parse_hotkey(spec)
        except ValueError as e:
            problems.append(f"The hotkey for “{action}” is not usable: {e}.")
            continue
        if keys in parsed:
            problems.append(f"{describe(keys)} is bound twice: to “{parsed[keys]}” and to “{action}”. "
                            f"Only “{parsed[keys]}” will work.")
            continue
        if keys == frozenset({"ctrl", "v"}) or keys == frozenset({"cmd", "v"}):
            problems.append(f"{describe(keys)} is the paste shortcut the agent itself uses; choose another.")
            continue
        parsed[keys] = action
    return parsed, problems


class OwnWindows(Protocol):
    """agent-app's own windows as the UI knows them. Asked from the listener threads: must be thread-safe."""

    def at(self, x: float, y: float) -> bool:
        """Is the window on top at screen pixel (x, y) one of ours?"""
        ...

    def focused(self) -> bool:
        """Does one of our windows have the keyboard focus?"""
        ...


@dataclass
class _Watch:
    control: RunControl
    threshold: float
    on_takeover: Callable[[str], None] | None
    reference: tuple[float, float] | None = None
    person: PersonRecorder | None = None  # records what the person does while they have the controls


class GlobalInput:
    """Owns the pynput listeners. `start()` returns None, or why global input is unavailable here."""

    def __init__(self, activity: AgentActivity | None = None, own: OwnWindows | None = None) -> None:
        self.activity = activity or AgentActivity()
        self.own = own
        self.rest_s = REST_S
        self._hotkeys: dict[frozenset[str], Callable[[], None]] = {}
        self._pressed: set[str] = set()
        self._watch: _Watch | None = None
        self._listeners: list = []
        self._lock = threading.RLock()
        self._settle = threading.Condition(self._lock)
        self._settler: threading.Thread | None = None
        self._closed = False
        self._pos: tuple[float, float] | None = None
        self._moving_since: float | None = None  # a movement on the desktop waits to come to rest
        self._rest_at = 0.0
        self._press_ours: dict[str, bool] = {}  # mouse button → was it pressed on our window
        self._key_ours: dict[str, bool] = {}  # key → was it pressed while our window had the focus
        self.error: str | None = None

    # ---- set-up ----
    def start(self) -> str | None:
        try:
            from agent_app.core.desktop.executor import ensure_xauthority

            ensure_xauthority()
            from pynput import keyboard, mouse

            kb = keyboard.Listener(on_press=_safe(self._on_press), on_release=_safe(self._on_release))
            ms = mouse.Listener(on_move=_safe(self._on_move), on_click=_safe(self._on_click),
                                on_scroll=_safe(self._on_scroll))
            kb.daemon = ms.daemon = True
            kb.start()
            ms.start()
            kb.wait()
            ms.wait()
            self._listeners = [kb, ms]
        except Exception as e:  # noqa: BLE001 - no X server, Wayland, missing permission: all reported
            self.error = f"global hotkeys and takeover detection are unavailable here ({type(e).__name__}: {e})"
            log.warning(self.error)
            return self.error
        return None

    def stop(self) -> list[threading.Thread]:
        """Stop listening. Returns the listener threads: under X11 a mouse listener ends at its next event."""
        stopped = list(self._listeners)
        for listener in stopped:
            listener.stop()
        self._listeners.clear()
        with self._settle:
            self._closed = True
            self._settle.notify_all()
        return stopped

    def set_own_windows(self, own: OwnWindows | None) -> None:
        self.own = own

    def set_hotkeys(self, bindings: dict[str, str], actions: dict[str, Callable[[], None]]) -> list[str]:
        """Bind {action: spec}; `actions` maps action names to callables (run on the listener thread)."""
        parsed, problems = check_hotkeys(bindings)
        with self._lock:
            self._hotkeys = {keys: actions[name] for keys, name in parsed.items() if name in actions}
        return problems

    def watch(self, control: RunControl, threshold_px: float = 12,
              on_takeover: Callable[[str], None] | None = None, person: PersonRecorder | None = None) -> None:
        """Start treating the person's input as a takeover of `control`'s run (recorded into `person`)."""
        reference = self._pointer()
        with self._lock:
            self._end_movement()
            self._watch = _Watch(control, threshold_px, on_takeover, reference, person)
            self._press_ours.clear()
            self._key_ours.clear()

    def unwatch(self) -> None:
        with self._lock:
            self._end_movement()
            self._watch = None

    @staticmethod
    def _pointer() -> tuple[float, float] | None:
        try:
            from pynput import mouse

            return tuple(mouse.Controller().position)  # type: ignore[return-value]
        except Exception:  # noqa: BLE001 - only a starting reference; moves still count later
            return None

    # ---- ours or the desktop's ----
    def _ours_at(self, x: float, y: float) -> bool:
        try:
            return self.own is not None and self.own.at(x, y)
        except Exception:  # in doubt it is the desktop: the person's input is never lost
            log.exception("could not tell whether (%s, %s) is one of our windows", x, y)
            return False

    def _focus_ours(self) -> bool:
        try:
            return self.own is not None and self.own.focused()
        except Exception:  # as above
            log.exception("could not tell whether one of our windows has the focus")
            return False

    # ---- a movement on its way (lock held) ----
    def _start_movement(self, watch: _Watch) -> None:
        self._moving_since = time.monotonic()
        watch.control.hold(True)
        self._moving()

    def _moving(self) -> None:
        assert self._moving_since is not None
        self._rest_at = min(time.monotonic() + self.rest_s, self._moving_since + MOVING_MAX_S)
        if self._settler is None:
            self._settler = threading.Thread(target=self._settle_movements, name="agent-app-pointer-rest",
                                             daemon=True)
            self._settler.start()
        self._settle.notify_all()

    def _end_movement(self) -> None:
        if self._moving_since is not None:
            self._moving_since = None
            if self._watch is not None:
                self._watch.control.hold(False)

    def _settle_movements(self) -> None:
        """The pointer has come to rest (or moved about long enough): decide what the movement was."""
        with self._settle:
            while not self._closed:
                if self._moving_since is None:
                    self._settle.wait()
                    continue
                left = self._rest_at - time.monotonic()
                if left > 0:
                    self._settle.wait(left)
                    continue
                watch, pos = self._watch, self._pos
                if watch is None or pos is None or watch.control.paused_by is not None or self._ours_at(*pos):
                    if watch is not None and pos is not None:
                        watch.reference = pos
                    self._end_movement()  # it came to rest on our window: the person reached for agent-app
                else:
                    self._takeover("the pointer moved")

    # ---- events (listener threads) ----
    def _takeover(self, why: str) -> None:
        with self._lock:
            watch = self._watch
            if watch is None or watch.control.paused_by is not None or watch.control.stop_requested:
                self._end_movement()
                return
            if watch.person is not None:
                watch.person.start()  # from the very event that took over
            watch.control.pause("takeover")
            self._end_movement()
        if watch.on_takeover:
            watch.on_takeover(why)

    def _agents_point(self, x: float, y: float, threshold: float) -> bool:
        """During the grace period, an event at the agent's last target is the agent's, arriving late."""
        pointer = self.activity.pointer
        return pointer is not None and math.dist((x, y), pointer) <= threshold

    def _on_move(self, x: float, y: float, injected: bool = False) -> None:
        with self._lock:
            watch = self._watch
            if watch is None:
                return
            self._pos = (x, y)
            if injected:  # Windows and macOS mark synthetic events; X11 never does
                watch.reference = (x, y)
                return
            phase = self.activity.phase()
            late = phase == "grace" and self._agents_point(x, y, watch.threshold)
            if phase == "busy" or late or watch.reference is None:
                watch.reference = (x, y)  # the agent moved it (or we had no reference yet)
                return
            if phase == "grace":
                watch.reference = self.activity.pointer
            if watch.control.paused_by is not None:
                watch.reference = (x, y)
                return
            if self._moving_since is not None:
                self._moving()  # still on its way: where it comes to rest decides
            elif math.dist((x, y), watch.reference) > watch.threshold:
                if self._ours_at(x, y):
                    watch.reference = (x, y)  # moving about on our own windows
                else:
                    self._start_movement(watch)

    def _on_click(self, x: float, y: float, button: object, pressed: bool, injected: bool = False) -> None:
        if injected:
            return
        name = getattr(button, "name", "left")
        with self._lock:
            watch = self._watch
            if watch is None:
                return
            if pressed:
                ours = self._press_ours[name] = self._ours_at(x, y)
                if ours:  # a click on agent-app (the strip's Pause, say): neither a takeover nor a correction
                    self._end_movement()
                    watch.reference = (x, y)
                    return
                if self._persons_pointer_event(x, y):
                    self._takeover("a mouse button was pressed")
            else:
                began_ours = self._press_ours.pop(name, None)  # the release follows its press
                if began_ours or (began_ours is None and self._ours_at(x, y)):
                    return
            if watch.person is not None:
                watch.person.pointer("press" if pressed else "release", x, y, name)

    def _on_scroll(self, x: float, y: float, dx: float, dy: float, injected: bool = False) -> None:
        if injected:
            return
        with self._lock:
            watch = self._watch
            if watch is None or self._ours_at(x, y):
                return
            if self._persons_pointer_event(x, y):
                self._takeover("the wheel was turned")
            if watch.person is not None:
                watch.person.pointer("scroll", x, y, dx=dx, dy=dy)

    def _persons_pointer_event(self, x: float, y: float) -> bool:
        watch = self._watch
        if watch is None:
            return False
        phase = self.activity.phase()
        return phase == "idle" or (phase == "grace" and not self._agents_point(x, y, watch.threshold))

    def _on_press(self, key: object, injected: bool = False) -> None:
        name = _key_name(key)
        if name is None:
            return
        with self._lock:
            self._pressed.add(name)
            # Modifiers held now plus this key (a missed release of another key must not block every hotkey).
            combo = frozenset({k for k in self._pressed if k in MODIFIERS} | {name})
            action = self._hotkeys.get(combo)
        if action is not None:  # global hotkeys work everywhere, our own windows included
            if not self.activity.pressing(combo):  # the agent's own hotkey action is not a command
                try:
                    action()
                except Exception:  # a failing hotkey action must not kill the listener
                    log.exception("hotkey action failed")
            return
        with self._lock:
            watch = self._watch
            if watch is None or injected:
                return
            ours = self._key_ours[name] = self._focus_ours()
            if ours:  # typing into agent-app (the "Resume with note" text, say)
                return
            if name in MODIFIERS:
                if watch.person is not None:
                    watch.person.key(name, True)
                return
            phase = self.activity.phase()
            if phase == "busy" or (phase == "grace" and self.activity.owns_key(name)):
                return
            self._takeover("a key was pressed")
            if watch.person is not None:
                watch.person.key(name, True, getattr(key, "char", None))

    def _on_release(self, key: object, injected: bool = False) -> None:
        name = _key_name(key)
        if name is None:
            return
        with self._lock:
            self._pressed.discard(name)
            watch = self._watch
            if self._key_ours.pop(name, False) or watch is None or watch.person is None or injected:
                return
            watch.person.key(name, False)


def _safe(callback: Callable[..., None]) -> Callable[..., None]:
    """pynput stops a listener for good when a callback raises: log instead, keep listening.

    The wrapper keeps the callback's signature, because pynput passes `injected` only to callbacks that take it.
    """

    @functools.wraps(callback)
    def wrapped(*args: object) -> None:
        try:
            callback(*args)
        except Exception:  # logged; the emergency stop must keep working
            log.exception("global input handler failed")

    return wrapped


def _key_name(key: object) -> str | None:
    char = getattr(key, "char", None)
    if char:
        return char.lower() if char.isprintable() else None
    name = getattr(key, "name", None)
    return canonical(name) if name else None
