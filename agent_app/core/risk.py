"""When to ask the person before acting: every action (step-through), risky ones only, or never.

"Risky" is a small, readable heuristic, not a guarantee: typing where the model itself says a password goes,
submitting destructive-looking text, pressing Enter or Delete right after something destructive, and a
few system shortcuts.
"""

from __future__ import annotations

import re

from agent_app.core.actions import Action

CONFIRM_MODES = ("never", "risky", "always")

_SECRET_WORDS = re.compile(r"\b(password|passphrase|passcode|pin|secret|credit card|cvv|2fa|otp)\b", re.IGNORECASE)
_DESTRUCTIVE = re.compile(
    r"\b(rm\s+-[a-z]*[rf]|rmdir|del\s|deltree|format\s|mkfs|dd\s+if=|shutdown|reboot|drop\s+(table|database)|"
    r"truncate\s+table|delete\s+from|git\s+push\s+(-f|--force)|sudo\s)", re.IGNORECASE,
)
_DESTRUCTIVE_WORDS = re.compile(r"\b(delete|remove|erase|wipe|uninstall|empty (the )?trash|discard)\b",
                                re.IGNORECASE)
_SYSTEM_KEYS = ({"ctrl", "alt", "delete"}, {"alt", "f4"}, {"ctrl", "alt", "backspace"}, {"win", "l"},
                {"command", "q"}, {"shift", "delete"})


def risky_reason(actions: list[Action], thought: str, previous_thought: str = "") -> str | None:
    """Why these actions deserve a confirmation, or None."""
    for a in actions:
        if a.type == "type":
            text = a.text or ""
            if _SECRET_WORDS.search(thought):
                return "the model is typing into what it describes as a password or secret field"
            if text.endswith("\n") and _DESTRUCTIVE.search(text):
                return "the model is submitting a command that looks destructive"
        if a.type == "hotkey":
            keys = set(a.keys)
            if keys in _SYSTEM_KEYS:
                return f"the model is pressing {'+'.join(a.keys)}"
            if keys & {"enter", "return", "delete", "del"} and (
                _DESTRUCTIVE_WORDS.search(thought) or _DESTRUCTIVE_WORDS.search(previous_thought)
            ):
                return f"the model is pressing {'+'.join(a.keys)} while deleting something"
        if a.type in ("click", "double_click") and _DESTRUCTIVE_WORDS.search(thought):
            return "the model is clicking to delete or remove something"
    return None


def needs_confirmation(mode: str, actions: list[Action], thought: str, previous_thought: str = "") -> str | None:
    """The reason to ask before these actions under `mode`, or None to go ahead."""
    acting = [a for a in actions if a.type not in ("wait", "finished", "call_user")]
    if not acting or mode == "never":
        return None
    if mode == "always":
        return "step-through mode: every action waits for your approval"
    return risky_reason(acting, thought, previous_thought)
