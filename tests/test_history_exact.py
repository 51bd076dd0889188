"""One history, one truth: every request the model server received is what `runs export` rebuilds from the run
folder — roles, texts and decoded image pixels — and request k carries min(k, N) screenshots, for every history
size and run length, with the person's reply, a declined action, a takeover and a server lowering the count."""

from __future__ import annotations

import base64
import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import read_trajectory
from doubles import RecordingExecutor
from PIL import Image

from agent_app.core import images
from agent_app.core.control import RunControl
from agent_app.core.desktop.capture import Screenshot, screenshot
from agent_app.core.families.registry import FAMILIES
from agent_app.core.geometry import Monitor
from agent_app.core.loop import Agent
from agent_app.core.runs.export import export_runs, replay, to_ms_swift
from agent_app.core.settings.config import RunConfig
from agent_app.testing.scripted_server import ScriptedServer, count_images

SIZES = (1, 2, 3, 5, 8, 10)
LENGTHS = range(1, 13)
CALL_USER_STEP, DECLINED_STEP, TAKEOVER_AFTER, LOWER_AFTER = 2, 3, 4, 6


class CountingScreen:
    """Every capture a different picture (its number in the pixels), small so that long runs stay quick."""

    def __init__(self) -> None:
        self.monitor = Monitor(0, 0, 280, 168)
        self.captures = 0

    def capture(self, model_size: tuple[int, int], encoding: images.Encoding = images.PNG, still_s: float = 0.0,
                interval_s: float = 0.015, check=None) -> Screenshot:
        self.captures += 1
        n = self.captures
        image = Image.new("RGB", model_size, ((n * 37) % 256, (n * 91) % 256, (n * 53) % 256))
        image.putpixel((n % model_size[0], 0), (255, 255, 255))
        return screenshot(image, model_size, encoding, self.monitor, images.signature(image))

    def changed_since(self, shot: Screenshot, ignore=()) -> bool:
        return False


def script(length: int) -> list[str]:
    replies = []
    for step in range(1, length):
        if step == CALL_USER_STEP:
            replies.append(f"Thought: step {step}: which file?\nAction: call_user()")
        else:
            replies.append(f"Thought: step {step}\nAction: click(start_box='({10 * step},{5 * step})')")
    replies.append(f"Thought: step {length}: done\nAction: finished(content='done in {length}')")
    return replies


def run_once(runs_dir: Path, images: int, length: int) -> tuple[Path, list[dict[str, Any]], list[dict[str, Any]]]:
    """A real loop against a real HTTP server. Returns (run folder, accepted request bodies, refused ones)."""
    changed_at: list[float] = []
    limit = max(1, images // 2)
    with ScriptedServer(script(length)) as server:
        config = RunConfig(task=f"task with {images} screenshots", base_url=server.base_url, model=server.model,
                           runs_dir=str(runs_dir), history_images=images, call_user_pauses=True, confirm="always",
                           wait_seconds=0.01)
        agent = Agent(config, screen=CountingScreen(), executor=RecordingExecutor(), control=RunControl())

        def person(event: Any) -> None:
            control, data = agent.control, event.data
            if event.kind == "status" and data.get("status") == "paused":
                by = data.get("by")
                if by == "call_user":
                    control.resume(note="the one named report.txt")
                elif by == "confirm":
                    control.resume(note="not that one", decline=True) if event.step == DECLINED_STEP \
                        else control.resume()
                elif by == "takeover":
                    control.resume(note="I closed the dialog for you")
            elif event.kind == "recorded":
                step = data["record"].step
                if step == TAKEOVER_AFTER:
                    control.pause("takeover")
                if step == LOWER_AFTER and limit < images:
                    changed_at.append(time.monotonic())
                    server.max_images = limit

        agent.observers.append(person)
        result = agent.run()
        assert result.status == "finished", result.error
        accepted, refused = [], []
        for r in server.chat_requests():
            late = changed_at and r["time"] >= changed_at[0]
            (refused if late and count_images(r["body"]) > limit else accepted).append(r["body"])
        return Path(result.run_dir), accepted, refused


def pixels(url_or_path: str, base: Path) -> bytes:
    if url_or_path.startswith("data:"):
        data = base64.b64decode(url_or_path.split(",", 1)[1])
    else:
        data = (base / url_or_path).read_bytes()
    return Image.open(io.BytesIO(data)).convert("RGB").tobytes()


def same_sample(sent: dict[str, Any], rebuilt: dict[str, Any], sent_base: Path, rebuilt_base: Path) -> None:
    assert sent["messages"] == rebuilt["messages"]
    assert len(sent["images"]) == len(rebuilt["images"])
    for a, b in zip(sent["images"], rebuilt["images"], strict=True):
        assert pixels(a, sent_base) == pixels(b, rebuilt_base)


@pytest.mark.parametrize("images", SIZES)
def test_every_request_is_what_the_export_rebuilds(tmp_path, images):
    family = FAMILIES["uitars-1.5"]
    for length in LENGTHS:
        runs_dir = tmp_path / f"runs-{length}"
        run_dir, accepted, refused = run_once(runs_dir, images, length)
        lines = read_trajectory(run_dir)
        steps = [x for x in lines if x["kind"] == "step"]
        assert len(accepted) == len(steps) == length

        # Request k carries min(k, N) screenshots, N lowered by the server's limit from the step it hit.
        lowered = next((x for x in lines if x["kind"] == "image_limit"), None)
        expected = [min(k, lowered["images"] if lowered and k >= lowered["before_step"] else images)
                    for k in range(1, length + 1)]
        assert [count_images(b) for b in accepted] == expected
        if length > LENGTHS[-1] - 3 and images > 2:
            assert lowered is not None and refused, "the lowering must have happened in long runs"

        # The model's view, replayed from the folder, equals every request, declined and interrupted steps included.
        replayed = list(replay(lines, family, "."))
        assert len(replayed) == length
        for body, (messages, step, _) in zip(accepted, replayed, strict=True):
            same_sample(to_ms_swift(family, body["messages"], step["response"]),
                        to_ms_swift(family, messages, step["response"]), run_dir, run_dir)

        # The exported training samples are those requests, minus the step the person declined.
        out = tmp_path / f"export-{length}"
        export_runs([str(run_dir)], runs_dir, out, status="any")
        samples = [json.loads(x) for x in (out / "train.jsonl").read_text(encoding="utf-8").splitlines()]
        targets = [(b, s) for b, s in zip(accepted, steps, strict=True) if not s["skipped"]]
        assert len(samples) == len(targets)
        for (body, step), sample in zip(targets, samples, strict=True):
            same_sample(to_ms_swift(family, body["messages"], step["response"]), sample, run_dir, out)


def test_trajectory_lines_are_in_the_order_the_model_saw_them(tmp_path):
    run_dir, accepted, _ = run_once(tmp_path / "runs", 5, 8)
    order = [(x["kind"], x.get("step") or x.get("after_step")) for x in read_trajectory(run_dir)
             if x["kind"] in ("step", "note")]
    assert order[:7] == [("step", 1), ("step", 2), ("note", 2), ("step", 3), ("note", 3), ("step", 4),
                         ("note", 4)]
    texts = [m["content"][0]["text"] for m in accepted[3]["messages"] if m["role"] == "user"
             and m["content"][0]["type"] == "text"]
    assert texts[-1] == "The user did not allow that action. not that one"  # right after the step it declined
    step3 = next(x for x in read_trajectory(run_dir) if x.get("step") == 3)
    assert (step3["skipped"], step3["error"], step3["actions"][0]["type"]) == (True, None, "click")


@pytest.mark.x11
def test_the_real_program_sends_what_it_exports(cli, server, tmp_path):
    """`agent-app run` on a real X display, then `agent-app runs export`: the same requests, pixel for pixel."""
    server.add(*(f"Thought: {k}\nAction: click(start_box='({250 * k},{120 * k})')" for k in range(1, 6)),
               "Thought: done\nAction: finished(content='ok')")
    proc, summary = cli.run_task(server, "click around", "--history-images", "3")
    assert proc.returncode == 0, proc.stderr
    run_dir = Path(summary["run_dir"])
    steps = [x for x in read_trajectory(run_dir) if x["kind"] == "step"]
    bodies = [r["body"] for r in server.chat_requests()]
    assert [count_images(b) for b in bodies] == [min(k, 3) for k in range(1, len(steps) + 1)]
    out = tmp_path / "export"
    proc = cli.run("runs", "export", "--out", str(out), "--runs-dir", str(cli.runs_dir))
    assert proc.returncode == 0, proc.stderr
    samples = [json.loads(x) for x in (out / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    family = FAMILIES["uitars-1.5"]
    assert len(samples) == len(bodies) == len(steps) == 6
    for body, step, sample in zip(bodies, steps, samples, strict=True):
        same_sample(to_ms_swift(family, body["messages"], step["response"]), sample, run_dir, out)
