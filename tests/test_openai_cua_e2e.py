"""End to end, openai-cua: the real `agent-app run --model-family openai-cua` on a real X display (1920x1080), through
the real `openai` SDK, against the scripted Responses server (which refuses what the real API refuses: the wrong
tool, a broken previous_response_id chain, a call left unanswered, an unacknowledged safety check). Clicks land on
the pixel the contract names, batched actions run in order, Unicode text arrives exactly in a zenity entry, safety
checks go to the person (allowed, declined, or headless: exit 4), the screenshots in the tool results have the size
the provider keeps, failures end or retry as the reliability rules say, and the key is in no file and no output."""

from __future__ import annotations

import base64
import io
import json
import subprocess
from pathlib import Path

import pytest
from conftest import read_trajectory
from PIL import Image

from agent_app.testing.scripted_openai_cua import ScriptedResponses, images

pytestmark = pytest.mark.x11

KEY = "sk-proj-OpenAICuaE2E-0123456789abcdefGHIJ"
TEXT = 'Grüße, "世界" (test) it\'s 100% <ok> — ñ € \\ done'
SCREEN = (1920, 1080)
PREVIEW_IMAGE = (1365, 768)  # detail "high": within 2048x2048, then a shortest side of 768


@pytest.fixture
def responses():
    servers: list[ScriptedResponses] = []

    def start(script=None, **kw) -> ScriptedResponses:
        srv = ScriptedResponses(script, api_key=KEY, **kw).start()
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        srv.stop()


def run(cli, srv: ScriptedResponses, task: str, *extra: str, **kw):
    """`agent-app run` with the provider's own env var holding the key (as a person would set it)."""
    env = {"OPENAI_API_KEY": KEY, **kw.pop("env", {})}
    return cli.run_task(srv, task, "--model-family", "openai-cua", "--model", srv.model, *extra, env=env, **kw)


def entry(desktop, title: str) -> tuple[subprocess.Popen, tuple[int, int]]:
    zen = desktop.spawn(["zenity", "--entry", "--title", title, "--text", "Type here"],
                        stdout=subprocess.PIPE, text=True)
    desktop.procs.append(zen)
    x, y, w, h = desktop.wait_window(title)
    return zen, (x + w // 2, y + h // 2)


def size_of(url: str) -> tuple[int, int]:
    return Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).size


def every_file(*folders: Path) -> list[Path]:
    return [p for folder in folders if folder.exists() for p in folder.rglob("*") if p.is_file()]


def no_key_anywhere(cli, proc, run_dir: Path) -> None:
    files = every_file(run_dir, Path(cli.env["AGENT_APP_DATA_DIR"]), Path(cli.env["AGENT_APP_CONFIG_DIR"]))
    assert run_dir / "trajectory.jsonl" in files
    for f in files:
        assert KEY[8:30].encode() not in f.read_bytes(), f
    assert KEY[8:30] not in proc.stdout + proc.stderr


def park(desktop) -> None:
    """The pointer at (10, 10) (`mousemove --sync` to where it already is would wait for a motion that never comes)."""
    if desktop.pointer() != (10, 10):
        desktop.xdotool("mousemove", "--sync", "10", "10")


def click(x: int, y: int, **kw) -> dict:
    return {"type": "click", "button": "left", "x": x, "y": y, **kw}


def test_ga_batches_run_in_order_clicks_land_text_arrives_and_the_message_ends_the_run(desktop, cli, responses):
    zen, field = entry(desktop, "CUA entry")
    x, y, w, h = desktop.wait_window("CUA entry")
    targets = [(0, 500), (1919, 40), (17, 1079), (1234, 321)]  # edges (the corners are the fail-safe's)
    assert not any(x <= tx < x + w and y <= ty < y + h for tx, ty in targets)
    seen: list[tuple[int, int]] = []

    def after_looking(item: dict):
        def answer(body):
            seen.append(desktop.pointer())  # the previous call's actions are done when its screenshot comes
            return item
        return answer

    srv = responses([
        {"reasoning": "Move along the screen's edges first.",
         "actions": [{"type": "move", "x": tx, "y": ty} for tx, ty in targets[:2]]},
        after_looking({"actions": [click(*targets[2])], "reasoning": "One click."}),
        after_looking({"calls": [[click(*targets[3])], [click(*field)]]}),  # two calls in one response, in order
        after_looking({"reasoning": "Type the greeting and submit it.",
                       "actions": [{"type": "type", "text": TEXT}, {"type": "keypress", "keys": ["ENTER"]}]}),
        after_looking({"reasoning": "The dialog is gone.", "text": "Typed ‘it’."}),
    ])
    proc, summary = run(cli, srv, "click around, then type")  # streamed (the preview test asks for whole bodies)
    assert proc.returncode == 0, proc.stderr
    assert seen == [targets[1], targets[2], field, field]
    out, _ = zen.communicate(timeout=10)
    assert out == TEXT + "\n" and zen.returncode == 0
    assert summary["status"] == "finished" and summary["final_answer"] == "Typed ‘it’." and summary["steps"] == 5
    run_dir = Path(summary["run_dir"])
    steps = [x for x in read_trajectory(run_dir) if x["kind"] == "step"]
    assert [(a["type"], a.get("x"), a.get("y")) for a in steps[2]["actions"]] == [
        ("click", *targets[3]), ("click", *field)]
    assert steps[0]["thought"] == "Move along the screen's edges first."
    assert steps[0]["usage"]["prompt_tokens"] == 1000  # the provider's usage, as recorded
    # The requests: the GA tool, each chained to the response before it, one screenshot each, as the screen is.
    sent = [r["body"] for r in srv.response_requests()]
    assert len(sent) == 5 and all(b["tools"] == [{"type": "computer"}] for b in sent)
    assert all("temperature" not in b and b["max_output_tokens"] == 4096 and b["stream"] is True for b in sent)
    assert sent[0]["input"][0]["content"][0] == {"type": "input_text", "text": "click around, then type"}
    assert sent[0]["input"][0]["content"][-1]["detail"] == "original" and "previous_response_id" not in sent[0]
    recorded = [json.loads(s["response"]) for s in steps]
    assert [b["previous_response_id"] for b in sent[1:]] == [r["id"] for r in recorded[:-1]]
    assert [len(b["input"]) for b in sent[1:]] == [1, 1, 2, 1]  # a result for every call of the response
    assert all(size_of(u) == SCREEN for b in sent for u in images(b))  # sent as the screen is: no rescale
    no_key_anywhere(cli, proc, run_dir)
    assert all(r["headers"]["authorization"] == f"Bearer {KEY}" for r in srv.response_requests())


def test_preview_one_action_a_call_in_pixels_of_the_high_detail_image(desktop, cli, responses):
    iw, ih = PREVIEW_IMAGE
    points = [(0, 300), (1364, 100), (700, 767), (1000, 601)]
    seen: list[tuple[int, int]] = []

    def after_looking(item: dict):
        def answer(body):
            seen.append(desktop.pointer())
            return item
        return answer

    script = [{"action": {"type": "screenshot"}}, {"action": click(*points[0])}]  # the preview model looks first
    script += [after_looking({"action": click(*p)}) for p in points[1:]]
    script.append(after_looking({"text": "Done."}))
    srv = responses(script, model="computer-use-preview")
    proc, summary = run(cli, srv, "click the four points", "--no-stream")
    assert proc.returncode == 0, proc.stderr
    assert summary["final_answer"] == "Done." and summary["steps"] == len(points) + 2
    # screen = round(x / image_w * screen_w), the contract's mapping, to the pixel
    assert seen == [(round(px / iw * SCREEN[0]), round(py / ih * SCREEN[1])) for px, py in points]
    sent = [r["body"] for r in srv.response_requests()]
    assert sent[0]["tools"] == [{"type": "computer_use_preview", "display_width": iw, "display_height": ih,
                                 "environment": "linux"}]
    assert all(b["truncation"] == "auto" and "stream" not in b for b in sent)
    assert sent[1]["input"][0]["type"] == "computer_call_output"  # the look answered by the next screenshot
    assert all(size_of(u) == PREVIEW_IMAGE for b in sent for u in images(b))


def checked(message: str) -> dict:
    return {"actions": [click(300, 300)], "checks": [{"code": "malicious_instructions", "message": message}],
            "reasoning": "The page says to click it."}


def test_a_safety_check_the_person_allows_is_acknowledged_and_its_actions_run(desktop, cli, responses):
    park(desktop)
    srv = responses([checked("The page may hold instructions from a third party."), {"text": "Clicked."}])
    proc, summary = run(cli, srv, "click it", "--interactive", input="y\n")
    assert proc.returncode == 0, proc.stderr
    assert "The page may hold instructions from a third party." in proc.stderr
    assert desktop.pointer() == (300, 300)
    sent = [r["body"] for r in srv.response_requests()]
    pending = json.loads(next(x for x in read_trajectory(summary["run_dir"]) if x["kind"] == "step")["response"])
    output = sent[1]["input"][0]
    assert output["acknowledged_safety_checks"] == pending["output"][1]["pending_safety_checks"]


def test_a_declined_safety_check_runs_nothing_and_the_model_hears_why(desktop, cli, responses):
    park(desktop)
    srv = responses([checked("Suspicious instructions on the page."), {"text": "Understood, stopping."}])
    proc, summary = run(cli, srv, "click it", "--interactive", input="no, that page is a scam\n")
    assert proc.returncode == 0, proc.stderr  # the server took the next request: nothing unacknowledged in it
    assert desktop.pointer() == (10, 10) and summary["final_answer"] == "Understood, stopping."
    assert any(x.get("declined") for x in read_trajectory(summary["run_dir"]))
    sent = [r["body"] for r in srv.response_requests()]
    assert "previous_response_id" not in sent[1]  # the first response cannot be answered: start over, saying why
    said = json.dumps(sent[1]["input"], ensure_ascii=False)
    assert "was not run" in said and "Suspicious instructions on the page." in said and "a scam" in said
    assert "acknowledged_safety_checks" not in said


def test_a_safety_check_with_nobody_to_ask_ends_the_run_with_4(desktop, cli, responses):
    park(desktop)
    srv = responses([checked("Irrelevant domain.")])
    proc, summary = run(cli, srv, "click it")
    assert proc.returncode == 4, proc.stderr
    assert summary["status"] == "call_user" and "Irrelevant domain." in json.dumps(summary)
    assert desktop.pointer() == (10, 10) and len(srv.response_requests()) == 1


def test_a_wrong_key_ends_at_once_with_one_line(desktop, cli, responses):
    srv = responses([])
    proc, summary = run(cli, srv, "anything", env={"OPENAI_API_KEY": "sk-proj-wrong-key-000000000000"})
    assert proc.returncode == 1 and len(srv.response_requests()) == 1
    assert "OpenAI rejected the API key (HTTP 401)" in summary["error"] and "key set --provider openai" in \
        summary["error"]
    assert "Traceback" not in proc.stderr and "wrong-key-0000" not in proc.stdout + proc.stderr


def test_rate_limits_and_overload_are_retried_then_the_run_goes_on(desktop, cli, responses):
    park(desktop)
    srv = responses([
        {"status": 429, "type": "rate_limit_exceeded", "code": "rate_limit_exceeded", "retry_after": 1,
         "message": "Rate limit reached for gpt-5.4."},
        {"status": 503, "message": "The engine is currently overloaded, please try again later.", "retry_after": 1},
        {"actions": [click(640, 480)]},
        {"text": "Done."},
    ])
    proc, summary = run(cli, srv, "click")
    assert proc.returncode == 0, proc.stderr
    assert "rate limit was reached (HTTP 429)" in proc.stderr and "overloaded (HTTP 503)" in proc.stderr
    assert summary["steps"] == 2 and len(srv.response_requests()) == 4
    assert desktop.pointer() == (640, 480)
    times = [r["time"] for r in srv.response_requests()]
    assert times[1] - times[0] >= 0.9  # the server's retry-after was kept


def test_a_response_cut_at_its_budget_is_asked_again_and_a_refusal_ends_the_run_neither_acted_on(
        desktop, cli, responses):
    park(desktop)
    srv = responses([
        {"actions": [click(700, 700)], "response_status": "incomplete", "reason": "max_output_tokens"},
        {"actions": [click(800, 500)]},
    ], default={"refusal": "I can't help with that.", "actions": [click(900, 900)]})
    proc, summary = run(cli, srv, "click")
    assert proc.returncode == 1, proc.stderr
    assert "the model refused: I can't help with that." in summary["error"] and "Traceback" not in proc.stderr
    sent = [r["body"] for r in srv.response_requests()]
    assert [b["max_output_tokens"] for b in sent] == [4096, 8192, 8192, 8192, 8192]  # the refusal asked 3 times
    steps = [x for x in read_trajectory(summary["run_dir"]) if x["kind"] == "step"]
    assert [(a["x"], a["y"]) for s in steps for a in s["actions"] if a["type"] == "click"] == [(800, 500)]
    assert desktop.pointer() == (800, 500)


def test_the_persons_pixel_budget_scales_the_screenshot_and_clicks_map_back(desktop, cli, responses):
    iw, ih = 1333, 750  # 1920x1080 within 1,000,000 pixels, aspect kept
    srv = responses([{"actions": [click(1000, 500)]}, {"text": "Done."}])
    proc, summary = run(cli, srv, "click", "--max-pixels", "1000000")
    assert proc.returncode == 0, proc.stderr
    assert desktop.pointer() == (round(1000 / iw * SCREEN[0]), round(500 / ih * SCREEN[1]))
    assert all(size_of(u) == (iw, ih) for r in srv.response_requests() for u in images(r["body"]))
    assert read_trajectory(summary["run_dir"])[0]["model_image"] == [iw, ih]
