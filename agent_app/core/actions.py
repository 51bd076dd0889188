"""The action vocabulary shared by every model family, the executor, the recorder and the CLI.

Coordinates are screen pixels in pyautogui's space once mapped; the parser first produces them in the
model's own space (see `geometry.py`) and `Action.mapped` converts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

POINTER_TYPES = ("click", "double_click", "right_click", "move", "triple_click", "middle_click")
BUTTON_TYPES = ("mouse_down", "mouse_up")
ACTION_TYPES = (*POINTER_TYPES, *BUTTON_TYPES, "drag", "hotkey", "type", "scroll", "wait", "finished", "call_user",
                "zoom", "unsupported")
DIRECTIONS = ("up", "down", "left", "right")
TERMINAL_TYPES = ("finished", "call_user")
ANSWERED_TYPES = ("zoom", "unsupported")  # nothing is carried out: the model gets an answer (a crop, an error)
MODIFIER_TYPES = (*POINTER_TYPES, "drag", "scroll")  # may carry "keys": modifiers held during the action


@dataclass(frozen=True)
class Action:
    """One thing to do. Which fields are set depends on `type` (see the CLI contract)."""

    type: str
    x: float | None = None
    y: float | None = None
    x2: float | None = None
    y2: float | None = None
    keys: tuple[str, ...] = ()  # hotkey: the chord; pointer actions, drag, scroll: modifiers held meanwhile
    text: str | None = None
    direction: str | None = None
    content: str | None = None  # finished: the answer; call_user: the model's message (optional)
    amount: int | None = None  # scroll: wheel clicks (None: the app's default)
    seconds: float | None = None  # wait: how long (None: the app's setting)
    hold: float | None = None  # hotkey: keep the keys down this long
    name: str | None = None  # unsupported: the call that has no desktop meaning
    confirm: str | None = None  # the provider's safety message: ask the person before this call's actions

    def mapped(self, to_screen: Callable[[float, float], tuple[int, int]]) -> Action:
        """The same action with its coordinates passed through `to_screen`."""
        changes: dict[str, Any] = {}
        if self.x is not None and self.y is not None:
            changes["x"], changes["y"] = to_screen(self.x, self.y)
        if self.x2 is not None and self.y2 is not None:
            changes["x2"], changes["y2"] = to_screen(self.x2, self.y2)
        return replace(self, **changes)

    @property
    def has_point(self) -> bool:
        return self.x is not None and self.y is not None

    def to_json(self) -> dict[str, Any]:
        """The contract's ACTION object: only the fields this type uses."""
        t = self.type
        out: dict[str, Any] = {"type": t}
        if t in (*POINTER_TYPES, *BUTTON_TYPES, "scroll", "drag") and self.has_point:
            out["x"], out["y"] = self.x, self.y
        if t in ("drag", "zoom"):
            out.update(x=self.x, y=self.y, x2=self.x2, y2=self.y2)
            if t == "drag" and not self.has_point:
                del out["x"], out["y"]
        if t == "hotkey" or (t in MODIFIER_TYPES and self.keys):
            out["keys"] = list(self.keys)
        if t == "hotkey" and self.hold is not None:
            out["hold"] = self.hold
        if t == "type":
            out["text"] = self.text or ""
        if t == "scroll":
            out["direction"] = self.direction
            if self.amount is not None:
                out["amount"] = self.amount
        if t == "wait" and self.seconds is not None:
            out["seconds"] = self.seconds
        if t == "finished" or (t == "call_user" and self.content is not None):
            out["content"] = self.content or ""
        if t == "unsupported":
            out["name"] = self.name or ""
        if self.confirm is not None:
            out["confirm"] = self.confirm
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Action:
        return cls(
            type=data["type"],
            x=data.get("x"),
            y=data.get("y"),
            x2=data.get("x2"),
            y2=data.get("y2"),
            keys=tuple(data.get("keys", ())),
            text=data.get("text"),
            direction=data.get("direction"),
            content=data.get("content"),
            amount=data.get("amount"),
            seconds=data.get("seconds"),
            hold=data.get("hold"),
            name=data.get("name"),
            confirm=data.get("confirm"),
        )

    def describe(self) -> str:
        """A short human-readable summary for logs, the terminal and the UI."""
        t = self.type
        held = "+".join(self.keys) + "+" if self.keys and t in MODIFIER_TYPES else ""
        at = f" ({self.x}, {self.y})" if self.has_point else " at the pointer"
        if t in (*POINTER_TYPES, *BUTTON_TYPES):
            return f"{held}{t}{at}"
        if t == "drag":
            start = f"({self.x}, {self.y})" if self.has_point else "the pointer"
            return f"{held}drag {start} → ({self.x2}, {self.y2})"
        if t == "hotkey":
            return "hotkey " + "+".join(self.keys) + (f" held {self.hold:g} s" if self.hold else "")
        if t == "type":
            return f"type {self.text!r}"
        if t == "scroll":
            amount = f" ×{self.amount}" if self.amount else ""
            return f"{held}scroll {self.direction}{amount}" + (at if self.has_point else "")
        if t == "wait":
            return f"wait {self.seconds:g} s" if self.seconds is not None else "wait"
        if t == "finished":
            return f"finished {self.content!r}" if self.content else "finished"
        if t == "call_user":
            return f"call_user {self.content!r}" if self.content else "call_user"
        if t == "zoom":
            return f"zoom ({self.x}, {self.y}) – ({self.x2}, {self.y2})"
        if t == "unsupported":
            return f"unsupported {self.name}()"
        return t
