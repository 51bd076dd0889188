"""UI-TARS-2: the prompt as cua builds it, the screenshot dialogue, every `<seed:tool_call>` reply the contract
describes (and what it rejects), writing a person's actions back in its words, cuts at every character, any text,
and the real program on Xvfb against the scripted server answering in UI-TARS-2's syntax."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import read_trajectory
from hypothesis import given, settings
from hypothesis import strategies as st
from test_cut_replies import cut_results
from test_history_exact import same_sample

from agent_app.cli import main as cli_main
from agent_app.core.actions import Action
from agent_app.core.errors import FormatError
from agent_app.core.families.base import Context
from agent_app.core.families.registry import FAMILIES
from agent_app.core.families.uitars2 import FUNCTIONS, SYSTEM_PROMPT, parse_uitars2
from agent_app.core.history import History
from agent_app.core.runs.export import to_ms_swift
from agent_app.testing.scripted_server import count_images

FAMILY = FAMILIES["uitars-2"]


def block(*calls: str) -> str:
    return "<seed:tool_call>" + "".join(calls) + "</seed:tool_call>"


def fn(name: str, **params: str) -> str:
    return f"<function={name}>" + "".join(f"<parameter={k}>{v}</parameter>" for k, v in params.items()) + "</function>"


def acts(reply: str) -> list[dict]:
    return [a.to_json() for a in parse_uitars2(reply).actions]


# ---- the family ----
def test_family_is_registered_in_thousandths_with_its_own_sampling():
    assert FAMILY.coordinates == "thousandths" and FAMILY.span(1932, 1092) == (1000.0, 1000.0)
    assert FAMILY.description == "UI-TARS-2: relative 0–1000 of the screen"
    assert (FAMILY.sampling.temperature, FAMILY.sampling.max_tokens, FAMILY.sampling.frequency_penalty) == (
        0.0, 3000, None)
    assert FAMILY.max_images is None
    assert FAMILY.model_image_size(1920, 1080) == (1932, 1092)


def test_the_prompt_is_cuas_uitars2_prompt():
    head, rest = SYSTEM_PROMPT.split("- You have access to the following functions:\n\n")
    schemas, tail = rest.split("- To call a function, use the following structure without any suffix:\n\n")
    assert head.startswith(
        "You should begin by detailing the internal reasoning process, and then present the answer to the user. "
        "The reasoning process should be enclosed within <think_never_used_51bce0c785ca2f68081bfa7d91973934> "
        "</think_never_used_51bce0c785ca2f68081bfa7d91973934> tags, as follows:\n")
    assert "Provided Mode(s):\nEfficient think.\n\n" in head
    assert head.endswith("## Function Definition\n\n")
    # The functions as pretty JSON, one per paragraph, in cua's order
    decoded = [json.loads(s) for s in schemas.strip().split("\n\n")]
    assert decoded == list(FUNCTIONS)
    assert [f["name"] for f in decoded] == [
        "open_computer", "click", "left_double", "right_single", "scroll", "move_to", "hotkey", "finished", "press",
        "release", "mouse_down", "mouse_up", "call_user", "wait", "drag", "type", "take_screenshot"]
    assert json.dumps(decoded[1], indent=2) in schemas
    assert decoded[15]["parameters"]["properties"]["content"]["description"] == (
        "Type content. If you want to submit your input, use \\n at the end of content.")
    assert tail.startswith("<gui_think> reasoning process </gui_think>\n<seed:tool_call><function=example_function_"
                           "name><parameter=example_parameter_1>value_1</parameter>")
    assert "- Function calls must begin with <function= and end with </function>.\n" in tail
    assert tail.endswith("<parameter=example_parameter_3>value_4</parameter></function></seed:tool_call>")


def test_layout_prompt_task_then_screenshots_alternating_with_replies_and_notes_in_place():
    history = History.for_family(FAMILY, 3)
    replies = [f"<gui_think> step {k} </gui_think>\n" + block(fn("click", point=f"<point>{k} {k}</point>"))
               for k in range(1, 5)]
    for k, reply in enumerate(replies[:2], 1):
        history.add_step(reply, f"data:image/png;base64,IMG{k}")
    history.add_note("Note from the user: use the work account")
    for k, reply in enumerate(replies[2:], 3):
        history.add_step(reply, f"data:image/png;base64,IMG{k}")
    context = Context("  Find the weather  ", "zh", (1932, 1092))
    messages = history.messages(FAMILY, context, "data:image/png;base64,NOW")
    shape = [(m["role"], m["content"][0]["type"], m["content"][0].get("text") or m["content"][0]["image_url"]["url"])
             for m in messages]
    assert shape == [
        ("system", "text", SYSTEM_PROMPT),
        ("user", "text", "Find the weather"),  # the task as the person wrote it; no language line in this prompt
        ("assistant", "text", replies[0]),  # older steps keep their reply, not their screenshot
        ("assistant", "text", replies[1]),
        ("user", "text", "Note from the user: use the work account"),
        ("user", "image_url", "data:image/png;base64,IMG3"),
        ("assistant", "text", replies[2]),
        ("user", "image_url", "data:image/png;base64,IMG4"),
        ("assistant", "text", replies[3]),
        ("user", "image_url", "data:image/png;base64,NOW"),
    ]
    assert count_images({"messages": messages}) == 3
    assert all(len(m["content"]) == 1 for m in messages)


# ---- reading replies ----
REALISTIC = [
    # the facts file's examples
    ("<gui_think> The search box is at the top centre. </gui_think>\n"
     "<seed:tool_call><function=click><parameter=point><point>500 300</point></parameter></function></seed:tool_call>",
     "The search box is at the top centre.", [{"type": "click", "x": 500, "y": 300}]),
    ("<seed:tool_call><function=type><parameter=content>weather in Paris</parameter></function><function=hotkey>"
     "<parameter=key>enter</parameter></function></seed:tool_call>",
     "", [{"type": "type", "text": "weather in Paris"}, {"type": "hotkey", "keys": ["enter"]}]),
    # reasoning in the prompt's think tags, then the call; a value spanning lines; several blocks
    ("<think_never_used_51bce0c785ca2f68081bfa7d91973934>The dialog asks for a name.</think_never_used_51bce0c785ca2f"
     "68081bfa7d91973934>\n<gui_think> Type the name and submit. </gui_think>\n<seed:tool_call>\n<function=type>\n"
     "<parameter=content>\nGrüße, \"世界\" (test) it's 100% <ok>\\n\n</parameter>\n</function>\n</seed:tool_call>\n"
     "<seed:tool_call><function=wait></function></seed:tool_call><|im_end|>",
     "The dialog asks for a name.\n Type the name and submit.",
     [{"type": "type", "text": "Grüße, \"世界\" (test) it's 100% <ok>\n"}, {"type": "wait"}]),
    # a thinking template: only the closing tag survives
    ("用户想打开设置。</think>\n<gui_think> 点击右上角的齿轮图标 </gui_think>"
     "<seed:tool_call><function=left_double><parameter=point><point>985 12</point></parameter></function>"
     "</seed:tool_call>",
     "用户想打开设置。\n 点击右上角的齿轮图标", [{"type": "double_click", "x": 985, "y": 12}]),
    # every pointer function, a box's centre, the edges and beyond
    (block(fn("right_single", point="<point>0 0</point>"), fn("move_to", point="<point>1000 1000</point>"),
           fn("click", point="<point>100 200 300 400</point>"), fn("click", point=" <point>1200 -5</point> ")),
     "", [{"type": "right_click", "x": 0, "y": 0}, {"type": "move", "x": 1000, "y": 1000},
          {"type": "click", "x": 200, "y": 300}, {"type": "click", "x": 1200, "y": -5}]),
    (block(fn("drag", start_point="<point>10 20</point>", end_point="<point>300.5 400</point>")),
     "", [{"type": "drag", "x": 10, "y": 20, "x2": 300.5, "y2": 400}]),
    (block(fn("scroll", point="<point>500 500</point>", direction="down"), fn("scroll", direction="Left")),
     "", [{"type": "scroll", "x": 500, "y": 500, "direction": "down"}, {"type": "scroll", "direction": "left"}]),
    (block(fn("mouse_down", point="<point>40 50</point>"), fn("move_to", point="<point>60 70</point>"),
           fn("mouse_up"), fn("mouse_down", button="left"), fn("mouse_up", point="<point>1 2</point>", button="left")),
     "", [{"type": "mouse_down", "x": 40, "y": 50}, {"type": "move", "x": 60, "y": 70}, {"type": "mouse_up"},
          {"type": "mouse_down"}, {"type": "mouse_up", "x": 1, "y": 2}]),
    # keys: split on spaces, one key for press, release does nothing
    (block(fn("hotkey", key="ctrl shift t"), fn("press", key="Return"), fn("release", key="Return"),
           fn("hotkey", key="alt f4"), fn("press", key="a")),
     "", [{"type": "hotkey", "keys": ["ctrl", "shift", "t"]}, {"type": "hotkey", "keys": ["enter"]},
          {"type": "hotkey", "keys": ["alt", "f4"]}, {"type": "hotkey", "keys": ["a"]}]),
    # typed text: a literal \n is a newline, quotes and markup are text, inner newlines stay
    (block(fn("type", content="print('hi')\\nprint(\"bye\")\\n")), "",
     [{"type": "type", "text": "print('hi')\nprint(\"bye\")\n"}]),
    (block(fn("type", content="line one\nline two </function> <parameter=x>")), "",
     [{"type": "type", "text": "line one\nline two </function> <parameter=x>"}]),
    (block(fn("type", content="")), "", [{"type": "type", "text": ""}]),
    # waits, ends and hand-overs
    (block(fn("take_screenshot"), fn("open_computer"), fn("wait", time="3")), "",
     [{"type": "wait"}, {"type": "wait"}, {"type": "wait"}]),
    ("<gui_think> Done. </gui_think>" + block(fn("finished", content="The answer is '42'.\nBye")), "Done.",
     [{"type": "finished", "content": "The answer is '42'.\nBye"}]),
    (block(fn("finished")), "", [{"type": "finished", "content": ""}]),
    (block(fn("call_user", content="请输入验证码")), "", [{"type": "call_user", "content": "请输入验证码"}]),
    (block(fn("call_user")), "", [{"type": "call_user"}]),
    # only release: a call, but nothing to do
    (block(fn("release", key="shift")), "", []),
]


@pytest.mark.parametrize("reply, thought, expected", REALISTIC)
def test_realistic_replies(reply, thought, expected):
    parsed = parse_uitars2(reply)
    assert [a.to_json() for a in parsed.actions] == expected
    assert parsed.thought == thought


@pytest.mark.parametrize("reply, reason", [
    ("", "empty reply"),
    ("   \n", "empty reply"),
    ("<gui_think> I will click the button. </gui_think>", "no function call"),
    ("<seed:tool_call></seed:tool_call>", "no function call"),
    ("Action: click(point='<point>1 2</point>')", "no function call"),
    ("<seed:tool_call><function=click><parameter=point><point>1 2</point></parameter></function>",
     "block is not closed"),
    ("<seed:tool_call><function=click><parameter=point><point>1 2</point></parameter>", "call of click is not closed"),
    ("<seed:tool_call><function=click><parameter=point><point>1 2</point>", "parameter 'point' of click is not closed"),
    ("<seed:tool_call><function=click><parameter=point><point>1 2", "parameter 'point' of click is not closed"),
    ("<seed:tool_call><function=cli", "<function=…> tag is not closed"),
    ("<seed:tool_call><function=click></function></seed:tool_call>", "click without point"),
    ("<seed:tool_call><function=click><parameter=point></parameter></function></seed:tool_call>",
     "click without point"),
    (block(fn("left_double", position="<point>1 2</point>")), "left_double without point"),
    (block(fn("drag", end_point="<point>1 2</point>")), "drag without start_point"),
    (block(fn("drag", start_point="<point>1 2</point>")), "drag without end_point"),
    (block(fn("click", point="<point>1 2")), "unclosed coordinate group"),
    (block(fn("click", point="<point>one two</point>")), "cannot read coordinates"),
    (block(fn("click", point="<point>99999999 2</point>")), "out of range"),
    (block(fn("launch_app", app="Firefox")), "unknown function 'launch_app'"),
    (block(fn("click", point="<point>1 2</point>"), fn("execute_bash", cmd="rm -rf ~")), "unknown function"),
    # a number in exponent form is read whole (out of range), never as the digits before its "e"
    (block(fn("click", point="<point>1e999 1</point>")), "coordinates out of range"),
    (block(fn("click", point="<point>5 -1E+9</point>")), "coordinates out of range"),
    (block(fn("scroll")), "scroll needs a direction"),
    (block(fn("scroll", direction="sideways")), "scroll needs a direction"),
    (block(fn("mouse_down", button="right")), "only the left button"),
    (block(fn("hotkey")), "hotkey without keys"),
    (block(fn("hotkey", key="ctrl frobnicate")), "unknown key"),
    (block(fn("press")), "press without a key"),
    (block(fn("press", key="ctrl c")), "unknown key"),
    (block(fn("type")), "type without content"),
    (block(fn("type", content="a"), "then", fn("wait")), "unexpected text in a <seed:tool_call> block"),
    ("<seed:tool_call><function=type><parameter=content>a</parameter>junk</function></seed:tool_call>",
     "unexpected text in the call of type"),
    ("<seed:tool_call><function=click point=1></function></seed:tool_call>", "cannot read the function name"),
    (block(fn("type", content="a").replace("</function>", "<parameter=content>b</parameter></function>")),
     "names its parameter 'content' twice"),
    (fn("click", point="<point>1 2</point>"), "outside <seed:tool_call>"),
    (block(fn("wait")) + fn("click", point="<point>1 2</point>"), "outside <seed:tool_call>"),
    # hosted Doubao-Seed's other spelling is not this family's (not contracted)
    ('<seed:tool_call><function name="click"><parameter name="point" string="true"><point>1 2</point></parameter>'
     "</function></seed:tool_call>", "unexpected text in a <seed:tool_call> block"),
])
def test_contract_rejections(reply, reason):
    with pytest.raises(FormatError, match=reason.replace("(", r"\(").replace(")", r"\)")) as e:
        parse_uitars2(reply)
    assert "\n" not in str(e.value)


def test_the_same_bounds_as_every_other_text_family():
    # qwen, opencua, glm and aguvis refuse a reply over MAX_REPLY_CHARS and more than MAX_ACTIONS calls; so does this
    from agent_app.core.families.pycode import MAX_ACTIONS, MAX_REPLY_CHARS

    assert len(parse_uitars2(block(*[fn("wait")] * MAX_ACTIONS)).actions) == MAX_ACTIONS
    with pytest.raises(FormatError, match=f"more than {MAX_ACTIONS} function calls"):
        parse_uitars2(block(*[fn("wait")] * (MAX_ACTIONS + 1)))
    with pytest.raises(FormatError, match="too long"):
        parse_uitars2(block(fn("type", content="a" * MAX_REPLY_CHARS)))


def test_one_bad_call_rejects_the_whole_reply():
    good = fn("click", point="<point>1 2</point>")
    with pytest.raises(FormatError):
        parse_uitars2(block(good, good) + block(good, fn("click")))


# ---- the CLI's parse command ----
def run_parse(monkeypatch, capsys, text: str, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    rc = cli_main(["parse", "--model-family", "uitars-2", *args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_cli_parse_maps_thousandths_to_screen_pixels_whatever_the_image(monkeypatch, capsys):
    reply = "<gui_think> Drag it. </gui_think>" + block(
        fn("drag", start_point="<point>500 250</point>", end_point="<point>1200 -10</point>"),
        fn("scroll", direction="up"), fn("click", point="<point>999 999</point>"))
    rc, out, _ = run_parse(monkeypatch, capsys, reply, "--screen", "1920x1080")
    assert rc == 0
    assert json.loads(out) == {"thought": "Drag it.", "actions": [
        {"type": "drag", "x": 960, "y": 270, "x2": 1919, "y2": 0},  # x / 1000 * w, clamped to the screen
        {"type": "scroll", "direction": "up"},
        {"type": "click", "x": 1918, "y": 1079},
    ]}
    rc, out2, _ = run_parse(monkeypatch, capsys, reply, "--screen", "1920x1080", "--image", "1280x720")
    assert out2 == out


def test_cli_parse_rejects_with_exit_2_and_one_line_in_a_subprocess():
    proc = subprocess.run(
        [sys.executable, "-m", "agent_app", "parse", "--model-family", "uitars-2", "--screen", "1000x500"],
        input="<seed:tool_call><function=click><parameter=point><point>5", capture_output=True, text=True,
        timeout=60)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.count("\n") == 1 and "cut off" in proc.stderr and "Traceback" not in proc.stderr


# ---- cut anywhere ----
CUT_REPLIES = [r for r, _, expected in REALISTIC if expected]


@pytest.mark.parametrize("reply", CUT_REPLIES)
def test_reply_cut_at_every_character(reply):
    accepted = cut_results(parse_uitars2, reply)
    if reply.count("<seed:tool_call>") == 1:
        assert all(i >= reply.index("</seed:tool_call>") + len("</seed:tool_call>") for i, _ in accepted)


# ---- writing a person's actions in UI-TARS-2's words ----
def test_format_reply_shape():
    reply = FAMILY.format_reply([Action("click", x=412, y=233), Action("type", text="it's\n")], "Fix  it.\n",
                                "click; type")
    assert reply == ("<gui_think> Fix it. </gui_think>\n<seed:tool_call><function=click><parameter=point>"
                     "<point>412 233</point></parameter></function><function=type><parameter=content>it's\\n"
                     "</parameter></function></seed:tool_call>")
    # What the family cannot say is left out: a click at the pointer, a middle click, a drag from the pointer
    # The plus key has a name: between two keys a bare "+" would join them ("pageup + ctrl" is pageup+ctrl)
    reply = FAMILY.format_reply([Action("hotkey", keys=("pageup", "+", "ctrl")), Action("hotkey", keys=("+",))], "")
    assert "<parameter=key>pageup plus ctrl</parameter>" in reply and "<parameter=key>plus</parameter>" in reply
    assert [a.keys for a in FAMILY.parse(reply).actions] == [("pageup", "+", "ctrl"), ("+",)]
    assert FAMILY.format_reply([Action("click"), Action("middle_click", x=1, y=2), Action("drag", x2=3, y2=4),
                                Action("hotkey", keys=("ctrl", "c"))], "") == (
        "<seed:tool_call><function=hotkey><parameter=key>ctrl c</parameter></function></seed:tool_call>")


POINT = st.tuples(st.integers(-50, 1100), st.integers(-50, 1100))
# What a UI-TARS-2 value can hold: it is trimmed and knows no escapes (a literal \n is a newline).
SAYABLE = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n\t<>'\"/="), max_size=30) \
    .filter(lambda t: t == t.strip() and "\\n" not in t and "</parameter>" not in t and "\r" not in t)
KEYS = st.lists(st.sampled_from(["ctrl", "shift", "alt", "win", "a", "z", "1", "enter", "f4", "tab", "+", "pageup"]),
                min_size=1, max_size=3, unique=True).map(tuple)


@st.composite
def sayable_actions(draw) -> Action:
    kind = draw(st.sampled_from(["click", "double_click", "right_click", "move", "drag", "scroll", "mouse_down",
                                 "mouse_up", "hotkey", "type", "wait", "finished", "call_user"]))
    (x, y), (x2, y2) = draw(POINT), draw(POINT)
    if kind in ("click", "double_click", "right_click", "move"):
        return Action(kind, x=x, y=y)
    if kind == "drag":
        return Action(kind, x=x, y=y, x2=x2, y2=y2)
    at = draw(st.booleans())
    if kind == "scroll":
        return Action(kind, x=x if at else None, y=y if at else None,
                      direction=draw(st.sampled_from(["up", "down", "left", "right"])))
    if kind in ("mouse_down", "mouse_up"):
        return Action(kind, x=x if at else None, y=y if at else None)
    if kind == "hotkey":
        return Action(kind, keys=draw(KEYS))
    if kind == "type":
        text = draw(SAYABLE)
        return Action(kind, text=text + ("\n" if draw(st.booleans()) else ""))
    if kind == "finished":
        return Action(kind, content=draw(SAYABLE))
    if kind == "call_user":
        return Action(kind, content=draw(st.none() | SAYABLE))
    return Action(kind)


@settings(max_examples=400, deadline=None)
@given(st.lists(sayable_actions(), min_size=1, max_size=5), SAYABLE)
def test_format_reply_round_trips_every_action_the_family_can_say(actions, thought):
    reply = FAMILY.format_reply(actions, thought, "summary")
    parsed = FAMILY.parse(reply)
    assert parsed.actions == actions, reply
    assert parsed.thought == " ".join(thought.split())


@settings(max_examples=150, deadline=None)
@given(st.lists(sayable_actions(), min_size=1, max_size=3).filter(lambda a: a[0].type != "wait"), SAYABLE)
def test_any_reply_cut_anywhere_gives_a_format_error_or_a_whole_prefix(actions, thought):
    cut_results(FAMILY.parse, FAMILY.format_reply(actions, thought))


# ---- any text ----
FRAGMENTS = st.sampled_from([
    "<seed:tool_call>", "</seed:tool_call>", "<function=", "</function>", "<parameter=", "</parameter>", ">", "<",
    "click", "type", "drag", "scroll", "hotkey", "press", "release", "finished", "call_user", "wait", "mouse_down",
    "point", "start_point", "end_point", "content", "key", "direction", "button", "<point>", "</point>", "1 2",
    "500 300", "-7 1e400", "up", "right", "ctrl c", "\\n", "\n", " ", "<gui_think>", "</gui_think>", "</think>",
    "中文", "'", '"', "(", ")", "nan", "1" * 30,
])


@settings(max_examples=600, deadline=None)
@given(st.one_of(st.text(max_size=300), st.lists(FRAGMENTS, max_size=50).map("".join)))
def test_any_text_gives_actions_or_a_format_error(text):
    try:
        parsed = parse_uitars2(text)
    except FormatError as e:
        assert str(e) and "\n" not in str(e)
        return
    assert isinstance(parsed.thought, str)
    for a in parsed.actions:
        assert a.type in ("click", "double_click", "right_click", "move", "drag", "scroll", "mouse_down",
                          "mouse_up", "hotkey", "type", "wait", "finished", "call_user")
        for v in (a.x, a.y, a.x2, a.y2):
            assert v is None or (isinstance(v, float) and abs(v) <= 1e6)


# ---- the real program on a real display ----
def point(desktop, x: int, y: int) -> str:
    """The 0..1000 point a UI-TARS-2 model would name for screen pixel (x, y)."""
    return f"<point>{round(x * 1000 / desktop.width)} {round(y * 1000 / desktop.height)}</point>"


def landing(desktop, mx: int, my: int) -> tuple[int, int]:
    """Where the contract says a 0..1000 point lands: x / 1000 * w, rounded, clamped to the screen."""
    def one(v: int, size: int) -> int:
        return min(max(round(v / 1000 * size), 0), size - 1)
    return one(mx, desktop.width), one(my, desktop.height)


@pytest.mark.x11
def test_clicks_land_where_the_thousandths_say(cli, server, desktop):
    points = [(500, 500), (1, 999), (999, 1), (123, 457), (1000, 500), (0, 250)]  # the edges too, not a corner
    seen: list[tuple[int, int]] = []

    def then(reply: str):
        def item(body):
            seen.append(desktop.pointer())  # the previous step has been carried out when the next request comes
            return reply
        return item

    replies = ["<gui_think> There. </gui_think>" + block(fn(name, point=f"<point>{x} {y}</point>"))
               for (x, y), name in zip(points, ["click", "move_to", "left_double", "right_single", "click", "click"],
                                       strict=True)]
    server.add(replies[0], *(then(r) for r in replies[1:]),
               then("<gui_think> Done. </gui_think>" + block(fn("finished", content="clicked"))))
    proc, summary = cli.run_task(server, "click around", "--model-family", "uitars-2")
    assert proc.returncode == 0, proc.stderr
    assert summary["final_answer"] == "clicked"
    assert seen == [landing(desktop, *p) for p in points]  # 0 px from the contract's pixel
    executed = [(a["x"], a["y"]) for s in read_trajectory(summary["run_dir"]) if s["kind"] == "step"
                for a in s["actions"] if "x" in a]
    assert executed == seen


@pytest.mark.x11
def test_typed_unicode_arrives_exactly_and_the_export_is_what_was_sent(cli, server, desktop, tmp_path):
    zen = desktop.spawn(["zenity", "--entry", "--title", "UI-TARS-2 entry", "--text", "Type here"],
                        stdout=subprocess.PIPE, text=True)
    desktop.procs.append(zen)
    x, y, w, h = desktop.wait_window("UI-TARS-2 entry")
    text = 'Grüße, "世界" (test) it\'s 100% <ok> — ñ € </function>'
    server.add(
        "<gui_think> Click the entry field. </gui_think>\n" + block(fn("click", point=point(desktop, x + w // 2,
                                                                                             y + h // 2))),
        "<gui_think> 输入文字并提交 </gui_think>\n<seed:tool_call><function=type><parameter=content>\n"
        f"{text}\\n\n</parameter></function></seed:tool_call>",
        "<gui_think> The dialog is closed. </gui_think>" + block(fn("finished", content="typed")),
    )
    proc, summary = cli.run_task(server, "type a greeting", "--model-family", "uitars-2", "--history-images", "2")
    assert proc.returncode == 0, proc.stderr
    out, _ = zen.communicate(timeout=10)
    assert out == text + "\n" and zen.returncode == 0  # the trailing \n pressed Enter once
    bodies = [r["body"] for r in server.chat_requests()]
    assert all(b["max_tokens"] == 3000 and "frequency_penalty" not in b for b in bodies)  # the family's sampling
    assert [count_images(b) for b in bodies] == [1, 2, 2]
    assert bodies[0]["messages"][0]["content"][0]["text"] == SYSTEM_PROMPT
    run_dir = Path(summary["run_dir"])
    steps = [s for s in read_trajectory(run_dir) if s["kind"] == "step"]
    assert read_trajectory(run_dir)[0]["settings"]["model_family"] == "uitars-2"
    out_dir = tmp_path / "export"
    proc = cli.run("runs", "export", "--out", str(out_dir), "--runs-dir", str(cli.runs_dir))
    assert proc.returncode == 0, proc.stderr
    samples = [json.loads(x) for x in (out_dir / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(samples) == len(bodies) == len(steps) == 3
    for body, step, sample in zip(bodies, steps, samples, strict=True):
        same_sample(to_ms_swift(FAMILY, body["messages"], step["response"]), sample, run_dir, out_dir)


@pytest.mark.x11
def test_call_user_ends_a_headless_run_with_exit_4(cli, server, desktop):
    server.add("<gui_think> Only the user knows the password. </gui_think>"
               + block(fn("call_user", content="Please type the password.")))
    proc, summary = cli.run_task(server, "log in", "--model-family", "uitars-2")
    assert proc.returncode == 4, proc.stderr
    assert (summary["status"], summary["steps"]) == ("call_user", 1)
    step = next(s for s in read_trajectory(summary["run_dir"]) if s["kind"] == "step")
    assert step["actions"] == [{"type": "call_user", "content": "Please type the password."}]
