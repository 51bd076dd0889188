"""A reply cut off at any character is never acted on in part (issue 10 item 2, the parsers' side).

The rule, for every family and every cut position: parsing the first i characters of a whole reply gives a
FormatError, or exactly the first k actions of the whole reply (k ≥ 1) — what a prefix that is itself a whole
reply says, which happens only right after a call's closing parenthesis. Never a shortened string, a partial
coordinate or an action the whole reply does not have. (The model client sees to it that only whole replies
reach a parser; this is the second line.)
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_app.core.actions import Action
from agent_app.core.errors import FormatError
from agent_app.core.families.aguvis import parse_aguvis
from agent_app.core.families.registry import get_family
from agent_app.core.families.uitars_parser import parse_uitars


def cut_results(parse, reply: str) -> list[tuple[int, list[Action]]]:
    """(cut position, actions) for every prefix of `reply` that parses; asserts the rule for each."""
    whole = parse(reply).actions
    assert whole, "the whole reply must parse"
    accepted = []
    for i in range(len(reply) + 1):
        try:
            actions = parse(reply[:i]).actions
        except FormatError:
            continue
        assert 1 <= len(actions) <= len(whole), (i, reply[:i])
        assert actions == whole[: len(actions)], f"cut at {i}: {reply[:i]!r} gave {actions}, not a prefix of {whole}"
        accepted.append((i, actions))
    return accepted


UITARS_REPLIES = [
    "Thought: I need to open the Chrome browser, the icon is on the desktop.\nAction: click(start_box='(1500,90)')",
    "Thought: 点击搜索框\nAction: click(start_box='<|box_start|>(235,512)<|box_end|>')<|im_end|>",
    "Reflection: The settings page is open now.\nAction_Summary: Double-click the Display item.\n"
    "Action: left_double(start_box='[100, 200, 300, 400]')",
    "Thought: Move the file.\nAction: drag(start_point='<point>10 20</point>', end_point='<point>300 400</point>')",
    "Thought: Drag it.\nAction: drag(start_box='(12,34)', end_box='(560,780)')",
    "Thought: Type the command.\nAction: type(content='git push --force origin main\\n')",
    "Thought: Say it.\nAction: type(content='He said \\'hi\\' and \\\"bye\\\" (twice), ok?\\n')",
    "Action: type(content='It's fine, isn't it')",
    "Thought: Two lines.\nAction: type(content='line one (a)\nline two (b)')",
    "Thought: Select all and replace.\nAction: hotkey(key='ctrl a')\n\nAction: type(content='new text')\n"
    "click(start_box='(5,6)')",
    "Thought: Scroll down to the results.\nAction: scroll(start_box='(960,540)', direction='down')",
    "Thought: Done.\nAction: finished(content='The answer is \\'42\\'.\\nBye')",
    "Thought: I need the password.\nAction: call_user()",
    "Thought: Loading.\nAction: wait()",
    "Thought:x\nAction:click (start_box = ( 12 , 34 ) )",
    "Thought: x\nAction: click(x=1234, y=567)",
    "Thought: x\nAction: click(start_box=(1500,90))",
    "<think>The user wants it sent.</think>\n```\nThought: Press enter.\nAction: hotkey(key='enter')\n```",
]


@pytest.mark.parametrize("reply", UITARS_REPLIES)
def test_uitars_reply_cut_at_every_character(reply):
    accepted = cut_results(parse_uitars, reply)
    assert accepted[-1] == (len(reply), parse_uitars(reply).actions)
    # The first cut that yields k actions ends on the closing parenthesis of the k-th call.
    first: dict[int, int] = {}
    for i, actions in accepted:
        first.setdefault(len(actions), i)
    for i in first.values():
        assert reply[:i].endswith(")"), reply[:i]


@pytest.mark.parametrize("cut, reason", [
    ("Thought: Open the menu.\nAction: click(start_box='(1500,90", "unterminated string"),
    ("Thought: Push it.\nAction: type(content='git push --force origin ma", "unterminated string"),
    ("Thought: Open the menu.\nAction: click(start_box='(1500,90)'", "not closed"),
    ("Thought: Open the menu.\nAction: click(start_box=(1500,90", "not closed"),
    ("Thought: Open the menu.\nAction: click(x=1500, y=9", "not closed"),
    ("Action: hotkey(key='ctrl a')\n\nAction: type(content='new te", "unterminated string"),
    ("Action: call_user(", "not closed"),
])
def test_the_cuts_from_the_issue_are_format_errors(cut, reason):
    with pytest.raises(FormatError, match=reason):
        parse_uitars(cut)


@pytest.mark.parametrize("value", [
    "(1500,90", "<|box_start|>(1500,90)", "<point>15 90", "<bbox>10 20 30 40", "[1, 2, 3, 4", "((1,2)",
])
def test_an_unclosed_coordinate_group_inside_a_closed_string_is_a_format_error(value):
    with pytest.raises(FormatError, match="unclosed coordinate group"):
        parse_uitars(f"Action: click(start_box='{value}')")


AGUVIS_REPLIES = [
    "Observation: the desktop.\nThought: open it\nAction: Click the Chrome icon.<|im_end|>\n"
    "<|im_start|>assistant<|recipient|>os\npyautogui.click(x=0.7812, y=0.0833)",
    "The desktop.\nThought: open it\nAction: Double-click the icon.\nassistantos\npyautogui.doubleClick(0.5, 0.5)",
    "A terminal.\nThought: push\nAction: Type the command.\nassistantos\n"
    "pyautogui.write(message='git push --force origin main')\npyautogui.press('enter')",
    "Thought: copy and move\n```python\npyautogui.hotkey('ctrl', 'c')\npyautogui.moveTo(0.25, 0.75)\n"
    "pyautogui.dragTo(0.5, 0.5)\n```",
    "Thought: scroll\nassistantos\npyautogui.scroll(-15, x=0.5, y=0.5)",
    "The answer is there.\nassistantos\nanswer('The capital is Paris')",
    "Done.\nassistantos\ncomputer.terminate(status='success')",
    "pyautogui.click(0.1, 0.2)\nWAIT",
]


@pytest.mark.parametrize("reply", AGUVIS_REPLIES)
def test_aguvis_reply_cut_at_every_character(reply):
    cut_results(parse_aguvis, reply)


@pytest.mark.parametrize("cut", [
    "assistantos\npyautogui.click(x=0.78, y=0.0",
    "assistantos\npyautogui.write(message='git push --force origin ma",
    "assistantos\npyautogui.click(0.1, 0.2)\npyautogui.write",
    "assistantos\npyautogui.click(0.1, 0.2)\nDON",
    "```python\npyautogui.scroll(-1",
])
def test_aguvis_cuts_are_format_errors(cut):
    with pytest.raises(FormatError):
        parse_aguvis(cut)


def test_a_huge_integer_in_an_aguvis_reply_is_a_format_error():
    for code in ("pyautogui.click(x=1" + "0" * 400 + ", y=0.2)", "pyautogui.scroll(-" + "9" * 500 + ")",
                 "pyautogui.dragTo(from_coord=[1" + "0" * 400 + ", 0], to_coord=[0, 0])"):
        with pytest.raises(FormatError, match="must be a number"):
            parse_aguvis(code)


# ---- the same over the whole range: any actions, in each family's own words, cut anywhere ----
TEXT = st.text(alphabet="ab '\"()\\\n,=:<>#中é", max_size=20)
POINT = st.tuples(st.integers(0, 1999), st.integers(0, 1999))
UNIT = st.tuples(st.floats(0, 1, allow_nan=False), st.floats(0, 1, allow_nan=False))


@st.composite
def actions(draw, unit: bool) -> Action:
    kind = draw(st.sampled_from(["click", "double_click", "right_click", "drag", "hotkey", "type", "scroll",
                                 "wait", "finished", "call_user"]))
    p, q = (draw(UNIT), draw(UNIT)) if unit else (draw(POINT), draw(POINT))
    if kind in ("click", "double_click", "right_click"):
        return Action(kind, x=p[0], y=p[1])
    if kind == "drag":
        return Action(kind, x=p[0], y=p[1], x2=q[0], y2=q[1])
    if kind == "hotkey":
        return Action(kind, keys=tuple(draw(st.lists(st.sampled_from(["ctrl", "shift", "a", "enter", "f4"]),
                                                     min_size=1, max_size=3, unique=True))))
    if kind == "type":
        return Action(kind, text=draw(TEXT))
    if kind == "scroll":
        at = draw(st.booleans())
        return Action(kind, x=p[0] if at else None, y=p[1] if at else None,
                      direction=draw(st.sampled_from(["up", "down", "left", "right"])))
    if kind == "finished":
        return Action(kind, content=draw(TEXT))
    return Action(kind)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["uitars-1.5", "uitars-1.0", "doubao", "aguvis"]), st.data())
def test_any_reply_cut_anywhere_gives_a_format_error_or_a_whole_prefix(family_name, data):
    family = get_family(family_name)
    unit = family_name == "aguvis"
    acts = data.draw(st.lists(actions(unit), min_size=1, max_size=3))
    reply = get_family(family_name).format_reply(acts, data.draw(TEXT.filter(lambda t: "(" not in t)) or "go")
    try:
        family.parse(reply)
    except FormatError:
        return  # an action list the family cannot say (a hotkey Aguvis cannot press, say): nothing to cut
    cut_results(family.parse, reply)
