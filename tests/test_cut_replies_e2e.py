"""End to end: a reply cut off mid-action is never acted on (issue 10 item 2). The real `agent-app run` on a
real X display, against a real HTTP server on 127.0.0.1 that cuts its replies short, and a real zenity window."""

from __future__ import annotations

import subprocess

import pytest
from conftest import read_trajectory
from test_cli_e2e import FINISH, click, model_point

pytestmark = pytest.mark.x11

START = (40, 40)  # where the pointer waits; nothing but the agent moves it


def cut_item(reply: str, at: int, fault: str) -> dict:
    """The server's answer: `reply` cut after `at` characters, the way `fault` cuts it."""
    if fault == "length":
        return {"text": reply[:at], "finish_reason": "length"}
    return {"text": reply, fault: at}


@pytest.mark.parametrize("fault, stream", [
    ("drop_after", True), ("cut_after", True), ("length", True), ("drop_after", False), ("length", False),
], ids=["dropped", "closed-early", "max-tokens", "dropped-no-stream", "max-tokens-no-stream"])
def test_a_click_cut_inside_its_coordinates_is_never_made(desktop, cli, server, fault, stream):
    reply = click(desktop, 1500, 90, "Open the menu in the top bar.")
    mx, my = model_point(desktop, 1500, 90)
    at = reply.index(f"({mx},{my}") + len(f"({mx},{str(my)[:-1]}")  # ends inside y: '(1509,9'
    seen: list[tuple[int, int]] = []

    def item(body):
        seen.append(desktop.pointer())  # the pointer as each request (the first and every re-ask) is made
        return cut_item(reply, at, fault)

    server.default = item
    desktop.xdotool("mousemove", "--sync", *map(str, START))
    extra = ("--retries", "1") + (() if stream else ("--no-stream",))
    proc, summary = cli.run_task(server, "open the menu", *extra)

    assert proc.returncode == 1, proc.stderr
    assert summary["status"] == "error" and summary["steps"] == 0
    assert "cut off" in summary["error"] or "broke off" in summary["error"]
    assert len(summary["error"].splitlines()) == 1 and "Traceback" not in proc.stderr
    assert len(seen) == (3 if fault == "length" else 2)  # asked again, bounded
    assert seen == [START] * len(seen)
    assert desktop.pointer() == START  # never went to (1500, 9), where the cut '(1509,9' would have sent it
    lines = read_trajectory(summary["run_dir"])
    assert [x["kind"] for x in lines] == ["header", "end"]
    assert lines[-1]["status"] == "error" and lines[-1]["error"] == summary["error"]


@pytest.mark.parametrize("fault", ["drop_after", "length"])
def test_a_cut_type_types_nothing(desktop, cli, server, fault):
    zen = desktop.spawn(["zenity", "--entry", "--title", "Cut test", "--text", "Command"],
                        stdout=subprocess.PIPE, text=True)
    desktop.procs.append(zen)
    x, y, w, h = desktop.wait_window("Cut test")
    typed = "Thought: Type the command.\nAction: type(content='git push --force origin main\\n')"
    server.add(click(desktop, x + w // 2, y + h // 2, "Click the entry field."))
    server.default = cut_item(typed, typed.index("origin ma") + len("origin ma"), fault)
    proc, summary = cli.run_task(server, "push it", "--retries", "1")

    assert proc.returncode == 1, proc.stderr
    assert summary["status"] == "error" and summary["steps"] == 1 and "cut off" in summary["error"]
    lines = read_trajectory(summary["run_dir"])
    assert [x["kind"] for x in lines] == ["header", "step", "end"]
    assert lines[1]["actions"][0]["type"] == "click"
    # Submit the dialog ourselves: zenity prints what its entry holds.
    desktop.xdotool("search", "--name", "Cut test", "windowactivate", "--sync")
    desktop.xdotool("key", "--clearmodifiers", "Return")
    out, _ = zen.communicate(timeout=10)
    assert zen.returncode == 0 and out == "\n"  # empty: not a character of the cut command was typed


def test_a_finished_reply_whose_stream_never_closes_is_acted_on_at_once(desktop, cli, server):
    """Finish reason and usage, then neither [DONE] nor the end of the body. With --timeout 3 and no retries,
    waiting for more would end the run as a timeout; the reply is whole, so the click happens."""
    server.add({"text": click(desktop, 700, 500), "no_done": True}, {"text": FINISH, "no_done": True})
    proc, summary = cli.run_task(server, "click once", "--timeout", "3", "--retries", "0")
    assert proc.returncode == 0, proc.stderr
    assert summary["status"] == "finished" and summary["steps"] == 2
    assert desktop.pointer() == (700, 500)
    steps = [x for x in read_trajectory(summary["run_dir"]) if x["kind"] == "step"]
    assert steps[0]["usage"]["prompt_tokens"] > 0  # the usage chunk after the finish chunk was kept
