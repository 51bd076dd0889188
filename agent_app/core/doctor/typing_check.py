"""Does typed text arrive exactly, and is the person's clipboard put back? The text and the verdicts."""

from __future__ import annotations

from agent_app.core.desktop.clipboard import Held
from agent_app.core.doctor.report import Check, failed, passed

# Every path the executor takes: keyed ASCII, pasted non-ASCII (accents, CJK, emoji), the characters X11 mangles
# when keyed ('<', '>'), both quotes, a backslash, and a trailing newline (= press Enter once). Keyed and pasted
# runs alternate twice (each paste costs the executor ~0.2 s: the text is grouped so the check stays quick).
PARTS = {
    "ASCII": "Hello, World 42 ~|{}[] and end",
    "quotes": "\"double\" 'single' \\ «»<>",
    "accents": "àéîõüßÑ",
    "CJK": "中文日本語한국어",
    "emoji": "🙂👍🏽",
    "newline": "\n",
}
TYPING_TEXT = 'Hello, World 42 ~|{}[] "double" \'single\' \\ àéîõüßÑ«» and 中文日本語한국어🙂👍🏽<> end\n'


def missing_parts(expected: str, got: str) -> list[str]:
    """Which kinds of text did not arrive: the PARTS whose characters are not all in `got`, in order."""
    out = []
    for name, text in PARTS.items():
        if name == "newline":
            if not got.endswith("\n") or got.endswith("\n\n"):
                out.append(name)
        elif any(got.count(ch) < text.count(ch) for ch in set(text) if ch != " "):
            out.append(name)
    return out


def first_difference(expected: str, got: str) -> int | None:
    for i, (a, b) in enumerate(zip(expected, got, strict=False)):
        if a != b:
            return i
    return None if len(expected) == len(got) else min(len(expected), len(got))


def typing_check(expected: str, got: str | None, clipboard_tool: bool, platform: str) -> Check:
    figures = {"sent_chars": len(expected), "received_chars": None if got is None else len(got)}
    if got is None:
        return failed("typing", "the text field could not be read back", (
            "Run the check again without touching the keyboard or mouse while it types."), **figures)
    if got == expected:
        return passed("typing", f"{len(expected)} characters arrived exactly: ASCII, accents, CJK, emoji, quotes, "
                                "Enter", **figures)
    missing = missing_parts(expected, got) or ["order"]
    at = first_difference(expected, got)
    figures.update(missing=missing, first_difference_at=at, received=got)
    if not clipboard_tool and any(m in ("accents", "CJK", "emoji") for m in missing):
        advice = "Install xclip (sudo apt install xclip): non-ASCII text is typed by pasting it through the clipboard."
    elif missing == ["newline"]:
        advice = "Enter did not arrive as one key press: check the keyboard layout and run the check again."
    elif platform.startswith("linux"):
        advice = ("Use an X11 session with the keyboard layout you type with, keep hands off the keyboard while the "
                  "check types, and run it again.")
    else:
        advice = "Keep hands off the keyboard while the check types, and run it again."
    return failed("typing", f"typed text arrived changed ({', '.join(missing)} wrong, first at character {at})",
                  advice, **figures)


def clipboard_check(before: Held | str | None, after: Held | str | None, pasted: bool) -> Check:
    """The person's clipboard after typing must be what it was: the same text, the same image, or nothing."""
    before, after = _held(before), _held(after)
    figures = {"held_before": before.describe(), "held_text_before": before.text is not None, "pasted": pasted}
    restored = after == before or (before.empty and after.empty)
    if not pasted:
        return failed("clipboard", "nothing was pasted, so restoring could not be checked", (
            "Install xclip (sudo apt install xclip) so non-ASCII text can be pasted, then run the check again."),
            **figures)
    if restored:
        what = ("its text is back" if before.text else "it is empty again, as it was" if before.empty
                else f"{before.describe()} is back, byte for byte")
        return passed("clipboard", f"restored after pasting: {what}", **figures)
    figures["held_after"] = after.describe()
    left = ("the typed text" if after.text and after.text in TYPING_TEXT
            else "nothing" if after.empty else after.describe() if after.data is not None else "other text")
    return failed("clipboard", f"not restored after pasting: it held {before.describe()}, it now holds {left}", (
        "Report this (agent-app should put your clipboard back); meanwhile copy again what you had copied."),
        **figures)


def _held(value: Held | str | None) -> Held:
    return value if isinstance(value, Held) else Held(text=value)
