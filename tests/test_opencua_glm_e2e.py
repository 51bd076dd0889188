"""End to end for the OpenCUA and GLM-4.5V families: the real `agent-app run --model-family F` on a real X display,
against a real zenity window and the scripted server answering in the family's own syntax. Clicks land exactly on
the pixel the contract's mapping names, typed Unicode arrives exactly, finished / call_user end the run with exit
0 / 4, and `runs export` rebuilds every request the server received, pixel for pixel."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import read_trajectory
from test_history_exact import same_sample

from agent_app.core.families.registry import FAMILIES
from agent_app.core.runs.export import to_ms_swift
from agent_app.testing.scripted_server import count_images

pytestmark = pytest.mark.x11

W, H = 1920, 1080


class OpenCUA:
    name = "opencua"
    model_w, model_h = 1932, 1092  # smart_resize(1920x1080, 28, 3136, 12845056)

    @classmethod
    def to_screen(cls, x: int, y: int) -> tuple[int, int]:  # the contract: x / resized_w * screen_w
        return round(x / cls.model_w * W), round(y / cls.model_h * H)

    @classmethod
    def to_model(cls, x: int, y: int) -> tuple[int, int]:
        return round(x * cls.model_w / W), round(y * cls.model_h / H)

    @staticmethod
    def reply(code: str, thought: str = "I see the screen.", fence: str = "python") -> str:
        return f"## Thought:\n{thought}\n\n## Action:\nDo the next step.\n\n## Code:\n```{fence}\n{code}\n```"

    @classmethod
    def click(cls, x: int, y: int) -> str:
        return cls.reply(f"pyautogui.click(x={x}, y={y})")

    @classmethod
    def type(cls, text: str) -> str:
        return cls.reply(f"pyautogui.write(message={text!r})")

    @classmethod
    def finish(cls, answer: str) -> str:
        return cls.reply(f"computer.terminate(status='success', answer={answer!r})", fence="code")

    @classmethod
    def call_user(cls) -> str:
        return cls.reply("computer.terminate(status='failure')", "I need the password.", fence="code")

    images = (1, 2, 3, 3, 3, 3)  # two previous screenshots and the current one


class GLM:
    name = "glm-4.5v"

    @staticmethod
    def to_screen(x: int, y: int) -> tuple[int, int]:  # the contract: x / 1000 * screen_w
        return round(x / 1000 * W), round(y / 1000 * H)

    @staticmethod
    def to_model(x: int, y: int) -> tuple[int, int]:
        return round(x / W * 1000), round(y / H * 1000)

    @staticmethod
    def reply(call: str, text: str = "I'll do the next step.") -> str:
        return f"<think>Looking at the screen.</think>{text} <|begin_of_box|>{call}<|end_of_box|>\nMemory:\n[]"

    @classmethod
    def click(cls, x: int, y: int) -> str:
        return cls.reply(f"left_click(start_box='[{x}, {y}]', element_info='target')")

    @classmethod
    def type(cls, text: str) -> str:
        return cls.reply(f"type(content={text!r})")

    @classmethod
    def finish(cls, answer: str) -> str:
        return cls.reply("DONE()", answer)

    @classmethod
    def call_user(cls) -> str:
        return cls.reply("FAIL()", "I need the password.")

    images = (1, 2, 3, 4, 5, 5)  # the last four steps and the current screenshot


FAMILY_SYNTAX = {"opencua": OpenCUA, "glm-4.5v": GLM}
# Model points near the middle, the edges and the corners (not on them: the fail-safe corners step aside).
MODEL_POINTS = {
    "opencua": [(966, 546), (17, 33), (1926, 1084), (644, 1091), (3, 1090)],
    "glm-4.5v": [(500, 500), (9, 31), (997, 993), (333, 998), (2, 997)],
}


@pytest.mark.parametrize("name", list(FAMILY_SYNTAX))
def test_clicks_land_on_the_named_pixel_and_export_rebuilds_every_request(desktop, cli, server, name):
    fam = FAMILY_SYNTAX[name]
    points = MODEL_POINTS[name]
    seen: list[tuple[int, int]] = []

    def observe_then(reply: str):
        def item(body):
            seen.append(desktop.pointer())  # the previous click has been carried out when the next request comes
            return reply

        return item

    server.add(fam.click(*points[0]), *(observe_then(fam.click(*p)) for p in points[1:]),
               observe_then(fam.finish("clicked")))
    proc, summary = cli.run_task(server, "click around", "--model-family", name, "--history-images", "5")
    assert proc.returncode == 0, proc.stderr
    assert seen == [fam.to_screen(*p) for p in points]
    run_dir = Path(summary["run_dir"])
    steps = [x for x in read_trajectory(run_dir) if x["kind"] == "step"]
    assert [(a["x"], a["y"]) for s in steps for a in s["actions"] if a["type"] == "click"] == seen

    bodies = [r["body"] for r in server.chat_requests()]
    assert [count_images(b) for b in bodies] == list(fam.images)
    if name == "glm-4.5v":
        assert all(len(b["messages"]) == 1 and b["skip_special_tokens"] is False for b in bodies)
    out = run_dir.parent.parent / f"export-{name}"
    proc = cli.run("runs", "export", "--out", str(out), "--runs-dir", str(cli.runs_dir))
    assert proc.returncode == 0, proc.stderr
    samples = [json.loads(x) for x in (out / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    family = FAMILIES[name]
    assert len(samples) == len(bodies) == len(steps) == len(points) + 1
    for body, step, sample in zip(bodies, steps, samples, strict=True):
        same_sample(to_ms_swift(family, body["messages"], step["response"]), sample, run_dir, out)


@pytest.mark.parametrize("name", list(FAMILY_SYNTAX))
def test_unicode_text_arrives_exactly_and_finished_exits_0(desktop, cli, server, name):
    fam = FAMILY_SYNTAX[name]
    zen = desktop.spawn(["zenity", "--entry", "--title", "Entry test", "--text", "Type here"],
                        stdout=subprocess.PIPE, text=True)
    desktop.procs.append(zen)
    x, y, w, h = desktop.wait_window("Entry test")
    text = 'Grüße, "世界" (test) it\'s 100% <ok> — ñ € \\ \'quoted\''
    server.add(fam.click(*fam.to_model(x + w // 2, y + h // 2)), fam.type(text + "\n"), fam.finish("typed"))
    proc, summary = cli.run_task(server, "type a greeting", "--model-family", name)
    assert proc.returncode == 0, proc.stderr
    out, _ = zen.communicate(timeout=10)
    assert out == text + "\n"
    assert zen.returncode == 0  # the trailing newline pressed Enter once
    assert summary["status"] == "finished" and summary["steps"] == 3
    if name == "opencua":
        assert summary["final_answer"] == "typed"


@pytest.mark.parametrize("name", list(FAMILY_SYNTAX))
def test_call_user_exits_4_headless(desktop, cli, server, name):
    server.add(FAMILY_SYNTAX[name].call_user())
    proc, summary = cli.run_task(server, "log in", "--model-family", name)
    assert proc.returncode == 4, proc.stderr
    assert summary["status"] == "call_user" and summary["steps"] == 1


@pytest.mark.parametrize("name", list(FAMILY_SYNTAX))
def test_an_unusable_reply_ends_with_a_clear_error_and_keeps_the_steps(desktop, cli, server, name):
    fam = FAMILY_SYNTAX[name]
    bad = fam.reply("__import__('os').system('true')") if name == "opencua" else fam.reply("open_app(name='x')")
    server.add(fam.click(*MODEL_POINTS[name][0]), bad, bad, bad)
    proc, summary = cli.run_task(server, "try", "--model-family", name)
    assert proc.returncode == 1
    assert "could not be understood 3 time(s)" in summary["error"] and "Traceback" not in proc.stderr
    assert summary["steps"] == 1
    kinds = [x["kind"] for x in read_trajectory(summary["run_dir"])]
    assert kinds.count("step") == 1 and kinds.count("format_error") == 3
