"""API keys through the real keyring (gnome-keyring's Secret Service on a private D-Bus session), the
no-keychain path, and the rule that the core never imports Qt."""

from __future__ import annotations

import subprocess
import sys

import pytest

FINISH = "Thought: done\nAction: finished(content='ok')"


def keyring_get(env: dict[str, str]) -> str:
    code = "import keyring; print(keyring.get_password('agent-app', 'default'))"
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30)
    return proc.stdout.strip()


@pytest.mark.x11
def test_key_set_is_used_by_runs_and_delete_removes_it(cli, server, desktop):
    env = cli.full_env()
    backend = subprocess.run([sys.executable, "-c", "import keyring; print(keyring.get_keyring())"], env=env,
                             capture_output=True, text=True).stdout
    assert "SecretService" in backend, backend  # a real OS keychain, not a plaintext file
    secret = "sk-keychain-0123456789abcdef"
    proc = cli.run("key", "set", input=secret + "\n")
    assert proc.returncode == 0, proc.stderr
    assert secret not in proc.stdout + proc.stderr
    assert keyring_get(env) == secret
    status = cli.run("key", "status")
    assert "OS keychain" in status.stdout and secret not in status.stdout

    server.api_key = secret
    server.add(FINISH)
    proc, summary = cli.run_task(server, "use the saved key")
    assert proc.returncode == 0, proc.stderr
    assert server.chat_requests()[-1]["headers"]["authorization"] == f"Bearer {secret}"
    # AGENT_APP_API_KEY wins over the keychain
    server.add(FINISH)
    proc, summary = cli.run_task(server, "env wins", env={"AGENT_APP_API_KEY": "other"})
    assert "rejected the API key" in summary["error"]

    assert cli.run("key", "delete").returncode == 0
    assert keyring_get(env) == "None"
    assert "no API key was saved" in cli.run("key", "delete").stderr


def test_no_keychain_gives_a_clear_message(cli_nodisplay):
    env = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    proc = cli_nodisplay.run("key", "set", input="sk-x\n", env=env)
    assert proc.returncode == 2
    assert "no OS keychain" in proc.stderr and "AGENT_APP_API_KEY" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert "no OS keychain" in cli_nodisplay.run("key", "status", env=env).stdout


def test_core_and_cli_import_no_qt_and_no_display_libraries():
    code = (
        "import sys, agent_app.cli, agent_app.core.loop, agent_app.core.runner, agent_app.core.runs.reading;"
        "bad = [m for m in ('PySide6', 'pyautogui', 'mss', 'pynput') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"PATH": "/usr/bin"})
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_core_module_imports_without_qt_and_families_stand_alone():
    """The whole core imports with no Qt; a family module pulls in no desktop, run folder, settings or UI."""
    code = (
        "import importlib, pkgutil, sys, agent_app.core.families as fam\n"
        "families = [m.name for m in pkgutil.iter_modules(fam.__path__, 'agent_app.core.families.')]\n"
        "for name in families:\n"
        "    importlib.import_module(name)\n"
        "bad = [m for m in sys.modules if m.startswith(('agent_app.core.desktop', 'agent_app.core.runs.reading',\n"
        "       'agent_app.core.settings', 'agent_app.ui', 'PySide6', 'openai', 'mss', 'pyautogui'))]\n"
        "import agent_app.core as core\n"
        "for name in [m.name for m in pkgutil.walk_packages(core.__path__, 'agent_app.core.')]:\n"
        "    importlib.import_module(name)\n"
        "bad += [m for m in ('PySide6', 'pyautogui', 'mss', 'pynput') if m in sys.modules]\n"
        "print(len(families), bad); sys.exit(1 if bad or len(families) < 4 else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"PATH": "/usr/bin"})
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_parse_command_contract(cli_nodisplay):
    reply = "Thought: Click OK.\nAction: click(start_box='(966,546)')\n"
    proc = cli_nodisplay.run("parse", "--model-family", "uitars-1.5", "--screen", "1920x1080", input=reply)
    assert proc.returncode == 0, proc.stderr
    import json

    assert json.loads(proc.stdout) == {"thought": "Click OK.", "actions": [{"type": "click", "x": 960, "y": 540}]}
    # The image the model was sent was smaller than the screen (e.g. a 2x Retina capture scaled down)
    proc = cli_nodisplay.run("parse", "--model-family", "uitars-1.5", "--screen", "3840x2160", "--image",
                             "1920x1080", input=reply)
    assert json.loads(proc.stdout)["actions"] == [{"type": "click", "x": 1920, "y": 1080}]
    drag = "Action: drag(start_point='<point>100 200</point>', end_point='<point>2000 -5</point>')"
    proc = cli_nodisplay.run("parse", "--model-family", "doubao", "--screen", "1000x500", input=drag)
    assert json.loads(proc.stdout)["actions"] == [{"type": "drag", "x": 100, "y": 100, "x2": 999, "y2": 0}]
    proc = cli_nodisplay.run("parse", "--model-family", "uitars-1.5", "--screen", "1920x1080", input="no action here")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_the_qt_binding_keeps_none_alive():
    """PySide6 6.12.0 dropped a reference to None on every static call returning nothing (processEvents,
    activeWindow…): a long run, or a long test session, then aborts the process. The pinned binding must not."""
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "before = sys.getrefcount(None)\n"
        "for _ in range(2000):\n"
        "    QApplication.processEvents()\n"
        "    QApplication.activeWindow()\n"
        "print(sys.getrefcount(None) - before)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={"PATH": "/usr/bin", "QT_QPA_PLATFORM": "offscreen"}, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.strip()) > -100  # 6.12.0: -4000
