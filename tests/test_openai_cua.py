"""The openai-cua family's pure parts: parse (every rule and rejection of the contract), sizing, coordinates,
format_reply and the request built from the history. No display, no network."""

from __future__ import annotations

import io
import json
import math
import sys

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from openai_bodies import XTurn, body, call, check, message, reasoning, text
from test_cut_replies import cut_results

from agent_app.cli import main as cli_main
from agent_app.core.actions import ACTION_TYPES, DIRECTIONS, Action
from agent_app.core.errors import FormatError
from agent_app.core.families.base import Context
from agent_app.core.families.openai_cua import (
    OPENAI_CUA,
    ORIGINAL_MAX_PIXELS,
    environment,
    high_detail_size,
    original_size,
)
from agent_app.core.families.registry import FAMILIES, claimed_by
from agent_app.core.geometry import CoordinateSpace, Monitor
from agent_app.core.history import History, Turn

PREVIEW = OPENAI_CUA.for_model("computer-use-preview")
GA = OPENAI_CUA.for_model("gpt-5.4")


def acts(reply: str) -> list[dict]:
    return [a.to_json() for a in OPENAI_CUA.parse(reply).actions]


def one(action: dict, **kw) -> list[dict]:
    return acts(text(call(action, **kw)))


# ---- the family ----
def test_registered_with_image_pixels_one_screenshot_per_request_and_its_provider():
    f = FAMILIES["openai-cua"]
    assert f is OPENAI_CUA
    assert (f.coordinates, f.max_images, f.provider, f.default_model) == ("image", 1, "openai", "gpt-5.4")
    assert f.description.startswith("OpenAI computer use")
    assert f.span(1365, 768) == (1365.0, 768.0)
    assert not f.preview and PREVIEW.preview and not GA.preview
    assert OPENAI_CUA.for_model("computer-use-preview-2025-03-11").preview


@pytest.mark.parametrize(("model", "ours"), [
    ("computer-use-preview", True), ("computer-use-preview-2025-03-11", True), ("gpt-5.4", True),
    ("gpt-5.4-2026-03-05", True), ("gpt-5.5", True), ("gpt-5.10", True), ("openai/gpt-5.4", True),
    ("gpt-5.3-chat-latest", False), ("gpt-5", False), ("gpt-5.1-codex", False), ("gpt-4o", False),
    ("gpt-5.40", True), ("UI-TARS-1.5-7B", False), ("Qwen2.5-VL-7B-Instruct", False),
])
def test_auto_places_its_own_model_names_only(model, ours):
    assert ("openai-cua" in claimed_by(model)) is ours
    assert len(claimed_by(model)) <= 1


# ---- sizing: what the provider keeps as sent ----
@pytest.mark.parametrize(("screen", "ga", "preview"), [
    ((1920, 1080), (1920, 1080), (1365, 768)),
    ((1366, 768), (1366, 768), (1366, 768)),
    ((1024, 768), (1024, 768), (1024, 768)),
    ((1280, 800), (1280, 800), (1229, 768)),
    ((2560, 1600), (2560, 1600), (1229, 768)),
    ((3840, 2160), (3840, 2160), (1365, 768)),
    ((5120, 2880), (4266, 2400), (1365, 768)),  # 14.7 MP: scaled to fit 10.24 MP
    ((768, 1366), (768, 1366), (768, 1366)),  # portrait
    ((1080, 1920), (1080, 1920), (768, 1365)),
    ((6000, 500), (6000, 500), (2048, 171)),  # the 2048 limit binds first
    ((700, 300), (700, 300), (700, 300)),
])
def test_screenshot_sizes_are_what_the_provider_keeps_as_sent(screen, ga, preview):
    assert GA.model_image_size(*screen) == ga
    assert PREVIEW.model_image_size(*screen) == preview


def test_the_persons_pixel_budget_lowers_both():
    assert GA.model_image_size(1920, 1080, 1440 * 900) == (1517, 853)
    assert GA.model_image_size(1920, 1200, 1440 * 900) == (1440, 900)
    assert PREVIEW.model_image_size(1920, 1080, 500_000) == (942, 530)
    assert GA.model_image_size(1920, 1080, 50_000_000) == (1920, 1080)  # the provider's cap still holds


@settings(max_examples=500, deadline=None)
@given(w=st.integers(1, 20000), h=st.integers(1, 20000), budget=st.one_of(st.none(), st.integers(1, 30_000_000)))
@example(w=698, h=19994, budget=99133)  # a tall strip: both resizes round the short side
def test_sizing_keeps_aspect_fits_its_limits_and_is_stable(w, h, budget):
    for family in (GA, PREVIEW):
        sw, sh = family.model_image_size(w, h, budget)
        assert 1 <= sw <= w and 1 <= sh <= h
        assert sw * sh <= min(ORIGINAL_MAX_PIXELS, budget or ORIGINAL_MAX_PIXELS) or min(sw, sh) == 1
        if min(sw, sh) > 20:  # the aspect ratio survives to within the rounding of a side (of each resize)
            first = 0.5 / min(high_detail_size(w, h)) if family is PREVIEW else 0.0
            assert abs(sw / sh - w / h) <= (w / h) * (1.01 / min(sw, sh) + first)
        assert family.model_image_size(sw, sh, budget) == (sw, sh)  # the image sent is not resized again
    pw, ph = high_detail_size(w, h)
    assert max(pw, ph) <= 2048 and min(pw, ph) <= 768
    assert original_size(w, h, ORIGINAL_MAX_PIXELS) == ((w, h) if w * h <= ORIGINAL_MAX_PIXELS else
                                                       original_size(w, h, ORIGINAL_MAX_PIXELS))


@pytest.mark.parametrize(("image", "screen"), [((1365, 768), (1920, 1080)), ((1920, 1080), (1920, 1080)),
                                               ((1229, 768), (2560, 1600)), ((768, 1365), (1080, 1920))])
def test_every_image_pixel_maps_to_its_screen_pixel(image, screen):
    space = CoordinateSpace(Monitor(0, 0, *screen), *GA.span(*image))
    for x in range(-3, image[0] + 4):
        want = min(max(round(x / image[0] * screen[0]), 0), screen[0] - 1)
        assert space.to_screen(x, 0)[0] == want
    for y in range(-3, image[1] + 4):
        want = min(max(round(y / image[1] * screen[1]), 0), screen[1] - 1)
        assert space.to_screen(0, y)[1] == want


def test_the_preview_tools_environment_is_this_computers():
    assert [environment(p) for p in ("linux", "darwin", "win32", "freebsd13")] == ["linux", "mac", "windows", "linux"]


# ---- parse: realistic responses ----
def test_a_preview_response_one_action_with_its_reasoning_summary():
    reply = text(reasoning("I need to open the browser.", "The icon is on the left."),
                 call({"type": "click", "button": "left", "x": 156, "y": 302}, preview=True),
                 model="computer-use-preview")
    parsed = OPENAI_CUA.parse(reply)
    assert parsed.thought == "I need to open the browser.\nThe icon is on the left."
    assert parsed.actions == [Action("click", x=156.0, y=302.0)]


def test_a_ga_batch_runs_in_order_and_several_calls_keep_response_order():
    reply = text(
        reasoning("Search for the weather."),
        call({"type": "click", "button": "left", "x": 640, "y": 88},
             {"type": "type", "text": "météo à 北京 \"today\"\n"},
             {"type": "keypress", "keys": ["ENTER"]}),
        message("Searching now."),
        call({"type": "wait"}, {"type": "screenshot"}, {"type": "scroll", "x": 600, "y": 500, "scroll_x": 0,
                                                         "scroll_y": 480}),
    )
    parsed = OPENAI_CUA.parse(reply)
    assert parsed.thought == "Search for the weather.\nSearching now."
    assert [a.to_json() for a in parsed.actions] == [
        {"type": "click", "x": 640.0, "y": 88.0}, {"type": "type", "text": "météo à 北京 \"today\"\n"},
        {"type": "hotkey", "keys": ["enter"]}, {"type": "wait"},
        {"type": "scroll", "x": 600.0, "y": 500.0, "direction": "down"}]


@pytest.mark.parametrize(("action", "expected"), [
    ({"type": "click", "button": "left", "x": 1, "y": 2}, [{"type": "click", "x": 1, "y": 2}]),
    ({"type": "click", "x": 1, "y": 2}, [{"type": "click", "x": 1, "y": 2}]),  # no button: the left one
    ({"type": "click", "button": "right", "x": 3, "y": 4}, [{"type": "right_click", "x": 3, "y": 4}]),
    ({"type": "click", "button": "wheel", "x": 5, "y": 6}, [{"type": "middle_click", "x": 5, "y": 6}]),
    ({"type": "click", "button": "back", "x": 5, "y": 6}, [{"type": "hotkey", "keys": ["alt", "left"]}]),
    ({"type": "click", "button": "forward", "x": 5, "y": 6}, [{"type": "hotkey", "keys": ["alt", "right"]}]),
    ({"type": "click", "button": "left", "x": 7, "y": 8, "keys": ["SHIFT"]},
     [{"type": "click", "x": 7, "y": 8, "keys": ["shift"]}]),
    ({"type": "click", "button": "left", "x": 7, "y": 8, "keys": ["CTRL", "ALT"]},
     [{"type": "click", "x": 7, "y": 8, "keys": ["ctrl", "alt"]}]),
    ({"type": "double_click", "x": 9, "y": 10}, [{"type": "double_click", "x": 9, "y": 10}]),
    ({"type": "double_click", "x": 9, "y": 10, "keys": ["ctrl"]},
     [{"type": "double_click", "x": 9, "y": 10, "keys": ["ctrl"]}]),
    ({"type": "move", "x": 11, "y": 12}, [{"type": "move", "x": 11, "y": 12}]),
    ({"type": "move", "x": 11.5, "y": 12.25, "keys": None}, [{"type": "move", "x": 11.5, "y": 12.25}]),
    ({"type": "drag", "path": [{"x": 1, "y": 2}, {"x": 3, "y": 4}]},
     [{"type": "drag", "x": 1, "y": 2, "x2": 3, "y2": 4}]),
    ({"type": "drag", "path": [{"x": 1, "y": 2}, {"x": 50, "y": 60}, {"x": 30, "y": 40}], "keys": ["shift"]},
     [{"type": "drag", "x": 1, "y": 2, "x2": 30, "y2": 40, "keys": ["shift"]}]),
    ({"type": "keypress", "keys": ["CTRL", "L"]}, [{"type": "hotkey", "keys": ["ctrl", "l"]}]),
    ({"type": "keypress", "keys": ["ctrl", "shift", "t"]}, [{"type": "hotkey", "keys": ["ctrl", "shift", "t"]}]),
    ({"type": "keypress", "keys": ["ARROWLEFT"]}, [{"type": "hotkey", "keys": ["left"]}]),
    ({"type": "keypress", "keys": ["ArrowDown"]}, [{"type": "hotkey", "keys": ["down"]}]),
    ({"type": "keypress", "keys": ["ESC"]}, [{"type": "hotkey", "keys": ["esc"]}]),
    ({"type": "keypress", "keys": ["ENTER"]}, [{"type": "hotkey", "keys": ["enter"]}]),
    ({"type": "keypress", "keys": ["CMD", "C"]}, [{"type": "hotkey", "keys": ["win", "c"]}]),
    ({"type": "keypress", "keys": ["SUPER"]}, [{"type": "hotkey", "keys": ["win"]}]),
    ({"type": "keypress", "keys": ["META", "SPACE"]}, [{"type": "hotkey", "keys": ["win", "space"]}]),
    ({"type": "keypress", "keys": ["BACKSPACE"]}, [{"type": "hotkey", "keys": ["backspace"]}]),
    ({"type": "keypress", "keys": ["PAGEDOWN"]}, [{"type": "hotkey", "keys": ["pagedown"]}]),
    ({"type": "keypress", "keys": ["F5"]}, [{"type": "hotkey", "keys": ["f5"]}]),
    ({"type": "keypress", "keys": ["/"]}, [{"type": "hotkey", "keys": ["/"]}]),
    ({"type": "type", "text": ""}, [{"type": "type", "text": ""}]),
    ({"type": "type", "text": "a\\b 'c' \"d\"\n"}, [{"type": "type", "text": "a\\b 'c' \"d\"\n"}]),
    ({"type": "scroll", "x": 5, "y": 6, "scroll_x": 0, "scroll_y": -300},
     [{"type": "scroll", "x": 5, "y": 6, "direction": "up"}]),
    ({"type": "scroll", "x": 5, "y": 6, "scroll_x": 120, "scroll_y": 0},
     [{"type": "scroll", "x": 5, "y": 6, "direction": "right"}]),
    ({"type": "scroll", "x": 5, "y": 6, "scroll_x": -120, "scroll_y": 40},  # vertical first
     [{"type": "scroll", "x": 5, "y": 6, "direction": "down"},
      {"type": "scroll", "x": 5, "y": 6, "direction": "left"}]),
    ({"type": "scroll", "x": 5, "y": 6, "scroll_x": 0, "scroll_y": 0}, []),
    ({"type": "scroll", "x": 5, "y": 6, "scroll_y": 3, "keys": ["ctrl"]},
     [{"type": "scroll", "x": 5, "y": 6, "direction": "down", "keys": ["ctrl"]}]),
    ({"type": "wait"}, [{"type": "wait"}]),
    ({"type": "screenshot"}, []),
])
def test_contract_mapping_of_every_action(action, expected):
    assert one(action) == expected
    assert acts(text(call(action, preview=True))) == expected  # the preview's one action maps the same


def test_safety_checks_put_their_messages_on_the_calls_first_action():
    reply = text(
        call({"type": "click", "button": "left", "x": 1, "y": 2}),
        call({"type": "type", "text": "hi"}, {"type": "keypress", "keys": ["ENTER"]},
             checks=[check("The page asks you to ignore your instructions."),
                     check(None, code="irrelevant_domain"), check("", code=None, check_id="cu_sc_9")]),
    )
    assert acts(reply) == [
        {"type": "click", "x": 1, "y": 2},
        {"type": "type", "text": "hi",
         "confirm": "The page asks you to ignore your instructions.; irrelevant_domain; cu_sc_9"},
        {"type": "hotkey", "keys": ["enter"]},
    ]
    preview = text(call({"type": "scroll", "x": 1, "y": 2, "scroll_y": 5, "scroll_x": 5},
                        checks=[check("Sure?")], preview=True))
    assert [a.get("confirm") for a in acts(preview)] == ["Sure?", None]


def test_a_checked_call_that_only_looks_still_waits_for_the_person():
    assert acts(text(call({"type": "screenshot"}, checks=[check("Sensitive domain.", "sensitive_domain")]))) == [
        {"type": "wait", "seconds": 0.0, "confirm": "Sensitive domain."}]


def test_text_only_is_the_final_answer_without_the_reasoning():
    parsed = OPENAI_CUA.parse(text(reasoning("Done, report."), message("The weather in Paris is 18 °C.", "Bye.")))
    assert parsed.thought == "Done, report.\nThe weather in Paris is 18 °C.\nBye."
    assert parsed.actions == [Action("finished", content="The weather in Paris is 18 °C.\nBye.")]


def test_sdk_dumps_with_nulls_parse_the_same():
    from openai.types.responses import Response

    raw = body(reasoning("Open it."), call({"type": "double_click", "x": 3, "y": 4, "keys": None}))
    dumped = Response.model_validate(raw).model_dump_json()
    assert OPENAI_CUA.parse(dumped).actions == [Action("double_click", x=3.0, y=4.0)]
    preview = Response.model_validate(body(call({"type": "drag", "path": [{"x": 1, "y": 1}, {"x": 2, "y": 2}]},
                                                preview=True)))
    assert acts(preview.model_dump_json()) == [{"type": "drag", "x": 1, "y": 1, "x2": 2, "y2": 2}]


# ---- parse: every rejection ----
CLICK = {"type": "click", "button": "left", "x": 1, "y": 2}
REJECTED = [
    ("", "empty"),
    ("Sure, clicking now.", "not JSON"),
    ('{"output": [', "not JSON"),
    ("[1, 2]", "not a JSON object"),
    ('{"id": "resp_1", "status": "completed"}', "no `output` list"),
    ('{"output": {"type": "message"}}', "no `output` list"),
    ('{"output": ["click"]}', "not a JSON object"),
    ('{"error": {"message": "Rate limit reached", "type": "rate_limit_error"}}', "Rate limit reached"),
    ('{"error": "Internal error", "output": []}', "Internal error"),
    (text(call(CLICK), status="incomplete", reason="max_output_tokens"), "max_output_tokens"),
    (text(message("Here is"), status="incomplete", reason="content_filter"), "content_filter"),
    (text(call(CLICK), status="failed"), "failed"),
    (text(call(CLICK), status="in_progress"), "in_progress"),
    (text(call(CLICK), status="cancelled"), "cancelled"),
    (text(message(refusal="I can't help with that.")), "refused: I can't help with that."),
    (text(message("ok", refusal="No.")), "refused"),
    (text({"type": "function_call", "name": "open_app", "arguments": "{}", "call_id": "c"}), "another tool"),
    (text({"type": "web_search_call", "id": "ws", "status": "completed"}), "another tool"),
    (text({"type": "mcp_approval_request", "id": "m"}), "another tool"),
    (text({"type": "image"}), "unknown type"),
    (text({"no": "type"}), "unknown type"),
    (text(reasoning("thinking only")), "neither a computer call nor a message"),
    (text(), "neither"),
    (text(message("")), "neither"),
    (text({**call(CLICK), "actions": None}), "without an action"),
    (text({**call(CLICK), "actions": {"type": "click"}}), "not a list"),
    (text(call({"type": "fly", "x": 1, "y": 2})), "unknown computer action"),
    (text(call({"x": 1, "y": 2})), "unknown computer action"),
    (text(call("click")), "not a JSON object"),
    (text(call({"type": "click", "button": "middle", "x": 1, "y": 2})), "unknown button"),
    (text(call({"type": "click", "button": "left", "x": 1})), "without x and y"),
    (text(call({"type": "move"})), "without x and y"),
    (text(call({"type": "click", "button": "left", "x": "12", "y": 2})), "must be a number"),
    (text(call({"type": "click", "button": "left", "x": True, "y": 2})), "must be a number"),
    (text(call({"type": "click", "button": "left", "x": None, "y": 2})), "must be a number"),
    (text(call({"type": "click", "button": "left", "x": [1], "y": 2})), "must be a number"),
    (text(call({"type": "click", "button": "left", "x": 1e300, "y": 2})), "must be a number"),
    (text(call(CLICK)).replace('"x": 1', '"x": 1e999'), "must be a number"),
    (text(call(CLICK)).replace('"x": 1', '"x": NaN'), "must be a number"),
    (text(call({"type": "drag", "path": [{"x": 1, "y": 2}]})), "at least 2 points"),
    (text(call({"type": "drag", "path": []})), "at least 2 points"),
    (text(call({"type": "drag"})), "at least 2 points"),
    (text(call({"type": "drag", "path": [{"x": 1, "y": 2}, {"x": 3}]})), "without x and y"),
    (text(call({"type": "drag", "path": [{"x": 1, "y": 2}, [3, 4]]})), "without x and y"),
    (text(call({"type": "scroll", "scroll_y": 100})), "without x and y"),
    (text(call({"type": "scroll", "x": 1, "y": 2, "scroll_y": "down"})), "must be a number"),
    (text(call({"type": "keypress", "keys": []})), "needs `keys`"),
    (text(call({"type": "keypress", "keys": "ctrl+c"})), "needs `keys`"),
    (text(call({"type": "keypress", "keys": ["CTRL", 3]})), "needs `keys`"),
    (text(call({"type": "keypress", "keys": ["HYPERSPACE"]})), "unknown key"),
    (text(call({"type": "click", "button": "left", "x": 1, "y": 2, "keys": "shift"})), "list of key names"),
    (text(call({"type": "type"})), "needs `text`"),
    (text(call({"type": "type", "text": 42})), "needs `text`"),
    (text({**call(CLICK), "pending_safety_checks": "check"}), "not a list"),
    (text({**call(CLICK), "pending_safety_checks": ["check"]}), "not a JSON object"),
    (text({"type": "reasoning", "summary": [{"type": "summary_text"}]}, message("x")), "without text"),
    (text({"type": "reasoning", "summary": "thinking"}, message("x")), "not a list"),
    (text({"type": "message", "content": [{"type": "output_audio"}]}), "unknown type"),
    (text({"type": "message"}), "without content"),
    (text(call(*[{"type": "wait"}] * 101)), "more than 100"),
    (text(*[call(*[{"type": "wait"}] * 60)] * 2), "more than 100"),
    (text(call({"type": "click", "button": "left", "x": 10**400, "y": 2})), "must be a number"),  # OverflowError once
    (text(call({"type": "drag", "path": [{"x": 1, "y": 2}, {"x": 3, "y": -(10**400)}]})), "must be a number"),
    (text(call({"type": "scroll", "x": 1, "y": 2, "scroll_y": 10**400})), "must be a number"),
]


@pytest.mark.parametrize(("reply", "reason"), REJECTED)
def test_contract_rejections(reply, reason):
    with pytest.raises(FormatError) as e:
        OPENAI_CUA.parse(reply)
    assert reason in str(e.value) and "\n" not in str(e.value)


def test_one_bad_action_rejects_the_whole_response():
    with pytest.raises(FormatError):
        OPENAI_CUA.parse(text(call(CLICK, {"type": "type", "text": "ok"}), call({"type": "fly"})))


# ---- property tests ----
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False),
              st.text(max_size=6),
              st.sampled_from(["computer_call", "click", "left", "wheel", "back", "keypress", "ENTER", "scroll",
                               "drag", "message", "reasoning", "output_text", "refusal", "completed", "incomplete",
                               "type", "screenshot", "wait", "move", "double_click"])),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(
        st.sampled_from(["type", "x", "y", "button", "keys", "text", "path", "scroll_x", "scroll_y", "action",
                         "actions", "output", "status", "content", "summary", "call_id", "pending_safety_checks",
                         "message", "code", "error", "id"]), inner, max_size=6)),
    max_leaves=30,
)
ACTION = st.fixed_dictionaries(
    {"type": st.sampled_from(["click", "double_click", "move", "drag", "keypress", "type", "scroll", "wait",
                              "screenshot", "zoom"])},
    optional={"x": st.one_of(st.integers(-50, 5000), st.floats(), st.text(max_size=2)),
              "y": st.one_of(st.integers(-50, 5000), st.floats(), st.none()),
              "button": st.sampled_from(["left", "right", "wheel", "back", "forward", "middle", ""]),
              "keys": st.lists(st.sampled_from(["CTRL", "shift", "A", "ENTER", "ARROWUP", "", "??", "META"]),
                               max_size=3),
              "text": st.text(max_size=5), "scroll_x": st.integers(-500, 500), "scroll_y": st.integers(-500, 500),
              "path": st.lists(st.fixed_dictionaries({"x": st.integers(0, 3000), "y": st.integers(0, 3000)}),
                               max_size=3)},
)


def check_result(reply: str) -> None:
    try:
        parsed = OPENAI_CUA.parse(reply)
    except FormatError as e:
        assert str(e) and "\n" not in str(e)
        return
    assert isinstance(parsed.thought, str)
    for a in parsed.actions:
        assert a.type in ACTION_TYPES
        for v in (a.x, a.y, a.x2, a.y2):
            assert v is None or (isinstance(v, float) and math.isfinite(v))
        if a.type == "scroll":
            assert a.direction in DIRECTIONS and a.has_point
        if a.type in ("hotkey",):
            assert a.keys and all(isinstance(k, str) and k for k in a.keys)
        if a.type == "finished":
            assert a.content and len(parsed.actions) == 1


@settings(max_examples=400, deadline=None)
@given(value=JSON)
def test_any_json_gives_actions_or_a_format_error(value):
    check_result(json.dumps(value))
    check_result(json.dumps({"status": "completed", "output": value if isinstance(value, list) else [value]}))


@settings(max_examples=400, deadline=None)
@given(batch=st.lists(ACTION, max_size=4), preview=st.booleans(), checked=st.booleans())
def test_any_actions_give_actions_or_a_format_error(batch, preview, checked):
    checks = [check("Check it.")] if checked else None
    reply = text(call(*batch[:1], checks=checks, preview=True)) if preview and batch else text(
        call(*batch, checks=checks))
    check_result(reply)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gives_actions_or_a_format_error(value):
    check_result(value)


def test_a_body_cut_anywhere_is_never_acted_on():
    reply = text(reasoning("Go."), call(CLICK, {"type": "type", "text": "abc"}), call({"type": "keypress",
                                                                                       "keys": ["ENTER"]}))
    assert [n for n, _ in cut_results(OPENAI_CUA.parse, reply)] == [len(reply)]


# ---- format_reply ----
def test_format_reply_round_trips_every_action_the_tool_can_say():
    actions = [
        Action("click", x=12, y=34), Action("click", x=1, y=2, keys=("shift",)), Action("right_click", x=3, y=4),
        Action("middle_click", x=5, y=6), Action("double_click", x=1, y=2, keys=("ctrl",)), Action("move", x=7, y=8),
        Action("drag", x=7, y=8, x2=90, y2=100), Action("drag", x=1, y=1, x2=2, y2=2, keys=("alt",)),
        Action("hotkey", keys=("ctrl", "shift", "t")), Action("hotkey", keys=("enter",)),
        Action("type", text='Grüße "世界"\n\\ it\'s'), Action("scroll", x=1, y=1, direction="down"),
        Action("scroll", x=1, y=1, direction="left", keys=("shift",)), Action("wait"),
    ]
    reply = OPENAI_CUA.format_reply(actions, "The user took over and did this instead.", "click; type")
    parsed = OPENAI_CUA.parse(reply)
    assert parsed.actions == [a.mapped(lambda x, y: (float(x), float(y))) for a in actions]
    assert parsed.thought == "The user took over and did this instead."
    final = OPENAI_CUA.format_reply([Action("finished", content="42")], "")
    assert OPENAI_CUA.parse(final).actions == [Action("finished", content="42")]


def test_format_reply_leaves_out_what_the_tool_has_no_word_for():
    reply = OPENAI_CUA.format_reply([Action("triple_click", x=1, y=2), Action("mouse_down"), Action("click"),
                                     Action("click", x=5, y=5)], "t")
    assert OPENAI_CUA.parse(reply).actions == [Action("click", x=5.0, y=5.0)]


# ---- the request, from the history alone ----
SHOT = [f"data:image/png;base64,SHOT{n}" for n in range(10)]
CTX = Context("Open the settings", "en", (1920, 1080))


def step(reply: dict, image: str | None = None, **extra) -> XTurn:
    return XTurn("step", json.dumps(reply), image, extra)


def test_the_first_request_is_the_task_and_the_screenshot():
    req = GA.request(CTX, [], SHOT[0])
    assert req == {"tools": [{"type": "computer"}], "reasoning": {"summary": "concise"}, "input": [
        {"role": "user", "content": [{"type": "input_text", "text": "Open the settings"},
                                     {"type": "input_image", "image_url": SHOT[0], "detail": "original"}]}]}
    req = PREVIEW.request(Context("Open it", "en", (1365, 768)), [], SHOT[0])
    assert req["tools"] == [{"type": "computer_use_preview", "display_width": 1365, "display_height": 768,
                             "environment": environment()}]
    assert req["truncation"] == "auto" and req["input"][0]["content"][1]["detail"] == "high"
    assert "previous_response_id" not in req
    assert GA.messages(CTX, [], SHOT[0]) == [GA.request(CTX, [], SHOT[0])]


@pytest.mark.parametrize("steps", [1, 2, 5])
def test_each_request_chains_from_the_last_response_with_outputs_for_all_its_calls(steps):
    history = History.for_family(GA, 5)
    replies = []
    for n in range(steps):
        reply = body(reasoning(f"step {n}"), call(CLICK, call_id=f"call_{n}a"),
                     call({"type": "screenshot"}, call_id=f"call_{n}b"), response_id=f"resp_{n}")
        replies.append(reply)
        history.add_step(json.dumps(reply), SHOT[n])
    req = history.messages(GA, CTX, SHOT[steps])[0]
    assert req["previous_response_id"] == f"resp_{steps - 1}"
    assert req["input"] == [
        {"type": "computer_call_output", "call_id": f"call_{steps - 1}{c}",
         "output": {"type": "computer_screenshot", "image_url": SHOT[steps]}} for c in "ab"]
    assert all(t.image_url is None for t in history.visible())  # the server holds the earlier screenshots


def test_a_persons_notes_follow_the_outputs_in_the_order_given():
    turns = [step(body(call(CLICK, call_id="c1"), response_id="r1")), Turn("note", "Use the Wi-Fi tab."),
             Turn("note", "Note from the user: and hurry")]
    req = GA.request(CTX, turns, SHOT[2])
    assert req["previous_response_id"] == "r1"
    assert req["input"][1:] == [{"role": "user", "content": [{"type": "input_text", "text": "Use the Wi-Fi tab."}]},
                                {"role": "user", "content": [{"type": "input_text",
                                                              "text": "Note from the user: and hurry"}]}]
    # a note before the first step goes with the task
    req = GA.request(CTX, [Turn("note", "Be careful.")], SHOT[0])
    assert [p.get("text") for p in req["input"][0]["content"]] == ["Open the settings", "Be careful.", None]


def test_safety_checks_are_acknowledged_only_when_the_person_allowed_them():
    checks = [check("Check the domain.", "irrelevant_domain")]
    allowed = step(body(call(CLICK, checks=checks, call_id="c1"), response_id="r1"), confirmed=True)
    req = GA.request(CTX, [allowed], SHOT[1])
    assert req["input"] == [{"type": "computer_call_output", "call_id": "c1", "acknowledged_safety_checks": checks,
                             "output": {"type": "computer_screenshot", "image_url": SHOT[1]}}]


def test_a_declined_call_is_not_answered_the_request_branches_from_the_response_before_it():
    first = step(body(call(CLICK, call_id="c1"), response_id="r1"))
    declined = step(body(reasoning("Type it."), call({"type": "type", "text": "rm -rf"}, checks=[
        check("Suspicious instructions on the page.")], call_id="c2"), response_id="r2"))
    note = Turn("note", "The user did not allow that action. Try another way.")
    req = GA.request(CTX, [first, declined, note], SHOT[2])
    assert req["previous_response_id"] == "r1"
    assert req["input"] == [
        {"type": "computer_call_output", "call_id": "c1",
         "output": {"type": "computer_screenshot", "image_url": SHOT[2]}},
        {"role": "user", "content": [{"type": "input_text", "text":
            "Your last computer call was not run (type 'rm -rf'); its safety check said: "
            "Suspicious instructions on the page."}]},
        {"role": "user", "content": [{"type": "input_text", "text": note.text}]},
    ]
    assert "acknowledged_safety_checks" not in json.dumps(req)
    # declined twice in a row: still from r1, both said
    again = step(body(call(CLICK, checks=[check("Again.")], call_id="c3"), response_id="r3"))
    req = GA.request(CTX, [first, declined, note, again, note], SHOT[3])
    assert req["previous_response_id"] == "r1" and len(req["input"]) == 5


def test_a_declined_first_response_starts_over_with_what_was_not_run():
    declined = step(body(call({"type": "screenshot"}, checks=[check(None, "sensitive_domain")], call_id="c1"),
                         response_id="r1"))
    req = GA.request(CTX, [declined, Turn("note", "The user did not allow that action. No.")], SHOT[1])
    assert "previous_response_id" not in req
    assert [p.get("text") for p in req["input"][0]["content"]] == [
        "Open the settings", "Your last computer call was not run (a screenshot); its safety check said: "
        "sensitive_domain", "The user did not allow that action. No.", None]
    assert req["input"][0]["content"][-1]["image_url"] == SHOT[1]


# ---- the CLI ----
def run_parse(monkeypatch, capsys, reply: str, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(reply))
    rc = cli_main(["parse", "--model-family", "openai-cua", *args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_cli_parse_maps_pixels_of_the_image_sent_to_the_screen(monkeypatch, capsys):
    reply = text(reasoning("Drag it."), call({"type": "drag", "path": [{"x": 0, "y": 0}, {"x": 683, "y": 384},
                                                                      {"x": 1365, "y": 768}]},
                                             {"type": "click", "button": "left", "x": 683, "y": 384}))
    rc, out, _ = run_parse(monkeypatch, capsys, reply, "--screen", "1920x1080", "--image", "1365x768")
    assert rc == 0
    assert json.loads(out) == {"thought": "Drag it.", "actions": [
        {"type": "drag", "x": 0, "y": 0, "x2": 1919, "y2": 1079}, {"type": "click", "x": 961, "y": 540}]}
    # no --image: the image was the screen (even one above what the model keeps, even for the preview sizing)
    reply = text(call({"type": "move", "x": 5119, "y": 2879}, checks=[check("Sure?")]))
    rc, out, _ = run_parse(monkeypatch, capsys, reply, "--screen", "5120x2880")
    assert json.loads(out)["actions"] == [{"type": "move", "x": 5119, "y": 2879, "confirm": "Sure?"}]


@pytest.mark.parametrize(("reply", "reason"), [REJECTED[i] for i in (1, 7, 9, 14, 16, 26, 40)])
def test_cli_parse_rejects_with_exit_2_and_one_line(monkeypatch, capsys, reply, reason):
    rc, out, err = run_parse(monkeypatch, capsys, reply, "--screen", "800x600")
    assert (rc, out) == (2, "")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and reason in err
