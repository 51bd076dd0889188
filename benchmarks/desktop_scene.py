"""A realistic desktop to measure on: an editor full of mixed Latin/CJK text, with a dialog on top of it.

Started on an X display of its own (Xvfb + openbox), with the GTK apps in a private D-Bus session and config
folders of their own (caret blinking off, so a still screen stays still). `Scene.quiet_points` are pixels on
the dialog's message text: after the first click (made here) a click there changes nothing on the screen — the
"nothing reacts" case.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

DIALOG_TITLE = "Unsaved changes"

_LATIN = [
    "The quick brown fox jumps over the lazy dog; 0123456789 — “quotes”, ellipsis…",
    "def step(self) -> Action | None:  # one step: screenshot → model → parse → execute → record",
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt.",
    "Grüße aus Zürich: naïve café, façade, smørrebrød, Ærøskøbing, São Paulo, Kraków, İstanbul.",
    "    if response.status_code == 413: raise EndpointError('lower max-pixels or the screenshot count')",
]
_CJK = [
    "视觉语言模型通过截图理解界面，并输出点击、输入和滚动等操作。",
    "用户可以随时暂停、接管或停止代理，更正的内容会成为训练数据。",
    "スクリーンショットを撮影し、モデルに送信して、次の操作を決定します。",
    "사용자는 언제든지 에이전트를 일시 중지하거나 제어를 가져올 수 있습니다.",
    "混合文本：English words 与中文字符 mixed together，数字 2025 年 10 月。",
]


def mixed_text(lines: int = 600) -> str:
    """Editor content: Latin prose, code and CJK lines interleaved, indented and numbered like a real file."""
    out = []
    for i in range(lines):
        source = _CJK if i % 3 == 1 else _LATIN
        text = source[(i * 7 + i // 5) % len(source)]
        out.append(f"{'    ' * (i % 4 == 3)}{i:04d}  {text}" if i % 11 else "")
    return "\n".join(out) + "\n"


@dataclass
class Scene:
    width: int
    height: int
    display: str
    env: dict[str, str]
    quiet_points: list[tuple[int, int]]
    procs: list[subprocess.Popen] = field(default_factory=list)
    home: str = ""

    def spawn(self, cmd: list[str], **kw) -> subprocess.Popen:
        """A process on this desktop, in the scene's D-Bus session; stopped with the scene."""
        kw.setdefault("stdout", subprocess.DEVNULL)
        kw.setdefault("stderr", subprocess.DEVNULL)
        proc = subprocess.Popen(cmd, env={**os.environ, **self.env, **kw.pop("env", {})}, start_new_session=True,
                                **kw)
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is not None:
                continue
            kill = os.kill if isinstance(proc, _Pid) else os.killpg  # our own Popen children lead a group
            try:
                kill(proc.pid, signal.SIGTERM)
                proc.wait(5)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                kill(proc.pid, signal.SIGKILL)
        if self.home:
            shutil.rmtree(self.home, ignore_errors=True)


def xdotool(env: dict[str, str], *args: str) -> str:
    return subprocess.run(["xdotool", *args], capture_output=True, text=True, env={**os.environ, **env},
                          timeout=20).stdout.strip()


def window_geometry(env: dict[str, str], name: str, timeout: float = 20) -> tuple[str, int, int, int, int]:
    """(id, x, y, width, height) of the first visible window whose title contains `name`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ids = xdotool(env, "search", "--onlyvisible", "--name", name).split()
        if ids:
            geo = dict(line.split("=", 1) for line in xdotool(env, "getwindowgeometry", "--shell", ids[-1]).split())
            if int(geo.get("WIDTH", 0)) > 1:
                return ids[-1], int(geo["X"]), int(geo["Y"]), int(geo["WIDTH"]), int(geo["HEIGHT"])
        time.sleep(0.1)
    raise RuntimeError(f"no window titled {name!r} appeared within {timeout} s")


def start_scene(width: int, height: int) -> Scene:
    """Xvfb + openbox + the editor (maximised) + a dialog in front of it; waits until the screen is still."""
    from agent_app.testing.xserver import start_window_manager, start_xvfb

    home = tempfile.mkdtemp(prefix="agent-app-bench-")
    for sub in ("config/gtk-3.0", "data", "cache", "runtime"):
        os.makedirs(os.path.join(home, sub), exist_ok=True)
    os.chmod(os.path.join(home, "runtime"), 0o700)
    Path(home, "config/gtk-3.0/settings.ini").write_text(
        "[Settings]\ngtk-cursor-blink = false\ngtk-enable-animations = false\n", encoding="utf-8")
    text_file = Path(home, "notes-混合.txt")
    text_file.write_text(mixed_text(), encoding="utf-8")
    xvfb, display = start_xvfb(width, height)
    env = {"DISPLAY": display, "XDG_CONFIG_HOME": f"{home}/config", "XDG_DATA_HOME": f"{home}/data",
           "XDG_CACHE_HOME": f"{home}/cache", "XDG_RUNTIME_DIR": f"{home}/runtime", "NO_AT_BRIDGE": "1",
           "GDK_BACKEND": "x11", "XAUTHORITY": os.environ.get("XAUTHORITY", os.devnull)}
    scene = Scene(width, height, display, env, [], [xvfb], home)
    try:
        scene.procs.append(start_window_manager(display, {**os.environ, **env}))
        bus = subprocess.run(["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
                             capture_output=True, text=True, check=True, env={**os.environ, **env}).stdout.split()
        env["DBUS_SESSION_BUS_ADDRESS"] = bus[0]
        scene.procs.append(_Pid(int(bus[1])))
        scene.spawn(["mousepad", str(text_file)])
        wid, *_ = window_geometry(env, "notes")
        xdotool(env, "windowmove", "--sync", wid, "0", "0")
        xdotool(env, "windowsize", "--sync", wid, str(width), str(height))
        scene.spawn(["zenity", "--question", "--title", DIALOG_TITLE, "--width", "460", "--text",
                     "Save the changes to “notes-混合.txt” before closing?\n"
                     "If you don't save, changes from the last 5 minutes will be lost. 保存しますか？"])
        _, x, y, w, h = window_geometry(env, DIALOG_TITLE)
        # The message text sits right of the icon, above the buttons: static, not selectable.
        scene.quiet_points = [(x + w // 2 + dx, y + h // 3 + dy) for dx, dy in ((-40, -4), (0, 0), (40, 4))]
        time.sleep(1.0)  # first paint, fonts, the WM's decorations
        # The first click into the message puts a (non-blinking) caret there; from then on clicks change nothing.
        xdotool(env, "mousemove", "--sync", *map(str, scene.quiet_points[0]), "click", "1")
        time.sleep(0.5)
        return scene
    except BaseException:
        scene.stop()
        raise


class _Pid:
    """A process we did not start with Popen (the forked D-Bus daemon), stoppable like one."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def poll(self) -> int | None:
        try:
            os.kill(self.pid, 0)
            return None
        except ProcessLookupError:
            return 0

    def wait(self, timeout: float | None = None) -> int:
        deadline = time.monotonic() + (timeout or 0)
        while self.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        return 0
