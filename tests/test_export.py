"""`runs export --format ms-swift`: real runs (the real loop, a scripted model server) turned into training
samples that match ms-swift's documented multimodal format and the requests the model really got."""

from __future__ import annotations

import json
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import read_trajectory
from doubles import RecordingExecutor, StaticScreen

from agent_app.core.control import RunControl
from agent_app.core.errors import ConfigError
from agent_app.core.families.aguvis import PREFILL
from agent_app.core.families.registry import FAMILIES
from agent_app.core.families.uitars_parser import add_box_tokens
from agent_app.core.loop import Agent
from agent_app.core.runs.export import JSONL_NAME, export_runs, to_ms_swift
from agent_app.core.settings.config import RunConfig
from agent_app.testing.scripted_server import ScriptedServer

AGUVIS_SCRIPT = [
    "The desktop.\nThought: open it\nAction: Double-click the editor icon.\nassistantos\n"
    "pyautogui.doubleClick(0.5, 0.5)",
    "A login prompt.\nThought: I need the password\nAction: Ask the user.\nassistantos\n"
    "mobile.terminate(status='failure')",
    "this is not code at all",  # a format error: re-sampled, never a step
    "The editor.\nThought: done\nAction: Report.<|im_end|>\n<|im_start|>assistant<|recipient|>os\nanswer('opened')",
]
UITARS_SCRIPT = [
    "Thought: open the menu\nAction: click(start_box='(100,200)')",
    "Thought: which file?\nAction: call_user()",
    "Thought: open it\nAction: left_double(start_box='(300,400)')",
    "Thought: done\nAction: finished(content='ok')",
]


@dataclass
class Recorded:
    runs_dir: Path
    run_dirs: dict[str, Path] = field(default_factory=dict)
    requests: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def record_run(runs_dir: Path, task: str, family: str, script: list[str], note: str | None = None,
               **cfg: Any) -> tuple[Path, list[dict[str, Any]]]:
    """One real run of the loop against a scripted server; a call_user is answered with `note`."""
    with ScriptedServer(script) as server:
        config = RunConfig(task=task, base_url=server.base_url, model=server.model, runs_dir=str(runs_dir),
                           model_family=family, call_user_pauses=note is not None, wait_seconds=0.01, **cfg)
        agent = Agent(config, screen=StaticScreen(), executor=RecordingExecutor(), control=RunControl())

        def answer(event: Any) -> None:
            if event.kind == "status" and event.data.get("by") == "call_user":
                threading.Timer(0.05, lambda: agent.control.resume(note=note or "")).start()

        agent.observers.append(answer)
        result = agent.run()
        return Path(result.run_dir), [r["body"] for r in server.chat_requests()]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> Recorded:
    rec = Recorded(tmp_path_factory.mktemp("export") / "runs")
    for key, task, family, script, note, cfg in [
        ("aguvis", "Open the editor", "aguvis", AGUVIS_SCRIPT, "the password is hunter2", {}),
        ("uitars", "Open the report", "uitars-1.5", UITARS_SCRIPT, "the one named report.txt", {"history_images": 2}),
        ("bank", "Log in to the bank", "uitars-1.5", ["Thought: help\nAction: call_user()"], None, {}),
    ]:
        rec.run_dirs[key], rec.requests[key] = record_run(rec.runs_dir, task, family, script, note, **cfg)
    return rec


def load(jsonl: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]


def check_ms_swift_sample(sample: dict[str, Any], out_dir: Path) -> None:
    """ms-swift's standard format: "messages" (system optional, then user/assistant strictly alternating, the
    last one the assistant target) and "images", one path per `<image>` tag, in order."""
    assert set(sample) == {"messages", "images"}
    messages = sample["messages"]
    assert all(set(m) == {"role", "content"} and isinstance(m["content"], str) for m in messages)
    roles = [m["role"] for m in messages]
    if roles[0] == "system":
        roles = roles[1:]
    assert roles == ["user", "assistant"] * (len(roles) // 2) and len(roles) % 2 == 0
    assert messages[-1]["content"].strip()
    tags = sum(m["content"].count("<image>") for m in messages)
    assert tags == len(sample["images"]) >= 1
    for path in sample["images"]:
        assert not Path(path).is_absolute() and ".." not in Path(path).parts
        assert (out_dir / path).is_file()


def test_finished_runs_become_one_valid_sample_per_step(recorded, tmp_path):
    out = tmp_path / "out"
    summary = export_runs([], recorded.runs_dir, out)
    samples = load(out / JSONL_NAME)
    assert summary.jsonl == out / JSONL_NAME and summary.samples == len(samples) == 3 + 4  # the bank run is excluded
    for sample in samples:
        check_ms_swift_sample(sample, out)
    info = json.loads((out / "export.json").read_text())
    assert {r["run_id"]: r["samples"] for r in info["runs"]} == {
        recorded.run_dirs["aguvis"].name: 3, recorded.run_dirs["uitars"].name: 4,
    }
    assert info["images"] == summary.images == 7


def test_each_sample_is_the_request_that_was_sent_plus_its_reply(recorded, tmp_path):
    out = tmp_path / "out"
    export_runs([str(recorded.run_dirs["aguvis"]), str(recorded.run_dirs["uitars"])], recorded.runs_dir, out)
    samples = load(out / JSONL_NAME)
    # Which request produced each step (the aguvis run re-sampled once after "this is not code at all")
    for key, request_of_step, offset in (("aguvis", [0, 1, 3], 0), ("uitars", [0, 1, 2, 3], 3)):
        family = FAMILIES["aguvis" if key == "aguvis" else "uitars-1.5"]
        steps = [x for x in read_trajectory(recorded.run_dirs[key]) if x["kind"] == "step"]
        for i, (step, request) in enumerate(zip(steps, request_of_step, strict=True)):
            sent = to_ms_swift(family, recorded.requests[key][request]["messages"], step["response"])
            assert samples[offset + i]["messages"] == sent["messages"]
            assert len(samples[offset + i]["images"]) == len(sent["images"])
            run = recorded.run_dirs[key].name
            assert samples[offset + i]["images"][-1] == f"images/{run}/{step['screenshot']}"  # the current one last


def test_aguvis_samples(recorded, tmp_path):
    out = tmp_path / "out"
    export_runs([recorded.run_dirs["aguvis"].name], recorded.runs_dir, out)
    samples = load(out / JSONL_NAME)
    assert [len(s["images"]) for s in samples] == [1, 1, 1]
    assert [[m["role"] for m in s["messages"]] for s in samples] == [["system", "user", "assistant"]] * 3
    user = samples[2]["messages"][1]["content"]
    assert user.startswith("<image>Please generate the next move")
    assert user.endswith(
        "Previous actions:\nStep 1: Double-click the editor icon.\nStep 2: Ask the user.\n"
        "Note from the user: the password is hunter2\n"
    )
    target = samples[0]["messages"][-1]["content"]
    assert target == (  # the prefill and the reply that continued it, the recipient switch in tokens
        PREFILL + "The desktop.\nThought: open it\nAction: Double-click the editor icon.<|im_end|>\n"
        "<|im_start|>assistant<|recipient|>os\npyautogui.doubleClick(0.5, 0.5)"
    )
    assert all("not code at all" not in json.dumps(s) for s in samples)  # format errors are not samples


def test_uitars_samples(recorded, tmp_path):
    out = tmp_path / "out"
    export_runs([recorded.run_dirs["uitars"].name[:-2]], recorded.runs_dir, out)  # a unique id prefix works
    samples = load(out / JSONL_NAME)
    assert [len(s["images"]) for s in samples] == [1, 2, 2, 2]  # history_images=2 counts the current one
    assert [m["role"] for m in samples[3]["messages"]] == ["system", "user", "assistant", "user", "assistant",
                                                           "user", "assistant"]
    first = samples[0]["messages"]
    assert first[0] == {"role": "system", "content": "You are a helpful assistant."}
    assert first[1]["content"].startswith("You are a GUI agent.") and first[1]["content"].endswith(
        "## User Instruction\nOpen the report\n\n<image>"  # prompt and first screenshot merged into one user turn
    )
    assert first[2]["content"] == add_box_tokens(UITARS_SCRIPT[0])  # the target, box tokens as generated
    last = samples[3]["messages"]
    assert last[2]["content"] == add_box_tokens(UITARS_SCRIPT[0] + "\n" + UITARS_SCRIPT[1])  # no image between
    assert last[3]["content"] == "Note from the user: the one named report.txt\n<image>"
    assert last[-1]["content"] == "Thought: done\nAction: finished(content='ok')"


def test_images_are_linked_or_copied_and_reexport_is_idempotent(recorded, tmp_path):
    out = tmp_path / "out"
    export_runs([recorded.run_dirs["aguvis"].name], recorded.runs_dir, out)
    first = (out / JSONL_NAME).read_bytes()
    export_runs([recorded.run_dirs["aguvis"].name], recorded.runs_dir, out)
    assert (out / JSONL_NAME).read_bytes() == first
    images = sorted((out / "images").rglob("*.png"))
    assert len(images) == 3
    source = recorded.run_dirs["aguvis"] / images[0].name
    assert images[0].read_bytes() == source.read_bytes()


def test_refused_or_failed_steps_are_context_not_targets(recorded, tmp_path):
    run = tmp_path / "runs" / recorded.run_dirs["uitars"].name
    shutil.copytree(recorded.run_dirs["uitars"], run)
    lines = read_trajectory(run)
    lines[2]["error"] = "skipped: the person did not allow this action"  # the first step
    (run / "trajectory.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    summary = export_runs([str(run)], tmp_path / "runs", tmp_path / "out")
    samples = load(tmp_path / "out" / JSONL_NAME)
    assert (summary.samples, summary.failed_steps) == (3, 1) and "1 refused or failed step" in summary.describe()
    assert samples[0]["messages"][2]["content"].startswith("Thought: open the menu")  # still in the context


def test_steps_whose_screenshots_are_missing_are_left_out(recorded, tmp_path):
    run = tmp_path / "runs" / recorded.run_dirs["uitars"].name
    shutil.copytree(recorded.run_dirs["uitars"], run)
    (run / "step-001.png").unlink()
    summary = export_runs([str(run)], tmp_path / "runs", tmp_path / "out")
    assert (summary.samples, summary.missing_images) == (2, 2)  # step 2 still showed step 1's screenshot
    for sample in load(tmp_path / "out" / JSONL_NAME):
        check_ms_swift_sample(sample, tmp_path / "out")


def test_status_and_task_filters(recorded, tmp_path):
    def ids(**kw: Any) -> set[str]:
        summary = export_runs([], recorded.runs_dir, tmp_path / "x", **kw)
        return {r["run_id"] for r in summary.runs}

    names = {k: p.name for k, p in recorded.run_dirs.items()}
    assert ids() == {names["aguvis"], names["uitars"]}
    assert ids(status="any") == set(names.values())
    assert ids(status="call_user") == {names["bank"]}
    assert ids(status="any", task_contains="BANK") == {names["bank"]}
    assert ids(task_contains="open the") == {names["aguvis"], names["uitars"]}
    with pytest.raises(ConfigError, match="nothing to export: no finished run with a task containing 'bank'"):
        export_runs([], recorded.runs_dir, tmp_path / "y", task_contains="bank")
    with pytest.raises(ConfigError, match="no run 'nope'"):
        export_runs(["nope"], recorded.runs_dir, tmp_path / "y")
    assert not (tmp_path / "y").exists()  # nothing is written when there is nothing to export


def test_cli_end_to_end(recorded, cli_nodisplay, tmp_path):
    out = tmp_path / "cli-out"
    proc = cli_nodisplay.run("runs", "export", "--format", "ms-swift", "--out", str(out),
                             "--runs-dir", str(recorded.runs_dir))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(out / JSONL_NAME)
    assert "exported 7 sample(s) from 2 run(s)" in proc.stderr
    for sample in load(out / JSONL_NAME):
        check_ms_swift_sample(sample, out)

    proc = cli_nodisplay.run("runs", "export", recorded.run_dirs["bank"].name, "--status", "any", "--out",
                             str(tmp_path / "bank"), "--runs-dir", str(recorded.runs_dir))
    assert proc.returncode == 0, proc.stderr
    assert len(load(tmp_path / "bank" / JSONL_NAME)) == 1


@pytest.mark.parametrize("args, message", [
    (["no-such-run"], "no run 'no-such-run'"),
    (["--status", "stopped"], "nothing to export"),
    (["--task-contains", "zebra"], "nothing to export"),
])
def test_cli_usage_errors_exit_2_with_one_line(recorded, cli_nodisplay, tmp_path, args, message):
    proc = cli_nodisplay.run("runs", "export", *args, "--out", str(tmp_path / "o"),
                             "--runs-dir", str(recorded.runs_dir))
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert proc.stdout == ""


def test_cli_unknown_format_is_a_usage_error(recorded, cli_nodisplay):
    proc = cli_nodisplay.run("runs", "export", "--format", "alpaca", "--runs-dir", str(recorded.runs_dir))
    assert proc.returncode == 2 and "invalid choice" in proc.stderr
