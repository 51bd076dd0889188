"""Buttons and modifier keys left held down on the desktop, and letting go of exactly those.

A run killed mid-drag (kill -9, a crash, a power-cut terminal) leaves mouse button 1 down in the X server; no
later process knows it pressed it. So at start the executor asks what is *actually* held and releases only that:

* X11: the server says — the pointer's button mask (QueryPointer) and the keys down (QueryKeymap), of which we
  release the modifier keys (the keycodes in the server's modifier map) and the buttons. Nothing that is not held
  gets a release: a stray ButtonRelease can end a drag or fire a click in the person's app.
* Windows and macOS: pyautogui has no query. A key-up for a modifier that is not down changes nothing an app acts
  on, so Shift, Ctrl, Alt and Win/Command are released blindly; buttons are left alone (a stray button-up is not
  harmless, see above).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

BUTTON_NAMES = {1: "left", 2: "middle", 3: "right", 4: "wheel up", 5: "wheel down"}
_BUTTON1_MASK = 1 << 8  # X11: Button1Mask; Button2Mask … Button5Mask follow
# pyautogui's names of the modifier keys, released blindly where the platform cannot be asked.
BLIND_MODIFIERS = {
    "win32": ("shift", "ctrl", "alt", "win"),
    "darwin": ("shift", "ctrl", "option", "command"),
}


@dataclass(frozen=True)
class Held:
    """X11 button numbers and keycodes that are down."""

    buttons: tuple[int, ...] = ()
    keycodes: tuple[int, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.buttons or self.keycodes)

    def describe(self) -> str:
        parts = [f"button {b} ({BUTTON_NAMES[b]})" for b in self.buttons]
        parts += [f"key {k}" for k in self.keycodes]
        return ", ".join(parts) or "nothing"


def held_in(button_mask: int, keymap: Sequence[int], modifier_map: Sequence[Sequence[int]]) -> Held:
    """What the X server's answers say is held: buttons 1–5 from the pointer's mask, and the modifier keys
    (keycodes listed in `modifier_map`, 0 = empty slot) whose bit is set in the 32-byte `keymap`."""
    buttons = tuple(b for b in BUTTON_NAMES if button_mask & (_BUTTON1_MASK << (b - 1)))
    modifiers = sorted({k for row in modifier_map for k in row if 0 < k < 8 * len(keymap)})
    return Held(buttons, tuple(k for k in modifiers if keymap[k // 8] >> (k % 8) & 1))


class X11Input:
    """Ask the X server what is held and release it through XTest, over an open python-xlib connection."""

    def __init__(self, display: Any, fake_input: Callable[..., None] | None = None) -> None:
        if fake_input is None:
            from Xlib.ext.xtest import fake_input
        self.display, self.fake_input = display, fake_input

    def held(self) -> Held:
        pointer = self.display.screen().root.query_pointer()
        return held_in(pointer.mask, self.display.query_keymap(), self.display.get_modifier_mapping())

    def release(self, held: Held) -> None:
        """Buttons first (the drag ends where it is, as a person's would), then the modifier keys."""
        from Xlib import X

        for button in held.buttons:
            self.fake_input(self.display, X.ButtonRelease, button)
        for keycode in held.keycodes:
            self.fake_input(self.display, X.KeyRelease, keycode)
        self.display.sync()


def release_left_held(pg: Any, platform: str) -> str:
    """Release what an earlier run may have left held (see the module's docstring). Never raises.

    `pg` is the loaded pyautogui module. Returns what was done, in words, for the log.
    """
    try:
        if platform in BLIND_MODIFIERS:
            for key in BLIND_MODIFIERS[platform]:
                pg.keyUp(key)
            return "modifier keys released (this platform cannot be asked what is held)"
        display = getattr(getattr(pg, "platformModule", None), "_display", None)
        if display is None:  # not pyautogui's X11 backend: nothing we can ask
            return "nothing released: the input system cannot be asked what is held"
        x11 = X11Input(display)
        held = x11.held()
        if not held:
            return "nothing was held"
        x11.release(held)
        still = x11.held()
        if still:  # held on a physical device, which XTest cannot release (the person is holding it)
            return f"released {held.describe()}; still held by another device: {still.describe()}"
        return f"released {held.describe()}"
    except Exception as e:  # noqa: BLE001 - a failed clean-up must not stop the run
        log.warning("could not release held buttons and keys: %s", e)
        return f"nothing released ({e})"
