"""Qt key sequences ↔ the pynput hotkey syntax the settings and saved tasks store."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence


def to_pynput(sequence: QKeySequence) -> str:
    """A recorded QKeySequence ('Ctrl+Alt+1') → pynput syntax ('<ctrl>+<alt>+1')."""
    text = sequence.toString(QKeySequence.SequenceFormat.PortableText).split(",")[0].strip()
    if not text:
        return ""
    parts = []
    for part in text.split("+"):
        low = part.lower()
        parts.append(f"<{ {'meta': 'cmd'}.get(low, low) }>" if low in ("ctrl", "alt", "shift", "meta") else low)
    return "+".join(parts)


def to_sequence(spec: str) -> QKeySequence:
    text = "+".join(p.strip("<>").replace("cmd", "meta").capitalize() for p in spec.split("+") if p)
    return QKeySequence(text)
