"""End to end, claude: the real `agent-app run --model-family claude` on a real X display (1920x1080), through the
real `anthropic` SDK, against the scripted Messages API server and a real zenity entry. Clicks land on the pixel the
image-pixel convention names, batched calls run in order, Unicode text arrives exactly, every call is answered and the
tool results carry screenshots of the declared size, the person's Allow / Skip is honoured, and 401 / 429 with
retry-after / overloaded / refusal / a reply cut at max_tokens each end or retry as the reliability rules say — with
the key in no file and no output."""

from __future__ import annotations

import base64
import io
import json
import subprocess
from pathlib import Path

import pytest
from conftest import read_trajectory
from PIL import Image

from agent_app.core.families.claude import DECLINED_PREFIX
from agent_app.testing.scripted_claude import ScriptedClaude, text, tool_use

pytestmark = pytest.mark.x11

KEY = "sk-ant-api03-E2eSecret-0123456789abcdefGHIJKLmnop"
MODEL = "claude-sonnet-4-6"
IMAGE = (1429, 804)  # what Anthropic's sizing makes of 1920x1080: the tool declares it, the model answers in it
TEXT = 'Grüße, "世界" (test) it\'s 100% <ok> — ñ € \\ done'


def screen(x: int, y: int) -> tuple[int, int]:
    """Where image pixel (x, y) lands on the 1920x1080 screen: round(x / image_w * screen_w), clamped."""
    return min(1919, max(0, round(x * 1920 / IMAGE[0]))), min(1079, max(0, round(y * 1080 / IMAGE[1])))


def image_point(x: int, y: int) -> list[int]:
    return [round(x * IMAGE[0] / 1920), round(y * IMAGE[1] / 1080)]


@pytest.fixture
def claude():
    server = ScriptedClaude(model=MODEL, api_key=KEY).start()
    yield server
    server.stop()


def run(cli, server: ScriptedClaude, task: str, *extra: str, input: str | None = None, key: str | None = KEY):
    env = {"ANTHROPIC_API_KEY": key} if key else {}
    return cli.run_task(server, task, "--model-family", "claude", "--model", MODEL, *extra, input=input, env=env)


def entry(desktop, title: str = "Claude entry") -> tuple[subprocess.Popen, tuple[int, int]]:
    zen = desktop.spawn(["zenity", "--entry", "--title", title, "--text", "Type here"], stdout=subprocess.PIPE,
                        text=True)
    desktop.procs.append(zen)
    x, y, w, h = desktop.wait_window(title)
    return zen, (x + w // 2, y + h // 2)


def images_in(body: dict) -> list[tuple[int, int]]:
    """The sizes of every image in a request (tool results included), decoded."""
    sizes = []

    def walk(blocks):
        for b in blocks if isinstance(blocks, list) else []:
            if b.get("type") == "image":
                with Image.open(io.BytesIO(base64.b64decode(b["source"]["data"]))) as im:
                    sizes.append(im.size)
            walk(b.get("content"))

    for m in body["messages"]:
        walk(m["content"])
    return sizes


def park(desktop, x: int, y: int) -> None:
    """The pointer to (x, y) before a run (not `mousemove --sync`: it waits for a move that never comes when the
    pointer is there already)."""
    desktop.xdotool("mousemove", str(x), str(y))
    for _ in range(200):
        if desktop.pointer() == (x, y):
            return
    raise AssertionError(f"the pointer did not reach {(x, y)}")


def looking(desktop, seen: list, reply):
    """A script item that notes where the pointer is when the request comes (the step before has been done)."""
    def item(body):
        seen.append(desktop.pointer())
        return reply
    return item


def test_clicks_land_batched_calls_run_in_order_text_arrives_and_the_answer_ends_the_run(desktop, cli, claude):
    zen, field = entry(desktop)
    points = [(0, 402), (1428, 100), (17, 33), (1000, 700), (714, 402)]  # image pixels: edges, odd spots, centre
    # (corners are left out: the executor steps off pyautogui's fail-safe corners on purpose)
    seen: list[tuple[int, int]] = []
    claude.add(*[looking(desktop, seen, [text(f"Point {n}."), tool_use("mouse_move", coordinate=list(p))])
                 if n else [text("Point 0."), tool_use("mouse_move", coordinate=list(p))]
                 for n, p in enumerate(points)])
    claude.add(looking(desktop, seen, [text("Where is the pointer?"), tool_use("cursor_position"),
                                       tool_use("screenshot")]))
    claude.add(looking(desktop, seen, [
        text("Clicking the field, typing the greeting, submitting it."),
        tool_use("left_click", coordinate=image_point(*field)), tool_use("key", text="ctrl+a BackSpace"),
        tool_use("type", text=TEXT[:10]), tool_use("type", text=TEXT[10:]), tool_use("key", text="Return")]))
    claude.add(looking(desktop, seen, [text("Typed it ‘exactly’.")]))

    proc, summary = run(cli, claude, "type the greeting")
    assert proc.returncode == 0, proc.stderr
    assert summary["status"] == "finished" and summary["final_answer"] == "Typed it ‘exactly’."
    assert seen[: len(points)] == [screen(*p) for p in points]  # 0 px off the convention's pixel
    assert seen[: 2] == [(0, 540), (1919, 134)]  # the first and last pixel columns
    out, _ = zen.communicate(timeout=15)
    assert out.rstrip("\n") == TEXT  # every call of the batch, in order

    requests = claude.message_requests()
    assert len(requests) == len(points) + 3
    for n, r in enumerate(requests):
        body = r["body"]
        assert r["headers"]["anthropic-beta"] == "computer-use-2025-11-24"
        assert body["tools"] == [{"type": "computer_20251124", "name": "computer", "display_width_px": IMAGE[0],
                                  "display_height_px": IMAGE[1], "enable_zoom": True}]
        assert set(images_in(body)) == {IMAGE}  # every screenshot as declared
        last = body["messages"][-1]["content"]
        if n:  # the newest screenshot rides in the result of the last call
            assert last[-1]["type"] == "tool_result" and last[-1]["content"][-1]["type"] == "image"
    # cursor_position is answered in image pixels of where the pointer really is; screenshot with the screen
    results = requests[len(points) + 1]["body"]["messages"][-1]["content"]
    assert results[0]["content"] == [{"type": "text", "text": "X=714,Y=402"}]  # the pointer at screen (959, 540)
    assert [b["type"] for b in results[1]["content"]] == ["image"]
    steps = [x for x in read_trajectory(summary["run_dir"]) if x.get("kind") == "step"]
    assert len(steps) == len(points) + 3
    assert json.loads(steps[-2]["response"])["content"][1]["input"]["action"] == "left_click"  # the body as sent


def test_the_person_allows_one_risky_batch_and_skips_the_next(desktop, cli, claude):
    park(desktop, 10, 10)
    claude.add([text("Deleting the old draft."), tool_use("mouse_move", coordinate=[300, 300]),
                tool_use("key", text="shift+Delete")],
               [text("Deleting the other one."), tool_use("mouse_move", coordinate=[600, 600]),
                tool_use("key", text="shift+Delete")], "Stopped.")
    proc, _ = run(cli, claude, "clean up", "--interactive", "--confirm", "risky", input="y\nno, keep it\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("The agent wants to:") == 2
    assert desktop.pointer() == screen(300, 300)  # the first batch ran; none of the skipped one did
    requests = claude.message_requests()
    allowed = [r for r in requests[1]["body"]["messages"][-1]["content"] if r.get("type") == "tool_result"]
    skipped = [r for r in requests[2]["body"]["messages"][-1]["content"] if r.get("type") == "tool_result"]
    assert len(allowed) == len(skipped) == 2
    assert not any(r.get("is_error") for r in allowed)
    assert all(r["is_error"] and r["content"][0]["text"] == f"{DECLINED_PREFIX} no, keep it" for r in skipped)


def test_a_wrong_key_ends_the_run_with_what_to_do(desktop, cli, claude):
    proc, summary = run(cli, claude, "anything", key="sk-ant-api03-wrong-0000000000000000000000")
    assert proc.returncode == 1 and summary["status"] == "error"
    assert "rejected the API key" in summary["error"] and "Traceback" not in proc.stderr
    assert len(claude.message_requests()) == 1  # a bad key is not retried


def test_rate_limits_and_overload_are_waited_out(desktop, cli, claude):
    claude.add({"status": 429, "error_type": "rate_limit_error", "message": "slow down",
                "headers": {"retry-after": "1.5"}},
               {"status": 529, "error_type": "overloaded_error", "message": "Overloaded"},
               [text("Moving."), tool_use("mouse_move", coordinate=[100, 100])], "All done.")
    proc, _ = run(cli, claude, "move")
    assert proc.returncode == 0, proc.stderr
    assert "rate limit" in proc.stderr and "overloaded" in proc.stderr
    times = [r["time"] for r in claude.message_requests()]
    assert times[1] - times[0] >= 1.5  # retry-after honoured (a lower bound, not a speed)
    assert desktop.pointer() == screen(100, 100)


def test_a_refusal_ends_the_run_and_nothing_runs(desktop, cli, claude):
    park(desktop, 10, 10)
    claude.add({"content": [text("I can't help with that."), tool_use("mouse_move", coordinate=[500, 500])],
                "stop_reason": "refusal"})
    proc, summary = run(cli, claude, "something bad")
    assert proc.returncode == 1 and "refused" in summary["error"]
    assert desktop.pointer() == (10, 10)


def test_a_reply_cut_at_max_tokens_is_never_run_and_is_asked_again_with_more(desktop, cli, claude):
    park(desktop, 20, 20)
    seen: list[tuple[int, int]] = []
    claude.add({"content": [text("Moving."), tool_use("mouse_move", coordinate=[500, 500])],
                "stop_reason": "max_tokens"},
               looking(desktop, seen, [text("Moving."), tool_use("mouse_move", coordinate=[200, 200])]),
               "Done.")
    proc, _ = run(cli, claude, "move")
    assert proc.returncode == 0, proc.stderr
    assert seen == [(20, 20)]  # the cut reply's move never ran
    budgets = [r["body"]["max_tokens"] for r in claude.message_requests()]
    assert budgets[1] > budgets[0]
    assert desktop.pointer() == screen(200, 200)


def test_the_key_is_in_no_file_and_no_output(desktop, cli, claude, tmp_path):
    claude.add([text("Moving."), tool_use("mouse_move", coordinate=[50, 50])],
               {"status": 400, "error_type": "invalid_request_error", "message": f"bad request for key {KEY}"})
    proc, summary = run(cli, claude, "leak test", "--retries", "1")
    assert proc.returncode == 1
    auth = [r["headers"].get("x-api-key") or r["headers"].get("authorization") for r in claude.message_requests()]
    assert all(KEY in a for a in auth)  # it was sent …
    run_dir = Path(summary["run_dir"])
    files = [p for d in (run_dir, Path(cli.env["AGENT_APP_DATA_DIR"]), Path(cli.env["AGENT_APP_CONFIG_DIR"]))
             if d.exists() for p in d.rglob("*") if p.is_file()]
    assert run_dir / "trajectory.jsonl" in files
    for f in files:  # … and written nowhere
        assert KEY.encode() not in f.read_bytes() and KEY[10:30].encode() not in f.read_bytes(), f
    assert KEY not in proc.stdout + proc.stderr and KEY[10:30] not in proc.stdout + proc.stderr
