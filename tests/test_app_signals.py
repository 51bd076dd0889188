"""The real app ends cleanly when the session ends it: SIGTERM (logout, `kill`), SIGINT or SIGHUP during a run stops
the run as Stop does — the end line says stopped, the steps taken are intact — and the program exits 0."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

FIRST = "Thought: Look first.\nAction: click(start_box='(400,300)')"


def _end_line(runs: Path, timeout: float = 20) -> tuple[dict, list[dict]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in runs.glob("*/trajectory.jsonl"):
            lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
            if lines and lines[-1]["kind"] == "end":
                return lines[-1], lines
        time.sleep(0.1)
    raise AssertionError("no run ended")


@pytest.mark.x11
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])  # SIGHUP: its terminal closed
def test_a_signal_mid_run_stops_the_run_and_quits(desktop, app_env, server, sig):
    server.add(FIRST, {"text": FIRST, "delay": 60})  # the second request hangs: the signal comes while it waits
    config, runs = Path(app_env["AGENT_APP_CONFIG_DIR"]), Path(app_env["AGENT_APP_DATA_DIR"]) / "runs"
    config.mkdir(parents=True, exist_ok=True)
    (config / "settings.json").write_text(json.dumps({"base_url": server.base_url, "model_family": "uitars-1.5"}))
    proc = subprocess.Popen([sys.executable, "-m", "agent_app"], env=desktop.full_env(app_env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        desktop.wait_window("^agent-app$")
        window = desktop.xdotool("search", "--onlyvisible", "--name", "^agent-app$").split()[0]
        desktop.xdotool("windowactivate", "--sync", window)
        desktop.xdotool("type", "--delay", "20", "keep going")
        desktop.xdotool("key", "ctrl+Return")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(server.chat_requests()) < 2:
            time.sleep(0.1)
        assert len(server.chat_requests()) == 2 and proc.poll() is None  # one step taken, the second request waiting
        proc.send_signal(sig)
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    end, lines = _end_line(runs, timeout=5)
    assert end["status"] == "stopped" and signal.Signals(sig).name in (end.get("error") or "")
    steps = [x for x in lines if x["kind"] == "step"]
    assert len(steps) == 1 and steps[0]["actions"][0]["type"] == "click" and end["steps"] == 1
    assert "Traceback" not in proc.stderr.read().decode()
