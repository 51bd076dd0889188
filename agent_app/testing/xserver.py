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


_DUMMY_CONF = """
Section "Device"
    Identifier "dummy"
    Driver "dummy"
    VideoRam 256000
EndSection
Section "Monitor"
    Identifier "monitor"
    HorizSync 5.0-1000.0
    VertRefresh 5.0-200.0
    Modeline "{w}x{h}" 300.00 {w} {hs} {he} {ht} {h} {vs} {ve} {vt}
EndSection
Section "Screen"
    Identifier "screen"
    Device "dummy"
    Monitor "monitor"
    DefaultDepth 24
    SubSection "Display"
        Depth 24
        Virtual {w} {h}
        Modes "{w}x{h}"
    EndSubSection
EndSection
"""


def start_two_monitor_xorg(left: tuple[int, int], right: tuple[int, int], workdir: str) -> tuple[subprocess.Popen, str]:
    """Xorg with the dummy driver, split by RandR into two monitors side by side (Xvfb cannot do that).

    Returns (process, ':N'). Needs xserver-xorg-video-dummy, and root (a config file outside Xorg's own paths).
    """
    w, h = left[0] + right[0], max(left[1], right[1])
    conf = os.path.join(workdir, "xorg.conf")
    with open(conf, "w") as f:
        f.write(_DUMMY_CONF.format(w=w, h=h, hs=w + 64, he=w + 164, ht=w + 264, vs=h + 3, ve=h + 8, vt=h + 20))
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        ["Xorg", "-displayfd", str(write_fd), "-config", conf, "-noreset", "-nolisten", "tcp",
         "-logfile", os.path.join(workdir, "xorg.log")],
        pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        cwd=workdir,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as f:
        number = f.readline().strip()
    if not number:
        proc.kill()
        raise RuntimeError(f"Xorg did not start (see {workdir}/xorg.log)")
    display = f":{number}"
    env = {**os.environ, "DISPLAY": display}
    listing = subprocess.run(["xrandr"], capture_output=True, text=True, env=env).stdout
    output = next(line.split()[0] for line in listing.splitlines() if " connected" in line)
    for name, (mw, mh), x in (("left", left, 0), ("right", right, left[0])):
        subprocess.run(["xrandr", "--setmonitor", name, f"{mw}/{mw // 4}x{mh}/{mh // 4}+{x}+0",
                        output if name == "left" else "none"], env=env, check=True, capture_output=True)
    return proc, display


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
