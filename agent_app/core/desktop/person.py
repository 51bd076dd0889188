"""What the person does while they have the controls, turned into actions of the model's own action space.

Fed raw events by the global input listener during a takeover; `stop()` returns the actions in screen
pixels. Clicks, double clicks (two within 0.5 s on one spot), right clicks, drags (press here, release over
there), scrolls (merged per direction), typing (printable keys without Ctrl/Alt/Cmd, Backspace edits it,
Enter ends it with a newline) and hotkeys (any other key or combination). Pointer moves alone are not actions.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import replace

from agent_app.core.actions import Action
from agent_app.core.errors import FormatError
from agent_app.core.keys import normalize_key

DOUBLE_CLICK_S = 0.5
SAME_SPOT_PX = 6
DRAG_PX = 10
_COMMAND_MODIFIERS = {"ctrl", "alt", "cmd"}
_KEY_NAMES = {"cmd": "cmd", "page_up": "pageup", "page_down": "pagedown", "caps_lock": "capslock",
              "print_screen": "printscreen", "num_lock": "numlock", "scroll_lock": "scrolllock"}


class PersonRecorder:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.recording = False
        self._actions: list[Action] = []
        self._times: list[float] = []
        self._press: tuple[float, float, str, float] | None = None
        self._modifiers: set[str] = set()
        self._typing = ""

    # ---- session ----
    def start(self) -> None:
        with self._lock:
            self.recording = True
            self._actions, self._times, self._press, self._typing = [], [], None, ""
            self._modifiers.clear()

    def stop(self) -> list[Action]:
        with self._lock:
            self._flush_typing()
            self.recording = False
            return list(self._actions)

    # ---- events (listener threads) ----
    def pointer(self, kind: str, x: float, y: float, button: str = "left", dx: float = 0, dy: float = 0,
                now: float | None = None) -> None:
        """kind: 'press', 'release' or 'scroll'."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if not self.recording:
                return
            if kind == "press":
                self._press = (x, y, button, now)
            elif kind == "release" and self._press is not None:
                px, py, pbutton, _ = self._press
                self._press = None
                self._flush_typing()
                if math.dist((px, py), (x, y)) > DRAG_PX and pbutton == "left":
                    self._add(Action("drag", x=round(px), y=round(py), x2=round(x), y2=round(y)), now)
                elif pbutton == "right":
                    self._add(Action("right_click", x=round(px), y=round(py)), now)
                elif pbutton == "left":
                    self._click(round(px), round(py), now)
            elif kind == "scroll" and (dx or dy):
                self._flush_typing()
                direction = ("up" if dy > 0 else "down") if dy else ("right" if dx > 0 else "left")
                last = self._actions[-1] if self._actions else None
                if not (last and last.type == "scroll" and last.direction == direction):
                    self._add(Action("scroll", x=round(x), y=round(y), direction=direction), now)

    def key(self, name: str, pressed: bool, char: str | None = None, now: float | None = None) -> None:
        """A key by its canonical name ('ctrl', 'enter', 'a', …); `char` is what it would type, if anything."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if not self.recording:
                return
            if name in ("ctrl", "alt", "shift", "cmd"):
                (self._modifiers.add if pressed else self._modifiers.discard)(name)
                return
            if not pressed:
                return
            if name == "space" and not char:
                char = " "
            if char and char.isprintable() and not (self._modifiers & _COMMAND_MODIFIERS):
                self._typing += char
                self._times.append(now)
                return
            if name == "backspace" and self._typing:
                self._typing = self._typing[:-1]
                return
            if name == "enter" and self._typing and not self._modifiers:
                self._typing += "\n"
                self._flush_typing()
                return
            self._flush_typing()
            mods = [m for m in ("ctrl", "alt", "shift", "cmd") if m in self._modifiers]
            try:
                keys = tuple(normalize_key(_KEY_NAMES.get(k, k)) for k in (*mods, name))
            except FormatError:
                return  # a key the model's action space has no name for (media keys, …)
            self._add(Action("hotkey", keys=keys), now)

    # ---- internals (lock held) ----
    def _add(self, action: Action, now: float) -> None:
        self._actions.append(action)
        self._times.append(now)

    def _click(self, x: int, y: int, now: float) -> None:
        last = self._actions[-1] if self._actions else None
        if (last and last.type == "click" and now - self._times[-1] <= DOUBLE_CLICK_S
                and math.dist((last.x, last.y), (x, y)) <= SAME_SPOT_PX):
            self._actions[-1] = replace(last, type="double_click")
            self._times[-1] = now
            return
        self._add(Action("click", x=x, y=y), now)

    def _flush_typing(self) -> None:
        if self._typing:
            self._actions.append(Action("type", text=self._typing))
            self._times.append(time.monotonic())
            self._typing = ""
