"""The system clipboard, for typing text that key presses cannot produce (accents, CJK, emoji).

On X11 we drive xclip (or xsel) ourselves: xclip forks to serve the selection and must not inherit our
stdout/stderr, or a caller reading our output would wait for it forever. macOS uses pbcopy/pbpaste;
Windows falls back to pyperclip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

from agent_app.core.errors import ExecutionError

_TIMEOUT_S = 2.0


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
        if sys.platform == "darwin":
            self._copy, self._paste = ["pbcopy"], ["pbpaste"]
        elif sys.platform != "win32":
            if os.environ.get("WAYLAND_DISPLAY") and shutil.which("wl-copy"):
                self._copy, self._paste = ["wl-copy"], ["wl-paste", "--no-newline"]
            elif shutil.which("xclip"):
                self._copy = ["xclip", "-selection", "clipboard", "-in"]
                self._paste = ["xclip", "-selection", "clipboard", "-out"]
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
