"""End to end: the API key appears nowhere (issue 10 item 6), even when a server echoes the Authorization
header into its error bodies. The real `agent-app run` with AGENT_APP_API_KEY set; every file it writes,
its stdout and its stderr are searched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import read_trajectory
from test_cli_e2e import click

pytestmark = pytest.mark.x11

SECRET = "sk-proj-EchoTest-0123456789abcdefGHIJKL"


def every_file(*folders: Path) -> list[Path]:
    return [p for folder in folders if folder.exists() for p in folder.rglob("*") if p.is_file()]


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "no-stream"])
def test_an_echoed_key_is_in_no_file_and_no_output(desktop, cli, server, tmp_path, stream):
    server.api_key = SECRET
    server.add(click(desktop, 300, 300),
               {"status": 500, "echo_auth": True, "message": f"upstream failed for {SECRET[:20]}"},
               {"status": 400, "echo_auth": True, "message": "bad request"})
    extra = ("--retries", "1") + (() if stream else ("--no-stream",))
    proc, summary = cli.run_task(server, "leak test", *extra, env={"AGENT_APP_API_KEY": SECRET})

    assert proc.returncode == 1, proc.stderr
    assert [r["headers"]["authorization"] for r in server.chat_requests()] == [f"Bearer {SECRET}"] * 3
    # The server's words still come through, without the key.
    assert summary["error"].startswith("the endpoint answered HTTP 400: bad request (request headers:")
    assert "[redacted]" in summary["error"] and "HTTP 500" in proc.stderr and "[redacted]" in proc.stderr
    run_dir = Path(summary["run_dir"])
    assert [x["kind"] for x in read_trajectory(run_dir)] == ["header", "step", "end"]
    files = every_file(run_dir, Path(cli.env["AGENT_APP_DATA_DIR"]), Path(cli.env["AGENT_APP_CONFIG_DIR"]))
    assert run_dir / "report.html" in files and run_dir / "trajectory.jsonl" in files
    fragments = [SECRET, SECRET[8:24], json.dumps(SECRET)[1:-1]]
    for f in files:
        data = f.read_bytes()
        assert not any(frag.encode() in data for frag in fragments), f
    for out in (proc.stdout, proc.stderr):
        assert not any(frag in out for frag in fragments)
