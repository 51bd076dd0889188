"""Writing actions in each family's own words (the parsers' inverse) and turning a person's raw input into
actions — the two halves of the correction pairs recorded during takeovers."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_app.core.actions import Action
from agent_app.core.desktop.person import PersonRecorder
from agent_app.core.families.qwen import SCROLL_CLICKS, QwenToolFamily
from agent_app.core.families.registry import FAMILIES

coord = st.integers(0, 999)
TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40).filter(
    lambda s: "<|" not in s and "think" not in s.lower())


def format_reply(family: str, *args):
    return FAMILIES[family].format_reply(*args)


def actions_strategy(family: str):
    pts = st.tuples(coord, coord) if family != "aguvis" else st.tuples(
        st.integers(0, 9999).map(lambda v: v / 10000), st.integers(0, 9999).map(lambda v: v / 10000))
    point = pts.map(lambda p: {"x": p[0], "y": p[1]})
    return st.one_of(
        st.builds(lambda p, t: Action(t, **p), point, st.sampled_from(["click", "double_click", "right_click"])),
        st.builds(lambda a, b: Action("drag", x=a["x"], y=a["y"], x2=b["x"], y2=b["y"]), point, point),
        st.builds(lambda k: Action("hotkey", keys=k), st.sampled_from([("ctrl", "c"), ("enter",), ("alt", "f4")])),
        st.builds(lambda t: Action("type", text=t), TEXT),
        st.builds(lambda p, d: Action("scroll", direction=d, **p), point, st.sampled_from(["up", "down"])),
    )


def said(family: str, actions: list[Action]) -> list[Action]:
    """What a family's own words give back, where they cannot say the actions one for one: OpenCUA writes a drag
    from a point as moveTo + dragTo (a move, then the drag) and every scroll with a wheel-click count (the app's
    default 5 for a person's scroll); GLM-4.5V says one action a reply (the person's first). Qwen's computer_use
    tool drags from the pointer and scrolls by an amount: a drag's start is a mouse_move first (unless the pointer
    is there already), and a scroll without an amount is SCROLL_CLICKS wheel clicks."""
    if family == "glm-4.5v":
        return actions[:1]
    if family == "gemini":
        return _gemini_says(actions)
    if family == "opencua":
        out: list[Action] = []
        for a in actions:
            if a.type == "drag":
                out.append(Action("move", x=a.x, y=a.y))
            out.append(Action("scroll", x=a.x, y=a.y, direction=a.direction, amount=5) if a.type == "scroll" else a)
        return out
    if not isinstance(FAMILIES[family], QwenToolFamily):
        return actions
    out = []
    last = None
    for a in actions:
        if a.type == "drag" and (a.x, a.y) != last:
            out.append(Action("move", x=a.x, y=a.y))
        out.append(replace(a, amount=SCROLL_CLICKS) if a.type == "scroll" and a.amount is None else a)
        last = (a.x2, a.y2) if a.type == "drag" else (a.x, a.y) if a.has_point else last
    return out


def _gemini_says(actions: list[Action]) -> list[Action]:
    """Gemini's tool types only at a point (type_text_at: a click, then the typing) and has no double or right
    click: those, and typing that no click comes just before, cannot be said. Nothing said: the reply is its
    text, a finished with the thought."""
    out: list[Action] = []
    for i, a in enumerate(actions):
        before = actions[i - 1] if i else None
        if a.type in ("click", "drag", "hotkey", "scroll") or (a.type == "type" and before and before.type == "click"):
            out.append(a)
    return out or [Action("finished", content="The user took over and did this instead.")]


@pytest.mark.parametrize("family", list(FAMILIES))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_formatted_replies_parse_back_to_the_same_actions(family, data):
    actions = data.draw(st.lists(actions_strategy(family), min_size=1, max_size=3))
    if family == "aguvis":  # Aguvis's write() and the UI-TARS escapes differ only in quoting; keep text simple
        actions = [a if a.type != "type" else Action("type", text=a.text.replace("\\", "")) for a in actions]
    if family == "uitars-2":  # values are trimmed and know no escapes: what UI-TARS-2 can say (see test_uitars2)
        actions = [a if a.type != "type" else Action("type", text=a.text.replace("\\", "").strip() or "x")
                   for a in actions]
    reply = format_reply(family, actions, "The user took over and did this instead.")
    parsed = FAMILIES[family].parse(reply)
    assert parsed.actions == said(family, actions), reply


def test_uitars_reply_shape():
    reply = format_reply("uitars-1.5", [Action("click", x=412, y=233), Action("type", text="it's\n")], "Fix it.")
    assert reply == "Thought: Fix it.\nAction: click(start_box='(412,233)')\n\ntype(content='it\\'s\\n')"
    assert "<|box_start|>(5,6)<|box_end|>" in format_reply("uitars-1.0", [Action("click", x=5, y=6)], "t")
    assert "point='<point>5 6</point>'" in format_reply("doubao", [Action("click", x=5, y=6)], "t")


def test_person_clicks_drags_and_double_clicks():
    p = PersonRecorder()
    p.pointer("press", 10, 10)  # not recording yet: ignored
    p.start()
    p.pointer("press", 100, 100, now=1.0)
    p.pointer("release", 101, 100, now=1.05)
    p.pointer("press", 102, 101, now=1.3)
    p.pointer("release", 102, 101, now=1.35)  # second click on the same spot: a double click
    p.pointer("press", 200, 200, button="right", now=2.0)
    p.pointer("release", 200, 200, button="right", now=2.1)
    p.pointer("press", 300, 300, now=3.0)
    p.pointer("release", 500, 420, now=3.5)
    p.pointer("scroll", 50, 60, dy=-1, now=4.0)
    p.pointer("scroll", 50, 60, dy=-1, now=4.1)
    assert [a.to_json() for a in p.stop()] == [
        {"type": "double_click", "x": 100, "y": 100},
        {"type": "right_click", "x": 200, "y": 200},
        {"type": "drag", "x": 300, "y": 300, "x2": 500, "y2": 420},
        {"type": "scroll", "x": 50, "y": 60, "direction": "down"},
    ]


def test_person_typing_and_hotkeys():
    p = PersonRecorder()
    p.start()
    for ch in "helxy":
        p.key(ch, True, ch)
    p.key("backspace", True)
    p.key("backspace", True)
    for ch in "lo":
        p.key(ch, True, ch)
    p.key("shift", True)
    p.key("1", True, "!")
    p.key("shift", False)
    p.key("space", True)
    p.key("enter", True)
    p.key("ctrl", True)
    p.key("s", True, "s")
    p.key("ctrl", False)
    p.key("esc", True)
    p.key("f13_media_thing", True)  # no name in the action space: left out
    assert [a.to_json() for a in p.stop()] == [
        {"type": "type", "text": "hello! \n"},
        {"type": "hotkey", "keys": ["ctrl", "s"]},
        {"type": "hotkey", "keys": ["esc"]},
    ]
