"""Real desktops for tests: Xvfb + openbox on a free display, a D-Bus session with an unlocked
gnome-keyring, and helpers to start target apps and find their windows. Everything started is stopped."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from agent_app.testing.xserver import start_two_monitor_xorg, start_window_manager, start_xvfb

# The providers' key variables: a developer's own keys never reach a test's program.
KEY_ENV = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY")


def need(tool: str) -> str:
    path = shutil.which(tool)
    if not path:
        pytest.fail(f"{tool} is not installed; `bash .ci/run` installs what the tests need")
    return path


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            proc.terminate()
        try:
            proc.wait(3)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(3)


@dataclass
class Session:
    """A D-Bus session bus with a Secret Service (gnome-keyring), for keyring and GTK apps."""

    env: dict[str, str]
    procs: list[subprocess.Popen] = field(default_factory=list)

    @classmethod
    def start(cls) -> Session:
        need("dbus-daemon")
        runtime = tempfile.mkdtemp(prefix="agent-app-xdg-")
        os.chmod(runtime, 0o700)
        # A keychain of this session's own: gnome-keyring keeps its files under $XDG_DATA_HOME/keyrings.
        env = {"XDG_RUNTIME_DIR": runtime, "NO_AT_BRIDGE": "1", "XDG_DATA_HOME": os.path.join(runtime, "data")}
        out = subprocess.run(
            ["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
            capture_output=True, text=True, check=True, env={**os.environ, **env},
        ).stdout.split()
        env["DBUS_SESSION_BUS_ADDRESS"] = out[0]
        session = cls(env)
        session._pid = int(out[1])
        if shutil.which("gnome-keyring-daemon"):
            kr = subprocess.run(
                ["gnome-keyring-daemon", "--unlock", "--components=secrets"],
                input="ci-password", capture_output=True, text=True, env={**os.environ, **env}, timeout=20,
            )
            for line in kr.stdout.splitlines():
                if "=" in line:
                    k, v = line.split("=", 1)
                    env[k] = v
        return session

    def stop(self) -> None:
        for proc in self.procs:
            _stop(proc)
        try:
            os.kill(self._pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        # gnome-keyring-daemon leaves on its own when its session bus goes away.


@dataclass
class Desktop:
    """An X display of a given size with a window manager; `env` selects it for child processes."""

    width: int
    height: int
    display: str
    env: dict[str, str]
    procs: list[subprocess.Popen] = field(default_factory=list)

    @classmethod
    def start(cls, width: int, height: int, session: Session) -> Desktop:
        need("Xvfb")
        need("openbox")
        try:
            xvfb, display = start_xvfb(width, height)
        except RuntimeError as e:
            pytest.fail(str(e))
        env = {**session.env, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "GDK_BACKEND": "x11"}
        desktop = cls(width, height, display, env, [xvfb])
        desktop.procs.append(start_window_manager(display, desktop.full_env()))
        return desktop

    @classmethod
    def start_two_monitors(cls, left: tuple[int, int], right: tuple[int, int], session: Session) -> Desktop:
        """Two monitors side by side on one X screen (Xorg's dummy driver; Xvfb cannot split a screen)."""
        need("Xorg")
        try:
            xorg, display = start_two_monitor_xorg(left, right, tempfile.mkdtemp(prefix="agent-app-xorg-"))
        except (RuntimeError, subprocess.CalledProcessError) as e:
            pytest.fail(f"a two-monitor X server did not start: {e}")
        env = {**session.env, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "GDK_BACKEND": "x11"}
        desktop = cls(left[0] + right[0], max(left[1], right[1]), display, env, [xorg])
        desktop.procs.append(start_window_manager(display, desktop.full_env()))
        return desktop

    def full_env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_APP_") and k not in KEY_ENV
               and not k.startswith("ANTHROPIC_")}
        env.update(self.env)
        env.update(extra or {})
        return env

    def spawn(self, cmd: list[str], **kw) -> subprocess.Popen:
        kw.setdefault("stdout", subprocess.DEVNULL)
        kw.setdefault("stderr", subprocess.DEVNULL)
        return subprocess.Popen(cmd, env=self.full_env(kw.pop("env", None)), start_new_session=True, **kw)

    def xdotool(self, *args: str) -> str:
        out = subprocess.run(["xdotool", *args], capture_output=True, text=True, env=self.full_env(), timeout=20)
        return out.stdout.strip()

    def pointer(self) -> tuple[int, int]:
        """Where the X server says the pointer is. xdotool, under load, now and then prints nothing: ask again."""
        for _ in range(5):
            fields = dict(kv.split(":", 1) for kv in self.xdotool("getmouselocation").split() if ":" in kv)
            if "x" in fields and "y" in fields:
                return int(fields["x"]), int(fields["y"])
            time.sleep(0.05)
        raise RuntimeError("xdotool getmouselocation did not say where the pointer is")

    def wait_window(self, name: str, timeout: float = 15) -> tuple[int, int, int, int]:
        """(x, y, width, height) of the first visible window whose title contains `name`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ids = self.xdotool("search", "--onlyvisible", "--name", name).split()
            if ids:
                geo = dict(
                    line.split("=", 1) for line in self.xdotool("getwindowgeometry", "--shell", ids[0]).splitlines()
                )
                if int(geo.get("WIDTH", 0)) > 1:
                    return int(geo["X"]), int(geo["Y"]), int(geo["WIDTH"]), int(geo["HEIGHT"])
            time.sleep(0.1)
        raise AssertionError(f"no window titled {name!r} appeared within {timeout} s")

    def close_windows(self) -> None:
        for proc in self.procs[2:]:
            _stop(proc)
        del self.procs[2:]

    def stop(self) -> None:
        for proc in reversed(self.procs):
            _stop(proc)


def isolated_env(tmp: Path) -> dict[str, str]:
    """Config and data folders of the test's own, so no saved settings leak in."""
    return {
        "AGENT_APP_CONFIG_DIR": str(tmp / "config"),
        "AGENT_APP_DATA_DIR": str(tmp / "data"),
    }
