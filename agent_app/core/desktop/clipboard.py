"""The system clipboard, for typing text that key presses cannot produce (accents, CJK, emoji).

On X11 we drive xclip (or xsel) ourselves: xclip forks to serve the selection and must not inherit our
stdout/stderr, or a caller reading our output would wait for it forever. macOS uses pbcopy/pbpaste;
Windows falls back to pyperclip.

What the person had copied is saved before a paste and put back after it (`save`, `restore`). Text is text; with
xclip a clipboard holding no text — an image copied from a browser or an editor — is saved as that one type's
bytes and put back as the same type, not as an empty (or garbled) text.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass

from agent_app.core.errors import ExecutionError

_TIMEOUT_S = 2.0
# X selection targets that carry text: a clipboard offering any of them is saved as its text.
TEXT_TARGETS = frozenset({"UTF8_STRING", "STRING", "TEXT", "COMPOUND_TEXT", "text/plain", "text/plain;charset=utf-8"})


@dataclass(frozen=True)
class Held:
    """What the clipboard held: its text, or (holding no text) one other type's bytes, or nothing at all."""

    text: str | None = None
    target: str | None = None  # the type of `data`, e.g. image/png
    data: bytes | None = None

    @property
    def empty(self) -> bool:
        return self.data is None and not self.text

    def describe(self) -> str:
        if self.data is not None:
            return f"an image ({self.target})" if (self.target or "").startswith("image/") else f"{self.target} data"
        return "text" if self.text else "nothing"


def _data_target(targets: list[str]) -> str | None:
    """The type to keep of a clipboard holding no text: PNG for an image (every image owner offers it), else the
    first image type, else the first MIME type."""
    mime = [t for t in targets if "/" in t]
    if "image/png" in mime:
        return "image/png"
    return next((t for t in mime if t.startswith("image/")), mime[0] if mime else None)


def _run(cmd: list[str], data: bytes | None = None) -> bytes | None:
    """Run a clipboard helper; its output, or None if it failed (an empty clipboard makes xclip fail)."""
    try:
        proc = subprocess.run(
            cmd, input=data, stdout=subprocess.PIPE if data is None else subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, timeout=_TIMEOUT_S, check=False, start_new_session=True,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout if proc.returncode == 0 and data is None else (b"" if proc.returncode == 0 else None)


class Clipboard:
    def __init__(self) -> None:
        self._copy: list[str] | None = None
        self._paste: list[str] | None = None
        self._typed = False
        if sys.platform == "darwin":
            self._copy, self._paste = ["pbcopy"], ["pbpaste"]
        elif sys.platform != "win32":
            if os.environ.get("WAYLAND_DISPLAY") and shutil.which("wl-copy"):
                self._copy, self._paste = ["wl-copy"], ["wl-paste", "--no-newline"]
            elif shutil.which("xclip"):
                self._copy = ["xclip", "-selection", "clipboard", "-in"]
                self._paste = ["xclip", "-selection", "clipboard", "-out"]
                self._typed = True  # `-t TARGET` lists (TARGETS), reads and writes one type
            elif shutil.which("xsel"):
                self._copy, self._paste = ["xsel", "--clipboard", "--input"], ["xsel", "--clipboard", "--output"]

    @property
    def available(self) -> bool:
        return self._copy is not None or sys.platform == "win32"

    def read(self) -> str | None:
        """The clipboard's text, or None when it holds none (or cannot be read)."""
        if sys.platform == "win32":
            import pyperclip

            try:
                return pyperclip.paste()
            except Exception:  # noqa: BLE001 - pyperclip raises its own types per platform
                return None
        if self._paste is None:
            return None
        out = _run(self._paste)
        return out.decode("utf-8", "replace") if out is not None else None

    def targets(self) -> list[str] | None:
        """The types the clipboard offers ([] when it holds nothing); None when this tool cannot tell."""
        if not self._typed or self._paste is None:
            return None
        out = _run([*self._paste, "-t", "TARGETS"])
        return out.decode("utf-8", "replace").split() if out is not None else []

    def save(self) -> Held:
        """What the clipboard holds now, to `restore` after a paste."""
        targets = self.targets()
        if targets is None or any(t in TEXT_TARGETS for t in targets):
            return Held(text=self.read())
        target = _data_target(targets)
        data = _run([*self._paste, "-t", target]) if target and self._paste else None
        return Held(target=target, data=data) if data else Held()

    def restore(self, held: Held) -> None:
        """Put back what `save` found: its text, its one other type (an image), or an empty text."""
        if held.data is None or held.target is None or self._copy is None:
            self.write(held.text if held.text is not None else "")
            return
        if _run([*self._copy, "-t", held.target], held.data) is None:
            raise ExecutionError(f"could not put the clipboard's {held.target} back (xclip failed)")
        deadline = time.monotonic() + _TIMEOUT_S  # as in `write`: until xclip's child owns the selection
        while held.target not in (self.targets() or []):
            if time.monotonic() > deadline:
                raise ExecutionError("the clipboard did not take its content back in time")
            time.sleep(0.005)

    def write(self, text: str) -> None:
        if sys.platform == "win32":
            import pyperclip

            pyperclip.copy(text)
            return
        if self._copy is None:
            raise ExecutionError("typing non-ASCII text needs a clipboard tool: install xclip (apt install xclip)")
        if _run(self._copy, text.encode("utf-8")) is None:
            raise ExecutionError("could not put text on the clipboard (xclip failed)")
        # xclip returns before its background child owns the selection: a paste sent now could find it
        # empty. Read back until the text is there.
        deadline = time.monotonic() + _TIMEOUT_S
        while self.read() != text:
            if time.monotonic() > deadline:
                raise ExecutionError("the clipboard did not take the text in time")
            time.sleep(0.005)
