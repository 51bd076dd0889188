"""End to end: the real `agent-app run` on a real X display, against real target windows (zenity) and a
real HTTP server on 127.0.0.1 that each test scripts."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import read_trajectory

pytestmark = pytest.mark.x11

# What UI-TARS-1.5 sees for each screen (Qwen2.5-VL smart_resize, from the model facts table).
MODEL_IMAGE = {(1920, 1080): (1932, 1092), (1366, 768): (1372, 756)}


def model_point(desktop, x: int, y: int) -> tuple[int, int]:
    """The integer pixel a UI-TARS-1.5 model would name, in the image it saw, for screen pixel (x, y)."""
    mw, mh = MODEL_IMAGE[(desktop.width, desktop.height)]
    return round(x * mw / desktop.width), round(y * mh / desktop.height)


def click(desktop, x: int, y: int, thought: str = "Click it.") -> str:
    mx, my = model_point(desktop, x, y)
    return f"Thought: {thought}\nAction: click(start_box='<|box_start|>({mx},{my})<|box_end|>')"


FINISH = "Thought: All done.\nAction: finished(content='done')"


@pytest.mark.parametrize("size", [(1920, 1080), (1366, 768)], ids=["1920x1080", "1366x768"])
def test_clicks_land_on_the_intended_pixel(desktops, app_env, tmp_path, server, size):
    from conftest import CLI

    desktop = desktops(*size)
    w, h = size
    targets = [(w // 2, h // 2), (17, 33), (w - 5, h - 7), (w // 3, h - 2), (1234 % w, 321)]
    seen: list[tuple[int, int]] = []

    def observe_then(reply: str):
        def item(body):
            seen.append(desktop.pointer())  # the previous click has been executed when the next request comes
            return reply

        return item

    server.add(click(desktop, *targets[0]))
    for target in targets[1:]:
        server.add(observe_then(click(desktop, *target)))
    server.add(observe_then(FINISH))
    proc, summary = CLI(desktop, app_env, tmp_path / "runs").run_task(server, "click around")
    assert proc.returncode == 0, proc.stderr
    assert seen == targets
    lines = read_trajectory(summary["run_dir"])
    executed = [(a["x"], a["y"]) for s in lines if s["kind"] == "step" for a in s["actions"] if a["type"] == "click"]
    assert executed == targets  # the recorded pixel is the pixel the pointer went to


def test_agent_click_into_a_corner_does_not_kill_the_run(desktop, cli, server):
    server.add(click(desktop, 0, 0), click(desktop, desktop.width - 1, desktop.height - 1), FINISH)
    proc, summary = cli.run_task(server, "corners")
    assert proc.returncode == 0, proc.stderr
    assert summary["status"] == "finished"
    assert desktop.pointer() == (desktop.width - 2, desktop.height - 2)  # stepped off the fail-safe corner


def test_person_pushing_pointer_into_corner_stops_the_run(desktop, cli, server):
    def corner_then_click(body):
        desktop.xdotool("mousemove", "0", "0")  # the person's emergency exit
        return click(desktop, 400, 400)

    server.add(click(desktop, 300, 300), corner_then_click, FINISH)
    proc, summary = cli.run_task(server, "fail-safe")
    assert proc.returncode == 130, proc.stderr
    assert summary["status"] == "stopped"
    assert "fail-safe" in summary["error"]


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "no-stream"])
def test_unicode_text_with_quotes_and_parentheses_arrives_exactly(desktop, cli, server, stream):
    zen = desktop.spawn(["zenity", "--entry", "--title", "Entry test", "--text", "Type here"],
                        stdout=subprocess.PIPE, text=True)
    desktop.procs.append(zen)
    x, y, w, h = desktop.wait_window("Entry test")
    text = 'Grüße, "世界" (test) it\'s 100% <ok> — ñ €'
    escaped = text.replace("\\", "\\\\").replace("'", "\\'").replace('"', '\\"')
    server.add(
        click(desktop, x + w // 2, y + h // 2, "Click the entry field."),
        f"Thought: Type the text and submit.\nAction: type(content='{escaped}\\n')",
        "Thought: The dialog is closed.\nAction: finished(content='typed')",
    )
    extra = () if stream else ("--no-stream",)
    proc, _ = cli.run_task(server, "type a greeting", *extra)
    assert proc.returncode == 0, proc.stderr
    out, _ = zen.communicate(timeout=10)
    assert out == text + "\n"
    assert zen.returncode == 0  # Enter submitted the dialog (the trailing newline pressed Enter once)
    assert all(r["body"].get("stream", False) is stream for r in server.chat_requests())


def test_finished_exits_0_with_answer_and_a_complete_run_folder(desktop, cli, server):
    secret = "sk-test-SECRET-never-written-0123456789"
    server.api_key = secret
    server.add(click(desktop, 100, 100), "Thought: Answer.\nAction: finished(content='The answer is \\'42\\'.')")
    proc, summary = cli.run_task(server, "answer", env={"AGENT_APP_API_KEY": secret})
    assert proc.returncode == 0, proc.stderr
    assert summary == {
        "status": "finished", "steps": 2, "run_dir": summary["run_dir"], "final_answer": "The answer is '42'.",
        "error": None,
    }
    run_dir = Path(summary["run_dir"])
    assert run_dir.parent == cli.runs_dir
    lines = read_trajectory(run_dir)
    assert [x["kind"] for x in lines] == ["header", "step", "step", "end"]
    assert lines[0]["task"] == "answer"
    for step in lines[1:3]:
        assert (run_dir / step["screenshot"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert {"capture", "encode", "model", "parse"} <= set(step["timings_ms"])
        assert step["usage"]["prompt_tokens"] > 0
    report = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "step-001.png" in report and "The answer is &#x27;42&#x27;." in report
    # Tokens per step on the progress line and in the report; no list price for this model, so no cost.
    assert re.search(r"step 1/\d+  click \(100, 100\)  · 1\.0k in / \d+ out tokens  — ", proc.stderr), proc.stderr
    assert "<td>tokens</td><td>1,000 in / " in report and "$" not in proc.stderr + report
    # The key went to the server as a bearer token, and nowhere else.
    assert all(r["headers"].get("authorization") == f"Bearer {secret}" for r in server.chat_requests())
    for f in run_dir.iterdir():
        assert secret.encode() not in f.read_bytes(), f
    assert secret not in proc.stdout + proc.stderr


def test_server_errors_then_success(desktop, cli, server):
    server.add({"status": 500, "message": "boom"}, {"status": 503}, {"status": 429}, FINISH)
    proc, summary = cli.run_task(server, "flaky server")
    assert proc.returncode == 0, proc.stderr
    assert summary["status"] == "finished"
    assert len(server.chat_requests()) == 4
    assert "retry 1/3" in proc.stderr and "HTTP 500" in proc.stderr


def test_garbage_output_ends_with_a_clear_error_and_keeps_every_step(desktop, cli, server):
    server.add(click(desktop, 200, 200), "I am not sure what to do.", "<html>502</html>", "Action: frobnicate()")
    proc, summary = cli.run_task(server, "garbage")
    assert proc.returncode == 1
    assert summary["status"] == "error" and summary["steps"] == 1
    assert "could not be understood 3 time(s)" in summary["error"]
    assert "Traceback" not in proc.stderr
    kinds = [x["kind"] for x in read_trajectory(summary["run_dir"])]
    assert kinds == ["header", "step", "format_error", "format_error", "format_error", "end"]
    temps = [r["body"]["temperature"] for r in server.chat_requests()]
    assert temps == [0.0, 0.0, 1.0, 1.0]  # re-sampled hotter after a bad reply


def test_server_that_never_answers_times_out_with_a_clear_error(desktop, cli, server):
    server.add({"hang": True}, {"stall_after_headers": True})
    started = time.monotonic()
    proc, summary = cli.run_task(server, "silent server", "--timeout", "1", "--retries", "1")
    elapsed = time.monotonic() - started
    assert proc.returncode == 1
    assert "did not answer in time" in summary["error"]
    assert elapsed < 20
    assert "Traceback" not in proc.stderr


def test_call_user_exits_4_headless(desktop, cli, server):
    server.add("Thought: I need the password, which only the user knows.\nAction: call_user()")
    proc, summary = cli.run_task(server, "log in")
    assert proc.returncode == 4
    assert summary["status"] == "call_user" and summary["steps"] == 1


def test_interactive_call_user_continues_with_the_reply(desktop, cli, server):
    server.add("Thought: Which file?\nAction: call_user()", FINISH)
    proc, summary = cli.run_task(server, "open the file", "--interactive", input="the one named report.txt\n")
    assert proc.returncode == 0, proc.stderr
    assert summary["steps"] == 2
    last = server.chat_requests()[-1]["body"]["messages"]
    assert any("the one named report.txt" in str(m["content"]) for m in last if m["role"] == "user")
    notes = [x for x in read_trajectory(summary["run_dir"]) if x["kind"] == "note"]
    assert notes and notes[0]["note"] == "the one named report.txt"


def test_step_budget_exits_3(desktop, cli, server):
    server.default = click(desktop, 500, 500)
    server.add(click(desktop, 300, 300), click(desktop, 600, 300))
    proc, summary = cli.run_task(server, "never ends", "--max-steps", "3")
    assert proc.returncode == 3
    assert summary["status"] == "max_steps" and summary["steps"] == 3


def test_repeating_the_same_click_is_detected_as_stuck(desktop, cli, server):
    server.default = click(desktop, 700, 700)
    proc, summary = cli.run_task(server, "loop forever", "--max-steps", "20")
    assert proc.returncode == 1
    assert summary["error"].startswith("stuck:") and summary["steps"] == 5


def test_sigint_during_wait_exits_130_with_every_line_intact(desktop, cli, server):
    server.add(click(desktop, 300, 300), "Thought: Loading, wait.\nAction: wait()")
    proc = cli.popen("run", "slow page", "--base-url", server.base_url, "--runs-dir", str(cli.runs_dir), "--json")
    deadline = time.monotonic() + 30
    run_dirs: list[Path] = []
    while time.monotonic() < deadline:
        run_dirs = list(cli.runs_dir.glob("*/trajectory.jsonl"))
        if run_dirs and run_dirs[0].read_text().count('"kind": "step"') == 2:
            break
        time.sleep(0.05)
    time.sleep(0.3)  # now inside the 5 s wait
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=10)
    assert time.monotonic() - sent < 1.5
    assert proc.returncode == 130, err
    lines = read_trajectory(run_dirs[0].parent)
    assert [x["kind"] for x in lines] == ["header", "step", "step", "end"]
    assert lines[-1]["status"] == "stopped"
    assert '"status": "stopped"' in out


def test_no_endpoint_configured_exits_2_without_traceback(cli_nodisplay):
    proc = cli_nodisplay.run("run", "anything")
    assert proc.returncode == 2
    assert "no model endpoint configured" in proc.stderr and "--base-url" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_no_display_is_a_configuration_error(cli_nodisplay, server):
    proc, _ = cli_nodisplay.run_task(server, "anything", "--model", "scripted-ui-tars")
    assert proc.returncode == 2
    assert "display" in proc.stderr and "Traceback" not in proc.stderr


def test_bad_key_and_unknown_model_say_what_to_do(desktop, cli, server):
    server.api_key = "right-key"
    proc, summary = cli.run_task(server, "x", "--model", "scripted-ui-tars", env={"AGENT_APP_API_KEY": "wrong"})
    assert proc.returncode == 1 and "rejected the API key" in summary["error"]
    proc, summary = cli.run_task(server, "x", "--model", "scripted-ui-tars")
    assert "needs an API key" in summary["error"] and "agent-app key set" in summary["error"]
    server.api_key = None
    proc, summary = cli.run_task(server, "x", "--model", "no-such-model")
    assert proc.returncode == 1 and "not found" in summary["error"]


def test_runs_list_and_show(desktop, cli, server):
    server.add(click(desktop, 100, 100), FINISH)
    proc, summary = cli.run_task(server, "list me")
    assert proc.returncode == 0
    listed = cli.run("runs", "list", "--runs-dir", str(cli.runs_dir))
    run_id = Path(summary["run_dir"]).name
    assert run_id in listed.stdout and "finished" in listed.stdout
    shown = cli.run("runs", "show", run_id[:15], "--runs-dir", str(cli.runs_dir))
    assert shown.returncode == 0, shown.stderr
    assert "step 1: click (100, 100)" in shown.stdout and "report:" in shown.stdout


def test_kill_mid_run_loses_at_most_the_step_in_flight(desktop, cli, server):
    server.add(click(desktop, 300, 300), click(desktop, 400, 300), {"hang": True})
    proc = cli.popen("run", "killed", "--base-url", server.base_url, "--runs-dir", str(cli.runs_dir))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(server.chat_requests()) < 3:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    run_dir = next(cli.runs_dir.iterdir())
    lines = read_trajectory(run_dir)
    assert [x["kind"] for x in lines] == ["header", "step", "step"]
    listed = cli.run("runs", "show", run_dir.name, "--runs-dir", str(cli.runs_dir))
    assert "incomplete" in listed.stdout


def test_run_a_saved_task_by_name(desktop, cli, server):
    config = Path(cli.env["AGENT_APP_CONFIG_DIR"])
    config.mkdir(parents=True, exist_ok=True)
    (config / "presets.json").write_text(json.dumps({"format": "agent-app presets", "presets": [
        {"name": "Greeter", "task": "greet from the preset", "max_steps": 2, "hotkey": "<ctrl>+<alt>+1"}]}))
    server.default = click(desktop, 640, 480)
    proc, summary = cli.run_task(server, "", "--preset", "greeter")
    assert proc.returncode == 3 and summary["steps"] == 2  # the preset's budget
    assert read_trajectory(summary["run_dir"])[0]["task"] == "greet from the preset"
    proc = cli.run("run", "--preset", "Nope", "--base-url", server.base_url)
    assert proc.returncode == 2 and "no saved task named 'Nope'" in proc.stderr and "Greeter" in proc.stderr


def test_interactive_confirmation_on_the_terminal(desktop, cli, server):
    server.add(click(desktop, 300, 300), click(desktop, 900, 700), FINISH)
    desktop.xdotool("mousemove", "--sync", "10", "10")
    proc, summary = cli.run_task(server, "careful", "--interactive", "--confirm", "always",
                                 input="y\nno, use the menu instead\n")
    assert proc.returncode == 0, proc.stderr
    assert "The agent wants to: click (300, 300)" in proc.stderr
    assert desktop.pointer() == (300, 300)  # the second click was declined
    lines = read_trajectory(summary["run_dir"])
    declined = next(x for x in lines if x.get("declined"))
    assert declined["note"] == "no, use the menu instead"
    last = server.chat_requests()[-1]["body"]["messages"]
    assert "did not allow that action" in json.dumps(last) and "use the menu instead" in json.dumps(last)
    proc = cli.run("run", "x", "--confirm", "always", "--base-url", server.base_url)
    assert proc.returncode == 2 and "--confirm needs --interactive" in proc.stderr


def test_the_chosen_monitor_is_captured_and_clicked(two_monitors, app_env, tmp_path, server):
    """Monitor offsets: the model sees only the chosen monitor, and its clicks land on that monitor."""
    import base64
    import io
    import sys

    from conftest import CLI
    from PIL import Image

    code = "import json, mss; print(json.dumps([[m['left'], m['width'], m['height']] for m in mss.MSS().monitors[1:]]))"
    listed = subprocess.run([sys.executable, "-c", code], env=two_monitors.full_env(), capture_output=True, text=True,
                            check=True).stdout
    right = json.loads(listed).index([1920, 1366, 768]) + 1  # mss's number for the right-hand monitor
    seen: list[tuple[int, int]] = []

    def image_then(reply):
        def item(body):
            url = body["messages"][-1]["content"][0]["image_url"]["url"]
            seen.append(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).size)
            return reply
        return item

    # (686,378) in the 1372x756 image the model sees of the 1366x768 monitor → (683, 384) on it → +1920
    server.add(image_then("Thought: c\nAction: click(start_box='(686,378)')"), image_then(FINISH))
    proc, _ = CLI(two_monitors, app_env, tmp_path / "runs").run_task(server, "right monitor", "--monitor", str(right))
    assert proc.returncode == 0, proc.stderr
    assert seen == [(1366, 768), (1366, 768)]  # sent native: the model sees 1372x756 after its own resize
    assert two_monitors.pointer() == (1920 + 683, 384)
    proc, _ = CLI(two_monitors, app_env, tmp_path / "runs").run_task(server, "no such monitor", "--monitor", "3")
    assert proc.returncode == 2 and "monitor 3 does not exist" in proc.stderr
