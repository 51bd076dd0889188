"""Qwen2.5-VL, Qwen3-VL and GUI-Owl-1.5 (the `computer_use` tool families): their system texts quoted from the
official sources, their request layout, every mapping and rejection rule of the CLI contract, replies cut at every
character, any text, and a person's actions written back in the tool's words."""

from __future__ import annotations

import io
import json
import math
import sys
from pathlib import Path

import pytest
from conftest import read_trajectory
from doubles import RecordingExecutor, StaticScreen
from hypothesis import given, settings
from hypothesis import strategies as st
from test_cut_replies import cut_results

from agent_app.cli import main as cli_main
from agent_app.core.actions import ACTION_TYPES, DIRECTIONS, Action
from agent_app.core.control import RunControl
from agent_app.core.errors import FormatError
from agent_app.core.families.base import Context, ParsedReply, previous_actions
from agent_app.core.families.qwen import (
    INSTRUCTION,
    SCROLL_CLICKS,
    low_level_action,
    tool_call_text,
    with_tool_calls,
)
from agent_app.core.families.registry import FAMILIES
from agent_app.core.geometry import CoordinateSpace, Monitor
from agent_app.core.history import History, Turn
from agent_app.core.loop import Agent
from agent_app.core.settings.config import RunConfig

QWEN = ("qwen2.5-vl", "qwen3-vl", "gui-owl-1.5")
PROMPTS = Path(__file__).parent / "data" / "qwen_prompts"  # rendered from the upstream sources, see the docstring


def call(**arguments) -> str:
    return tool_call_text("computer_use", arguments)


def parse(family: str, reply: str) -> ParsedReply:
    return FAMILIES[family].parse(reply)


def acts(family: str, reply: str) -> list[dict]:
    return [a.to_json() for a in parse(family, reply).actions]


# ---- the families ----
def test_registered_with_their_sizing_coordinates_images_and_sampling():
    q25, q3, owl = (FAMILIES[n] for n in QWEN)
    assert [(f.label, f.coordinates, f.factor, f.min_pixels, f.max_pixels, f.max_images) for f in (q25, q3, owl)] == [
        ("Qwen2.5-VL", "image", 28, 3136, 12845056, 5),
        ("Qwen3-VL", "thousandths", 32, 3136, 12845056, 5),
        ("GUI-Owl-1.5", "thousandths", 16, 3136, 10035200, 5),
    ]
    assert q25.model_image_size(1920, 1080) == (1932, 1092)  # what the model is sent and answers in
    assert q3.model_image_size(1920, 1080) == (1920, 1088) == owl.model_image_size(1920, 1080)
    assert q25.model_image_size(3840, 2160) == (3836, 2156) and owl.model_image_size(7680, 4320) == (4208, 2368)
    assert q25.span(1932, 1092) == (1932.0, 1092.0) and q3.span(1920, 1088) == owl.span(1, 1) == (1000.0, 1000.0)
    for f in (q25, q3, owl):
        s = f.sampling
        assert (s.temperature, s.top_p, s.frequency_penalty) == (0.0, 0.9, None)
    assert (q25.sampling.max_tokens, q3.sampling.max_tokens, owl.sampling.max_tokens) == (1000, 4096, 4096)
    assert History.for_family(q3, 8).images == 5 and History.for_family(q25, 3).images == 3


# ---- the system text, as the official sources render it ----
# tests/data/qwen_prompts holds the system texts rendered straight from the sources (not from our module):
# qwen2.5-vl — QwenLM/Qwen3-VL cookbooks/utils/agent_function_call.py at d08310c, ComputerUse for a 1932x1092
# image, rendered by qwen-agent's NousFnCallPrompt of January 2025 (function with name_for_human and args_format)
# after "You are a helpful assistant." (the cookbook's system message); qwen3-vl — the same file at HEAD for
# 1000x1000, rendered as NousFnCallPrompt renders it today, then OSWorld qwen3vl_agent's "# Response format";
# gui-owl-1.5 — SYSTEM_PROMPT of X-PLUG/MobileAgent Mobile-Agent-v3.5/computer_use/utils.py, character for character.
@pytest.mark.parametrize(("family", "image", "golden"), [
    ("qwen2.5-vl", (1932, 1092), "qwen2.5-vl-1932x1092.txt"),
    ("qwen3-vl", (1920, 1088), "qwen3-vl.txt"),
    ("gui-owl-1.5", (1920, 1088), "gui-owl-1.5.txt"),
])
def test_the_system_text_is_the_official_one(family, image, golden):
    f = FAMILIES[family]
    msgs = f.messages(Context("t", image_size=image), [], "data:now")
    assert msgs[0] == {"role": "system", "content": [{"type": "text", "text": (PROMPTS / golden).read_text("utf-8")}]}


def test_the_declared_resolution_is_the_image_for_qwen25_and_1000x1000_for_the_others():
    def tool(family: str, size: tuple[int, int]) -> dict:
        text = FAMILIES[family].messages(Context("t", image_size=size), [], "d")[0]["content"][0]["text"]
        return json.loads(text.split("<tools>\n", 1)[1].split("\n</tools>", 1)[0])["function"]

    assert "The screen's resolution is 1372x756." in tool("qwen2.5-vl", (1372, 756))["description"]
    for family in ("qwen3-vl", "gui-owl-1.5"):
        assert "The screen's resolution is 1000x1000." in tool(family, (1372, 756))["description"]
    enums = {f: tool(f, (28, 28))["parameters"]["properties"]["action"]["enum"] for f in QWEN}
    assert "triple_click" not in enums["qwen2.5-vl"] and "answer" in enums["qwen3-vl"]
    assert enums["gui-owl-1.5"][-1] == "interact" and "interact" not in enums["qwen3-vl"]


# ---- the request layout ----
def reply(k: int, action_line: bool = True) -> str:
    line = f"Action: Click item {k}.\n" if action_line else ""
    return line + call(action="left_click", coordinate=[10 * k, 5 * k])


@pytest.mark.parametrize("family", QWEN)
def test_first_request_is_the_instruction_with_no_previous_actions_then_the_screenshot(family):
    msgs = FAMILIES[family].messages(Context("  Open the editor ", "zh", (1932, 1092)), [], "data:now")
    assert [m["role"] for m in msgs] == ["system", "user"]
    assert msgs[1]["content"] == [
        {"type": "text", "text": "Please generate the next move according to the UI screenshot, instruction and "
                                 "previous actions.\n\nInstruction: Open the editor\n\nPrevious actions:\nNone"},
        {"type": "image_url", "image_url": {"url": "data:now"}},
    ]


@pytest.mark.parametrize("family", QWEN)
@pytest.mark.parametrize("images", [1, 2, 3, 5, 8])
@pytest.mark.parametrize("steps", range(0, 9))
def test_the_last_screenshots_travel_with_replies_between_older_steps_are_their_action_line(family, images, steps):
    f = FAMILIES[family]
    history = History.for_family(f, images)
    for k in range(1, steps + 1):
        history.add_step(reply(k, action_line=k % 3 != 0), f"data:{k}")
    msgs = history.messages(f, Context("task", image_size=(1932, 1092)), "data:now")
    n = min(images, 5)  # the family's cap
    shown = list(range(max(1, steps - n + 2), steps + 1))  # steps whose screenshot still travels
    older = [k for k in range(1, steps + 1) if k not in shown]
    expected_previous = "\n".join(
        f"Step {k}: Click item {k}." if k % 3 else  # no Action: line: the call stands in
        "Step {}: {}".format(k, call(action="left_click", coordinate=[10 * k, 5 * k]).split("\n")[1])
        for k in older) or "None"
    intro = {"type": "text", "text": INSTRUCTION.format(instruction="task", previous=expected_previous)}
    expected = [msgs[0]]
    for i, k in enumerate(shown):
        expected.append({"role": "user", "content": [*([intro] if i == 0 else []),
                                                     {"type": "image_url", "image_url": {"url": f"data:{k}"}}]})
        expected.append({"role": "assistant", "content": [{"type": "text", "text": reply(k, k % 3 != 0)}]})
    expected.append({"role": "user", "content": [*([] if shown else [intro]),
                                                 {"type": "image_url", "image_url": {"url": "data:now"}}]})
    assert msgs == expected
    assert sum(p["type"] == "image_url" for m in msgs for p in m["content"]) == min(steps + 1, n)


def test_a_persons_note_is_in_previous_actions_or_a_user_turn_where_it_came():
    f = FAMILIES["qwen3-vl"]
    history = History.for_family(f, 2)
    history.add_step(reply(1), "data:1")
    history.add_note("Note from the user: the password is\n on the sticky note")
    history.add_step(reply(2), "data:2")
    history.add_step(reply(3), "data:3")
    history.add_note("The user did not allow that action. Try another way.")
    msgs = history.messages(f, Context("task"), "data:now")
    assert [m["role"] for m in msgs] == ["system", "user", "assistant", "user", "user"]
    assert msgs[1]["content"][0]["text"].endswith(
        "Previous actions:\nStep 1: Click item 1.\nNote from the user: the password is on the sticky note\n"
        "Step 2: Click item 2.")
    assert msgs[1]["content"][1]["image_url"]["url"] == "data:3"
    assert msgs[3]["content"] == [{"type": "text", "text": "The user did not allow that action. Try another way."}]
    assert msgs[4]["content"] == [{"type": "image_url", "image_url": {"url": "data:now"}}]


def test_low_level_action_and_previous_actions():
    assert previous_actions([], low_level_action) == "None"
    assert low_level_action("<thinking>\nfind it\n</thinking>Action: Open the menu.\n" + call(action="wait")) == \
        "Open the menu."
    assert low_level_action(call(action="key", keys=["ctrl", "s"])) == \
        '{"name": "computer_use", "arguments": {"action": "key", "keys": ["ctrl", "s"]}}'
    assert low_level_action("<tool_call>\n{cut") == "{cut"  # a damaged reply: its first line
    assert low_level_action("") == "(no action)"
    assert previous_actions([Turn("step", "Action: A\n" + call(action="wait")), Turn("note", "a\nb")],
                            low_level_action) == \
        "Step 1: A\na b"


# ---- replies ----
REALISTIC = [
    # Qwen2.5-VL: the bare call, absolute pixels
    ("qwen2.5-vl", '<tool_call>\n{"name": "computer_use", "arguments": {"action": "left_click", "coordinate": '
     '[1500, 90]}}\n</tool_call>', "", [{"type": "click", "x": 1491, "y": 89}]),
    # Qwen3-VL thinking: the template opened <think>, only the closing tag is in the reply
    ("qwen3-vl", "The search box is at the top centre.\n</think>\n\nAction: Click the search box.\n"
     + call(action="left_click", coordinate=[500, 60]) + "<|im_end|>",
     "The search box is at the top centre.\nAction: Click the search box.", [{"type": "click", "x": 960, "y": 65}]),
    # GUI-Owl's runner prepends the reasoning in <thinking>; several calls in one reply; Chinese text
    ("gui-owl-1.5", "<thinking>\n需要先点击搜索框，然后输入。\n</thinking>Action: 点击搜索框并输入“天气”。\n"
     + call(action="left_click", coordinate=[500, 300]) + "\n" + call(action="type", text="北京 天气\n"),
     "需要先点击搜索框，然后输入。\nAction: 点击搜索框并输入“天气”。",
     [{"type": "click", "x": 960, "y": 324}, {"type": "type", "text": "北京 天气\n"}]),
    # escaped quotes, backslashes and newlines in typed text
    ("qwen3-vl", call(action="type", text='He said "hi" \\ it\'s\nline 2\t(tab)'), "",
     [{"type": "type", "text": 'He said "hi" \\ it\'s\nline 2\t(tab)'}]),
    # a fenced reply, and a fenced JSON inside a call
    ("qwen3-vl", "```\nAction: Copy.\n<tool_call>\n```json\n{\"name\": \"computer_use\", \"arguments\": "
     "{\"action\": \"key\", \"keys\": [\"ctrl\", \"c\"]}}\n```\n</tool_call>\n```", "Action: Copy.",
     [{"type": "hotkey", "keys": ["ctrl", "c"]}]),
    # key chords: elements with "+" split, names normalised; a single string is one chord
    ("gui-owl-1.5", call(action="key", keys=["Ctrl+Shift+T"]) + call(action="key", keys=["Return"])
     + call(action="key", keys="alt+f4") + call(action="key", keys=["ctrl", "+"]), "",
     [{"type": "hotkey", "keys": ["ctrl", "shift", "t"]}, {"type": "hotkey", "keys": ["enter"]},
      {"type": "hotkey", "keys": ["alt", "f4"]}, {"type": "hotkey", "keys": ["ctrl", "+"]}]),
    # "computer" as the tool name; arguments written as a JSON string
    ("qwen2.5-vl", '<tool_call>\n{"name": "computer", "arguments": "{\\"action\\": \\"wait\\", \\"time\\": 2}"}\n'
     "</tool_call>", "", [{"type": "wait"}]),
]


@pytest.mark.parametrize(("family", "text", "thought", "expected"), REALISTIC)
def test_realistic_replies(family, text, thought, expected):
    f = FAMILIES[family]
    parsed = f.parse(text)
    size = f.model_image_size(1920, 1080)
    space = CoordinateSpace(Monitor(0, 0, 1920, 1080), *f.span(*size))
    assert parsed.thought == thought
    assert [a.mapped(space.to_screen).to_json() for a in parsed.actions] == expected


CONTRACT = [  # (arguments, actions in model units) for every family
    ({"action": "left_click", "coordinate": [10, 20]}, [{"type": "click", "x": 10, "y": 20}]),
    ({"action": "right_click", "coordinate": [10, 20]}, [{"type": "right_click", "x": 10, "y": 20}]),
    ({"action": "middle_click", "coordinate": [10, 20]}, [{"type": "middle_click", "x": 10, "y": 20}]),
    ({"action": "double_click", "coordinate": [10.5, 20]}, [{"type": "double_click", "x": 10.5, "y": 20}]),
    ({"action": "triple_click", "coordinate": [10, 20]}, [{"type": "triple_click", "x": 10, "y": 20}]),
    ({"action": "left_click"}, [{"type": "click"}]),  # at the pointer
    ({"action": "double_click", "coordinate": None}, [{"type": "double_click"}]),
    ({"action": "left_click", "coordinate": [10, 20, 30, 40]}, [{"type": "click", "x": 20, "y": 30}]),  # a box
    ({"action": "mouse_move", "coordinate": [-5, 2000]}, [{"type": "move", "x": -5, "y": 2000}]),  # clamped later
    ({"action": "left_click_drag", "coordinate": [300, 400]}, [{"type": "drag", "x2": 300, "y2": 400}]),
    ({"action": "key", "keys": ["ctrl", "c"]}, [{"type": "hotkey", "keys": ["ctrl", "c"]}]),
    ({"action": "key", "keys": ["cmd", "space"]}, [{"type": "hotkey", "keys": [
        "command" if sys.platform == "darwin" else "win", "space"]}]),
    ({"action": "type", "text": ""}, [{"type": "type", "text": ""}]),
    ({"action": "scroll", "pixels": 5}, [{"type": "scroll", "direction": "up", "amount": 5}]),
    ({"action": "scroll", "pixels": -3, "coordinate": [7, 8]},
     [{"type": "scroll", "x": 7, "y": 8, "direction": "down", "amount": 3}]),
    ({"action": "scroll", "pixels": -0.4}, [{"type": "scroll", "direction": "down", "amount": 1}]),
    ({"action": "hscroll", "pixels": 2}, [{"type": "scroll", "direction": "right", "amount": 2}]),
    ({"action": "hscroll", "pixels": -10}, [{"type": "scroll", "direction": "left", "amount": 10}]),
    ({"action": "wait", "time": 3}, [{"type": "wait"}]),
    ({"action": "terminate", "status": "success"}, [{"type": "finished", "content": ""}]),
    ({"action": "terminate", "status": "failure"}, [{"type": "call_user"}]),
    ({"action": "answer", "text": "42 ‘quoted’"}, [{"type": "finished", "content": "42 ‘quoted’"}]),
    ({"action": "left_click", "coordinate": [1, 2], "extra": "ignored"}, [{"type": "click", "x": 1, "y": 2}]),
]


@pytest.mark.parametrize("family", QWEN)
@pytest.mark.parametrize(("arguments", "expected"), CONTRACT)
def test_contract_mapping(family, arguments, expected):
    assert acts(family, "Action: x\n" + call(**arguments)) == expected


def test_gui_owl_asks_the_person_with_interact_or_call_user_and_the_others_do_not_know_them():
    assert acts("gui-owl-1.5", call(action="interact", text="Log in, please.") + call(action="call_user")) == [
        {"type": "call_user", "content": "Log in, please."}, {"type": "call_user"}]
    for family in ("qwen2.5-vl", "qwen3-vl"):
        for name in ("interact", "call_user"):
            with pytest.raises(FormatError, match="unknown computer_use action"):
                parse(family, call(action=name, text="hi"))


def test_a_drag_starts_at_the_last_point_set_earlier_in_the_reply_else_at_the_pointer():
    text = (call(action="left_click_drag", coordinate=[1, 1]) + call(action="mouse_move", coordinate=[10, 20])
            + call(action="left_click_drag", coordinate=[30, 40]) + call(action="scroll", pixels=1)
            + call(action="left_click_drag", coordinate=[50, 60]) + call(action="left_click", coordinate=[5, 6])
            + call(action="left_click_drag", coordinate=[70, 80]))
    assert [a for a in acts("qwen3-vl", text) if a["type"] == "drag"] == [
        {"type": "drag", "x2": 1, "y2": 1},
        {"type": "drag", "x": 10, "y": 20, "x2": 30, "y2": 40},
        {"type": "drag", "x": 30, "y": 40, "x2": 50, "y2": 60},  # a scroll without a point moves nothing
        {"type": "drag", "x": 5, "y": 6, "x2": 70, "y2": 80},
    ]


def test_thinking_and_end_tokens_are_dropped_and_calls_in_the_thinking_are_not_calls():
    draft = call(action="left_click", coordinate=[1, 1])
    real = call(action="left_click", coordinate=[2, 2])
    for text in (f"<think>maybe {draft}</think>\n{real}", f"maybe {draft} hm</think>{real}",
                 f"<thinking>{draft}</thinking>Action: go\n{real}<|im_end|>"):
        assert acts("gui-owl-1.5", text) == [{"type": "click", "x": 2, "y": 2}]
    with pytest.raises(FormatError, match="no <tool_call>"):
        parse("qwen3-vl", f"<think>I will {draft}")  # the thinking never ended: nothing was decided
    assert parse("qwen3-vl", f"<think>a</think>\n\nAction: b\n{real}<|im_end|>").thought == "a\nAction: b"


REJECTED = [
    ("", "empty reply"),
    ("   \n", "empty reply"),
    ("Action: Click the search bar.", "no <tool_call>"),
    ('{"name": "computer_use", "arguments": {"action": "wait"}}', "no <tool_call>"),  # bare JSON is not a call
    ("<tool_call>\n" + '{"name": "computer_use", "arguments": {"action": "wait"}}', "ends inside a <tool_call>"),
    (call(action="wait") + "\n<tool_call>\n{\"name\": \"computer_use\", \"arguments\": {\"action\": \"left_cl",
     "ends inside a <tool_call>"),
    ('{"name": "computer_use", "arguments": {"action": "wait"}}\n</tool_call>', "without its <tool_call>"),
    ("<tool_call><tool_call>{}</tool_call>", "inside another one"),
    ("<tool_call>\n{'name': 'computer_use', 'arguments': {'action': 'wait'}}\n</tool_call>", "not JSON"),
    ('<tool_call>\n{"name": "computer_use", "arguments": {"action": "wait"}} extra\n</tool_call>', "not JSON"),
    ('<tool_call>\n["computer_use"]\n</tool_call>', "not a JSON object"),
    ('<tool_call>\n{"name": "browser", "arguments": {"action": "wait"}}\n</tool_call>', "unknown tool"),
    ('<tool_call>\n{"arguments": {"action": "wait"}}\n</tool_call>', "unknown tool"),
    ('<tool_call>\n{"name": "computer_use"}\n</tool_call>', "without an arguments object"),
    ('<tool_call>\n{"name": "computer_use", "arguments": "{cut"}\n</tool_call>', "arguments are not JSON"),
    ('<tool_call>\n{"name": "computer_use", "arguments": [1]}\n</tool_call>', "without an arguments object"),
    (call(coordinate=[1, 2]), "unknown computer_use action"),
    (call(action="launch_app", text="x"), "unknown computer_use action"),
    (call(action="LEFT_CLICK", coordinate=[1, 2]), "unknown computer_use action"),
    (call(action=["left_click"]), "unknown computer_use action"),
    (call(action="mouse_move"), "mouse_move without a coordinate"),
    (call(action="left_click_drag"), "left_click_drag without a coordinate"),
    (call(action="left_click", coordinate=[1]), "must be \\[x, y\\]"),
    (call(action="left_click", coordinate=[1, 2, 3]), "must be \\[x, y\\]"),
    (call(action="left_click", coordinate="[1, 2]"), "must be \\[x, y\\]"),
    (call(action="left_click", coordinate={"x": 1, "y": 2}), "must be \\[x, y\\]"),
    (call(action="left_click", coordinate=["1", 2]), "must be a number"),
    (call(action="left_click", coordinate=[True, 2]), "must be a number"),
    (call(action="left_click", coordinate=[None, 2]), "must be a number"),
    (call(action="left_click", coordinate=[10 ** 400, 2]), "must be a number"),
    ('<tool_call>\n{"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [1e999, 2]}}\n'
     "</tool_call>", "must be a number"),
    ('<tool_call>\n{"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [NaN, 2]}}\n'
     "</tool_call>", "not JSON"),
    (call(action="key"), "needs `keys`"),
    (call(action="key", keys=[]), "hotkey without keys"),
    (call(action="key", keys=["ctrl", 5]), "needs `keys`"),
    (call(action="key", keys=["ctrl", "hyperspace"]), "unknown key"),
    (call(action="type"), "type action needs `text`"),
    (call(action="type", text=5), "type action needs `text`"),
    (call(action="scroll"), "scroll `pixels` must be a number"),
    (call(action="scroll", pixels=0), "0 pixels has no direction"),
    (call(action="hscroll", pixels="-5"), "hscroll `pixels` must be a number"),
    (call(action="terminate"), "terminate with status"),
    (call(action="terminate", status="done"), "terminate with status"),
    (call(action="answer"), "answer action needs `text`"),
    ("<tool_call>\n" + "[" * 100_000 + "\n</tool_call>", "too long"),
    ("<tool_call>\n" + "[" * 50_000 + "]" * 40_000 + "\n</tool_call>", "not JSON"),
]


@pytest.mark.parametrize("family", QWEN)
@pytest.mark.parametrize(("text", "reason"), REJECTED)
def test_contract_rejections(family, text, reason):
    with pytest.raises(FormatError, match=reason) as info:
        parse(family, text)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("family", QWEN)
def test_one_bad_call_rejects_the_whole_reply(family):
    with pytest.raises(FormatError):
        parse(family, call(action="left_click", coordinate=[1, 2]) + call(action="mouse_move"))


def test_more_calls_than_a_reply_may_hold_is_a_format_error():
    with pytest.raises(FormatError, match="more than 100 tool calls"):
        parse("qwen3-vl", call(action="wait") * 101)


# ---- every position on the screen, exactly ----
def test_qwen25_absolute_pixels_map_back_to_every_screen_pixel_at_1920x1080():
    f = FAMILIES["qwen2.5-vl"]
    w, h = f.model_image_size(1920, 1080)
    space = CoordinateSpace(Monitor(0, 0, 1920, 1080), *f.span(w, h))
    assert (w, h) == (1932, 1092)
    for x in range(1920):
        assert space.to_screen(round(x * w / 1920), 0)[0] == x
    for y in range(1080):
        assert space.to_screen(0, round(y * h / 1080))[1] == y
    assert space.to_screen(1932, 1092) == (1919, 1079) and space.to_screen(-10, -10) == (0, 0)  # clamped


@pytest.mark.parametrize("family", ["qwen3-vl", "gui-owl-1.5"])
def test_thousandths_cover_the_screen_whatever_image_was_sent(family):
    f = FAMILIES[family]
    space = CoordinateSpace(Monitor(0, 0, 1920, 1080), *f.span(*f.model_image_size(1920, 1080)))
    for v in range(0, 1001):
        assert space.to_screen(v, v) == (min(round(v * 1.92), 1919), min(round(v * 1.08), 1079))


# ---- property tests: any text, any call, any cut ----
FRAGMENTS = st.sampled_from([
    "<tool_call>", "</tool_call>", "\n", "<think>", "</think>", "<thinking>", "</thinking>", "<|im_end|>", "Action: ",
    '{"name": "computer_use", "arguments": ', "{", "}", "[", "]", '"action": ', '"left_click"', '"key"', '"keys": ',
    '"coordinate": ', "[500, 60]", ", ", '"text": ', '"a\\"b"', '"pixels": ', "-5", "0", "1e999", "NaN", "null",
    "true", '"scroll"', '"terminate"', '"status": ', '"success"', '"interact"', "```", "```json\n", '"ctrl+c"',
])
ARGUMENTS = st.dictionaries(
    st.sampled_from(["action", "coordinate", "keys", "text", "pixels", "status", "time"]),
    st.one_of(st.sampled_from(["left_click", "mouse_move", "left_click_drag", "key", "type", "scroll", "hscroll",
                               "terminate", "answer", "interact", "call_user", "wait", "success", "failure", "ctrl+c"]),
              st.none(), st.booleans(), st.integers(-10 ** 30, 10 ** 30), st.floats(allow_nan=True),
              st.text(max_size=8), st.lists(st.one_of(st.integers(-5000, 5000), st.floats(), st.text(max_size=3)),
                                            max_size=5)),
    max_size=5,
)


def check_result(parsed: ParsedReply) -> None:
    assert isinstance(parsed.thought, str) and parsed.actions
    for action in parsed.actions:
        assert action.type in ACTION_TYPES
        for v in (action.x, action.y, action.x2, action.y2):
            assert v is None or (isinstance(v, float) and math.isfinite(v))
        if action.type == "scroll":
            assert action.direction in DIRECTIONS and action.amount >= 1
        if action.type == "hotkey":
            assert action.keys and all(isinstance(k, str) and k for k in action.keys)
        if action.type == "type":
            assert isinstance(action.text, str)


@pytest.mark.parametrize("family", QWEN)
@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(max_size=300), st.lists(FRAGMENTS, max_size=40).map("".join)))
def test_any_text_gives_actions_or_a_format_error(family, text):
    try:
        parsed = parse(family, text)
    except FormatError as e:
        assert str(e) and "\n" not in str(e)
        return
    check_result(parsed)


@pytest.mark.parametrize("family", QWEN)
@settings(max_examples=300, deadline=None)
@given(calls=st.lists(ARGUMENTS, min_size=1, max_size=4))
def test_any_arguments_give_actions_or_a_format_error(family, calls):
    try:
        parsed = parse(family, "".join(call(**a) for a in calls))
    except FormatError as e:
        assert str(e) and "\n" not in str(e)
        return
    check_result(parsed)
    assert len(parsed.actions) == len(calls)


CUT_REPLIES = [
    ("qwen2.5-vl", "Action: Click the search bar.\n" + call(action="left_click", coordinate=[1500, 90])
     + "\n" + call(action="type", text="weather in Paris\n") + "\n" + call(action="key", keys=["Return"])),
    ("qwen3-vl", "I should scroll.\n</think>\n\nAction: Scroll down.\n" + call(action="scroll", pixels=-5,
     coordinate=[500, 500]) + call(action="answer", text="It's \"42\".") + "<|im_end|>"),
    ("gui-owl-1.5", "<thinking>\n先拖动\n</thinking>Action: 拖动文件。\n"
     + call(action="mouse_move", coordinate=[10, 20]) + call(action="left_click_drag", coordinate=[300, 400])
     + call(action="interact", text="请登录")),
]


@pytest.mark.parametrize(("family", "text"), CUT_REPLIES)
def test_a_reply_cut_anywhere_gives_a_format_error_or_whole_calls(family, text):
    accepted = cut_results(FAMILIES[family].parse, text)
    ends = [i for i in range(len(text)) if text.startswith("</tool_call>", i)]
    assert {n for n, _ in accepted} >= {i + len("</tool_call>") for i in ends}  # each whole call counts


# ---- a person's actions in the tool's words ----
@pytest.mark.parametrize("family", QWEN)
def test_format_reply_round_trips_every_action_the_tool_can_say(family):
    f = FAMILIES[family]
    actions = [
        Action("drag", x2=5, y2=5),  # from the pointer: first, as no point is set before it
        Action("click", x=12, y=34), Action("click"), Action("double_click", x=1, y=2), Action("right_click", x=3, y=4),
        Action("middle_click", x=5, y=6), Action("move", x=7, y=8), Action("drag", x=7, y=8, x2=90, y2=100),
        Action("hotkey", keys=("ctrl", "shift", "t")),
        Action("type", text='Grüße "世界"\n\\ it\'s'), Action("scroll", x=1, y=1, direction="down", amount=3),
        Action("scroll", direction="up", amount=10), Action("wait"), Action("call_user"),
        Action("finished", content=""),
    ]
    if family != "qwen2.5-vl":
        actions += [Action("triple_click", x=9, y=9), Action("scroll", direction="left", amount=2),
                    Action("finished", content="The answer is 42.")]
    if family == "gui-owl-1.5":
        actions.append(Action("call_user", content="Please log in."))
    text = f.format_reply(actions, "The user took over and did this instead.", "click; type")
    assert text.startswith("Action: click; type\n<tool_call>\n{")
    assert f.parse(text).actions == actions


def test_format_reply_writes_what_the_tool_has_no_word_for_in_its_nearest_words_or_not_at_all():
    q25 = FAMILIES["qwen2.5-vl"]
    assert q25.format_reply([Action("triple_click", x=1, y=2), Action("scroll", direction="right"),
                             Action("mouse_down")], "t") == "Action: t"
    assert q25.parse(q25.format_reply([Action("finished", content="42")], "t")).actions == [
        Action("finished", content="")]  # Qwen2.5's tool cannot answer: it terminates
    owl = FAMILIES["gui-owl-1.5"]
    text = owl.format_reply([Action("drag", x=1, y=2, x2=3, y2=4), Action("drag", x=3, y=4, x2=9, y2=9),
                             Action("scroll", x=5, y=6, direction="down")], "t", "")
    assert owl.parse(text).actions == [Action("move", x=1, y=2), Action("drag", x=1, y=2, x2=3, y2=4),
                                       Action("drag", x=3, y=4, x2=9, y2=9),  # the pointer was there: no move
                                       Action("scroll", x=5, y=6, direction="down", amount=SCROLL_CLICKS)]
    assert '"action": "wait", "time": 5' in owl.format_reply([Action("wait")], "t")


# ---- native tool calls, spelled as the model writes them ----
def test_native_tool_calls_become_the_blocks_the_model_would_have_written():
    args = '{"action": "left_click", "coordinate": [500, 60]}'
    assert with_tool_calls("Action: Click.\n", [("computer_use", args)]) == \
        "Action: Click.\n" + call(action="left_click", coordinate=[500, 60])
    assert with_tool_calls("Action: Click.", [("computer_use", args), ("computer_use", '{"action":"wait"}')]) == \
        "Action: Click.\n" + call(action="left_click", coordinate=[500, 60]) + "\n" + call(action="wait")
    assert with_tool_calls("", [("computer_use", '{"action": "type", "text": "\\u4e16"}')]) == call(
        action="type", text="世")
    assert with_tool_calls("just text", []) == "just text"
    for broken in ('{"action": "left_click", "coordinate": [50', "", "[1]", "NaN"):
        text = with_tool_calls("", [("computer_use", broken)])
        assert text.startswith("<tool_call>\n") and text.endswith("\n</tool_call>")
        with pytest.raises(FormatError):  # never acted on
            parse("qwen3-vl", text)


# ---- the CLI and the loop ----
def run_parse(monkeypatch, capsys, family: str, text: str, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    rc = cli_main(["parse", "--model-family", family, *args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_cli_parse_maps_each_convention_to_screen_pixels(monkeypatch, capsys):
    text = ("Action: Drag.\n" + call(action="mouse_move", coordinate=[966, 546])
            + call(action="left_click_drag", coordinate=[1932, 0]) + call(action="scroll", pixels=-2))
    rc, out, _ = run_parse(monkeypatch, capsys, "qwen2.5-vl", text, "--screen", "1920x1080")
    assert rc == 0
    assert json.loads(out) == {"thought": "Action: Drag.", "actions": [
        {"type": "move", "x": 960, "y": 540}, {"type": "drag", "x": 960, "y": 540, "x2": 1919, "y2": 0},
        {"type": "scroll", "direction": "down", "amount": 2}]}
    # --image is the screenshot as sent: Qwen2.5-VL's pixels are pixels of its smart_resize (1372x756 here)
    rc, out, _ = run_parse(monkeypatch, capsys, "qwen2.5-vl", call(action="left_click", coordinate=[686, 378]),
                           "--screen", "1920x1080", "--image", "1366x768")
    assert json.loads(out)["actions"] == [{"type": "click", "x": 960, "y": 540}]
    for family in ("qwen3-vl", "gui-owl-1.5"):  # thousandths: --image is ignored
        for image in ((), ("--image", "1366x768")):
            rc, out, _ = run_parse(monkeypatch, capsys, family, call(action="left_click", coordinate=[500, 1000]),
                                   "--screen", "1920x1080", *image)
            assert (rc, json.loads(out)["actions"]) == (0, [{"type": "click", "x": 960, "y": 1079}])


@pytest.mark.parametrize("family", QWEN)
@pytest.mark.parametrize("text", ["I'm not sure.", "<tool_call>\n{\"name\": \"computer_use\", \"argu",
                                  call(action="mouse_move"), call(action="fly")])
def test_cli_parse_rejects_with_exit_2_and_one_line(monkeypatch, capsys, family, text):
    rc, out, err = run_parse(monkeypatch, capsys, family, text, "--screen", "800x600")
    assert (rc, out) == (2, "")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and "cannot parse" in err


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "no-stream"])
def test_the_loop_acts_on_native_tool_calls_and_records_them_as_text(server, tmp_path, stream):
    server.add(
        {"text": "Action: Click the menu.\n", "tool_calls": [
            {"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [966, 546]}},
            {"name": "computer_use", "arguments": {"action": "type", "text": "北京\n"}}]},
        {"text": "Action: Answer.\n", "tool_calls": [{"name": "computer_use", "arguments": {
            "action": "terminate", "status": "success"}}]},
    )
    config = RunConfig(task="open it", base_url=server.base_url, model=server.model, runs_dir=str(tmp_path),
                       model_family="qwen2.5-vl", stream=stream)
    executor = RecordingExecutor()
    result = Agent(config, screen=StaticScreen(), executor=executor, control=RunControl()).run()
    assert (result.status, result.steps) == ("finished", 2)
    assert [a.to_json() for a in executor.actions] == [{"type": "click", "x": 960, "y": 540},
                                                       {"type": "type", "text": "北京\n"}]
    second = server.chat_requests()[1]["body"]["messages"]
    recorded = ("Action: Click the menu.\n" + call(action="left_click", coordinate=[966, 546]) + "\n"
                + call(action="type", text="北京\n"))
    assert second[2] == {"role": "assistant", "content": [{"type": "text", "text": recorded}]}
    steps = [x for x in read_trajectory(result.run_dir) if x["kind"] == "step"]
    assert steps[0]["response"] == recorded and steps[0]["thought"] == "Action: Click the menu."
    body = server.chat_requests()[0]["body"]
    assert (body["temperature"], body["top_p"], body["max_tokens"]) == (0.0, 0.9, 1000)
    assert "frequency_penalty" not in body and "tools" not in body  # the tool travels in the system text
