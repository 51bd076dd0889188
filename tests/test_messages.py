"""The request layout: OSWorld's history of the last N screenshots, every earlier reply as text."""

from __future__ import annotations

from agent_app.core.families.base import Context
from agent_app.core.families.registry import FAMILIES
from agent_app.core.history import History, Turn


def build_messages(family, task, language, turns, current, images):
    history = History(images)
    history.turns = list(turns)
    return history.messages(family, Context(task, language), current)


def _history(n: int) -> list[Turn]:
    return [Turn("step", f"Thought: {i}\nAction: click(start_box='({i},{i})')", f"data:image/png;base64,IMG{i}")
            for i in range(n)]


def _layout(messages):
    out = []
    for m in messages:
        part = m["content"][0]
        out.append((m["role"], part["type"] if part["type"] == "image_url" else part["text"][:12]))
    return out


def test_last_n_screenshots_and_all_replies():
    msgs = build_messages(FAMILIES["uitars-1.5"], "Open the file", "en", _history(7), "data:image/png;base64,NOW", 5)
    assert msgs[0] == {"role": "system", "content": [{"type": "text", "text": "You are a helpful assistant."}]}
    assert "## User Instruction\nOpen the file" in msgs[1]["content"][0]["text"]
    assert "Use English in `Thought` part." in msgs[1]["content"][0]["text"]
    images = [m["content"][0]["image_url"]["url"] for m in msgs if m["content"][0]["type"] == "image_url"]
    assert images == [f"data:image/png;base64,IMG{i}" for i in (3, 4, 5, 6)] + ["data:image/png;base64,NOW"]
    replies = [m for m in msgs if m["role"] == "assistant"]
    assert len(replies) == 7
    # Box tokens restored in history for UI-TARS 1.x
    assert "<|box_start|>(0,0)<|box_end|>" in replies[0]["content"][0]["text"]
    # Each recent image immediately precedes its reply
    layout = _layout(msgs)
    assert layout[-3:] == [("user", "image_url"), ("assistant", "Thought: 6\nA"), ("user", "image_url")]


def test_short_history_and_one_image():
    msgs = build_messages(FAMILIES["uitars-1.5"], "t", "zh", _history(2), "data:now", 1)
    assert sum(m["content"][0]["type"] == "image_url" for m in msgs) == 1
    assert "Use Chinese" in msgs[1]["content"][0]["text"]
    msgs = build_messages(FAMILIES["uitars-1.5"], "t", "en", [], "data:now", 5)
    assert [m["role"] for m in msgs] == ["system", "user", "user"]


def test_doubao_has_point_prompt_and_no_box_tokens():
    msgs = build_messages(FAMILIES["doubao"], "t", "en", _history(1), "data:now", 5)
    assert "click(point='<point>x1 y1</point>')" in msgs[1]["content"][0]["text"]
    assert "call_user()" in msgs[1]["content"][0]["text"]
    assert "<|box_start|>" not in msgs[3]["content"][0]["text"]


def test_person_notes_are_user_turns_in_place():
    history = _history(2)
    history.insert(1, Turn("note", "Note from the user: the password is on the sticky note"))
    msgs = build_messages(FAMILIES["uitars-1.5"], "t", "en", history, "data:now", 5)
    roles = [(m["role"], m["content"][0]["type"]) for m in msgs]
    assert roles == [("system", "text"), ("user", "text"), ("user", "image_url"), ("assistant", "text"),
                     ("user", "text"), ("user", "image_url"), ("assistant", "text"), ("user", "image_url")]
    assert msgs[4]["content"][0]["text"].endswith("sticky note")
