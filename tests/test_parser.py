"""The UI-TARS-family parser on what real models and servers write, plus property tests: any input gives
actions or our own FormatError, never anything else."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_app.core.errors import FormatError
from agent_app.core.families.uitars_parser import add_box_tokens, parse_uitars
from agent_app.core.keys import normalize_combo, normalize_key


def actions(text: str) -> list[dict]:
    return [a.to_json() for a in parse_uitars(text).actions]


# ---- realistic replies, per family ----
def test_uitars_15_vllm_stripped_box_tokens():
    r = parse_uitars(
        "Thought: I need to open the Chrome browser, the icon is on the desktop.\n"
        "Action: click(start_box='(197,525)')"
    )
    assert r.thought == "I need to open the Chrome browser, the icon is on the desktop."
    assert [a.to_json() for a in r.actions] == [{"type": "click", "x": 197.0, "y": 525.0}]


def test_uitars_with_box_tokens_and_im_end():
    assert actions("Thought: 点击搜索框\nAction: click(start_box='<|box_start|>(235,512)<|box_end|>')<|im_end|>") == [
        {"type": "click", "x": 235.0, "y": 512.0}
    ]


def test_uitars_10_reflection_and_action_summary_sections():
    r = parse_uitars(
        "Reflection: The settings page is open now.\nAction_Summary: Double-click the Display item.\n"
        "Action: left_double(start_box='[100, 200, 300, 400]')"
    )
    assert "Reflection: The settings page is open now." in r.thought
    assert "Action_Summary: Double-click the Display item." in r.thought
    assert actions("Action: left_double(start_box='[100, 200, 300, 400]')") == [
        {"type": "double_click", "x": 200.0, "y": 300.0}
    ]


def test_box_of_four_numbers_means_its_centre():
    assert actions("Action: right_single(start_box='(10,20,30,60)')") == [{"type": "right_click", "x": 20.0, "y": 40.0}]
    assert actions("Action: click(start_box='<bbox>10 20 30 60</bbox>')") == [{"type": "click", "x": 20.0, "y": 40.0}]


def test_doubao_point_syntax_and_decimals():
    assert actions("Thought: x\nAction: click(point='<point>512.5 300</point>')") == [
        {"type": "click", "x": 512.5, "y": 300.0}
    ]
    assert actions("Action: drag(start_point='<point>10 20</point>', end_point='<point>30 40</point>')") == [
        {"type": "drag", "x": 10.0, "y": 20.0, "x2": 30.0, "y2": 40.0}
    ]
    assert actions("Action: scroll(point='<point>500 500</point>', direction='down')") == [
        {"type": "scroll", "x": 500.0, "y": 500.0, "direction": "down"}
    ]


def test_a_coordinate_in_exponent_form_is_one_number_never_its_leading_digits():
    # "1e999" once read as the 1 before its "e" (and "2e3" as 2): a click where the model did not point
    with pytest.raises(FormatError, match="out of range"):
        parse_uitars("Action: click(start_box='(1e999,1)')")
    with pytest.raises(FormatError, match="out of range"):
        parse_uitars("Action: click(point='<point>5 -1E+9</point>')")
    assert actions("Action: click(start_box='(2e2,3.5e1)')") == [{"type": "click", "x": 200.0, "y": 35.0}]


def test_code_fences_and_think_tags():
    text = "<think>The user wants…</think>\n```\nThought: Press enter.\nAction: hotkey(key='enter')\n```"
    r = parse_uitars(text)
    assert r.thought == "Press enter."
    assert [a.to_json() for a in r.actions] == [{"type": "hotkey", "keys": ["enter"]}]


@pytest.mark.parametrize(
    "written, keys",
    [("ctrl c", ["ctrl", "c"]), ("ctrl+c", ["ctrl", "c"]), ("Ctrl+Shift+T", ["ctrl", "shift", "t"]),
     ("ctrl + alt + del", ["ctrl", "alt", "delete"]), ("Return", ["enter"]), ("ESCAPE", ["esc"]),
     ("ctrl++", ["ctrl", "+"]), ("alt f4", ["alt", "f4"]), ("arrowdown", ["down"]), ("PageUp", ["pageup"])],
)
def test_hotkey_spellings(written, keys):
    assert actions(f"Action: hotkey(key='{written}')") == [{"type": "hotkey", "keys": keys}]


def test_logo_key_is_mapped_per_platform():
    assert normalize_combo("cmd+space", "darwin") == ("command", "space")
    assert normalize_combo("command c", "linux") == ("win", "c")
    assert normalize_combo("super", "win32") == ("win",)
    assert normalize_key("option", "darwin") == "option" and normalize_key("option", "linux") == "alt"


def test_unknown_key_is_a_format_error():
    with pytest.raises(FormatError, match="unknown key"):
        parse_uitars("Action: hotkey(key='hyper_turbo')")


def test_type_content_escapes_and_real_newlines_and_parentheses():
    assert actions("Action: type(content='He said \\'hi\\' and \\\"bye\\\"\\n')") == [
        {"type": "type", "text": "He said 'hi' and \"bye\"\n"}
    ]
    assert actions("Action: type(content='line one (a)\nline two (b)')") == [
        {"type": "type", "text": "line one (a)\nline two (b)"}
    ]
    assert actions("Action: type(content='It's fine, isn't it')") == [{"type": "type", "text": "It's fine, isn't it"}]
    assert actions('Action: type(content="double \\"quoted\\" text")') == [
        {"type": "type", "text": 'double "quoted" text'}
    ]


def test_chinese_thought_and_content():
    r = parse_uitars("Thought: 在搜索框中输入“天气”。\nAction: type(content='今天的天气\\n')")
    assert r.thought == "在搜索框中输入“天气”。"
    assert r.actions[0].text == "今天的天气\n"


def test_several_actions_run_in_order():
    assert [a["type"] for a in actions(
        "Thought: Select all and replace.\nAction: hotkey(key='ctrl a')\n\nAction: type(content='new')\n"
        "click(start_box='(5,6)')"
    )] == ["hotkey", "type", "click"]


def test_missing_and_extra_spaces():
    assert actions("Thought:x\nAction:click (start_box = ( 12 , 34 ) )") == [{"type": "click", "x": 12.0, "y": 34.0}]
    assert actions("Action: click(x=12, y=34)") == [{"type": "click", "x": 12.0, "y": 34.0}]


def test_scroll_variants():
    assert actions("Action: scroll(start_box='(1,2)', direction='down or up')")[0]["direction"] == "down"
    assert actions("Action: scroll(direction='left')") == [{"type": "scroll", "direction": "left"}]
    with pytest.raises(FormatError, match="scroll direction"):
        parse_uitars("Action: scroll(start_box='(1,2)', direction='sideways')")


def test_terminal_actions():
    assert actions("Action: finished(content='The answer is \\'42\\'.\\nBye')") == [
        {"type": "finished", "content": "The answer is '42'.\nBye"}
    ]
    assert actions("Action: finished()") == [{"type": "finished", "content": ""}]
    assert actions("Thought: I need the password.\nAction: call_user()") == [{"type": "call_user"}]
    assert actions("Action: wait()") == [{"type": "wait"}]


@pytest.mark.parametrize(
    "text, message",
    [("", "empty"), ("   ", "empty"), ("I am not sure.", "no action"), ("Action: frobnicate(1)", "unknown action"),
     ("Action: click(start_box='(x1,y1)')", "coordinates"), ("Action: click()", "without coordinates"),
     ("Action: drag(start_box='(1,2)')", "start and an end"),
     ("Action: click(start_box='(1" + "0" * 400 + ",2)')", "out of range")],
)
def test_format_errors_say_why(text, message):
    with pytest.raises(FormatError, match=message):
        parse_uitars(text)


def test_add_box_tokens_for_history_turns():
    assert add_box_tokens("Action: drag(start_box='(1,2)', end_box='(3,4)')") == (
        "Action: drag(start_box='<|box_start|>(1,2)<|box_end|>', end_box='<|box_start|>(3,4)<|box_end|>')"
    )
    already = "Action: click(start_box='<|box_start|>(1,2)<|box_end|>')"
    assert add_box_tokens(already) == already


# ---- properties ----
FRAGMENTS = st.sampled_from([
    "Thought: ", "Action: ", "Reflection: ", "click", "left_double", "drag", "hotkey", "type", "scroll", "wait",
    "finished", "call_user", "(", ")", "(", ")", "start_box=", "end_box=", "point=", "key=", "content=",
    "direction=", "'", '"', "\\", "\\'", "\\n", "\n", ",", " ", "<|box_start|>", "<|box_end|>", "<point>",
    "</point>", "<bbox>", "[", "]", "1", "23", "456.5", "-7", "1e5", "99999999999999999999", "ctrl", "c", "+",
    "down", "up", "#", "```", "<|im_end|>", "中文", "é", "\x00",
])


@settings(max_examples=600, deadline=None)
@given(st.one_of(st.text(), st.lists(FRAGMENTS, max_size=40).map("".join)))
def test_any_input_gives_actions_or_format_error(text):
    try:
        reply = parse_uitars(text)
    except FormatError as e:
        assert str(e)
        return
    assert reply.actions
    for a in reply.actions:
        for v in (a.x, a.y, a.x2, a.y2):
            assert v is None or abs(v) <= 1e6


SAFE_TEXT = st.text().filter(lambda s: "<|" not in s and "think" not in s.lower() and "\r" not in s)


@settings(max_examples=300, deadline=None)
@given(SAFE_TEXT)
def test_type_content_round_trips_through_the_escaping_convention(content):
    escaped = content.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")
    reply = parse_uitars(f"Thought: type it\nAction: type(content='{escaped}')")
    assert reply.actions[0].text == content
