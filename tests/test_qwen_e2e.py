"""End to end, per Qwen tool family: the real `agent-app run --model-family F` on a real X display (1920x1080),
against a real zenity entry and the scripted server answering in `<tool_call>` text — and, for Qwen3-VL, in native
`tool_calls` (streamed in pieces and whole). Clicks land on the pixel the convention names, Unicode text arrives
exactly, finished and call_user end the run with 0 and 4, and `runs export` rebuilds every request."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import read_trajectory
from test_history_exact import same_sample

from agent_app.core.families.qwen import tool_call_text
from agent_app.core.families.registry import FAMILIES
from agent_app.core.runs.export import to_ms_swift

pytestmark = pytest.mark.x11

TEXT = 'Grüße, "世界" (test) it\'s 100% <ok> — ñ € \\ done'


def call(**arguments) -> str:
    return tool_call_text("computer_use", arguments)


def model_point(family: str, x: int, y: int) -> list[float]:
    """What the family's model would write for screen pixel (x, y) of a 1920x1080 screen."""
    if family == "qwen2.5-vl":  # absolute pixels of the 1932x1092 image it was sent
        return [round(x * 1932 / 1920), round(y * 1092 / 1080)]
    return [x / 1.92, y / 1.08]  # thousandths (a model may write fractions; JSON carries them)


def click(family: str, x: int, y: int) -> str:
    return f"Action: Click at ({x}, {y}).\n" + call(action="left_click", coordinate=model_point(family, x, y))


def entry(desktop) -> tuple[subprocess.Popen, tuple[int, int]]:
    zen = desktop.spawn(["zenity", "--entry", "--title", "Qwen entry", "--text", "Type here"],
                        stdout=subprocess.PIPE, text=True)
    desktop.procs.append(zen)
    x, y, w, h = desktop.wait_window("Qwen entry")
    return zen, (x + w // 2, y + h // 2)


def exported_equals_sent(cli, bodies: list[dict], run_dir: Path, family: str, tmp_path: Path) -> None:
    """`agent-app runs export` gives, per step, exactly the request that step's reply answered."""
    out = tmp_path / "export"
    proc = cli.run("runs", "export", "--out", str(out), "--runs-dir", str(cli.runs_dir))
    assert proc.returncode == 0, proc.stderr
    samples = [json.loads(x) for x in (out / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    steps = [x for x in read_trajectory(run_dir) if x["kind"] == "step"]
    assert len(samples) == len(bodies) == len(steps)
    for body, step, sample in zip(bodies, steps, samples, strict=True):
        same_sample(to_ms_swift(FAMILIES[family], body["messages"], step["response"]), sample, run_dir, out)


@pytest.mark.parametrize("family", ["qwen2.5-vl", "qwen3-vl", "gui-owl-1.5"])
def test_clicks_land_text_arrives_the_answer_ends_the_run_and_export_is_what_was_sent(
        desktop, cli, server, tmp_path, family):
    zen, field = entry(desktop)
    x, y, w, h = desktop.wait_window("Qwen entry")
    targets = [(100, 900), (17, 33), (1915, 1073), (640, 1078), (1234, 321)]  # edges, away from the dialog
    assert not any(x <= tx < x + w and y <= ty < y + h for tx, ty in targets)
    seen: list[tuple[int, int]] = []

    def after_looking(reply: str):
        def item(body):
            seen.append(desktop.pointer())  # the previous action has been carried out when the next request comes
            return reply
        return item

    server.add(click(family, *targets[0]))
    for target in targets[1:]:
        server.add(after_looking(click(family, *target)))
    server.add(after_looking(click(family, *field)))
    server.add(after_looking("Action: Type the greeting and submit it.\n" + call(action="type", text=TEXT + "\n")))
    finish = call(action="answer", text="typed ‘it’") if family != "qwen2.5-vl" else call(
        action="terminate", status="success")
    server.add("<think>\nThe dialog is gone.\n</think>\n\nAction: Report.\n" + finish)
    proc, summary = cli.run_task(server, "click around, then type", "--model-family", family)
    assert proc.returncode == 0, proc.stderr
    assert seen == [*targets, field]
    out, _ = zen.communicate(timeout=10)
    assert out == TEXT + "\n" and zen.returncode == 0  # exact text; the trailing newline pressed Enter
    assert summary["status"] == "finished" and summary["steps"] == len(targets) + 3
    assert summary["final_answer"] == ("typed ‘it’" if family != "qwen2.5-vl" else "")
    run_dir = Path(summary["run_dir"])
    executed = [(a["x"], a["y"]) for s in read_trajectory(run_dir) if s["kind"] == "step"
                for a in s["actions"] if a["type"] == "click"]
    assert executed == [*targets, field]  # what was recorded is where the pointer went
    first = server.chat_requests()[0]["body"]
    declared = "1932x1092" if family == "qwen2.5-vl" else "1000x1000"
    assert f"The screen's resolution is {declared}." in first["messages"][0]["content"][0]["text"]
    exported_equals_sent(cli, [r["body"] for r in server.chat_requests()], run_dir, family, tmp_path)


@pytest.mark.parametrize(("family", "ask"), [
    ("qwen2.5-vl", {"action": "terminate", "status": "failure"}),
    ("qwen3-vl", {"action": "terminate", "status": "failure"}),
    ("gui-owl-1.5", {"action": "interact", "text": "Please log in first."}),
])
def test_asking_the_person_ends_a_headless_run_with_4(desktop, cli, server, family, ask):
    server.add("Action: I need the password.\n" + call(**ask))
    proc, summary = cli.run_task(server, "log in", "--model-family", family)
    assert proc.returncode == 4, proc.stderr
    assert summary["status"] == "call_user" and summary["steps"] == 1
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "no-stream"])
def test_native_tool_calls_drive_the_desktop_and_are_recorded_as_the_model_wrote_them(
        desktop, cli, server, tmp_path, stream):
    zen, field = entry(desktop)
    native = {"text": "Action: Click the field and type.\n", "tool_calls": [
        {"name": "computer_use", "arguments": {"action": "left_click", "coordinate": model_point("qwen3-vl", *field)}},
        {"name": "computer_use", "arguments": {"action": "type", "text": TEXT + "\n"}}]}
    answer = {"tool_calls": [{"name": "computer_use", "arguments": {"action": "answer", "text": "done"}}]}
    server.add({**native, "cut_after": 20}, native, answer)  # the first reply is cut mid-arguments: asked again
    extra = () if stream else ("--no-stream",)
    proc, summary = cli.run_task(server, "type a greeting", "--model-family", "qwen3-vl", *extra)
    assert proc.returncode == 0, proc.stderr
    assert (summary["status"], summary["final_answer"], summary["steps"]) == ("finished", "done", 2)
    out, _ = zen.communicate(timeout=10)
    assert out == TEXT + "\n"  # the cut reply was never acted on: the text arrived once
    run_dir = Path(summary["run_dir"])
    steps = [x for x in read_trajectory(run_dir) if x["kind"] == "step"]
    assert steps[0]["response"] == ("Action: Click the field and type.\n"
                                    + call(action="left_click", coordinate=model_point("qwen3-vl", *field)) + "\n"
                                    + call(action="type", text=TEXT + "\n"))
    assert [a["type"] for a in steps[0]["actions"]] == ["click", "type"]
    assert all(r["body"].get("stream", False) is stream for r in server.chat_requests())
    requests = server.chat_requests()
    assert len(requests) == 3 and requests[0]["body"] == requests[1]["body"]  # the cut reply's request, again
    exported_equals_sent(cli, [r["body"] for r in requests[1:]], run_dir, "qwen3-vl", tmp_path)
