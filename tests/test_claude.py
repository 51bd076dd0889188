"""The claude family without a display: the tool version each model takes, the screenshot size Anthropic recommends
and the exact mapping back, every rule and rejection of the contract's `parse` over whole Messages response bodies
(cut at every byte, any JSON), a person's actions written back as a response, the request's messages built from
histories of 1..N steps with the app's answers, and the `agent-app parse --model-family claude` command line."""

from __future__ import annotations

import io
import json
import math
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_app.cli import main as cli_main
from agent_app.core.actions import Action
from agent_app.core.errors import FormatError
from agent_app.core.families.base import Context
from agent_app.core.families.claude import (
    CLAUDE,
    DECLINED_PREFIX,
    LONG_EDGE,
    MAX_IMAGE_PIXELS,
    TOOL_20250124,
    TOOL_20251124,
    create_args,
    image_size,
    read_reply,
    request_messages,
    system_prompt,
    tool_param,
    tool_version,
)
from agent_app.core.families.registry import FAMILIES
from agent_app.core.geometry import CoordinateSpace, Monitor
from agent_app.core.history import History, Turn
from agent_app.testing.scripted_claude import message, request_problem, text, thinking, tool_use


def body(*blocks: dict, stop_reason: str | None = None) -> str:
    return json.dumps(message(list(blocks), stop_reason))


def acts(*blocks: dict) -> list[dict]:
    return [a.to_json() for a in CLAUDE.parse(body(*blocks)).actions]


def rejects(raw: str) -> str:
    with pytest.raises(FormatError) as info:
        CLAUDE.parse(raw)
    message_ = str(info.value)
    assert message_ and "\n" not in message_
    return message_


# ---- the family, its tool and its screenshot ----
def test_registered_as_an_api_family_in_image_pixels():
    f = FAMILIES["claude"]
    assert f is CLAUDE
    assert (f.coordinates, f.provider, f.span(1429, 804), f.sampling.max_tokens) == (
        "image", "anthropic", (1429.0, 804.0), 4096)
    assert f.sampling.top_p is None and f.sampling.frequency_penalty is None  # not Messages API parameters


NEW = ["claude-opus-4-5-20251101", "claude-opus-4-5", "claude-opus-4-6", "claude-opus-4-7", "claude-sonnet-4-6",
       "claude-sonnet-4.6", "claude-sonnet-5", "claude-haiku-5", "anthropic.claude-opus-4-5-20251101-v1:0",
       "claude-opus-4-5@20251101", "Claude-Opus-4-6", "claude-scripted", "my-proxy-model", ""]
OLD = ["claude-sonnet-4-5-20250929", "claude-sonnet-4-5", "claude-haiku-4-5-20251001", "claude-haiku-4-5",
       "claude-sonnet-4-20250514", "claude-opus-4-20250514", "claude-opus-4-1-20250805", "claude-opus-4-1",
       "claude-3-7-sonnet-20250219", "claude-3-7-sonnet-latest", "claude-3-5-sonnet-20241022", "claude-3-opus-20240229",
       "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4@20250514"]


@pytest.mark.parametrize("model", NEW)
def test_opus_4_5_sonnet_4_6_and_later_get_the_zoom_tool(model):
    assert tool_version(model) is TOOL_20251124
    assert tool_param(TOOL_20251124, 1429, 804) == {
        "type": "computer_20251124", "name": "computer", "display_width_px": 1429, "display_height_px": 804,
        "enable_zoom": True}


@pytest.mark.parametrize("model", OLD)
def test_earlier_models_get_the_20250124_tool(model):
    assert tool_version(model) is TOOL_20250124
    assert TOOL_20250124.beta == "computer-use-2025-01-24"
    assert tool_param(TOOL_20250124, 1280, 800) == {  # no enable_zoom: only 20251124 takes it
        "type": "computer_20250124", "name": "computer", "display_width_px": 1280, "display_height_px": 800}


@pytest.mark.parametrize("screen, sent", [
    ((1920, 1080), (1429, 804)), ((2560, 1440), (1429, 804)), ((3840, 2160), (1429, 804)),
    ((2560, 1600), (1356, 847)), ((1440, 900), (1356, 847)), ((1512, 982), (1330, 864)),
    ((1280, 800), (1280, 800)), ((1366, 768), (1366, 768)), ((1024, 768), (1024, 768)), ((800, 600), (800, 600)),
    ((5000, 100), (1568, 31)), ((100, 5000), (31, 1568)), ((1, 1), (1, 1)),
])
def test_the_screenshot_is_scaled_as_anthropic_recommends(screen, sent):
    assert image_size(*screen) == sent == CLAUDE.model_image_size(*screen)


@settings(max_examples=400, deadline=None)
@given(st.integers(1, 12000), st.integers(1, 12000), st.one_of(st.none(), st.integers(1, 4_000_000)))
def test_the_size_is_within_the_limits_keeps_the_aspect_and_is_stable(w, h, budget):
    sw, sh = image_size(w, h, budget)
    limit = min(MAX_IMAGE_PIXELS, budget) if budget else MAX_IMAGE_PIXELS
    assert 1 <= sw <= w and 1 <= sh <= h  # never scaled up
    assert max(sw, sh) <= LONG_EDGE or ((sw, sh) == (w, h) and max(w, h) <= LONG_EDGE)
    assert sw * sh <= max(limit, 1) or sw == 1 or sh == 1
    scale = min(1.0, LONG_EDGE / max(w, h), math.sqrt(limit / (w * h)))
    assert abs(sw - w * scale) < 1 + 1e-9 and abs(sh - h * scale) < 1 + 1e-9  # one scale for both sides
    if sw > 1 and sh > 1:
        assert image_size(sw, sh, budget) == (sw, sh)  # the API would not scale it again


@settings(max_examples=300, deadline=None)
@given(st.integers(100, 8000), st.integers(100, 8000), st.data())
def test_image_pixels_map_back_to_the_screen_exactly(w, h, data):
    sw, sh = image_size(w, h)
    space = CoordinateSpace(Monitor(0, 0, w, h), *CLAUDE.span(sw, sh))
    x, y = data.draw(st.integers(-50, sw + 50)), data.draw(st.integers(-50, sh + 50))
    mx, my = space.to_screen(x, y)
    assert mx == min(max(round(x * w / sw), 0), w - 1) and my == min(max(round(y * h / sh), 0), h - 1)


def test_the_system_prompt_names_the_os_and_the_confirmation_gate():
    assert "(Linux)" in system_prompt("linux") and "(macOS)" in system_prompt("darwin")
    assert "(Windows)" in system_prompt("win32")
    assert "no tool call" in system_prompt() and "allow" in system_prompt()


# ---- parse: every rule ----
def test_text_is_the_thought_and_thinking_is_not():
    parsed = CLAUDE.parse(body(thinking("secret plan"), text("I will click OK."), text("Then type."),
                               tool_use("left_click", coordinate=[100, 200])))
    assert parsed.thought == "I will click OK.\nThen type."
    assert [a.to_json() for a in parsed.actions] == [{"type": "click", "x": 100, "y": 200}]


def test_a_reply_without_a_tool_call_is_finished_with_its_text():
    parsed = CLAUDE.parse(body(thinking("done?"), text("The file is saved as 报告.txt.")))
    assert [a.to_json() for a in parsed.actions] == [{"type": "finished", "content": "The file is saved as 报告.txt."}]
    assert parsed.thought == "The file is saved as 报告.txt."
    assert acts() == [{"type": "finished", "content": ""}]  # an empty end_turn
    assert acts(text("  ok \n")) == [{"type": "finished", "content": "ok"}]
    stop = json.dumps({**message([text("Stopped here.")]), "stop_reason": "stop_sequence"})
    assert [a.to_json() for a in CLAUDE.parse(stop).actions] == [{"type": "finished", "content": "Stopped here."}]


@pytest.mark.parametrize("action, out", [
    ("left_click", "click"), ("right_click", "right_click"), ("double_click", "double_click"),
    ("triple_click", "triple_click"), ("middle_click", "middle_click"),
])
def test_clicks_at_a_point_at_the_pointer_and_with_held_keys(action, out):
    assert acts(tool_use(action, coordinate=[5, 7])) == [{"type": out, "x": 5, "y": 7}]
    assert acts(tool_use(action)) == [{"type": out}]
    assert acts(tool_use(action, coordinate=[5.5, 7], text="shift")) == [
        {"type": out, "x": 5.5, "y": 7, "keys": ["shift"]}]
    assert acts(tool_use(action, text="ctrl+shift")) == [{"type": out, "keys": ["ctrl", "shift"]}]
    assert acts(tool_use(action, coordinate=[1, 2], text="")) == [{"type": out, "x": 1, "y": 2}]


def test_move_drag_and_the_left_button():
    assert acts(tool_use("mouse_move", coordinate=[0, 0])) == [{"type": "move", "x": 0, "y": 0}]
    assert acts(tool_use("left_click_drag", start_coordinate=[1, 2], coordinate=[300, 400])) == [
        {"type": "drag", "x": 1, "y": 2, "x2": 300, "y2": 400}]
    assert acts(tool_use("left_click_drag", coordinate=[300, 400], text="alt")) == [  # from the pointer
        {"type": "drag", "x2": 300, "y2": 400, "keys": ["alt"]}]
    assert acts(tool_use("left_mouse_down"), tool_use("mouse_move", coordinate=[9, 9]), tool_use("left_mouse_up")) == [
        {"type": "mouse_down"}, {"type": "move", "x": 9, "y": 9}, {"type": "mouse_up"}]
    assert acts(tool_use("left_mouse_down", coordinate=[3, 4])) == [{"type": "mouse_down", "x": 3, "y": 4}]


@pytest.mark.parametrize("spec, chords", [
    ("Return", [["enter"]]), ("ctrl+s", [["ctrl", "s"]]), ("alt+Tab", [["alt", "tab"]]), ("KP_0", [["num0"]]),
    ("KP_9", [["num9"]]), ("super", [["win"]]), ("Super_L", [["win"]]), ("Meta_L", [["win"]]),
    ("Escape", [["esc"]]), ("BackSpace", [["backspace"]]), ("Page_Down", [["pagedown"]]), ("Next", [["pagedown"]]),
    ("Page_Up", [["pageup"]]), ("Prior", [["pageup"]]), ("Up", [["up"]]), ("Left", [["left"]]),
    ("ctrl+shift+t", [["ctrl", "shift", "t"]]), ("ctrl+a BackSpace", [["ctrl", "a"], ["backspace"]]),
    ("Down Down Return", [["down"], ["down"], ["enter"]]), ("F5", [["f5"]]), ("Delete", [["delete"]]),
    ("Home", [["home"]]), ("ctrl+plus", [["ctrl", "+"]]), ("ctrl++", [["ctrl", "+"]]), ("space", [["space"]]),
    ("KP_Enter", [["enter"]]), ("KP_Add", [["add"]]), ("Control_L+c", [["ctrl", "c"]]),
    ("Shift_L+Tab", [["shift", "tab"]]),
    ("XF86AudioMute", [["volumemute"]]), ("exclam", [["!"]]), ("Print", [["print"]]), ("Menu", [["apps"]]),
    ("A", [["a"]]), ("1", [["1"]]),
])
def test_key_is_one_hotkey_per_xdotool_chord(spec, chords):
    assert acts(tool_use("key", text=spec)) == [{"type": "hotkey", "keys": c} for c in chords]


@pytest.mark.parametrize("typed", ["hello", "北京 Ünïcödé ✓", "line one\nline two\n", 'quotes \' " and \\ back',
                                   "\ttab", ""])
def test_type_is_typed_exactly(typed):
    assert acts(tool_use("type", text=typed)) == [{"type": "type", "text": typed}]


def test_scroll_hold_wait_zoom():
    assert acts(tool_use("scroll", coordinate=[10, 20], scroll_direction="down", scroll_amount=3)) == [
        {"type": "scroll", "x": 10, "y": 20, "direction": "down", "amount": 3}]
    assert acts(tool_use("scroll", scroll_direction="left")) == [{"type": "scroll", "direction": "left"}]
    assert acts(tool_use("scroll", coordinate=[1, 1], scroll_direction="up", scroll_amount=0, text="ctrl")) == [
        {"type": "scroll", "x": 1, "y": 1, "direction": "up", "amount": 0, "keys": ["ctrl"]}]
    assert acts(tool_use("scroll", scroll_direction="right", scroll_amount=2.0)) == [
        {"type": "scroll", "direction": "right", "amount": 2}]
    assert acts(tool_use("hold_key", text="shift", duration=1.5)) == [
        {"type": "hotkey", "keys": ["shift"], "hold": 1.5}]
    assert acts(tool_use("hold_key", text="ctrl+alt", duration=0)) == [
        {"type": "hotkey", "keys": ["ctrl", "alt"], "hold": 0}]
    assert acts(tool_use("wait", duration=2)) == [{"type": "wait", "seconds": 2}]
    assert acts(tool_use("wait")) == [{"type": "wait"}]
    assert acts(tool_use("zoom", region=[10, 20, 110, 80])) == [{"type": "zoom", "x": 10, "y": 20, "x2": 110, "y2": 80}]


def test_screenshot_and_cursor_position_run_nothing_but_are_calls():
    parsed = CLAUDE.parse(body(text("Let me look."), tool_use("screenshot")))
    assert (parsed.thought, parsed.actions) == ("Let me look.", [])  # not a finished: the app answers the call
    assert acts(tool_use("cursor_position"), tool_use("left_click", coordinate=[1, 1])) == [
        {"type": "click", "x": 1, "y": 1}]
    reply = read_reply(body(tool_use("screenshot"), tool_use("cursor_position")))
    assert [(c.action, c.actions) for c in reply.calls] == [("screenshot", []), ("cursor_position", [])]


def test_several_calls_run_in_response_order():
    assert acts(text("Open the run dialog, type, confirm."), tool_use("key", text="alt+F2"),
                tool_use("type", text="mousepad\n"), tool_use("wait", duration=1),
                tool_use("triple_click", coordinate=[40, 50]), tool_use("key", text="ctrl+c")) == [
        {"type": "hotkey", "keys": ["alt", "f2"]}, {"type": "type", "text": "mousepad\n"},
        {"type": "wait", "seconds": 1}, {"type": "triple_click", "x": 40, "y": 50},
        {"type": "hotkey", "keys": ["ctrl", "c"]}]


def test_redacted_thinking_and_sdk_fields_are_read_past():
    raw = message([{"type": "redacted_thinking", "data": "EmwKAhgB"},
                   {"type": "text", "text": "Go.", "citations": None},
                   {**tool_use("left_click", coordinate=[2, 3]), "caller": {"type": "direct"}}])
    raw.update(container=None, stop_details=None, context_management=None)
    parsed = CLAUDE.parse(json.dumps(raw))
    assert parsed.thought == "Go." and [a.to_json() for a in parsed.actions] == [{"type": "click", "x": 2, "y": 3}]


# ---- parse: every rejection (the whole response) ----
@pytest.mark.parametrize("raw, says", [
    ("", "empty"), ("   ", "empty"), ("not json", "not JSON"), ('{"content": [', "not JSON"),
    ("[1, 2]", "not a Messages"),
    ('"text"', "not a Messages"), ("{}", "not a Messages"), ('{"type": "message", "content": "hi"}', "not a Messages"),
    ('{"type": "completion", "content": []}', "not a Messages"), ('{"role": "user", "content": []}', "not a Messages"),
    ('{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}',
     "overloaded_error: Overloaded"),
    ('{"error": {"type": "rate_limit_error", "message": "slow down"}}', "rate_limit_error"),
    ('{"content": [], "stop_reason": 5}', "stop_reason"), ('{"content": []}', "no stop_reason"),
    ('{"type": "message", "role": "assistant", "content": [], "stop_reason": null}', "no stop_reason"),
    ('{"content": [{"type": "text", "text": NaN}]}', "not JSON"),
    ("[" * 100000 + "]" * 100000, "not JSON"),
])
def test_bodies_that_are_not_a_whole_messages_response(raw, says):
    assert says in rejects(raw)


@pytest.mark.parametrize("stop, says", [("max_tokens", "max_tokens"), ("refusal", "refused"),
                                        ("model_context_window_exceeded", "context window"),
                                        ("pause_turn", "paused"), ("something_new", "something_new")])
def test_a_cut_refused_or_unfinished_reply_is_never_acted_on(stop, says):
    raw = body(text("Typing the password"), tool_use("type", text="hunter2"), stop_reason=stop)
    assert says in rejects(raw)
    assert says in rejects(body(text("Sorry."), stop_reason=stop))


@pytest.mark.parametrize("block, says", [
    (tool_use("left_click", name="bash", coordinate=[1, 1]), "another tool"),
    (tool_use("view", name="str_replace_based_edit_tool"), "another tool"),
    ({"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}, "another tool"),
    ({"type": "image", "source": {}}, "unknown content block"),
    ({"text": "no type"}, "unknown content block"), ("a string", "unknown content block"),
    ({"type": "text", "text": 5}, "text block"),
    ({"type": "tool_use", "name": "computer", "input": {"action": "screenshot"}}, "without an id"),
    ({"type": "tool_use", "id": "t", "name": "computer", "input": "left_click"}, "not an object"),
    (tool_use("fly"), "unknown computer action"), ({**tool_use("x"), "input": {}}, "without an action"),
    ({**tool_use("x"), "input": {"action": 3}}, "without an action"),
    (tool_use("mouse_move"), "without coordinate"), (tool_use("left_click_drag", start_coordinate=[1, 1]), "without"),
    (tool_use("left_click", coordinate=["10", 20]), "must be a number"),
    (tool_use("left_click", coordinate=[True, 20]), "must be a number"),
    (tool_use("left_click", coordinate=[10, None]), "must be a number"),
    (tool_use("left_click", coordinate=[10]), "[x, y]"), (tool_use("left_click", coordinate=[1, 2, 3]), "[x, y]"),
    (tool_use("left_click", coordinate="10,20"), "[x, y]"), (tool_use("left_click", coordinate={"x": 1}), "[x, y]"),
    (tool_use("mouse_move", coordinate=[10**400, 1]), "must be a number"),
    (tool_use("mouse_move", coordinate=[1e300, 1]), "must be a number"),
    (tool_use("left_click_drag", start_coordinate=[1], coordinate=[2, 2]), "[x, y]"),
    (tool_use("key"), "needs text"), (tool_use("key", text=""), "without keys"),
    (tool_use("key", text="  "), "without keys"),
    (tool_use("key", text="ctrl+Hyperdrive"), "unknown key"), (tool_use("key", text=["ctrl", "c"]), "needs text"),
    (tool_use("type"), "needs text"), (tool_use("type", text=None), "needs text"),
    (tool_use("type", text=5), "needs text"),
    (tool_use("left_click", text=5), "held keys"), (tool_use("left_click", text="shiftt"), "unknown key"),
    (tool_use("scroll", scroll_direction="sideways"), "scroll_direction"), (tool_use("scroll"), "scroll_direction"),
    (tool_use("scroll", scroll_direction="up", scroll_amount=-1), "at least 0"),
    (tool_use("scroll", scroll_direction="up", scroll_amount="3"), "must be a number"),
    (tool_use("hold_key", text="shift"), "without duration"), (tool_use("hold_key", duration=1), "needs text"),
    (tool_use("hold_key", text="shift", duration=-1), "at least 0"),
    (tool_use("hold_key", text="shift", duration=1e5), "too long"), (tool_use("wait", duration=101), "too long"),
    (tool_use("wait", duration="5"), "must be a number"),
    (tool_use("zoom"), "region"), (tool_use("zoom", region=[1, 2, 3]), "region"),
    (tool_use("zoom", region=[1, 2, 3, "4"]), "must be a number"),
])
def test_one_bad_call_rejects_the_whole_response(block, says):
    assert says in rejects(body(text("First this."), tool_use("left_click", coordinate=[1, 1]), block))


def test_too_many_actions_are_rejected():
    assert "more than 100" in rejects(body(*[tool_use("key", text="a b c d e")] * 21))
    assert len(CLAUDE.parse(body(*[tool_use("key", text="a b c d e")] * 20)).actions) == 100


def test_a_response_cut_at_any_byte_is_rejected():
    raw = body(thinking("plan"), text("Clicking Save, then typing 北京."), tool_use("left_click", coordinate=[10, 20]),
               tool_use("type", text="北京\n"))
    assert len(CLAUDE.parse(raw).actions) == 2
    for i in range(len(raw)):
        with pytest.raises(FormatError):
            CLAUDE.parse(raw[:i])


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                     lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
                     max_leaves=20)
_FIELDS = st.fixed_dictionaries({}, optional={
    "action": st.sampled_from(["left_click", "key", "type", "scroll", "zoom", "left_click_drag", "hold_key", "wait",
                               "mouse_move", "screenshot", "cursor_position", "left_mouse_down", "nope"]) | _JSON,
    "coordinate": st.lists(st.integers(-5, 5000) | st.floats(allow_nan=False) | _JSON, max_size=3) | _JSON,
    "start_coordinate": st.lists(st.integers(-5, 5000), max_size=3) | _JSON,
    "text": st.text(max_size=12) | st.sampled_from(["ctrl+c", "Return", "shift", "a b"]) | _JSON,
    "scroll_direction": st.sampled_from(["up", "down", "left", "right", "in"]) | _JSON,
    "scroll_amount": st.integers(-2, 20) | _JSON, "duration": st.floats(allow_nan=False) | _JSON,
    "region": st.lists(st.integers(0, 2000), max_size=5) | _JSON,
})
_BLOCK = st.one_of(
    st.builds(lambda f: {"type": "tool_use", "id": "toolu_x", "name": "computer", "input": f}, _FIELDS),
    st.builds(lambda t: {"type": "text", "text": t}, st.text(max_size=20)),
    st.builds(lambda t: {"type": "thinking", "thinking": t, "signature": "s"}, st.text(max_size=10)),
    _JSON,
)


@settings(max_examples=600, deadline=None)
@given(st.lists(_BLOCK, max_size=6), st.sampled_from(["tool_use", "end_turn", "max_tokens", None, "refusal"]))
def test_any_response_gives_actions_or_a_one_line_format_error(blocks, stop):
    raw = json.dumps({"type": "message", "role": "assistant", "content": blocks, "stop_reason": stop})
    try:
        parsed = CLAUDE.parse(raw)
    except FormatError as e:
        assert str(e) and "\n" not in str(e)
        return
    assert stop in ("tool_use", "end_turn")
    assert all(isinstance(a, Action) for a in parsed.actions)
    for a in parsed.actions:
        for v in (a.x, a.y, a.x2, a.y2):
            assert v is None or (isinstance(v, float) and math.isfinite(v))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200) | _JSON.map(json.dumps))
def test_any_text_gives_actions_or_a_format_error(raw):
    try:
        CLAUDE.parse(raw)
    except FormatError as e:
        assert "\n" not in str(e)


# ---- a person's actions, written back ----
ROUND_TRIP = [
    Action("click", 10, 20), Action("click"), Action("click", 1, 2, keys=("shift",)), Action("right_click", 3, 4),
    Action("double_click", 5, 6), Action("triple_click", 7, 8), Action("middle_click"), Action("move", 9, 9),
    Action("move", 9, 9, keys=("ctrl",)), Action("drag", 1, 2, 30, 40), Action("drag", x2=30, y2=40),
    Action("mouse_down"), Action("mouse_up", 4, 4), Action("hotkey", keys=("ctrl", "c")),
    Action("hotkey", keys=("enter",)),
    Action("hotkey", keys=("ctrl", "+")), Action("hotkey", keys=("win",)), Action("hotkey", keys=("num0",)),
    Action("hotkey", keys=("alt", "tab")), Action("hotkey", keys=("space",)),
    Action("hotkey", keys=("shift",), hold=2.0),
    Action("type", text="北京\nline 'two'"), Action("scroll", 5, 5, direction="down", amount=3),
    Action("scroll", direction="up"), Action("scroll", 1, 1, direction="left", keys=("shift",)),
    Action("wait", seconds=2.0), Action("wait"), Action("zoom", 1, 2, 300, 400),
]


@pytest.mark.parametrize("action", ROUND_TRIP, ids=lambda a: a.describe())
def test_format_reply_round_trips_every_action_claude_can_say(action):
    raw = CLAUDE.format_reply([action], "The user did this.")
    parsed = CLAUDE.parse(raw)
    assert parsed.actions == [action] and parsed.thought == "The user did this."
    assert CLAUDE.history_text(raw) == raw


def test_format_reply_writes_a_batch_in_order_and_a_final_answer_without_a_call():
    parsed = CLAUDE.parse(CLAUDE.format_reply(ROUND_TRIP, ""))
    assert parsed.actions == ROUND_TRIP
    done = CLAUDE.parse(CLAUDE.format_reply([Action("finished", content="All done.")], "thinking"))
    assert done.actions == [Action("finished", content="All done.")]


# ---- the request, from the history ----
def url(n: int) -> str:
    return f"data:image/png;base64,SU1H{n:04d}"  # distinct, recognisable screenshots


def img(n: int) -> dict:
    return {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": f"SU1H{n:04d}"}}


CONTEXT = Context("Open the editor and type 北京", "en", (1429, 804))


def request(history: History, current: int, **kw) -> list[dict]:
    return request_messages(CONTEXT, history.visible(), url(current), **kw)


def check_valid(messages: list[dict]) -> None:
    """What the real API would refuse (the scripted server's check)."""
    assert request_problem({"max_tokens": 10, "messages": messages, "tools": []}, {}) is None


def test_the_first_request_is_the_task_and_the_screenshot():
    messages = request(History(3), 1)
    assert messages == [{"role": "user", "content": [{"type": "text", "text": CONTEXT.task}, img(1)]}]
    check_valid(messages)


def test_each_call_is_answered_and_the_last_result_carries_the_next_screenshot():
    history = History(5)
    step1 = message([thinking("hmm", "sig-1"), {"type": "text", "text": "Opening.", "citations": None},
                     tool_use("key", text="alt+F2"), tool_use("type", text="mousepad\n")])
    history.add_step(json.dumps(step1), url(1))
    messages = request(history, 2)
    ids = [b["id"] for b in step1["content"][2:]]
    assert messages == [
        {"role": "user", "content": [{"type": "text", "text": CONTEXT.task}, img(1)]},
        {"role": "assistant", "content": [{"type": "thinking", "thinking": "hmm", "signature": "sig-1"},
                                          {"type": "text", "text": "Opening."}, *step1["content"][2:]]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": ids[0]},
                                     {"type": "tool_result", "tool_use_id": ids[1], "content": [img(2)]}]},
    ]
    check_valid(messages)


@pytest.mark.parametrize("images", [1, 2, 3, 5])
@pytest.mark.parametrize("steps", [1, 2, 4, 7])
def test_histories_of_n_steps_send_the_newest_screenshots_and_answer_every_call(steps, images):
    history = History(images)
    replies = []
    for n in range(1, steps + 1):
        reply = message([text(f"Step {n}."), tool_use("left_click", coordinate=[n, n]), tool_use("screenshot")])
        replies.append(reply)
        history.add_step(json.dumps(reply), url(n))
    messages = request(history, steps + 1)
    check_valid(messages)
    assert len(messages) == 2 * steps + 1
    sent = [b["source"]["data"] for m in messages for b in _images(m["content"])]
    assert sent == [f"SU1H{n:04d}" for n in range(max(1, steps + 2 - images), steps + 2)]
    for n, reply in enumerate(replies):
        assert messages[2 * n + 1]["content"][1:] == reply["content"][1:]  # the calls as the model made them
        results = messages[2 * n + 2]["content"]
        assert [r["tool_use_id"] for r in results] == [b["id"] for b in reply["content"][1:]]


def _images(blocks: list) -> list[dict]:
    found = []
    for b in blocks:
        if b.get("type") == "image":
            found.append(b)
        elif b.get("type") == "tool_result":
            found += _images(b.get("content", []))
    return found


def test_the_apps_answers_cursor_position_zoom_and_unsupported_travel_in_the_results():
    reply = message([tool_use("cursor_position"), tool_use("zoom", region=[0, 0, 100, 50]), tool_use("screenshot")])
    extra = {"pointer": [960, 540], "zoom": {"0": url(90)}}  # keys as read back from JSON
    turn = Turn("step", json.dumps(reply), url(1), extra)
    messages = request_messages(CONTEXT, [turn], url(2), to_image=lambda x, y: (round(x * 1429 / 1920),
                                                                                 round(y * 804 / 1080)))
    check_valid(messages)
    ids = [b["id"] for b in reply["content"]]
    assert messages[2]["content"] == [
        {"type": "tool_result", "tool_use_id": ids[0], "content": [{"type": "text", "text": "X=714,Y=402"}]},
        {"type": "tool_result", "tool_use_id": ids[1], "content": [img(90)]},
        {"type": "tool_result", "tool_use_id": ids[2], "content": [img(2)]}]
    turn = Turn("step", json.dumps(reply), url(1), {"unsupported": {0: "zoom is not available here"}})
    messages = request_messages(CONTEXT, [turn], url(2))
    assert messages[2]["content"][1] == {"type": "tool_result", "tool_use_id": ids[1], "is_error": True,
                                         "content": [{"type": "text", "text": "zoom is not available here"}]}


def test_a_persons_note_follows_the_results_and_the_screenshot_follows_the_note():
    history = History(5)
    history.add_note("Note from the user: use the second window")
    reply = message([tool_use("left_click", coordinate=[3, 3])])
    history.add_step(json.dumps(reply), url(1))
    history.add_note("The user took over control and then handed it back to you. Please continue the task.")
    messages = request(history, 2)
    check_valid(messages)
    assert messages[0]["content"] == [{"type": "text", "text": CONTEXT.task},
                                      {"type": "text", "text": "Note from the user: use the second window"}, img(1)]
    assert messages[2]["content"] == [
        {"type": "tool_result", "tool_use_id": reply["content"][0]["id"]},
        {"type": "text",
         "text": "The user took over control and then handed it back to you. Please continue the task."},
        img(2)]


def test_a_declined_step_answers_every_call_as_an_error_with_the_persons_words():
    history = History(5)
    reply = message([text("Deleting."), tool_use("key", text="shift+Delete"), tool_use("key", text="Return")])
    history.add_step(json.dumps(reply), url(1))
    declined = f"{DECLINED_PREFIX} Keep the file."
    history.add_note(declined)
    messages = request(history, 2)
    check_valid(messages)
    error = {"type": "text", "text": declined}
    assert messages[2]["content"] == [
        {"type": "tool_result", "tool_use_id": reply["content"][1]["id"], "content": [error], "is_error": True},
        {"type": "tool_result", "tool_use_id": reply["content"][2]["id"], "content": [error], "is_error": True},
        img(2)]
    assert sum(json.dumps(m).count(DECLINED_PREFIX) for m in messages) == 2  # once per call, not again as a note


def test_a_step_declined_without_a_note_still_answers_every_call_as_an_error():
    reply = message([tool_use("key", text="Return")])
    messages = request_messages(CONTEXT, [Turn("step", json.dumps(reply), url(1), {"declined": True})], url(2))
    check_valid(messages)
    assert messages[2]["content"][0]["is_error"] and messages[2]["content"][0]["content"][0]["text"] == DECLINED_PREFIX


@pytest.mark.parametrize("monitor, pointer, said", [
    (Monitor(0, 0, 1920, 1080), [960, 540], "X=714,Y=402"), (Monitor(0, 0, 1920, 1080), [1919, 1079], "X=1428,Y=803"),
    (Monitor(1920, 0, 1920, 1080), [1920, 0], "X=0,Y=0"), (Monitor(-1280, 200, 1920, 1080), [-321, 740], "X=714,Y=402"),
    (None, [960, 540], "X=960,Y=540")])
def test_the_pointer_is_answered_in_image_pixels_of_the_monitor_shown(monitor, pointer, said):
    reply = message([tool_use("cursor_position")])
    context = Context(CONTEXT.task, "en", (1429, 804), monitor)
    piece = CLAUDE.messages(context, [Turn("step", json.dumps(reply), url(1), {"pointer": pointer})], url(2))[0]
    assert piece["display"] == [1429, 804] and "computer" in piece["system"]
    assert piece["messages"][2]["content"][0]["content"][0] == {"type": "text", "text": said}


@pytest.mark.parametrize("model", NEW + OLD)
def test_the_request_takes_the_tool_and_beta_of_its_model_and_no_temperature(model):
    piece = CLAUDE.messages(CONTEXT, [], url(1))[0]
    args = create_args(model, piece, 4096)
    version = TOOL_20251124 if model in NEW else TOOL_20250124
    assert args == {"model": model, "max_tokens": 4096, "system": piece["system"], "betas": [version.beta],
                    "tools": [tool_param(version, 1429, 804)], "messages": piece["messages"]}
    assert ("enable_zoom" in args["tools"][0]) == (model in NEW)


def test_an_unanswered_call_is_what_the_scripted_server_refuses():
    reply = message([tool_use("left_click", coordinate=[1, 1])])
    bad = [{"role": "user", "content": [text("t")]}, {"role": "assistant", "content": reply["content"]},
           {"role": "user", "content": [text("next")]}]
    assert "tool_result" in request_problem({"max_tokens": 1, "messages": bad}, {})


# ---- the command line ----
def run_parse(monkeypatch, capsys, raw: str, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(raw))
    rc = cli_main(["parse", "--model-family", "claude", *args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_cli_parse_maps_pixels_of_the_image_sent_to_the_screen(monkeypatch, capsys):
    raw = body(text("Drag it."), tool_use("left_click_drag", start_coordinate=[0, 0], coordinate=[1428, 803]),
               tool_use("left_click", coordinate=[714, 402], text="ctrl"), tool_use("zoom", region=[100, 50, 200, 100]),
               tool_use("scroll", coordinate=[5000, -20], scroll_direction="down", scroll_amount=5))
    rc, out, err = run_parse(monkeypatch, capsys, raw, "--screen", "1920x1080", "--image", "1429x804")
    assert (rc, err) == (0, "")
    assert json.loads(out) == {"thought": "Drag it.", "actions": [
        {"type": "drag", "x": 0, "y": 0, "x2": 1919, "y2": 1079},
        {"type": "click", "x": 959, "y": 540, "keys": ["ctrl"]},  # 714 * 1920 / 1429 = 959.3
        {"type": "zoom", "x": 134, "y": 67, "x2": 269, "y2": 134},
        {"type": "scroll", "x": 1919, "y": 0, "direction": "down", "amount": 5}]}  # clamped to the screen
    # --image is the image sent, as it is: a 1920x1080 image is not resized again, whatever the API would do
    rc, out, _ = run_parse(monkeypatch, capsys, body(tool_use("left_click", coordinate=[1500, 900])),
                           "--screen", "1920x1080")
    assert json.loads(out)["actions"] == [{"type": "click", "x": 1500, "y": 900}]
    rc, out, _ = run_parse(monkeypatch, capsys, body(tool_use("left_click", coordinate=[640, 400])),
                           "--screen", "2560x1600", "--image", "1280x800")
    assert json.loads(out)["actions"] == [{"type": "click", "x": 1280, "y": 800}]


@pytest.mark.parametrize("raw", [
    "I'm not sure.", body(tool_use("type", text="x"), stop_reason="max_tokens"),
    body(text("no"), stop_reason="refusal"),
    '{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}',
    body(tool_use("mouse_move")), body(tool_use("fly")), body(tool_use("ls", name="bash")), body(text("x"))[:-5],
])
def test_cli_parse_rejects_with_exit_2_and_one_line(monkeypatch, capsys, raw):
    rc, out, err = run_parse(monkeypatch, capsys, raw, "--screen", "800x600")
    assert (rc, out) == (2, "")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and "cannot parse" in err


@pytest.mark.parametrize("saved_family, flags, endpoint, model", [
    ("uitars-1.5", [], "", ""),  # a local server's settings: claude's own endpoint and default model instead
    ("claude", [], "http://proxy.example:8080", "claude-opus-4-5"),  # saved for claude: kept
    ("uitars-1.5", ["--base-url", "http://127.0.0.1:7/", "--model", "claude-haiku-4-5"], "http://127.0.0.1:7/",
     "claude-haiku-4-5"),  # said on the command line: kept
])
def test_a_claude_run_does_not_take_another_familys_saved_endpoint(monkeypatch, tmp_path, saved_family, flags,
                                                                    endpoint, model):
    from agent_app.cli import build_parser, run_config
    from agent_app.core.settings.config import Settings

    monkeypatch.setenv("AGENT_APP_CONFIG_DIR", str(tmp_path))
    for name in ("AGENT_APP_BASE_URL", "AGENT_APP_MODEL", "AGENT_APP_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    saved = ("http://localhost:8000/v1", "ByteDance-Seed/UI-TARS-1.5-7B") if saved_family != "claude" else \
        ("http://proxy.example:8080", "claude-opus-4-5")
    Settings(base_url=saved[0], model=saved[1], model_family=saved_family).save()
    config = run_config(build_parser().parse_args(["run", "look", "--model-family", "claude", *flags]))
    assert (config.base_url, config.model, config.model_family) == (endpoint, model, "claude")
    plain = run_config(build_parser().parse_args(["run", "look"]))
    assert (plain.base_url, plain.model) == saved  # the saved profile itself is untouched
