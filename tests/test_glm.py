"""GLM-4.5V: its one-message request (history in the text, screenshots where the reference puts them), its reply
shapes with and without the action box, every mapping rule of the CLI contract, arguments read with `ast` only, and
the round trip of a person's action written in its words."""

from __future__ import annotations

import io
import json
import math
import os
import sys

import pytest
from doubles import RecordingExecutor, StaticScreen
from hypothesis import given, settings
from hypothesis import strategies as st
from test_history_exact import same_sample

from agent_app.cli import main as cli_main
from agent_app.core.actions import ACTION_TYPES, DIRECTIONS, Action
from agent_app.core.control import RunControl
from agent_app.core.errors import FormatError
from agent_app.core.families.base import Context, ParsedReply
from agent_app.core.families.glm import (
    ACTION_SPACE,
    BEGIN_BOX,
    END_BOX,
    HEAD,
    TAIL,
    history_parts,
    parse_glm,
    read_call,
    restore_box,
)
from agent_app.core.families.pycode import MAX_WHEEL_CLICKS
from agent_app.core.families.registry import FAMILIES
from agent_app.core.history import History
from agent_app.core.loop import Agent
from agent_app.core.runs.export import replay, to_ms_swift
from agent_app.core.settings.config import RunConfig

GLM = FAMILIES["glm-4.5v"]


def acts(text: str) -> list[dict]:
    return [a.to_json() for a in parse_glm(text).actions]


def boxed(call: str, explanation: str = "I'll do it.", memory: str = "[]") -> str:
    return f"{explanation} {BEGIN_BOX}{call}{END_BOX}\nMemory:\n{memory}"


# ---- the family ----
def test_family_is_registered_with_thousandths_five_screenshots_and_the_reference_sampling():
    assert (GLM.label, GLM.coordinates, GLM.max_images) == ("GLM-4.5V", "thousandths", 5)
    assert GLM.span(1932, 1092) == (1000.0, 1000.0)
    # Sized as GLM-4.5V's processor does: factor 28, at most 28*28*15000 pixels over its two temporal frames
    assert GLM.model_image_size(1920, 1080) == (1932, 1092)
    assert GLM.model_image_size(3840, 2160) == (3220, 1792)
    w, h = GLM.model_image_size(3840, 2160)
    assert 2 * w * h <= 28 * 28 * 15000 and w % 28 == h % 28 == 0
    s = GLM.sampling
    assert (s.temperature, s.top_p, s.max_tokens, s.frequency_penalty) == (0.001, None, 8192, None)
    assert s.extra_body == {"skip_special_tokens": False}  # the action box survives only so


def test_prompt_texts_are_the_references_without_osworlds_credentials():
    assert HEAD.startswith("You are a GUI Agent, and your primary task is to respond accurately to user requests or "
                           "questions.")
    assert "The coordinates involved are all represented in thousandths (0-999).\n\n# Task:\n{task}\n\n" in HEAD
    assert HEAD.endswith("# Task Platform\nUbuntu\n\n# Action Space\n{action_space}\n\n"
                         "# Historical Actions and Current Memory\nHistory:")
    assert ACTION_SPACE.startswith("\n### {left,right,middle}_click\n\nCall rule: `{left,right,middle}_click("
                                   "start_box='[x,y]', element_info='')`\n")
    for name in ("hover", "left_double_click", "left_drag", "key", "type", "scroll", "WAIT", "DONE", "FAIL"):
        assert f"\n### {name}\n\nCall rule: `{name}(" in ACTION_SPACE
    assert TAIL.startswith("\nMemory:\n{memory}\n# Output Format\nPlain text explanation with action(param='...')\n"
                           "Memory:\n[{{\"key\": \"value\"}}, ...]\n\n# Some Additional Notes\n- I'll give you the "
                           "most recent 4 history screenshots(shrunked to 50%*50%) along with the historical action "
                           "steps.\n")
    assert TAIL.endswith("output an empty list.\n\nCurrent Screenshot:\n")
    assert "password" not in HEAD + ACTION_SPACE + TAIL and "thunderbird" not in TAIL


# ---- the request ----
def step(k: int) -> str:
    return (f"<think>Looking at screen {k}.</think>I'll click item {k}. "
            f"{BEGIN_BOX}left_click(start_box='[{k}, {2 * k}]', element_info='item {k}'){END_BOX}\n"
            f"Memory:\n[{{\"seen\": {k}}}]")


def head(task: str) -> str:
    return HEAD.format(task=task, action_space=ACTION_SPACE)


def entry(k: int) -> str:
    return f" Thought: I'll click item {k}.\nAction: left_click(start_box='[{k}, {2 * k}]', element_info='item {k}')"


def test_first_request_is_one_user_message_with_the_current_screenshot_last():
    msgs = History.for_family(GLM, 5).messages(GLM, Context(" Rotate my figure ", "zh"), "data:now")
    assert msgs == [{"role": "user", "content": [
        {"type": "text", "text": head("Rotate my figure") + TAIL.format(memory="[]")},
        {"type": "image_url", "image_url": {"url": "data:now"}},
    ]}]


def test_history_is_written_into_the_one_message_with_the_last_four_screenshots_at_full_size():
    h = History.for_family(GLM, 8)  # capped at 5: the last 4 steps and the current screenshot
    for k in range(1, 7):
        h.add_step(step(k), f"data:{k}")
    (msg,) = h.messages(GLM, Context("t"), "data:now")
    assert msg["role"] == "user"

    def text(t):
        return {"type": "text", "text": t}

    def image(u):
        return {"type": "image_url", "image_url": {"url": u}}

    assert msg["content"] == [
        text(head("t") + f"\nstep 1: Screenshot:(Omitted in context.){entry(1)}"
             f"\nstep 2: Screenshot:(Omitted in context.){entry(2)}\nstep 3: Screenshot:"),
        image("data:3"), text(entry(3) + "\nstep 4: Screenshot:"),
        image("data:4"), text(entry(4) + "\nstep 5: Screenshot:"),
        image("data:5"), text(entry(5) + "\nstep 6: Screenshot:"),
        image("data:6"), text(entry(6) + TAIL.format(memory='[{"seen": 6}]')),  # the last reply's memory
        image("data:now"),
    ]


@pytest.mark.parametrize("steps", range(0, 8))
def test_request_k_carries_min_k_5_screenshots_for_every_run_length(steps):
    h = History.for_family(GLM, 5)
    for k in range(1, steps + 1):
        h.add_step(step(k), f"data:{k}")
    (msg,) = h.messages(GLM, Context("t"), "data:now")
    images = [p["image_url"]["url"] for p in msg["content"] if p["type"] == "image_url"]
    assert images == [f"data:{k}" for k in range(max(1, steps - 3), steps + 1)] + ["data:now"]
    text = "".join(p["text"] for p in msg["content"] if p["type"] == "text")
    assert text.count("(Omitted in context.)") == max(0, steps - 4)
    assert [f"\nstep {k}: Screenshot:" in text for k in range(1, steps + 1)] == [True] * steps


def test_a_note_goes_into_the_history_where_it_was_given():
    h = History.for_family(GLM, 2)
    h.add_step(step(1), "data:1")
    h.add_note("Note from the user: the file is report.txt")
    h.add_step(step(2), "data:2")
    (msg,) = h.messages(GLM, Context("t"), "data:now")
    first = msg["content"][0]["text"]
    assert first.endswith(f"\nstep 1: Screenshot:(Omitted in context.){entry(1)}\n"
                          "Note from the user: the file is report.txt\nstep 2: Screenshot:")


@pytest.mark.parametrize("reply, expected", [
    (step(3), ("I'll click item 3.", "left_click(start_box='[3, 6]', element_info='item 3')", '[{"seen": 3}]')),
    ("Loading. WAIT()", ("Loading.", "WAIT()", "[]")),  # no Memory: the empty list
    ("I'll type. type(content='a')\nMemory:\n", ("I'll type.", "type(content='a')", "[]")),
    ("<think>still thinking", ("<think>still thinking", "", "[]")),  # never raises
])
def test_history_parts_of_earlier_replies(reply, expected):
    assert history_parts(reply) == expected


# ---- realistic replies ----
REALISTIC = [
    (  # the reference's own example
        "I'll click on the \"Image\" menu. <|begin_of_box|>left_click(start_box='[149, 70]', element_info='Image "
        "menu')<|end_of_box|>\nMemory:\n[]",
        "I'll click on the \"Image\" menu.", [{"type": "click", "x": 149.0, "y": 70.0}]),
    ("The page is still loading. <|begin_of_box|>WAIT()<|end_of_box|>\nMemory:\n[]",
     "The page is still loading.", [{"type": "wait"}]),
    (  # thinking first, Chinese, an escaped quote and a newline in the typed text, a memory to carry
        "<think>用户想搜索天气。搜索框已经聚焦。</think>我将输入查询并回车。 <|begin_of_box|>type(content='北京 "
        "\\'天气\\' \"今天\"\\n')<|end_of_box|>\nMemory:\n[{\"city\": \"北京\"}]",
        "我将输入查询并回车。", [{"type": "type", "text": "北京 '天气' \"今天\"\n"}]),
    (  # special tokens skipped by the server: the bare call; an earlier mention loses to the last call
        "The dialog from left_click(start_box='[1, 1]') is gone. Now I'll close the window. "
        "key(keys='alt+f4')\nMemory:\n[]",
        "The dialog from left_click(start_box='[1, 1]') is gone. Now I'll close the window.",
        [{"type": "hotkey", "keys": ["alt", "f4"]}]),
    ("Open a new tab. <|begin_of_box|>key(keys='ctrl+shift+t')<|end_of_box|>\nMemory:\n[]<|user|>",
     "Open a new tab.", [{"type": "hotkey", "keys": ["ctrl", "shift", "t"]}]),
    (  # a bounding box means its centre; edge and out-of-range thousandths stay as written (clamped when mapped)
        "Drag the slider to the end. <|begin_of_box|>left_drag(start_box='[100, 200, 120, 220]', "
        "end_box='[999, 1000]', element_info='slider')<|end_of_box|>\nMemory:\n[]",
        "Drag the slider to the end.", [{"type": "drag", "x": 110.0, "y": 210.0, "x2": 999.0, "y2": 1000.0}]),
    ("Scroll the list. <|begin_of_box|>scroll(start_box='[500, 600]', direction='down', step=10, element_info='"
     "file list')<|end_of_box|>\nMemory:\n[]", "Scroll the list.",
     [{"type": "scroll", "x": 500.0, "y": 600.0, "direction": "down", "amount": 10}]),
    ("<think>done?</think>The figure is mirrored. <|begin_of_box|>DONE()<|end_of_box|>\nMemory:\n[]",
     "The figure is mirrored.", [{"type": "finished", "content": ""}]),
    ("This needs a licence key I do not have. <|begin_of_box|>FAIL()<|end_of_box|>\nMemory:\n[]",
     "This needs a licence key I do not have.", [{"type": "call_user"}]),
    ("Open its menu. <|begin_of_box|>right_click(start_box='[0, 0]')<|end_of_box|> then pick Rename.\nMemory:\n[]",
     "Open its menu.  then pick Rename.", [{"type": "right_click", "x": 0.0, "y": 0.0}]),
    ("Hover to see the tooltip.\n<|begin_of_box|>hover(start_box='[-5, 400]')<|end_of_box|>\nMemory:\n[]",
     "Hover to see the tooltip.", [{"type": "move", "x": -5.0, "y": 400.0}]),
    (  # grounding style: the box around the coordinates, not the call (special tokens kept)
        "Clicking the icon. left_click(start_box='<|begin_of_box|>[10, 20]<|end_of_box|>')\nMemory:\n[]",
        "Clicking the icon.", [{"type": "click", "x": 10.0, "y": 20.0}]),
    ("The coordinates <|begin_of_box|>[10, 20]<|end_of_box|> are the icon. left_double_click(start_box="
     "'[10, 20]')\nMemory:\n[]", "The coordinates [10, 20] are the icon.",
     [{"type": "double_click", "x": 10.0, "y": 20.0}]),
]


@pytest.mark.parametrize("text, thought, expected", REALISTIC)
def test_realistic_replies(text, thought, expected):
    parsed = parse_glm(text)
    assert isinstance(parsed, ParsedReply)
    assert parsed.thought == thought
    assert [a.to_json() for a in parsed.actions] == expected


# ---- every mapping rule of the contract ----
@pytest.mark.parametrize("call, expected", [
    ("left_click(start_box='[10,20]', element_info='OK')", [{"type": "click", "x": 10, "y": 20}]),
    ("left_click(start_box=[10, 20])", [{"type": "click", "x": 10, "y": 20}]),
    ("left_click('[10, 20]', 'OK')", [{"type": "click", "x": 10, "y": 20}]),
    ("left_click(start_box='(10, 20)')", [{"type": "click", "x": 10, "y": 20}]),
    ("left_click(start_box='[10.5, 20.25]')", [{"type": "click", "x": 10.5, "y": 20.25}]),
    ("right_click(start_box='[1,2]')", [{"type": "right_click", "x": 1, "y": 2}]),
    ("middle_click(start_box='[1,2]')", [{"type": "middle_click", "x": 1, "y": 2}]),
    ("hover(start_box='[1,2]')", [{"type": "move", "x": 1, "y": 2}]),
    ("left_double_click(start_box='[1,2]')", [{"type": "double_click", "x": 1, "y": 2}]),
    ("left_click(start_box='[10, 20, 30, 40]')", [{"type": "click", "x": 20, "y": 30}]),
    ("left_drag(start_box='[1,2]', end_box='[3,4]')", [{"type": "drag", "x": 1, "y": 2, "x2": 3, "y2": 4}]),
    ("key(keys='ctrl+c')", [{"type": "hotkey", "keys": ["ctrl", "c"]}]),
    ("key(keys='Return')", [{"type": "hotkey", "keys": ["enter"]}]),
    ("key(keys='ctrl++')", [{"type": "hotkey", "keys": ["ctrl", "+"]}]),
    ("key(keys=['ctrl', 'v'])", [{"type": "hotkey", "keys": ["ctrl", "v"]}]),
    ("type(content='hello world')", [{"type": "type", "text": "hello world"}]),
    ("type(content='')", [{"type": "type", "text": ""}]),
    ("type(content=\"it's\\n\")", [{"type": "type", "text": "it's\n"}]),
    ("scroll(start_box='[5,6]', direction='up')", [{"type": "scroll", "x": 5, "y": 6, "direction": "up"}]),
    ("scroll(start_box='[5,6]', direction='Down', step=3)",
     [{"type": "scroll", "x": 5, "y": 6, "direction": "down", "amount": 3}]),
    ("scroll(start_box='[5,6]', direction='left', step=2.0)",
     [{"type": "scroll", "x": 5, "y": 6, "direction": "left", "amount": 2}]),
    ("WAIT()", [{"type": "wait"}]),
    ("wait()", [{"type": "wait"}]),
    ("DONE()", [{"type": "finished", "content": ""}]),
    ("FAIL()", [{"type": "call_user"}]),
])
def test_contract_mapping(call, expected):
    assert acts(boxed(call)) == expected
    assert acts(f"Doing it now. {call}\nMemory:\n[]") == expected  # the box tokens skipped by the server


@pytest.mark.parametrize("text, reason", [
    ("", "empty reply"),
    ("I am not sure what to do.\nMemory:\n[]", "no action found"),
    (boxed("open_app(app_name='Files')"), "unknown action 'open_app'"),
    (boxed("left_click()"), "left_click without start_box"),
    (boxed("left_click(start_box='')"), "without start_box"),
    (boxed("left_drag(start_box='[1,2]')"), "left_drag without end_box"),
    (boxed("scroll(direction='down')"), "scroll without start_box"),
    (boxed("left_click(start_box='[1]')"), "start_box must be"),
    (boxed("left_click(start_box='[1, 2, 3]')"), "start_box must be"),
    (boxed("left_click(start_box='1 2')"), "start_box must be"),
    (boxed("left_click(start_box='[a, b]')"), "literal values"),
    (boxed("left_click(start_box='[1e999, 2]')"), "must be a number"),
    (boxed("left_click(start_box='[True, 2]')"), "must be a number"),
    (boxed("left_click(start_box='[1, 2]', color='red')"), "no argument 'color'"),
    (boxed("left_click('[1, 2]', start_box='[3, 4]')"), "twice"),
    (boxed("left_click('[1, 2]', 'x', 'y')"), "too many arguments"),
    (boxed("type()"), "type needs content"),
    (boxed("type(content=5)"), "type needs content"),
    (boxed("key()"), "key needs keys"),
    (boxed("key(keys='notakey')"), "unknown key"),
    (boxed("scroll(start_box='[1,2]', direction='sideways')"), "direction"),
    (boxed("scroll(start_box='[1,2]', direction='down', step=0)"), "step"),
    (boxed("scroll(start_box='[1,2]', direction='down', step=-3)"), "step"),
    (boxed("scroll(start_box='[1,2]', direction='down', step=2.5)"), "step"),
    (boxed(f"scroll(start_box='[1,2]', direction='down', step={MAX_WHEEL_CLICKS + 1})"), "step"),
    (boxed("scroll(start_box='[1,2]', direction='down', step=True)"), "step"),
    (boxed("DONE(content='x')"), "no argument"),
    (boxed("left_click(start_box='[1,2]'"), "not a valid call"),
    (boxed("left_click(*['[1,2]'])"), "starred"),
    (boxed("left_click(**{'start_box': '[1,2]'})"), r"\*\* arguments"),
    (boxed("pyautogui.click(1, 2)"), "no action found"),
    (boxed("left_click(start_box='[1,2]').__class__"), "must be one call"),
    (boxed("left_click(start_box='[1,2]')[0]"), "must be one call"),
    (boxed("left_click(start_box='[1,2]'); DONE()"), "not a valid call"),
    ("Two at once. <|begin_of_box|>WAIT()<|end_of_box|> <|begin_of_box|>DONE()<|end_of_box|>\nMemory:\n[]",
     "2 action boxes"),
    ("Clicking. <|begin_of_box|>left_click(start_box='[1,2]')", "not closed"),  # cut inside the box
    ("<think>I should click the", "inside its thinking"),  # cut inside the thinking
    ("Clicking. left_click(start_box='[1,2]'", "not closed"),  # cut inside the bare call
    ("x" * 100_001, "too long"),
])
def test_contract_rejections(text, reason):
    with pytest.raises(FormatError, match=reason):
        parse_glm(text)


def test_history_text_puts_the_box_back_when_the_server_dropped_it():
    stripped = "I'll open it. left_double_click(start_box='[5, 6]')\nMemory:\n[]"
    assert GLM.history_text(stripped) == (
        "I'll open it. <|begin_of_box|>left_double_click(start_box='[5, 6]')<|end_of_box|>\nMemory:\n[]")
    kept = boxed("WAIT()")
    assert GLM.history_text(kept) == restore_box(kept) == kept
    assert GLM.history_text("no action here") == "no action here"
    assert parse_glm(GLM.history_text(stripped)).actions == parse_glm(stripped).actions


# ---- nothing in a reply runs ----
GLM_HOSTILE = [
    "__import__('os').system('touch {S}')",
    "left_click(start_box=__import__('os').system('touch {S}'))",
    "type(content=open('{S}', 'w').name)",
    "type(content=f'{{open(\"{S}\", \"w\")}}')",
    "exec(\"open('{S}', 'w')\")",
    "eval(\"open('{S}', 'w')\")",
    "left_click.__globals__['os'].system('x')",
    "(lambda: open('{S}', 'w'))()",
    "type(content='a' * 10 ** 9)",
    "left_click(start_box=\"__import__('os').system('touch {S}')\")",
    "left_click(start_box='[__import__(\"os\").system(\"touch {S}\"), 1]')",
    "key(keys=getattr(__builtins__, 'open')('{S}', 'w'))",
    "scroll(start_box='[1,2]', direction='down', step=len(open('{S}', 'w').name))",
]


@pytest.mark.parametrize("payload", GLM_HOSTILE)
def test_arguments_are_read_never_run(payload, tmp_path, no_execution):
    sentinel = tmp_path / "pwned"
    call = payload.format(S=sentinel)
    for text in (boxed(call), f"Doing it. {call}\nMemory:\n[]"):
        with pytest.raises(FormatError) as info:
            parse_glm(text)
        assert "\n" not in str(info.value) and len(str(info.value)) < 200
    assert no_execution == []
    assert not sentinel.exists()


# ---- properties: any input gives one action or a FormatError, nothing else ----
FRAGMENTS = st.sampled_from([
    "left_click", "right_click", "middle_click", "hover", "left_double_click", "left_drag", "key", "type",
    "scroll", "WAIT", "DONE", "FAIL", "(", ")", "[", "]", ",", "=", "'", "\"", "\\", "start_box=", "end_box=",
    "'[1, 2]'", "'[10,20,30,40]'", "direction='down'", "step=", "3", "-1", "1e999", "keys='ctrl+c'", "content=",
    "element_info=''", "<|begin_of_box|>", "<|end_of_box|>", "<think>", "</think>", "Memory:", "\n", " ", "[]",
    "__import__", "lambda", "*", "**", "<|user|>", "中", "\x00",
])


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=300), st.lists(FRAGMENTS, max_size=40).map("".join)))
def test_any_text_gives_one_action_or_a_format_error(text):
    try:
        parsed = parse_glm(text)
    except FormatError as e:
        assert str(e) and "\n" not in str(e)
        return
    (action,) = parsed.actions
    assert action.type in ACTION_TYPES and isinstance(parsed.thought, str)
    assert BEGIN_BOX not in parsed.thought and END_BOX not in parsed.thought
    for v in (action.x, action.y, action.x2, action.y2):
        assert v is None or (isinstance(v, float) and math.isfinite(v))
    if action.type == "scroll":
        assert action.direction in DIRECTIONS and action.has_point


# ---- a person's action in GLM-4.5V's words ----
POINT = st.tuples(st.integers(0, 999), st.integers(0, 999))
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


@st.composite
def expressible(draw) -> Action:
    kind = draw(st.sampled_from(["click", "double_click", "right_click", "middle_click", "move", "drag", "hotkey",
                                 "type", "scroll", "wait", "finished", "call_user"]))
    (x, y), (x2, y2) = draw(POINT), draw(POINT)
    if kind in ("click", "double_click", "right_click", "middle_click", "move"):
        return Action(kind, x=x, y=y)
    if kind == "drag":
        return Action(kind, x=x, y=y, x2=x2, y2=y2)
    if kind == "hotkey":
        return Action(kind, keys=tuple(draw(st.lists(st.sampled_from(["ctrl", "shift", "alt", "a", "f4", "enter", "+",
                                                                      "'", "\\"]),
                                                     min_size=1, max_size=3, unique=True))))
    if kind == "type":
        return Action(kind, text=draw(TEXT))
    if kind == "scroll":
        return Action(kind, x=x, y=y, direction=draw(st.sampled_from(DIRECTIONS)),
                      amount=draw(st.none() | st.integers(1, MAX_WHEEL_CLICKS)))
    if kind == "finished":
        return Action(kind, content="")
    return Action(kind)


THOUGHT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40).filter(
    lambda t: "(" not in t and "Memory:" not in t and "<|" not in t and "think>" not in t)


@settings(max_examples=300, deadline=None)
@given(expressible(), THOUGHT)
def test_format_reply_parses_back_to_the_same_action_and_thought(action, thought):
    text = GLM.format_reply([action], thought)
    parsed = GLM.parse(text)
    assert parsed.actions == [Action.from_json(action.to_json())], text
    assert parsed.thought == " ".join(thought.split())


@pytest.mark.parametrize("actions, call", [
    ([Action("click", x=5.4, y=6.6), Action("type", text="x")], "left_click(start_box='[5, 7]')"),  # the next move
    ([Action("triple_click", x=1, y=2), Action("key", keys=("enter",))], None),  # unknown type: nothing to say
    ([Action("triple_click", x=1, y=2), Action("hotkey", keys=("enter",))], "key(keys='enter')"),
    ([Action("drag", x2=5, y2=6), Action("scroll", direction="up")], None),  # no start, no point: not GLM's
    ([Action("finished", content="42")], "DONE()"),
])
def test_format_reply_writes_the_first_action_glm_can_say(actions, call):
    text = GLM.format_reply(actions, "The user did this.")
    if call is None:
        assert text == "The user did this.\nMemory:\n[]"
        with pytest.raises(FormatError):
            GLM.parse(text)
    else:
        assert text == f"The user did this. {BEGIN_BOX}{call}{END_BOX}\nMemory:\n[]"


def test_read_call_needs_one_call():
    assert read_call(" FAIL() ") == Action("call_user")
    with pytest.raises(FormatError, match="must be one call"):
        read_call("[1, 2]")


# ---- the CLI and the loop ----
def run_parse(monkeypatch, capsys, text: str, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    rc = cli_main(["parse", "--model-family", "glm-4.5v", *args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_cli_parse_maps_thousandths_of_the_screen(monkeypatch, capsys):
    text = boxed("left_drag(start_box='[500, 250]', end_box='[1000, -3]')")
    rc, out, _ = run_parse(monkeypatch, capsys, text, "--screen", "1920x1080")
    assert rc == 0
    assert json.loads(out) == {"thought": "I'll do it.", "actions": [
        {"type": "drag", "x": 960, "y": 270, "x2": 1919, "y2": 0}]}  # x / 1000 * w, clamped
    rc, out2, _ = run_parse(monkeypatch, capsys, text, "--screen", "1920x1080", "--image", "1280x720")
    assert out2 == out  # --image is ignored


@pytest.mark.parametrize("text", [
    boxed("__import__('os').system('true')"), "nothing to do", boxed("open_app(app_name='x')"),
    "Clicking. <|begin_of_box|>left_click(start_box='[1,2]')",
])
def test_cli_parse_rejects_with_exit_2_and_one_line(monkeypatch, capsys, text):
    rc, out, err = run_parse(monkeypatch, capsys, text, "--screen", "800x600")
    assert (rc, out) == (2, "")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def run_loop(server, tmp_path, **kw):
    config = RunConfig(task="rotate the figure", base_url=server.base_url, model=server.model,
                       runs_dir=str(tmp_path), model_family="glm-4.5v", **kw)
    executor = RecordingExecutor()
    result = Agent(config, screen=StaticScreen(), executor=executor, control=RunControl()).run()
    return result, executor


def test_the_loop_runs_glm_and_export_rebuilds_every_request(server, tmp_path):
    server.add(*(step(100 * k) for k in range(1, 7)), boxed("DONE()", "The figure is mirrored."))
    result, executor = run_loop(server, tmp_path, history_images=8)
    assert (result.status, result.steps) == ("finished", 7)
    assert [(a.type, a.x, a.y) for a in executor.actions] == [  # thousandths of a 1920x1080 screen
        ("click", 192, 216), ("click", 384, 432), ("click", 576, 648), ("click", 768, 864),
        ("click", 960, 1079), ("click", 1152, 1079)]  # 1000 and more: clamped inside the screen
    bodies = [r["body"] for r in server.chat_requests()]
    assert [len(b["messages"]) for b in bodies] == [1] * 7
    assert [sum(p["type"] == "image_url" for p in b["messages"][0]["content"]) for b in bodies] == [
        1, 2, 3, 4, 5, 5, 5]
    first = bodies[0]
    assert (first["temperature"], first["max_tokens"], first["skip_special_tokens"]) == (0.001, 8192, False)
    assert "top_p" not in first and "frequency_penalty" not in first
    run_dir = tmp_path / os.listdir(tmp_path)[0]
    lines = [json.loads(x) for x in (run_dir / "trajectory.jsonl").read_text(encoding="utf-8").splitlines()]
    replayed = list(replay(lines, GLM, "."))
    assert len(replayed) == len(bodies)
    for body, (messages, line, _) in zip(bodies, replayed, strict=True):
        same_sample(to_ms_swift(GLM, body["messages"], line["response"]),
                    to_ms_swift(GLM, messages, line["response"]), run_dir, run_dir)


def test_a_server_that_refuses_skip_special_tokens_is_asked_without_it(server, tmp_path):
    server.reject_params = {"skip_special_tokens"}
    server.add("Closing it. key(keys='alt+f4')\nMemory:\n[]", "All done. DONE()\nMemory:\n[]")
    result, executor = run_loop(server, tmp_path)
    assert (result.status, result.steps) == ("finished", 2)
    assert [a.keys for a in executor.actions] == [("alt", "f4")]
    bodies = [r["body"] for r in server.chat_requests()]
    assert "skip_special_tokens" in bodies[0] and "skip_special_tokens" not in bodies[-1]


# ---- a reply cut anywhere is never acted on in part ----
# Without its box an action is the LAST known call before Memory:, so a box-less reply that mentions a call in its
# explanation, cut before its action, reads as the mention. The client never hands over a cut reply (it checks the
# finish reason) and the family asks the server to keep the box; that reply is left out here for that reason.
@pytest.mark.parametrize("text", [r[0] for r in REALISTIC if "The dialog from" not in r[0]])
def test_a_reply_cut_at_every_character_gives_an_error_or_the_whole_action(text):
    whole = parse_glm(text).actions
    for i in range(len(text)):
        try:
            actions = parse_glm(text[:i]).actions
        except FormatError:
            continue
        assert actions == whole, (i, text[:i])
