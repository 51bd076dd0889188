"""End to end, family `gemini`: the real `agent-app run --model-family gemini` on a real X display (1920x1080),
talking through the real google-genai SDK to the scripted Gemini API server on 127.0.0.1, against real zenity
windows. Clicks land on the pixel Google's denormalization names, batched calls run in order, text arrives exactly,
the safety check goes to the person, each failure ends or is retried as the reliability rules say, and the key is in
no file and no output."""

from __future__ import annotations

import base64
import io
import subprocess
from pathlib import Path

import pytest
from conftest import read_trajectory
from PIL import Image

from agent_app.core.families.gemini import DECLINED_ERROR
from agent_app.testing.scripted_gemini import ScriptedGemini, call, count_images

pytestmark = pytest.mark.x11

KEY = "AIzaSyE2E-gemini-test-key-never-written-0123"
DONE = "The task is done."


@pytest.fixture
def gemini():
    with ScriptedGemini(api_key=KEY, default=DONE) as server:
        yield server


def run(cli, server, task: str, *extra: str, **kw):
    return cli.run_task(server, task, "--model-family", "gemini", *extra,
                        env={"GEMINI_API_KEY": KEY, **kw.pop("env", {})}, **kw)


def screen_x(g: int, size: int) -> int:
    return int(g / 1000 * size)  # Google's denormalization: cut to the pixel


def grid(pixel: int, size: int) -> int:
    """A grid value that lands on `pixel` (centre of a widget)."""
    return round(pixel * 1000 / size)


def parts_of(request: dict) -> list[dict]:
    return [p for c in request["body"]["contents"] for p in c["parts"]]


def responses_of(request: dict) -> list[dict]:
    return [p["functionResponse"] for p in request["body"]["contents"][-1]["parts"] if "functionResponse" in p]


def image_size(part: dict) -> tuple[int, int]:
    """The size of a screenshot as the SDK sent it (inline_data, URL-safe base64 — or the REST spelling)."""
    inline = part.get("inlineData") or part["inline_data"]
    data = inline["data"].replace("-", "+").replace("_", "/")
    return Image.open(io.BytesIO(base64.b64decode(data + "=" * (-len(data) % 4)))).size


def park(desktop) -> None:
    """The pointer at (10, 10), where no call of these tests points (`--sync` would wait if it is there already)."""
    if desktop.pointer() != (10, 10):
        desktop.xdotool("mousemove", "--sync", "10", "10")


def assert_key_nowhere(proc, run_dir: str | None) -> None:
    assert KEY not in proc.stdout and KEY not in proc.stderr
    for path in Path(run_dir).iterdir() if run_dir else ():
        assert KEY.encode() not in path.read_bytes(), path.name


def test_clicks_land_on_googles_pixel_and_batched_calls_type_exactly_into_zenity(desktop, cli, gemini):
    w, h = desktop.width, desktop.height
    points = [(0, 500), (999, 999), (500, 0), (123, 877), (998, 1), (500, 500)]  # edges; 999 is not a corner
    seen: list[tuple[int, int]] = []

    def observe_then(item):
        def answer(body):
            seen.append(desktop.pointer())  # the previous call has been carried out when the next request comes
            return item

        return answer

    gemini.add({"parts": [{"text": "Start at the left edge.", "thought": True}, call("click_at", x=0, y=500)]})
    for gx, gy in points[1:]:
        gemini.add(observe_then({"parts": [call("click_at", x=gx, y=gy)]}))

    def type_into_entry(body):
        seen.append(desktop.pointer())
        zen = desktop.spawn(["zenity", "--entry", "--title", "Gemini entry", "--text", "Type here",
                             "--entry-text", "old text"], stdout=subprocess.PIPE, text=True)
        desktop.procs.append(zen)
        x, y, ww, hh = desktop.wait_window("Gemini entry")
        boxes.append(zen)
        # one response, three calls: hover, type (clearing the old text, Enter), then a hover that must come last
        return {"parts": [call("hover_at", x=grid(x + 5, w), y=grid(y + 5, h)),
                          call("type_text_at", x=grid(x + ww // 2, w), y=grid(y + hh // 2, h), text=TEXT),
                          call("hover_at", x=100, y=100)]}

    boxes: list[subprocess.Popen] = []
    gemini.add(type_into_entry, observe_then(DONE))
    proc, summary = run(cli, gemini, "click around, then type")
    assert proc.returncode == 0, proc.stderr
    assert summary["status"] == "finished" and summary["final_answer"] == DONE
    assert seen == [(screen_x(gx, w), screen_x(gy, h)) for gx, gy in points] + [(screen_x(100, w), screen_x(100, h))]
    out, _ = boxes[0].communicate(timeout=10)
    assert out == TEXT + "\n" and boxes[0].returncode == 0  # the old text cleared, Enter submitted it

    lines = read_trajectory(summary["run_dir"])
    last = [x for x in lines if x["kind"] == "step"][-2]
    assert [a["type"] for a in last["actions"]] == ["move", "click", "hotkey", "hotkey", "type", "move"]
    requests = gemini.generate_requests()
    assert all(r["headers"]["x-goog-api-key"] == KEY for r in requests)
    # Each call's result carries the screenshot taken after it, at the size the family chose (1440x810)
    for request in requests[1:]:
        answered = responses_of(request)
        assert answered and all(r["response"] == {"url": ""} for r in answered)
        assert image_size(answered[-1]["parts"][0]) == (1440, 810)
    assert image_size(parts_of(requests[0])[1]) == (1440, 810)
    assert max(count_images(r["body"]) for r in requests) == 3  # the newest three, as History keeps them
    assert_key_nowhere(proc, summary["run_dir"])


TEXT = 'Grüße, "世界" (test) it\'s 100% <ok> — ñ €'


def test_a_safety_check_is_allowed_then_declined_on_the_terminal(desktop, cli, gemini):
    decision = {"decision": "require_confirmation", "explanation": "This site wants a payment."}
    gemini.add({"parts": [call("click_at", x=250, y=250, safety_decision=decision)]},
               {"parts": [call("click_at", x=750, y=750, safety_decision=decision)]}, DONE)
    park(desktop)
    proc, summary = run(cli, gemini, "pay", "--interactive", input="y\nno, do not pay\n")
    assert proc.returncode == 0, proc.stderr
    assert "Gemini computer use asks: This site wants a payment." in proc.stderr
    assert desktop.pointer() == (screen_x(250, 1920), screen_x(250, 1080))  # only the allowed call ran
    second, third = gemini.generate_requests()[1:3]
    assert [r["response"] for r in responses_of(second)] == [{"url": "", "safety_acknowledgement": "true"}]
    assert [r["response"] for r in responses_of(third)] == [{"error": DECLINED_ERROR}]
    assert third["body"]["contents"][-1]["parts"][-1]["text"].startswith("The user did not allow that action.")
    assert "no, do not pay" in third["body"]["contents"][-1]["parts"][-1]["text"]
    assert_key_nowhere(proc, summary["run_dir"])


def test_a_safety_check_with_nobody_to_ask_ends_as_call_user(desktop, cli, gemini):
    decision = {"decision": "require_confirmation", "explanation": "Accept the cookie banner?"}
    gemini.add({"parts": [call("click_at", x=600, y=600, safety_decision=decision)]})
    park(desktop)
    proc, summary = run(cli, gemini, "browse")
    assert proc.returncode == 4, proc.stderr
    assert summary["status"] == "call_user" and "Accept the cookie banner?" in summary["error"]
    assert desktop.pointer() == (10, 10)  # never acknowledged by itself: nothing ran
    assert len(gemini.generate_requests()) == 1


def test_a_cut_response_is_never_run_and_busy_servers_are_waited_for(desktop, cli, gemini):
    gemini.add({"parts": [call("click_at", x=900, y=900)], "finish_reason": "MAX_TOKENS"},
               {"status": 429, "message": "Resource has been exhausted.", "retry_after": 1},
               {"status": 503, "message": "The model is overloaded."},
               {"parts": [call("click_at", x=300, y=300)]}, DONE)
    park(desktop)
    proc, summary = run(cli, gemini, "click once")
    assert proc.returncode == 0, proc.stderr
    assert "cut off at max_tokens=8192; asking again with max_tokens=16384" in proc.stderr
    assert "rate limit or quota is used up (HTTP 429" in proc.stderr and "retry 1/3 in 1 s" in proc.stderr
    assert "Gemini is overloaded (HTTP 503" in proc.stderr
    steps = [x for x in read_trajectory(summary["run_dir"]) if x["kind"] == "step"]
    assert [a["type"] for s in steps for a in s["actions"]] == ["click", "finished"]  # the cut one never ran
    assert steps[0]["actions"][0]["x"] == screen_x(300, 1920)
    budgets = [r["body"]["generationConfig"]["maxOutputTokens"] for r in gemini.generate_requests()]
    assert budgets[:2] == [8192, 16384]


@pytest.mark.parametrize(("items", "words"), [
    ([{"status": 401, "message": "Request had invalid authentication credentials."}],
     "Google rejected the API key (HTTP 401 UNAUTHENTICATED)"),
    ([{"parts": [{"text": "I will not do that."}], "finish_reason": "SAFETY"}],
     "Gemini stopped its response (reason SAFETY)"),
    ([{"parts": [call("click_at", x=5, y=5)], "finish_reason": "MAX_TOKENS"}] * 2,
     "cut off at max_tokens=16384 (2 tries, the budget raised each time)"),
], ids=["401", "refusal", "always-cut"])
def test_failures_that_cannot_be_retried_end_in_one_line_with_nothing_run(desktop, cli, gemini, items, words):
    gemini.add(*items)
    park(desktop)
    proc, summary = run(cli, gemini, "try")
    assert proc.returncode == 1, proc.stderr
    assert summary["status"] == "error" and words in summary["error"]
    assert words in proc.stderr and "Traceback" not in proc.stderr
    assert desktop.pointer() == (10, 10)
    assert_key_nowhere(proc, summary["run_dir"])
