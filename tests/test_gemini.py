"""Gemini's Computer Use tool (family `gemini`): every mapping and rejection rule of the CLI contract over realistic
response bodies (REST and SDK spellings), the 0..999 grid mapped as Google denormalizes it over every grid value,
the recommended screenshot size, any JSON, bodies cut at every character, the request built from the history alone
(answers, confirmations, declines, notes, the screenshots that travel), and the scripted server through the real
google-genai SDK."""

from __future__ import annotations

import base64
import io
import json
import math
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_app.cli import main as cli_main
from agent_app.core.actions import ACTION_TYPES, DIRECTIONS, Action
from agent_app.core.errors import FormatError
from agent_app.core.families.base import Context, coordinate_space
from agent_app.core.families.gemini import (
    BROWSER_ONLY,
    DECLINED_ERROR,
    DEFAULT_CONFIRM,
    GEMINI,
    NOT_RUN_ERROR,
    read_response,
    response_body,
)
from agent_app.core.families.registry import FAMILIES, detect
from agent_app.core.geometry import Monitor
from agent_app.core.history import History, Turn
from agent_app.testing.scripted_gemini import ScriptedGemini, call


def body(*parts: dict, finish: str | None = "STOP", **extra: Any) -> str:
    out = response_body(list(parts), finish or "STOP")
    if finish is None:
        del out["candidates"][0]["finishReason"]
    out.update(extra)
    return json.dumps(out, ensure_ascii=False)


def snake(obj: Any) -> Any:
    """The SDK's spelling of a REST body (what `model_dump()` gives)."""
    if isinstance(obj, dict):
        return {("".join("_" + c.lower() if c.isupper() else c for c in k) if k not in ("args",) else k):
                (v if k == "args" else snake(v)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [snake(v) for v in obj]
    return obj


def camel(obj: Any) -> Any:
    """Proto JSON names in lowerCamelCase (the API reads either spelling; the SDK sends some nested ones in snake)."""
    if isinstance(obj, dict):
        return {k.split("_")[0] + "".join(w.title() for w in k.split("_")[1:]) if k != "args" else k:
                (v if k == "args" else camel(v)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [camel(v) for v in obj]
    return obj


def acts(text: str) -> list[dict]:
    return [a.to_json() for a in GEMINI.parse(text).actions]


THINK = {"text": "The search box is at the top. I'll type there.", "thought": True}


# ---- the family ----
def test_registered_with_its_grid_sizing_images_sampling_and_models():
    fam = FAMILIES["gemini"]
    assert fam is GEMINI
    assert (fam.coordinates, fam.truncate, fam.max_images, fam.provider, fam.watches, fam.default_model) == (
        "thousandths", True, 3, "gemini", False, "gemini-2.5-computer-use-preview-10-2025")
    assert fam.span(1440, 900) == fam.span(7, 5) == (1000.0, 1000.0)
    s = fam.sampling
    assert (s.temperature, s.top_p, s.max_tokens, s.frequency_penalty, s.extra_body) == (1.0, 0.95, 8192, None,
                                                                                          {"top_k": 40})
    for name in ("gemini-2.5-computer-use-preview-10-2025", "models/gemini-3-flash-preview",
                 "gemini-3.1-pro-preview"):
        assert detect(name) is GEMINI, name
    for name in ("gemini-3.5-flash", "gemini-2.5-flash", "UI-TARS-1.5-7B"):
        assert detect(name) is not GEMINI, name
    assert "0–999" in fam.description


@pytest.mark.parametrize(("screen", "image"), [
    ((1440, 900), (1440, 900)), ((1920, 1080), (1440, 810)), ((2560, 1600), (1440, 900)),
    ((3840, 2160), (1440, 810)), ((1280, 800), (1280, 800)), ((1024, 768), (1024, 768)),
    ((1080, 1920), (810, 1440)), ((900, 1440), (900, 1440)), ((2880, 1800), (1440, 900)),
    ((1600, 1200), (1200, 900)), ((5120, 1440), (1440, 405)),
])
def test_the_screenshot_is_sized_as_google_recommends_the_screen(screen, image):
    assert GEMINI.model_image_size(*screen) == image


@settings(max_examples=400, deadline=None)
@given(w=st.integers(1, 8000), h=st.integers(1, 8000), budget=st.one_of(st.none(), st.integers(1, 3_000_000)))
def test_the_size_keeps_the_aspect_fits_the_box_and_the_budget_and_never_enlarges(w, h, budget):
    iw, ih = GEMINI.model_image_size(w, h, budget)
    assert 1 <= iw <= w and 1 <= ih <= h
    assert max(iw, ih) <= 1440 and min(iw, ih) <= 900
    if budget and budget >= GEMINI.min_pixels:
        assert iw * ih <= budget
    if min(w, h) >= 100:  # the aspect survives (a pixel of rounding)
        assert abs(iw / ih - w / h) <= w / h * (1 / ih + 1 / iw) + 1e-9


@pytest.mark.parametrize("screen", [(1440, 900), (1920, 1080), (1366, 768), (3840, 2160), (800, 600), (1000, 1000),
                                    (999, 333)])
def test_every_grid_value_maps_as_google_denormalizes_it(screen):
    w, h = screen
    space = coordinate_space(GEMINI, Monitor(0, 0, w, h), GEMINI.model_image_size(w, h))
    for v in range(1000):
        assert space.to_screen(v, v) == (int(v / 1000 * w), int(v / 1000 * h))
    for v, edge in ((-1, 0), (-400, 0), (1000, None), (1001, None), (99999, None)):
        x, y = space.to_screen(v, v)
        assert (x, y) == ((0, 0) if edge == 0 else (w - 1, h - 1))


def test_a_second_monitor_is_offset_and_its_edges_hold():
    space = coordinate_space(GEMINI, Monitor(1920, 0, 1280, 1024), (1280, 1024))
    assert space.to_screen(0, 0) == (1920, 0)
    assert space.to_screen(999, 999) == (1920 + int(999 / 1000 * 1280), int(999 / 1000 * 1024))
    assert space.to_screen(500, 500) == (2560, 512)


def test_the_other_families_still_round():
    space = coordinate_space(FAMILIES["uitars-1.0"], Monitor(0, 0, 1440, 900), (1440, 900))
    assert space.to_screen(999, 999) == (1439, 899)  # round(1438.56), not int


# ---- realistic responses ----
REALISTIC = [
    # the reference's first step: thoughts, then a call
    (body(THINK, call("click_at", x=500, y=40)), THINK["text"], [{"type": "click", "x": 500, "y": 40}]),
    # type_text_at as Google's table has it: click, clear, type, Enter
    (body(call("type_text_at", x=371, y=470, text="北京 天气 \"quoted\"\nline")), "", [
        {"type": "click", "x": 371, "y": 470}, {"type": "hotkey", "keys": ["ctrl", "a"]},
        {"type": "hotkey", "keys": ["delete"]}, {"type": "type", "text": "北京 天气 \"quoted\"\nline\n"}]),
    (body(call("type_text_at", x=1, y=2, text="ab", press_enter=False, clear_before_typing=False)), "", [
        {"type": "click", "x": 1, "y": 2}, {"type": "type", "text": "ab"}]),
    (body(call("type_text_at", x=1, y=2, text="ab", press_enter=True, clear_before_typing=False)), "", [
        {"type": "click", "x": 1, "y": 2}, {"type": "type", "text": "ab\n"}]),
    # several calls in one response, in order, with text between
    (body({"text": "Open the menu, then hover."}, call("key_combination", keys="Control+Shift+T"),
          {"text": "Now hover."}, call("hover_at", x=999, y=0), call("wait_5_seconds")),
     "Open the menu, then hover.\nNow hover.", [
         {"type": "hotkey", "keys": ["ctrl", "shift", "t"]}, {"type": "move", "x": 999, "y": 0},
         {"type": "wait", "seconds": 5.0}]),
    (body(call("key_combination", keys="Meta+Command"), call("key_combination", keys="Enter"),
          call("key_combination", keys="Alt+ArrowLeft"), call("key_combination", keys="Control + PageDown"),
          call("key_combination", keys="Escape"), call("key_combination", keys="Backspace")), "", [
        {"type": "hotkey", "keys": ["win", "win"]}, {"type": "hotkey", "keys": ["enter"]},
        {"type": "hotkey", "keys": ["alt", "left"]}, {"type": "hotkey", "keys": ["ctrl", "pagedown"]},
        {"type": "hotkey", "keys": ["esc"]}, {"type": "hotkey", "keys": ["backspace"]}]),
    (body(call("scroll_at", x=500, y=600, direction="down", magnitude=800), call("scroll_document", direction="UP"),
          call("scroll_at", x=0, y=0, direction="left"), call("scroll_document", direction="right")), "", [
        {"type": "scroll", "x": 500, "y": 600, "direction": "down"}, {"type": "scroll", "direction": "up"},
        {"type": "scroll", "x": 0, "y": 0, "direction": "left"}, {"type": "scroll", "direction": "right"}]),
    (body(call("drag_and_drop", x=10.5, y=20, destination_x=900, destination_y=880)), "", [
        {"type": "drag", "x": 10.5, "y": 20, "x2": 900, "y2": 880}]),
    # browser-only functions on a desktop: the browser's own keys, or an honest "unsupported"
    (body(call("navigate", url="https://example.org/ä?q=1")), "", [
        {"type": "hotkey", "keys": ["ctrl", "l"]}, {"type": "type", "text": "https://example.org/ä?q=1\n"}]),
    (body(call("search")), "", [
        {"type": "hotkey", "keys": ["ctrl", "l"]}, {"type": "type", "text": "https://www.google.com\n"}]),
    (body(call("go_back"), call("go_forward")), "", [
        {"type": "hotkey", "keys": ["alt", "left"]}, {"type": "hotkey", "keys": ["alt", "right"]}]),
    (body(call("open_web_browser")), "", [{"type": "unsupported", "name": "open_web_browser"}]),
    # no call: the final answer (without the thoughts)
    (body(THINK, {"text": "The weather in Paris is 18 °C."}), THINK["text"] + "\nThe weather in Paris is 18 °C.",
     [{"type": "finished", "content": "The weather in Paris is 18 °C."}]),
    (body(THINK), THINK["text"], [{"type": "finished", "content": ""}]),
]


@pytest.mark.parametrize(("text", "thought", "expected"), REALISTIC)
def test_realistic_responses(text, thought, expected):
    parsed = GEMINI.parse(text)
    assert (parsed.thought, [a.to_json() for a in parsed.actions]) == (thought, expected)
    # the SDK's snake_case dump of the same body reads the same
    again = GEMINI.parse(json.dumps(snake(json.loads(text))))
    assert (again.thought, again.actions) == (parsed.thought, parsed.actions)


def test_the_sdk_dump_of_a_response_reads_as_the_rest_body():
    from google.genai import types

    rest = json.loads(body(THINK | {"thoughtSignature": "c2ln"}, call("click_at", x=5, y=6),
                           usageMetadata={"promptTokenCount": 3}))
    sdk = types.GenerateContentResponse.model_validate(rest)
    for dumped in (sdk.model_dump_json(exclude_none=True), sdk.model_dump_json(exclude_none=True, by_alias=True)):
        assert GEMINI.parse(dumped) == GEMINI.parse(json.dumps(rest))


def test_a_safety_decision_asks_before_that_call_only():
    decision = {"decision": "require_confirmation", "explanation": "This will accept the cookie banner."}
    text = body(call("click_at", x=1, y=1), call("type_text_at", x=5, y=5, text="hi", safety_decision=decision),
                call("click_at", x=9, y=9, safety_decision={"decision": "regular"}))
    actions = acts(text)
    assert [a.get("confirm") for a in actions] == [None, decision["explanation"], None, None, None, None]
    assert [c.confirm for c in read_response(text).calls] == [None, decision["explanation"], None]
    # no explanation: a message that still asks
    assert acts(body(call("click_at", x=1, y=1, safety_decision={"decision": "require_confirmation"})))[0][
        "confirm"] == DEFAULT_CONFIRM


REJECTED = [
    ("I'll click the button.", "not JSON"),
    ('{"candidates": [', "not JSON"),
    ("[1, 2]", "not a JSON object"),
    ('"text"', "not a JSON object"),
    (json.dumps({"error": {"code": 429, "message": "Resource has been exhausted", "status": "RESOURCE_EXHAUSTED"}}),
     "429 RESOURCE_EXHAUSTED: Resource has been exhausted"),
    (json.dumps({"promptFeedback": {"blockReason": "SAFETY"}}), "blocked the request (blockReason SAFETY)"),
    (json.dumps({"prompt_feedback": {"block_reason": "PROHIBITED_CONTENT"}}), "blockReason PROHIBITED_CONTENT"),
    (json.dumps({"candidates": []}), "no candidates"),
    (json.dumps({}), "no candidates"),
    (json.dumps({"candidates": "x"}), "not a list of objects"),
    (body(call("click_at", x=1, y=1), finish="MAX_TOKENS"), "cut at the output token limit"),
    (body({"text": "no"}, finish="SAFETY"), "for safety"),
    (body({"text": "x"}, finish="MALFORMED_FUNCTION_CALL"), "malformed function call"),
    (body(call("click_at", x=1, y=1), finish=None), "no finishReason"),
    (body({"text": "x"}, finish="RECITATION"), "finishReason RECITATION, not STOP"),
    (json.dumps({"candidates": [{"finishReason": "STOP"}]}), "no content"),
    (json.dumps({"candidates": [{"finishReason": "STOP", "content": {"role": "model", "parts": []}}]}), "no parts"),
    (body({"inlineData": {"mimeType": "image/png", "data": "AA=="}}), "inlineData part"),
    (body({"executable_code": {"code": "print(1)"}}), "executableCode part"),
    (body({"text": 5}), "text is not a string"),
    (body("just a string"), "not an object"),
    (body({"text": ""}), "neither text nor a function call"),
    (body({"thoughtSignature": "c2ln"}), "neither text nor a function call"),
    (body(call("computer", action="click")), "another function: computer"),
    (body(call("click")), "another function: click"),  # gemini-3.5's function set is not this family's
    (body(call("multiply_numbers", x=1, y=2)), "another function"),
    (body({"functionCall": {"args": {}}}), "no name"),
    (body({"functionCall": {"name": "click_at", "args": [1, 2]}}), "args are not an object"),
    (body(call("click_at", y=5)), "click_at has no x"),
    (body(call("hover_at", x=5)), "hover_at has no y"),
    (body(call("click_at", x="500", y=5)), "click_at x must be a number"),
    (body(call("click_at", x=True, y=5)), "click_at x must be a number"),
    (body(call("click_at", x=None, y=5)), "click_at x must be a number"),
    (body(call("click_at", x=[1], y=5)), "click_at x must be a number"),
    ('{"candidates":[{"content":{"parts":[{"functionCall":{"name":"click_at","args":{"x":NaN,"y":1}}}]},'
     '"finishReason":"STOP"}]}', "click_at x must be a number"),
    (body(call("click_at", x=1e300, y=5)), "click_at x must be a number"),
    (body(call("drag_and_drop", x=1, y=2, destination_x=3)), "drag_and_drop has no destination_y"),
    (body(call("scroll_at", x=1, y=2)), "direction must be up, down, left or right"),
    (body(call("scroll_document", direction="sideways")), "direction must be"),
    (body(call("type_text_at", x=1, y=2)), "type_text_at has no text"),
    (body(call("type_text_at", x=1, y=2, text=5)), "type_text_at has no text"),
    (body(call("type_text_at", x=1, y=2, text="a", press_enter="yes")), "press_enter must be true or false"),
    (body(call("type_text_at", x=1, y=2, text="a", clear_before_typing=0)), "clear_before_typing must be"),
    (body(call("key_combination")), "key_combination has no keys"),
    (body(call("key_combination", keys=["Control", "c"])), "key_combination has no keys"),
    (body(call("key_combination", keys="Control+Hyper")), "unknown key 'Hyper'"),
    (body(call("key_combination", keys="")), "hotkey without keys"),
    (body(call("navigate")), "navigate has no url"),
    (body(call("navigate", url="  ")), "navigate has an empty url"),
    (body(call("click_at", x=1, y=1, safety_decision="require_confirmation")), "safety_decision cannot be read"),
    (body(call("click_at", x=1, y=1, safety_decision={"explanation": "?"})), "safety_decision cannot be read"),
    (body(call("click_at", x=1, y=1, safety_decision={"decision": "require_confirmation", "explanation": 3})),
     "explanation is not text"),
    (body({"functionCall": {"name": "click_at", "args": {"x": 1, "y": 1}, "id": 7}}), "id is not a string"),
    (body(*[call("type_text_at", x=1, y=1, text="a")] * 26), "more than 100 actions"),
]


@pytest.mark.parametrize(("text", "reason"), REJECTED)
def test_contract_rejections(text, reason):
    with pytest.raises(FormatError) as e:
        GEMINI.parse(text)
    assert reason in str(e.value) and "\n" not in str(e.value)


def test_one_bad_call_rejects_the_whole_response():
    with pytest.raises(FormatError):
        GEMINI.parse(body(call("click_at", x=1, y=1), call("type_text_at", x=1, y=2, text="a"), call("fly")))


CUT = body(THINK | {"thoughtSignature": "c2lnbmF0dXJl"}, call("type_text_at", x=371, y=470, text="北京\n"),
           call("key_combination", keys="Control+S", safety_decision={"decision": "require_confirmation",
                                                                     "explanation": "Save?"}))


def test_a_body_cut_anywhere_is_rejected():
    for i in range(len(CUT)):
        with pytest.raises(FormatError):
            GEMINI.parse(CUT[:i])
    assert len(GEMINI.parse(CUT).actions) == 5


JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5000, 5000), st.floats(), st.text(max_size=8)),
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.text(max_size=6), children, max_size=4)),
    max_leaves=20,
)
NAMES = st.sampled_from(["click_at", "hover_at", "type_text_at", "key_combination", "scroll_at",
                         "scroll_document", "drag_and_drop", "wait_5_seconds", *BROWSER_ONLY, "click", ""])
ARGS = st.dictionaries(
    st.sampled_from(["x", "y", "text", "keys", "direction", "destination_x", "destination_y", "press_enter",
                     "clear_before_typing", "url", "magnitude", "safety_decision"]),
    st.one_of(st.integers(-2000, 2000), st.floats(), st.booleans(), st.none(),
              st.sampled_from(["up", "down", "Control+C", "Enter", "", "x"]),
              st.fixed_dictionaries({"decision": st.sampled_from(["require_confirmation", "regular"])}),
              JSON),
    max_size=7,
)


def check_result(parsed) -> None:
    assert isinstance(parsed.thought, str) and parsed.actions
    for action in parsed.actions:
        assert action.type in ACTION_TYPES
        for v in (action.x, action.y, action.x2, action.y2):
            assert v is None or (isinstance(v, float) and math.isfinite(v))
        if action.type == "scroll":
            assert action.direction in DIRECTIONS
        if action.type == "hotkey":
            assert action.keys and all(isinstance(k, str) and k for k in action.keys)
        if action.type == "type":
            assert isinstance(action.text, str)
        assert action.confirm is None or isinstance(action.confirm, str)


@settings(max_examples=400, deadline=None)
@given(data=JSON)
def test_any_json_gives_actions_or_a_format_error(data):
    for text in (json.dumps(data), json.dumps({"candidates": [{"content": {"parts": data}, "finishReason": "STOP"}]}),
                 json.dumps({"candidates": [data]})):
        try:
            parsed = GEMINI.parse(text)
        except FormatError as e:
            assert str(e) and "\n" not in str(e)
            continue
        check_result(parsed)


@settings(max_examples=400, deadline=None)
@given(calls=st.lists(st.tuples(NAMES, ARGS), min_size=1, max_size=4), text=st.text(max_size=20))
def test_any_calls_give_actions_or_a_format_error(calls, text):
    parts = [{"text": text}] + [call(name, **args) for name, args in calls]
    try:
        parsed = GEMINI.parse(body(*parts))
    except FormatError as e:
        assert str(e) and "\n" not in str(e)
        return
    check_result(parsed)
    assert len(read_response(body(*parts)).calls) == len(calls)


# ---- the actions written as Gemini would (best effort) ----
def test_format_reply_round_trips_what_the_tool_can_say():
    actions = [Action("click", 10, 20), Action("move", 999, 0), Action("drag", 1, 2, 3, 4),
               Action("hotkey", keys=("ctrl", "shift", "t")), Action("scroll", 5, 6, direction="down"),
               Action("scroll", direction="left"), Action("wait", seconds=5.0),
               Action("click", 30, 40), Action("type", text="北京\n"), Action("click", 50, 60),
               Action("type", text="no enter")]
    text = GEMINI.format_reply(actions, "The user took over and did this instead.")
    parsed = GEMINI.parse(text)
    assert parsed.thought == "The user took over and did this instead."
    assert parsed.actions == actions
    assert GEMINI.parse(GEMINI.format_reply([Action("finished", content="Done: 42")], "x")).actions == [
        Action("finished", content="Done: 42")]
    assert GEMINI.history_text(text) == text


def test_format_reply_leaves_out_what_the_tool_has_no_function_for():
    text = GEMINI.format_reply([Action("right_click", 5, 5), Action("click", 7, 8)], "", "right click, click")
    assert GEMINI.parse(text).actions == [Action("click", 7, 8)]


# ---- the parse command ----
def run_parse(monkeypatch, capsys, text: str, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    rc = cli_main(["parse", "--model-family", "gemini", *args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_cli_parse_maps_the_grid_to_screen_pixels_whatever_the_image(monkeypatch, capsys):
    decision = {"decision": "require_confirmation", "explanation": "Buy it?"}
    text = body(THINK, call("click_at", x=999, y=999, safety_decision=decision),
                call("drag_and_drop", x=0, y=500, destination_x=1200, destination_y=-3))
    expected = {"thought": THINK["text"], "actions": [
        {"type": "click", "x": 1438, "y": 899, "confirm": "Buy it?"},
        {"type": "drag", "x": 0, "y": 450, "x2": 1439, "y2": 0}]}
    for image in ((), ("--image", "1440x900"), ("--image", "640x400")):
        rc, out, err = run_parse(monkeypatch, capsys, text, "--screen", "1440x900", *image)
        assert (rc, json.loads(out), err) == (0, expected, "")
    rc, out, _ = run_parse(monkeypatch, capsys, json.dumps(snake(json.loads(text))), "--screen", "1920x1080")
    assert json.loads(out)["actions"][0] == {"type": "click", "x": 1918, "y": 1078, "confirm": "Buy it?"}


@pytest.mark.parametrize("text", [REJECTED[0][0], REJECTED[4][0], REJECTED[5][0], REJECTED[10][0], REJECTED[23][0],
                                  REJECTED[28][0], ""])
def test_cli_parse_rejects_with_exit_2_and_one_line(monkeypatch, capsys, text):
    rc, out, err = run_parse(monkeypatch, capsys, text, "--screen", "800x600")
    assert (rc, out) == (2, "")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and "cannot parse" in err


# ---- the request, from the history alone ----
PNG = [f"data:image/png;base64,{base64.b64encode(f'shot{k}'.encode()).decode()}" for k in range(12)]


def blob(url: str) -> dict:
    return {"inlineData": {"mimeType": "image/png", "data": url.split(",", 1)[1]}}


Step = Turn  # a history turn as the loop records it for an API family: the response body, its screenshot, answers


def step_body(k: int) -> str:
    signature = base64.b64encode(f"signature {k}".encode()).decode()
    return body({"text": f"step {k}", "thought": True, "thoughtSignature": signature},
                {"functionCall": {"name": "click_at", "args": {"x": k, "y": k}, "id": f"call-{k}"}})


def test_the_first_request_is_the_task_and_the_screenshot():
    assert GEMINI.messages(Context("Open the calculator"), [], PNG[0]) == [
        {"role": "user", "parts": [{"text": "Open the calculator"}, blob(PNG[0])]}]


@pytest.mark.parametrize("steps", [1, 2, 3, 4, 7])
def test_each_step_is_its_response_then_its_answers_with_the_next_screenshot(steps):
    history = History.for_family(GEMINI, 5)  # at most 3 screenshots travel: the family's own limit
    assert history.images == 3
    for k in range(steps):
        history.add_step(step_body(k), PNG[k])
    msgs = history.messages(GEMINI, Context("task"), PNG[steps])
    assert len(msgs) == 1 + 2 * steps
    assert [m["role"] for m in msgs] == ["user"] + ["model", "user"] * steps
    for k in range(steps):
        model, answer = msgs[1 + 2 * k], msgs[2 + 2 * k]
        assert model == {"role": "model", "parts": json.loads(step_body(k))["candidates"][0]["content"]["parts"]}
        fr = answer["parts"][0]["functionResponse"]
        assert (fr["name"], fr["id"], fr["response"]) == ("click_at", f"call-{k}", {"url": ""})
        travels = k + 1 >= steps - 2  # the newest 3 screenshots: the current one and the two before
        assert fr.get("parts") == ([blob(PNG[k + 1])] if travels else None), k
    first = msgs[0]["parts"]
    assert first[0] == {"text": "task"}
    assert first[1:] == ([blob(PNG[0])] if steps < 3 else [])
    images = json.dumps(msgs).count('"inlineData"')
    assert images == min(steps + 1, 3)


def test_answers_errors_acknowledgements_and_declines():
    decision = {"decision": "require_confirmation", "explanation": "Send the email?"}
    several = body(call("click_at", x=1, y=1), call("open_web_browser"),
                   {"functionCall": {"name": "type_text_at", "args": {"x": 2, "y": 2, "text": "hi"}, "id": "t"}})
    asked = body(call("click_at", x=3, y=3), call("key_combination", keys="Enter", safety_decision=decision))
    turns = [
        Step("step", several, PNG[0], {"unsupported": {"1": "open_web_browser is not available here."}}),
        Step("step", asked, PNG[1], {"confirmed": True}),
        Step("step", asked, PNG[2]),
        Step("note", "The user did not allow that action. Try another way."),
        Step("step", several, PNG[3]),  # no answers recorded: open_web_browser still gets an honest error
    ]
    msgs = GEMINI.messages(Context("mail it"), turns, PNG[4])
    responses = [[p["functionResponse"] for p in m["parts"] if "functionResponse" in p] for m in msgs[2::2]]
    assert [[r["response"] for r in rs] for rs in responses] == [
        [{"url": ""}, {"error": "open_web_browser is not available here."}, {"url": ""}],
        [{"url": ""}, {"url": "", "safety_acknowledgement": "true"}],
        [{"error": NOT_RUN_ERROR}, {"error": DECLINED_ERROR}],
        [{"url": ""}, {"error": "open_web_browser is not available: this is a desktop, not a browser. "
                                 "Use the desktop's own windows."}, {"url": ""}],
    ]
    assert responses[0][2]["id"] == "t" and "id" not in responses[0][0]
    # the screenshot after a step rides on its last answer; the note follows the answers of its step
    assert [[("parts" in r) for r in rs] for rs in responses] == [[False, False, True], [False, True], [False, True],
                                                                 [False, False, True]]
    assert msgs[6]["parts"][-1] == {"text": "The user did not allow that action. Try another way."}
    # declined at the person's own --confirm (no safety check): nothing ran, every call says so
    msgs = GEMINI.messages(Context("mail it"), [Step("step", several, PNG[0], {"declined": True})], PNG[1])
    assert [p["functionResponse"]["response"] for p in msgs[2]["parts"]] == [{"error": NOT_RUN_ERROR}] * 3


def test_a_replay_of_a_run_folder_names_its_screenshot_files():
    turns = [Step("step", step_body(0), "/runs/r1/step-001.png")]
    msgs = GEMINI.messages(Context("task"), turns, "/runs/r1/step-002.webp")
    assert msgs[0]["parts"][1] == {"fileData": {"mimeType": "image/png", "fileUri": "/runs/r1/step-001.png"}}
    assert msgs[2]["parts"][-1]["functionResponse"]["parts"] == [
        {"fileData": {"mimeType": "image/webp", "fileUri": "/runs/r1/step-002.webp"}}]


def test_notes_before_the_first_step_and_a_step_without_calls():
    turns = [Step("note", "The user took over control and then handed it back to you."),
             Step("step", body({"text": "Which file?"}), PNG[0]), Step("note", "Note from the user: the newest")]
    msgs = GEMINI.messages(Context("open it"), turns, PNG[1])
    assert msgs[0]["parts"] == [{"text": "open it"}, {"text": "The user took over control and then handed it back "
                                                              "to you."}, blob(PNG[0])]
    assert msgs[2] == {"role": "user", "parts": [blob(PNG[1]), {"text": "Note from the user: the newest"}]}


def test_the_generation_config_declares_the_tool_for_a_desktop():
    config = GEMINI.config()
    assert config == {
        "temperature": 1.0, "top_p": 0.95, "top_k": 40, "max_output_tokens": 8192,
        "tools": [{"computer_use": {"environment": "ENVIRONMENT_BROWSER", "excluded_predefined_functions": [
            "open_web_browser", "search", "navigate", "go_back", "go_forward"]}}],
        "thinking_config": {"include_thoughts": True},
    }
    assert GEMINI.config(max_tokens=16384, temperature=0.3)["max_output_tokens"] == 16384


# ---- the scripted server, through the real SDK ----
def sdk_client(server: ScriptedGemini, key: str = "test-key"):
    from google import genai

    return genai.Client(api_key=key, http_options={"base_url": server.base_url, "api_version": "v1beta",
                                                   "timeout": 10_000})


def test_the_real_sdk_sends_the_history_and_reads_the_scripted_response():
    from google.genai import types

    scripted = [THINK | {"thoughtSignature": "c2ln"}, call("click_at", x=500, y=500)]
    with ScriptedGemini([{"parts": scripted, "usage": {"promptTokenCount": 1234, "candidatesTokenCount": 56}}],
                        api_key="test-key") as server:
        turns = [Step("step", step_body(0), PNG[0])]
        msgs = GEMINI.messages(Context("task"), turns, PNG[1])
        client = sdk_client(server)  # held: a Client closes its connections when it is collected
        response = client.models.generate_content(
            model=server.model, contents=[types.Content.model_validate(m) for m in msgs],
            config=types.GenerateContentConfig.model_validate(GEMINI.config()))
        (request,) = server.generate_requests()
    assert request["path"] == f"/v1beta/models/{server.model}:generateContent"
    assert request["headers"]["x-goog-api-key"] == "test-key"
    sent = camel(request["body"])
    assert sent["contents"] == msgs  # the SDK sends exactly the contents built from the history
    assert sent["tools"] == [{"computerUse": {"environment": "ENVIRONMENT_BROWSER", "excludedPredefinedFunctions":
                                              list(BROWSER_ONLY)}}]
    assert sent["generationConfig"]["thinkingConfig"] == {"includeThoughts": True}
    dumped = response.model_dump_json(exclude_none=True, by_alias=True, exclude={"sdk_http_response"})
    assert GEMINI.parse(dumped).actions == [Action("click", 500, 500)]
    assert response.usage_metadata.prompt_token_count == 1234


def test_the_server_answers_errors_as_google_does():
    from google.genai import errors

    with ScriptedGemini([{"status": 429, "message": "Resource has been exhausted", "retry_after": 3},
                         {"status": 503, "message": "The model is overloaded. Please try again later."}],
                        api_key="right") as server:
        client = sdk_client(server, "right")
        with pytest.raises(errors.ClientError) as e:
            client.models.generate_content(model=server.model, contents="hi")
        assert (e.value.code, e.value.status) == (429, "RESOURCE_EXHAUSTED")
        assert e.value.response.headers["retry-after"] == "3"
        with pytest.raises(errors.ServerError) as e:
            client.models.generate_content(model=server.model, contents="hi")
        assert (e.value.code, e.value.status) == (503, "UNAVAILABLE")
        wrong = sdk_client(server, "wrong")
        with pytest.raises(errors.ClientError) as e:
            wrong.models.generate_content(model=server.model, contents="hi")
        assert (e.value.code, e.value.status) == (400, "INVALID_ARGUMENT")
        assert e.value.details["error"]["details"][0]["reason"] == "API_KEY_INVALID"
        with pytest.raises(errors.ClientError) as e:
            client.models.generate_content(model="gemini-nope", contents="hi")
        assert e.value.code == 404


def test_the_server_streams_a_response_in_chunks():
    with ScriptedGemini([{"parts": [{"text": "x" * 60, "thought": True}, call("wait_5_seconds")]}]) as server:
        client = sdk_client(server)
        chunks = list(client.models.generate_content_stream(model=server.model, contents="hi"))
    assert len(chunks) == 5 and chunks[-1].candidates[0].finish_reason == "STOP"
    texts = "".join(p.text or "" for c in chunks for p in (c.candidates[0].content.parts or []))
    assert texts == "x" * 60


STEP_BODIES = st.lists(st.tuples(NAMES, ARGS), max_size=3).map(
    lambda calls: body(*([{"text": "thinking", "thought": True}] + [call(n, **a) for n, a in calls])))
TURNS = st.lists(st.one_of(
    st.tuples(st.just("step"), st.one_of(STEP_BODIES, st.text(max_size=10)),
              st.fixed_dictionaries({}, optional={"confirmed": st.booleans(),
                                                  "unsupported": st.dictionaries(st.integers(0, 5), st.text())})),
    st.tuples(st.just("note"), st.text(min_size=1, max_size=10), st.just({})),
), max_size=8)


@settings(max_examples=200, deadline=None)
@given(turns=TURNS, images=st.integers(1, 6))
def test_any_history_gives_alternating_contents_with_one_answer_per_call(turns, images):
    history = History.for_family(GEMINI, images)
    for k, (kind, text, _) in enumerate(turns):
        if kind == "note":
            history.add_note(text)
        else:
            history.add_step(text, PNG[k])
    visible = [Step(t.kind, t.text, t.image_url, turns[i][2]) for i, t in enumerate(history.visible())]
    msgs = GEMINI.messages(Context("task"), visible, PNG[11])
    roles = [m["role"] for m in msgs]
    assert roles == ["user"] + ["model", "user"] * ((len(roles) - 1) // 2)
    assert json.dumps(msgs).count('"inlineData"') == min(history.images, 1 + sum(t.kind == "step" for t in visible))
    for model, answer in zip(msgs[1::2], msgs[2::2], strict=True):
        calls = [p["functionCall"]["name"] for p in model["parts"] if "functionCall" in p]
        answers = [p["functionResponse"]["name"] for p in answer["parts"] if "functionResponse" in p]
        try:
            read_response(json.dumps({"candidates": [{"content": model, "finishReason": "STOP"}]}))
            assert answers == calls
        except FormatError:
            assert answers == []  # a reply that was never acted on gets no answers
        assert all(set(p) <= {"text", "inlineData", "functionResponse"} for p in answer["parts"])
