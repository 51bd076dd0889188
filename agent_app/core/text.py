"""Text as one line: what a message, a log line or a prompt's step list shows of something longer."""

from __future__ import annotations


def one_line(text: str, limit: int | None = None) -> str:
    """`text` with every run of whitespace (newlines included) as one space; cut to `limit` characters with …"""
    text = " ".join(text.split())
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"
