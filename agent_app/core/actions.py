"""The action vocabulary shared by every model family, the executor, the recorder and the CLI.

Coordinates are screen pixels in pyautogui's space once mapped; the parser first produces them in the
model's own space (see `geometry.py`) and `Action.mapped` converts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

POINTER_TYPES = ("click", "double_click", "right_click", "move")
ACTION_TYPES = (*POINTER_TYPES, "drag", "hotkey", "type", "scroll", "wait", "finished", "call_user")
DIRECTIONS = ("up", "down", "left", "right")
TERMINAL_TYPES = ("finished", "call_user")


@dataclass(frozen=True)
class Action:
    """One thing to do. Which fields are set depends on `type` (see the CLI contract)."""

    type: str
    x: float | None = None
    y: float | None = None
    x2: float | None = None
    y2: float | None = None
    keys: tuple[str, ...] = ()
    text: str | None = None
    direction: str | None = None
    content: str | None = None

    def mapped(self, to_screen: Callable[[float, float], tuple[int, int]]) -> Action:
        """The same action with its coordinates passed through `to_screen`."""
        changes: dict[str, Any] = {}
        if self.x is not None and self.y is not None:
            changes["x"], changes["y"] = to_screen(self.x, self.y)
        if self.x2 is not None and self.y2 is not None:
            changes["x2"], changes["y2"] = to_screen(self.x2, self.y2)
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        """The contract's ACTION object: only the fields this type uses."""
        out: dict[str, Any] = {"type": self.type}
        has_point = self.x is not None and self.y is not None
        if (self.type in POINTER_TYPES or self.type == "scroll") and has_point:
            out["x"], out["y"] = self.x, self.y
        if self.type == "drag":
            out.update(x=self.x, y=self.y, x2=self.x2, y2=self.y2)
        if self.type == "hotkey":
            out["keys"] = list(self.keys)
        if self.type == "type":
            out["text"] = self.text or ""
        if self.type == "scroll":
            out["direction"] = self.direction
        if self.type == "finished":
            out["content"] = self.content or ""
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
        )

    def describe(self) -> str:
        """A short human-readable summary for logs, the terminal and the UI."""
        t = self.type
        if t in POINTER_TYPES:
            return f"{t} ({self.x}, {self.y})"
        if t == "drag":
            return f"drag ({self.x}, {self.y}) → ({self.x2}, {self.y2})"
        if t == "hotkey":
            return "hotkey " + "+".join(self.keys)
        if t == "type":
            return f"type {self.text!r}"
        if t == "scroll":
            at = f" at ({self.x}, {self.y})" if self.x is not None else ""
            return f"scroll {self.direction}{at}"
        if t == "finished":
            return f"finished {self.content!r}" if self.content else "finished"
        return t
