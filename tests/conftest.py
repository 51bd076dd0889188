"""Fixtures: real X desktops (one per screen size, shared by the session), a real D-Bus session with a
Secret Service, and a scripted OpenAI-compatible server per test."""

from __future__ import annotations

import ast
import builtins
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from desktop import KEY_ENV, Desktop, Session, isolated_env

import agent_app.ui  # noqa: F401  (before pytest-qt brings Qt in: see agent_app/ui/__init__.py)
from agent_app.testing.scripted_server import ScriptedServer


@pytest.fixture(scope="session")
def dbus_session():
    session = Session.start()
    yield session
    session.stop()


@pytest.fixture(scope="session")
def desktops(dbus_session):
    started: dict[tuple[int, int], Desktop] = {}

    def get(width: int, height: int) -> Desktop:
        if (width, height) not in started:
            started[(width, height)] = Desktop.start(width, height, dbus_session)
        return started[(width, height)]

    yield get
    for desktop in started.values():
        desktop.stop()


@pytest.fixture(scope="session")
def two_monitors(dbus_session):
    """1920x1080 on the left, 1366x768 on the right, one X screen."""
    d = Desktop.start_two_monitors((1920, 1080), (1366, 768), dbus_session)
    yield d
    d.stop()


@pytest.fixture
def desktop(desktops):
    """A 1920x1080 desktop; target windows a test opens are closed after it."""
    d = desktops(1920, 1080)
    yield d
    d.close_windows()


@pytest.fixture
def server():
    srv = ScriptedServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def app_env(tmp_path):
    return isolated_env(tmp_path)


class CLI:
    """Runs the real `agent-app` program (python -m agent_app) in a subprocess on a desktop."""

    def __init__(self, desktop: Desktop | None, env: dict[str, str], runs_dir: Path) -> None:
        self.desktop, self.env, self.runs_dir = desktop, env, runs_dir

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "agent_app", *args]

    def full_env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        import os

        base = self.desktop.full_env() if self.desktop else {
            k: v for k, v in os.environ.items() if not k.startswith("AGENT_APP_") and k not in KEY_ENV
            and not k.startswith("ANTHROPIC_")
        }
        if not self.desktop:
            base.pop("DISPLAY", None)
        return {**base, **self.env, **(extra or {})}

    def run(self, *args: str, input: str | None = None, timeout: float = 90, env: dict[str, str] | None = None):
        return subprocess.run(
            self.command(*args), input=input, capture_output=True, text=True, timeout=timeout,
            env=self.full_env(env),
        )

    def run_task(self, server: ScriptedServer, task: str = "do the thing", *extra: str, **kw):
        """`agent-app run TASK --base-url … --runs-dir … --json` → (completed process, summary dict or None)."""
        proc = self.run("run", task, "--base-url", server.base_url, "--runs-dir", str(self.runs_dir), "--json",
                        *extra, **kw)
        lines = [line for line in proc.stdout.splitlines() if line.strip()]
        summary = json.loads(lines[-1]) if lines else None
        return proc, summary

    def popen(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        return subprocess.Popen(
            self.command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.PIPE, text=True,
            env=self.full_env(env),
        )


@pytest.fixture
def cli(desktop, app_env, tmp_path):
    return CLI(desktop, app_env, tmp_path / "runs")


@pytest.fixture
def cli_nodisplay(app_env, tmp_path):
    return CLI(None, app_env, tmp_path / "runs")


def read_trajectory(run_dir: str | Path) -> list[dict]:
    """Every line must be complete JSON: a torn line fails the test."""
    text = (Path(run_dir) / "trajectory.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture(scope="session")
def qapp(desktops):
    """The Qt application of the test session, on a real 1920x1080 X display with a window manager."""
    import os

    desktop = desktops(1920, 1080)
    os.environ.update(desktop.env)
    from agent_app.ui.app import create_app

    app = create_app(["agent-app-tests"])
    app.setQuitOnLastWindowClosed(False)
    yield app
    # Leave the X server cleanly before the session stops it, or Qt reports a broken connection.
    app.closeAllWindows()
    app.processEvents()
    app.shutdown()


@pytest.fixture
def app_dirs(tmp_path, monkeypatch):
    """Settings and runs of the test's own (the app reads these in-process)."""
    for key, value in isolated_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    for key in ("AGENT_APP_API_KEY", "OPENAI_API_KEY", "AGENT_APP_BASE_URL", "AGENT_APP_MODEL"):
        monkeypatch.delenv(key, raising=False)
    return tmp_path


@pytest.fixture
def no_execution(monkeypatch):
    """Spies on every way code could run: exec/eval/real compiles, imports of dangerous modules, processes."""
    seen: list[str] = []
    real_compile, real_import = builtins.compile, builtins.__import__

    def spy_compile(source, filename, mode, flags=0, *args, **kwargs):
        if not flags & ast.PyCF_ONLY_AST:
            seen.append(f"compile {mode}")
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    def spy_import(name, *args, **kwargs):
        if name.split(".")[0] in ("os", "subprocess", "sys", "shutil", "socket", "ctypes", "importlib"):
            seen.append(f"import {name}")
        return real_import(name, *args, **kwargs)

    def refuse(what):
        def fn(*args, **kwargs):
            seen.append(what)
            raise AssertionError(f"{what} was called")
        return fn

    monkeypatch.setattr(builtins, "compile", spy_compile)
    monkeypatch.setattr(builtins, "__import__", spy_import)
    for name in ("exec", "eval", "breakpoint", "open", "print"):
        monkeypatch.setattr(builtins, name, refuse(name))
    monkeypatch.setattr(os, "system", refuse("os.system"))
    monkeypatch.setattr(subprocess, "Popen", refuse("subprocess.Popen"))
    return seen
