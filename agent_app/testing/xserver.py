"""A virtual X display for tests and benchmarks: Xvfb on a free display number, plus a window manager."""

from __future__ import annotations

import os
import subprocess
import time


def start_xvfb(width: int, height: int) -> tuple[subprocess.Popen, str]:
    """Start Xvfb (24-bit: mss needs it) on a display number it picks itself; returns (process, ':N')."""
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp", "-noreset"],
        pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as f:
        number = f.readline().strip()
    if not number:
        proc.kill()
        raise RuntimeError("Xvfb did not start")
    return proc, f":{number}"


def start_window_manager(display: str, env: dict[str, str] | None = None, timeout: float = 10) -> subprocess.Popen:
    """openbox on `display`, waited for until it has taken over (keystrokes get lost on a bare X server)."""
    env = {**(env or os.environ), "DISPLAY": display}
    proc = subprocess.Popen(["openbox", "--sm-disable"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        probe = subprocess.run(["xprop", "-root", "_NET_SUPPORTING_WM_CHECK"], capture_output=True, text=True, env=env)
        if "window id" in probe.stdout:
            break
        time.sleep(0.05)
    return proc
