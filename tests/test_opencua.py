"""OpenCUA: its request layout, its reply shapes, every mapping rule of the CLI contract, the code dialect it adds to
`pycode` (and that Aguvis does not get), proof that nothing the model writes is ever run, and the round trip of a
person's actions written in its words."""

from __future__ import annotations

import io
import json
import math
import os
import subprocess
import sys

import pytest
from doubles import RecordingExecutor, StaticScreen
from hostile import HOSTILE
from hypothesis import given, settings
from hypothesis import strategies as st
from test_history_exact import same_sample

from agent_app.cli import main as cli_main
from agent_app.core.actions import ACTION_TYPES, DIRECTIONS, Action
from agent_app.core.control import RunControl
from agent_app.core.errors import FormatError
from agent_app.core.families.aguvis import parse_aguvis
from agent_app.core.families.base import Context, ParsedReply
from agent_app.core.families.opencua import (
    INSTRUCTION_TEMPLATE,
    SYSTEM_PROMPT,
    history_parts,
    parse_opencua,
    split_reply,
)
from agent_app.core.families.pycode import MAX_WHEEL_CLICKS
from agent_app.core.families.registry import FAMILIES
from agent_app.core.history import History
from agent_app.core.loop import Agent
from agent_app.core.runs.export import replay, to_ms_swift
from agent_app.core.settings.config import RunConfig

OPENCUA = FAMILIES["opencua"]


def acts(text: str) -> list[dict]:
    return [a.to_json() for a in parse_opencua(text).actions]


def reply(code: str, thought: str = "The form is open.", action: str = "Click Submit.", fence: str = "python") -> str:
    """A reply in OpenCUA's L2 shape."""
    return f"## Thought:\n{thought}\n\n## Action:\n{action}\n\n## Code:\n```{fence}\n{code}\n```"


# ---- the family ----
def test_family_is_registered_with_image_pixels_three_screenshots_and_osworld_sampling():
    assert (OPENCUA.label, OPENCUA.coordinates, OPENCUA.max_images) == ("OpenCUA", "image", 3)
    assert OPENCUA.model_image_size(1920, 1080) == (1932, 1092)  # smart_resize(28, 3136, 12845056)
    assert OPENCUA.model_image_size(3840, 2160) == (3836, 2156)
    assert OPENCUA.model_image_size(10000, 10000) == (3556, 3556)  # within 12845056 pixels (floored)
    assert OPENCUA.span(1932, 1092) == (1932.0, 1092.0)
    s = OPENCUA.sampling
    assert (s.temperature, s.top_p, s.max_tokens, s.frequency_penalty, s.extra_body) == (0.0, 0.9, 1500, None, {})
    assert OPENCUA.history_text("## Action:\nx\n```python\npyautogui.click(1, 2)\n```") == (
        "## Action:\nx\n```python\npyautogui.click(1, 2)\n```")


def test_system_prompt_is_osworlds_v1_l2_without_the_machine_password():
    assert SYSTEM_PROMPT.startswith(
        "You are a GUI agent. You are given a task and a screenshot of the screen. You need to perform a series of "
        "pyautogui actions to complete the task. If the task is not possible to do, output the action "
        "computer.terminate(status='failure').\n\nFor each step, provide your response in this format:\n\nThought:\n"
        "  - Step by Step Progress Assessment:\n")
    assert "password" not in SYSTEM_PROMPT and "osworld" not in SYSTEM_PROMPT.lower()
    assert "\n  - Use first-person perspective in reasoning\n\nAction:\n" in SYSTEM_PROMPT
    assert SYSTEM_PROMPT.endswith(
        '"enum": ["success", "failure"], "description": "The status of the task"}}, "required": ["status"]}}')
    assert SYSTEM_PROMPT.count('{"name": "computer.') == 2


# ---- the request ----
def step(k: int) -> str:
    return reply(f"pyautogui.click(x={k}, y={k})", thought=f"Thought {k}.", action=f"Click item {k}.")


def test_first_request_is_system_then_the_screenshot_with_the_instruction():
    msgs = History.for_family(OPENCUA, 5).messages(OPENCUA, Context(" Open the editor ", "zh"), "data:now")
    assert msgs == [
        {"role": "system", "content": [{"type": "text", "text": SYSTEM_PROMPT}]},
        {"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "data:now"}},
            {"type": "text", "text": "# Task Instruction:\nOpen the editor\n\nPlease generate the next move according "
                                     "to the screenshot, task instruction and previous steps (if provided).\n"},
        ]},
    ]
    assert INSTRUCTION_TEMPLATE.format(instruction="x").startswith("# Task Instruction:\nx\n\n")


def test_older_steps_merge_into_one_assistant_text_and_the_last_two_keep_their_screenshots():
    h = History.for_family(OPENCUA, 5)  # capped at 3: two previous screenshots and the current one
    for k in range(1, 6):
        h.add_step(step(k), f"data:{k}")
    msgs = h.messages(OPENCUA, Context("t"), "data:now")
    assert [m["role"] for m in msgs] == ["system", "assistant", "user", "assistant", "user", "assistant", "user"]
    merged = msgs[1]["content"][0]["text"]
    assert merged == "\n".join(
        f"# Step {k}:\n## Thought:\nThought {k}.\n\n## Action:\nClick item {k}.\n" for k in (1, 2, 3))
    assert msgs[2]["content"] == [{"type": "image_url", "image_url": {"url": "data:4"}}]
    assert msgs[3]["content"] == [{"type": "text", "text": "# Step 4:\n## Thought:\nThought 4.\n\n## Action:\n"
                                                           "Click item 4.\n"}]
    assert msgs[4]["content"][0]["image_url"]["url"] == "data:5"
    assert "```" not in json.dumps(msgs)  # earlier steps go without their code
    assert msgs[6]["content"][0]["image_url"]["url"] == "data:now"


@pytest.mark.parametrize("steps", range(0, 7))
def test_request_k_carries_min_k_3_screenshots_for_every_run_length(steps):
    h = History.for_family(OPENCUA, 10)
    for k in range(1, steps + 1):
        h.add_step(step(k), f"data:{k}")
    msgs = h.messages(OPENCUA, Context("t"), "data:now")
    images = [p["image_url"]["url"] for m in msgs for p in m["content"] if p["type"] == "image_url"]
    assert images == [f"data:{k}" for k in range(max(1, steps - 1), steps + 1)] + ["data:now"]
    texts = "".join(p["text"] for m in msgs if m["role"] == "assistant" for p in m["content"])
    assert [f"# Step {k}:" in texts for k in range(1, steps + 1)] == [True] * steps


def test_a_note_stays_where_it_was_given_and_splits_the_merged_steps():
    h = History.for_family(OPENCUA, 3)
    h.add_step(step(1), "data:1")
    h.add_note("Note from the user: the file is report.txt")
    for k in (2, 3, 4):
        h.add_step(step(k), f"data:{k}")
    msgs = h.messages(OPENCUA, Context("t"), "data:now")
    assert [m["role"] for m in msgs] == ["system", "assistant", "user", "assistant", "user", "assistant", "user",
                                         "assistant", "user"]
    assert msgs[1]["content"][0]["text"].startswith("# Step 1:\n")
    assert msgs[2]["content"] == [{"type": "text", "text": "Note from the user: the file is report.txt"}]
    assert msgs[3]["content"][0]["text"].startswith("# Step 2:\n")


@pytest.mark.parametrize("text, expected", [
    (step(1), ("Thought 1.", "Click item 1.")),
    ("## Action:\nPress Enter.\n\n## Code:\n```python\npyautogui.press('enter')\n```", ("", "Press Enter.")),
    ("## Observation:\nA form.\n\n## Thought:\nfill it\n\n## Action:\nType the name.\n\n## Code:\n```python\n"
     "pyautogui.write(message='Ann')\n```", ("fill it", "Type the name.")),
    ("I will copy it.\n```python\npyautogui.hotkey(keys=['ctrl', 'c'])\n# done\n```",
     ("I will copy it.", "pyautogui.hotkey(keys=['ctrl', 'c'])")),  # no Action section: the code stands in
    ("Thought: go\nAction: Scroll down.\npyautogui.scroll(-5)", ("go", "Scroll down.")),
    ("```python\npyautogui.click(1, 2", ("```python\npyautogui.click(1, 2", "(no action)")),  # never raises
])
def test_history_parts_of_earlier_replies(text, expected):
    assert history_parts(text) == expected


# ---- realistic replies ----
REALISTIC = [
    (reply("pyautogui.click(x=1443, y=343)"),
     "## Thought:\nThe form is open.\n\n## Action:\nClick Submit.",
     [{"type": "click", "x": 1443.0, "y": 343.0}]),
    (  # L1, several statements, a data-form hotkey and press
        "## Action:\nSelect all, copy and confirm.\n\n## Code:\n```python\npyautogui.hotkey(keys=['ctrl', 'a'])\n"
        "pyautogui.hotkey(keys=['ctrl', 'C'])\npyautogui.press(keys=['enter'])\n```",
        "## Action:\nSelect all, copy and confirm.",
        [{"type": "hotkey", "keys": ["ctrl", "a"]}, {"type": "hotkey", "keys": ["ctrl", "c"]},
         {"type": "hotkey", "keys": ["enter"]}]),
    (  # L3, Chinese text, escaped quotes and newlines in the typed text
        "## Observation:\n一个搜索框。\n\n## Thought:\n我需要输入查询。\n\n## Action:\n输入“天气”并回车。\n\n## Code:\n"
        "```python\npyautogui.click(x=960, y=80)\npyautogui.write(message='北京 \"天气\" it\\'s\\n')\n```",
        "## Observation:\n一个搜索框。\n\n## Thought:\n我需要输入查询。\n\n## Action:\n输入“天气”并回车。",
        [{"type": "click", "x": 960.0, "y": 80.0}, {"type": "type", "text": "北京 \"天气\" it's\n"}]),
    (  # the agent functions come in a ```code fence
        reply("computer.terminate(status='success', answer='It is 21 °C')", fence="code"),
        "## Thought:\nThe form is open.\n\n## Action:\nClick Submit.",
        [{"type": "finished", "content": "It is 21 °C"}]),
    (reply("computer.terminate(status='failure')", fence="code"), "## Thought:\nThe form is open.\n\n## Action:\n"
     "Click Submit.", [{"type": "call_user"}]),
    (reply("computer.wait()", fence="code"), "## Thought:\nThe form is open.\n\n## Action:\nClick Submit.",
     [{"type": "wait"}]),
    (  # a drag as the training data writes it, then a triple click to select a line
        reply("pyautogui.moveTo(x=100, y=200)\npyautogui.dragTo(x=400, y=200, button='left')\n"
              "computer.triple_click(x=50, y=60)"),
        "## Thought:\nThe form is open.\n\n## Action:\nClick Submit.",
        [{"type": "move", "x": 100.0, "y": 200.0}, {"type": "drag", "x": 100.0, "y": 200.0, "x2": 400.0, "y2": 200.0},
         {"type": "triple_click", "x": 50.0, "y": 60.0}]),
    (  # edge and out-of-range coordinates stay as written (clamped when mapped)
        reply("pyautogui.click(x=0, y=0)\npyautogui.click(x=1931, y=1091)\npyautogui.click(x=-5, y=5000)"),
        "## Thought:\nThe form is open.\n\n## Action:\nClick Submit.",
        [{"type": "click", "x": 0.0, "y": 0.0}, {"type": "click", "x": 1931.0, "y": 1091.0},
         {"type": "click", "x": -5.0, "y": 5000.0}]),
    (  # no fence: the lines from the first pyautogui line; a stray chat token at the end
        "## Thought:\nscroll the list\n\n## Action:\nScroll down.\n\n## Code:\npyautogui.scroll(-54)<|im_end|>",
        "## Thought:\nscroll the list\n\n## Action:\nScroll down.",
        [{"type": "scroll", "direction": "down", "amount": 54}]),
    (  # two fenced blocks: the last one is the code
        "## Thought:\nLast time I ran ```python\npyautogui.click(1, 1)\n``` which missed.\n\n## Action:\nClick OK."
        "\n\n## Code:\n```python\npyautogui.rightClick(x=5, y=6)\n```",
        "## Thought:\nLast time I ran ```python\npyautogui.click(1, 1)\n``` which missed.\n\n## Action:\nClick OK.",
        [{"type": "right_click", "x": 5.0, "y": 6.0}]),
    ("## Action:\nOpen it.\r\n\r\n## Code:\r\n```python\r\n    pyautogui.doubleClick(x=3, y=4)\r\n```\r\n",
     "## Action:\nOpen it.", [{"type": "double_click", "x": 3.0, "y": 4.0}]),
]


@pytest.mark.parametrize("text, thought, expected", REALISTIC)
def test_realistic_replies(text, thought, expected):
    parsed = parse_opencua(text)
    assert isinstance(parsed, ParsedReply)
    assert parsed.thought == thought
    assert [a.to_json() for a in parsed.actions] == expected


# ---- every mapping rule of the contract ----
@pytest.mark.parametrize("call, expected", [
    ("pyautogui.click(x=10, y=20)", [{"type": "click", "x": 10, "y": 20}]),
    ("pyautogui.click(10, 20)", [{"type": "click", "x": 10, "y": 20}]),
    ("pyautogui.click(x=10, y=20, button='right')", [{"type": "right_click", "x": 10, "y": 20}]),
    ("pyautogui.click(x=10, y=20, button='middle')", [{"type": "middle_click", "x": 10, "y": 20}]),
    ("pyautogui.click(10, 20, clicks=2)", [{"type": "double_click", "x": 10, "y": 20}]),
    ("pyautogui.click(10, 20, clicks=3)", [{"type": "triple_click", "x": 10, "y": 20}]),
    ("pyautogui.doubleClick(x=1, y=2)", [{"type": "double_click", "x": 1, "y": 2}]),
    ("pyautogui.rightClick(1, 2)", [{"type": "right_click", "x": 1, "y": 2}]),
    ("pyautogui.middleClick(1, 2)", [{"type": "middle_click", "x": 1, "y": 2}]),
    ("pyautogui.tripleClick(x=1, y=2)", [{"type": "triple_click", "x": 1, "y": 2}]),
    ("computer.triple_click(x=1, y=2)", [{"type": "triple_click", "x": 1, "y": 2}]),
    ("computer.tripleClick(1, 2)", [{"type": "triple_click", "x": 1, "y": 2}]),
    ("pyautogui.moveTo(1, 2)", [{"type": "move", "x": 1, "y": 2}]),
    # a call without a point: the point set earlier in the reply, else at the pointer
    ("pyautogui.click()", [{"type": "click"}]),
    ("pyautogui.doubleClick()", [{"type": "double_click"}]),
    ("pyautogui.rightClick()", [{"type": "right_click"}]),
    ("pyautogui.middleClick()", [{"type": "middle_click"}]),
    ("pyautogui.tripleClick()", [{"type": "triple_click"}]),
    ("pyautogui.click(clicks=3)", [{"type": "triple_click"}]),
    ("pyautogui.moveTo(3, 4)\npyautogui.click()",
     [{"type": "move", "x": 3, "y": 4}, {"type": "click", "x": 3, "y": 4}]),
    ("pyautogui.mouseDown()", [{"type": "mouse_down"}]),
    ("pyautogui.mouseDown(x=1, y=2)\npyautogui.moveTo(5, 6)\npyautogui.mouseUp()",
     [{"type": "mouse_down", "x": 1, "y": 2}, {"type": "move", "x": 5, "y": 6}, {"type": "mouse_up", "x": 5, "y": 6}]),
    ("pyautogui.mouseUp(7, 8, button='left')", [{"type": "mouse_up", "x": 7, "y": 8}]),
    # drags: from the point set earlier, else from the pointer
    ("pyautogui.moveTo(1, 2)\npyautogui.dragTo(3, 4, button='left')",
     [{"type": "move", "x": 1, "y": 2}, {"type": "drag", "x": 1, "y": 2, "x2": 3, "y2": 4}]),
    ("pyautogui.dragTo(x=3, y=4, duration=0.5)", [{"type": "drag", "x2": 3, "y2": 4}]),
    ("pyautogui.dragTo(from_coord=[1, 2], to_coord=[3, 4])", [{"type": "drag", "x": 1, "y": 2, "x2": 3, "y2": 4}]),
    ("pyautogui.write(message='hello world')", [{"type": "type", "text": "hello world"}]),
    ("pyautogui.typewrite('a\\nb')", [{"type": "type", "text": "a\nb"}]),
    ("pyautogui.typewrite(['h', 'i', 'enter'])",
     [{"type": "type", "text": "hi"}, {"type": "hotkey", "keys": ["enter"]}]),
    ("pyautogui.press('enter')", [{"type": "hotkey", "keys": ["enter"]}]),
    ("pyautogui.press(keys=['down', 'enter'])",
     [{"type": "hotkey", "keys": ["down"]}, {"type": "hotkey", "keys": ["enter"]}]),
    ("pyautogui.press('tab', presses=2)", [{"type": "hotkey", "keys": ["tab"]}] * 2),
    ("pyautogui.hotkey('ctrl', 'shift', 't')", [{"type": "hotkey", "keys": ["ctrl", "shift", "t"]}]),
    ("pyautogui.hotkey(keys=['Control', 'v'])", [{"type": "hotkey", "keys": ["ctrl", "v"]}]),
    # scroll(n): n wheel clicks, n > 0 up; hscroll n > 0 right; x, y only where the call gives them
    ("pyautogui.scroll(-5)", [{"type": "scroll", "direction": "down", "amount": 5}]),
    ("pyautogui.scroll(3)", [{"type": "scroll", "direction": "up", "amount": 3}]),
    ("pyautogui.scroll(clicks=-2)", [{"type": "scroll", "direction": "down", "amount": 2}]),
    ("pyautogui.scroll(-5, x=100, y=200)", [{"type": "scroll", "x": 100, "y": 200, "direction": "down", "amount": 5}]),
    ("pyautogui.scroll(2.9)", [{"type": "scroll", "direction": "up", "amount": 2}]),  # whole clicks, as pyautogui
    (f"pyautogui.scroll(-{MAX_WHEEL_CLICKS})", [{"type": "scroll", "direction": "down", "amount": MAX_WHEEL_CLICKS}]),
    ("pyautogui.hscroll(4)", [{"type": "scroll", "direction": "right", "amount": 4}]),
    ("pyautogui.hscroll(-1, 10, 20)", [{"type": "scroll", "x": 10, "y": 20, "direction": "left", "amount": 1}]),
    ("computer.wait()", [{"type": "wait"}]),
    ("computer.terminate(status='success')", [{"type": "finished", "content": ""}]),
    ("computer.terminate(status='success', answer='Paris')", [{"type": "finished", "content": "Paris"}]),
    ("computer.terminate(status='failure')", [{"type": "call_user"}]),
    ("computer.terminate(status='fail')", [{"type": "call_user"}]),
])
def test_contract_mapping(call, expected):
    assert acts(reply(call)) == expected
    assert acts(call) == expected  # bare lines


@pytest.mark.parametrize("call, reason", [
    ("pyautogui.click(10, 20, clicks=4)", "click count"),
    ("pyautogui.click(10, 20, button='right', clicks=2)", "multiple right-clicks"),
    ("pyautogui.click(10, 20, button='middle', clicks=3)", "multiple middle-clicks"),
    ("pyautogui.click(10, 20, button='back')", "mouse button"),
    ("pyautogui.doubleClick(1, 2, button='right')", "only the left button"),
    ("pyautogui.tripleClick(1, 2, button='middle')", "only the left button"),
    ("pyautogui.mouseDown(button='right')", "only the left button"),
    ("pyautogui.dragTo(1, 2, button='middle')", "only the left button"),
    ("pyautogui.dragTo()", "without a target point"),
    ("pyautogui.click(x=1)", "both x and y"),
    ("computer.triple_click(x='1', y=2)", "must be a number"),
    ("pyautogui.scroll(0)", "scroll by 0"),
    ("pyautogui.scroll(0.5)", "wheel clicks"),
    (f"pyautogui.scroll({MAX_WHEEL_CLICKS + 1})", "wheel clicks"),
    ("pyautogui.scroll()", "without an amount"),
    ("pyautogui.press('notakey')", "unknown key"),
    ("computer.terminate(status='maybe')", "status="),
    ("computer.terminate()", "status="),
    ("computer.screenshot()", "not an allowed action"),
    ("pyautogui.keyDown('shift')", "not an allowed action"),
    ("browser.select_option(1)", "not an allowed action"),
])
def test_contract_rejections(call, reason):
    with pytest.raises(FormatError, match=reason):
        parse_opencua(reply(call))


@pytest.mark.parametrize("text, reason", [
    ("", "empty reply"),
    ("   \n", "empty reply"),
    ("## Thought:\nI am not sure yet.\n\n## Action:\nLook around.", "no pyautogui code"),
    ("## Code:\n```python\n```", "no pyautogui code"),
    ("## Code:\n```python\n# nothing to do\n```", "no action"),
    ("## Code:\n```python\npyautogui.click(x=1, y=2)", "inside a code block"),  # cut before the closing fence
    ("## Code:\n```python\npyautogui.click(x=1, y=2)\n```\n```", "inside a code block"),
    ("x" * 100_001, "too long"),
])
def test_replies_without_whole_code_are_format_errors(text, reason):
    with pytest.raises(FormatError, match=reason):
        parse_opencua(text)


def test_one_bad_statement_rejects_the_whole_reply():
    with pytest.raises(FormatError):
        parse_opencua(reply("pyautogui.click(1, 2)\npyautogui.write('ok')\nprint('x')"))


def test_split_reply_takes_the_last_fenced_block_else_the_lines_from_the_first_call():
    assert split_reply("a ```x``` b ```python\ny\n``` c") == ("a ```x``` b  c", "y")
    assert split_reply("Do it.\n## Code:\npyautogui.click(1, 2)\npyautogui.click(3, 4)") == (
        "Do it.", "pyautogui.click(1, 2)\npyautogui.click(3, 4)")
    assert split_reply("just words") == ("just words", "")


@pytest.mark.parametrize("code", [
    "pyautogui.tripleClick(0.1, 0.2)", "pyautogui.middleClick(0.1, 0.2)", "pyautogui.mouseDown(0.1, 0.2)",
    "computer.triple_click(0.1, 0.2)", "pyautogui.click()", "pyautogui.dragTo(0.1, 0.2)",
])
def test_the_dialect_stays_with_opencua_aguvis_still_rejects_it(code):
    assert parse_opencua(code).actions
    with pytest.raises(FormatError):
        parse_aguvis(f"assistantos\n{code}")


def test_aguvis_scrolls_keep_no_wheel_count():
    assert [a.amount for a in parse_aguvis("assistantos\npyautogui.scroll(-5)").actions] == [None]
    assert [a.amount for a in parse_opencua("pyautogui.scroll(-5)").actions] == [5]


# ---- the CLI and the loop ----
def run_parse(monkeypatch, capsys, text: str, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    rc = cli_main(["parse", "--model-family", "opencua", *args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_cli_parse_maps_pixels_of_the_resized_image_to_the_screen(monkeypatch, capsys):
    text = reply("pyautogui.click(x=966, y=546)\npyautogui.dragTo(x=5000, y=-3)\npyautogui.scroll(-5, x=1931, y=1091)")
    rc, out, _ = run_parse(monkeypatch, capsys, text, "--screen", "1920x1080")
    assert rc == 0
    assert json.loads(out)["actions"] == [  # the image 1920x1080 was sent as 1932x1092
        {"type": "click", "x": 960, "y": 540},
        {"type": "drag", "x": 960, "y": 540, "x2": 1919, "y2": 0},
        {"type": "scroll", "x": 1919, "y": 1079, "direction": "down", "amount": 5},
    ]
    # --image: the screenshot as sent (1280x720 → 1288x728 model pixels)
    rc, out, _ = run_parse(monkeypatch, capsys, reply("pyautogui.click(x=644, y=364)"), "--screen", "2560x1440",
                           "--image", "1280x720")
    assert json.loads(out)["actions"] == [{"type": "click", "x": 1280, "y": 720}]


@pytest.mark.parametrize("text", [
    reply("__import__('os').system('true')"), "no code at all", "## Code:\n```python\npyautogui.click(1, 2",
    reply("pyautogui.click(1, 2, clicks=7)"),
])
def test_cli_parse_rejects_with_exit_2_and_one_line(monkeypatch, capsys, text):
    rc, out, err = run_parse(monkeypatch, capsys, text, "--screen", "800x600")
    assert (rc, out) == (2, "")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_cli_parse_in_a_subprocess():
    proc = subprocess.run(
        [sys.executable, "-m", "agent_app", "parse", "--model-family", "opencua", "--screen", "1932x1092"],
        input=reply("computer.triple_click(x=100, y=200)", fence="code"), capture_output=True, text=True,
        timeout=60, env={k: v for k, v in os.environ.items() if k != "DISPLAY"},
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["actions"] == [{"type": "triple_click", "x": 100, "y": 200}]


def test_the_loop_runs_opencua_and_export_rebuilds_every_request(server, tmp_path):
    server.add(*(reply(f"pyautogui.click(x={100 * k}, y={50 * k})", thought=f"t{k}", action=f"Click {k}.")
                 for k in range(1, 5)),
               reply("computer.terminate(status='success', answer='done')", fence="code"))
    config = RunConfig(task="click around", base_url=server.base_url, model=server.model, runs_dir=str(tmp_path),
                       model_family="opencua", history_images=5)
    executor = RecordingExecutor()
    result = Agent(config, screen=StaticScreen(), executor=executor, control=RunControl()).run()
    assert (result.status, result.steps, result.final_answer) == ("finished", 5, "done")
    assert [(a.type, a.x, a.y) for a in executor.actions] == [  # 1932x1092 model pixels on a 1920x1080 screen
        ("click", round(100 * k * 1920 / 1932), round(50 * k * 1080 / 1092)) for k in range(1, 5)]
    bodies = [r["body"] for r in server.chat_requests()]
    assert [sum(p["type"] == "image_url" for m in b["messages"] for p in m["content"]) for b in bodies] == [
        1, 2, 3, 3, 3]
    first = bodies[0]
    assert (first["temperature"], first["top_p"], first["max_tokens"]) == (0.0, 0.9, 1500)
    assert "frequency_penalty" not in first
    assert bodies[-1]["messages"][1]["content"][0]["text"].startswith("# Step 1:\n## Thought:\nt1\n\n## Action:\n"
                                                                      "Click 1.\n\n# Step 2:")
    run_dir = tmp_path / os.listdir(tmp_path)[0]
    lines = [json.loads(x) for x in (run_dir / "trajectory.jsonl").read_text(encoding="utf-8").splitlines()]
    replayed = list(replay(lines, OPENCUA, "."))
    assert len(replayed) == len(bodies) == 5
    for body, (messages, line, _) in zip(bodies, replayed, strict=True):
        same_sample(to_ms_swift(OPENCUA, body["messages"], line["response"]),
                    to_ms_swift(OPENCUA, messages, line["response"]), run_dir, run_dir)


# ---- nothing the model writes can run ----
@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_code_is_rejected_and_nothing_runs(payload, tmp_path, no_execution):
    sentinel = tmp_path / "pwned"
    body = payload.format(S=sentinel)
    shapes = [
        reply(body),
        reply(body, fence="code"),
        f"## Action:\nx\n\n## Code:\n```\n{body}\n```",
        f"pyautogui.click(5, 5)\n{body}",  # bare lines: a valid first line does not save the reply
        reply(f"pyautogui.click(5, 5)\n{body}"),
    ]
    for text in shapes:
        with pytest.raises(FormatError) as info:
            parse_opencua(text)
        assert "\n" not in str(info.value) and len(str(info.value)) < 200
    assert no_execution == []
    assert not sentinel.exists()


# ---- properties: any input gives actions or a FormatError, nothing else ----
FRAGMENTS = st.sampled_from([
    "pyautogui.", "computer.", "click", "doubleClick", "rightClick", "middleClick", "tripleClick", "triple_click",
    "mouseDown", "mouseUp", "moveTo", "dragTo", "write", "press", "hotkey", "scroll", "hscroll", "terminate",
    "wait", "(", ")", "[", "]", ",", "=", "x", "y", "12", "-3", "1e999", "True", "None", "'enter'", "'ctrl'",
    "'", "\"", "\\", "\n", " ", "    ", "#", ";", "*", "**", ":=", "lambda", "__import__", "exec", "import os",
    "```", "```python\n", "```code\n", "## Thought:\n", "## Action:\n", "## Code:\n", "<|im_end|>", "clicks=",
    "button='middle'", "button='right'", "status='success'", "answer=", "message=", "keys=", "\x00", "\r\n", "中",
])
ARGS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**7, 10**7), st.booleans(), st.none(),
    st.text(max_size=10), st.lists(st.integers(-5, 5000), max_size=3),
    st.sampled_from(["enter", "ctrl", "left", "right", "middle", "success", "failure"]),
)
NAMES = st.sampled_from([
    "pyautogui.click", "pyautogui.doubleClick", "pyautogui.rightClick", "pyautogui.middleClick",
    "pyautogui.tripleClick", "pyautogui.mouseDown", "pyautogui.mouseUp", "pyautogui.moveTo", "pyautogui.dragTo",
    "pyautogui.write", "pyautogui.press", "pyautogui.hotkey", "pyautogui.scroll", "pyautogui.hscroll",
    "computer.triple_click", "computer.wait", "computer.terminate",
])
KWARGS = st.sampled_from(["x", "y", "button", "clicks", "message", "keys", "status", "answer", "presses",
                          "duration", "bogus"])


@st.composite
def calls(draw) -> str:
    positional = [repr(v) for v in draw(st.lists(ARGS, max_size=3))]
    keywords = [f"{k}={v!r}" for k, v in draw(st.dictionaries(KWARGS, ARGS, max_size=3)).items()]
    return f"{draw(NAMES)}({', '.join(positional + keywords)})"


def check_result(parsed: ParsedReply) -> None:
    assert isinstance(parsed.thought, str) and parsed.actions
    for action in parsed.actions:
        assert action.type in ACTION_TYPES
        for v in (action.x, action.y, action.x2, action.y2):
            assert v is None or (isinstance(v, float) and math.isfinite(v))
        assert (action.x is None) == (action.y is None)
        if action.type == "scroll":
            assert action.direction in DIRECTIONS and 1 <= action.amount <= MAX_WHEEL_CLICKS
        if action.type == "drag":
            assert action.x2 is not None and action.y2 is not None
        if action.type == "hotkey":
            assert action.keys and all(isinstance(k, str) for k in action.keys)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=300), st.lists(FRAGMENTS, max_size=40).map("".join)))
def test_any_text_gives_actions_or_a_format_error(text):
    try:
        parsed = parse_opencua(text)
    except FormatError as e:
        assert str(e) and "\n" not in str(e)
        return
    check_result(parsed)


@settings(max_examples=400, deadline=None)
@given(st.lists(calls(), min_size=1, max_size=4), st.sampled_from(["python", "code", "bare"]))
def test_any_allowed_call_gives_actions_or_a_format_error(lines, shape):
    body = "\n".join(lines)
    text = body if shape == "bare" else reply(body, fence=shape)
    try:
        parsed = parse_opencua(text)
    except FormatError:
        return
    check_result(parsed)


# ---- a person's actions in OpenCUA's words ----
POINT = st.tuples(st.integers(0, 1931), st.integers(0, 1091))
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


@st.composite
def person_actions(draw) -> Action:
    kind = draw(st.sampled_from(["click", "double_click", "right_click", "middle_click", "triple_click", "move",
                                 "mouse_down", "mouse_up", "drag", "hotkey", "type", "scroll", "wait", "finished",
                                 "call_user"]))
    (x, y), (x2, y2) = draw(POINT), draw(POINT)
    at = draw(st.booleans()) or kind == "move"
    if kind in ("click", "double_click", "right_click", "middle_click", "triple_click", "move", "mouse_down",
                "mouse_up"):
        return Action(kind, x=x, y=y) if at else Action(kind)
    if kind == "drag":
        return Action(kind, x=x, y=y, x2=x2, y2=y2) if at else Action(kind, x2=x2, y2=y2)
    if kind == "hotkey":
        return Action(kind, keys=tuple(draw(st.lists(st.sampled_from(["ctrl", "shift", "alt", "a", "f4", "enter",
                                                                      "+", "'", '"']),
                                                     min_size=1, max_size=3, unique=True))))
    if kind == "type":
        return Action(kind, text=draw(TEXT))
    if kind == "scroll":
        amount = draw(st.none() | st.integers(1, MAX_WHEEL_CLICKS))
        return Action(kind, x=x if at else None, y=y if at else None, amount=amount,
                      direction=draw(st.sampled_from(DIRECTIONS)))
    if kind == "finished":
        return Action(kind, content=draw(TEXT))
    return Action(kind)


def said(actions: list[Action]) -> list[Action]:
    """What OpenCUA's words give back: a drag from a point is moveTo + dragTo (a move, then the drag); a scroll
    without a count gets the app's default (5); a call without a point takes the point set before it."""
    out: list[Action] = []
    pointer = None
    for a in actions:
        if a.type == "drag":
            start = (a.x, a.y) if a.has_point else pointer
            if a.has_point:
                out.append(Action("move", x=a.x, y=a.y))
            out.append(Action("drag", x=start[0], y=start[1], x2=a.x2, y2=a.y2) if start else a)
            pointer = (a.x2, a.y2)
            continue
        if a.type == "scroll" and a.amount is None:
            a = Action("scroll", x=a.x, y=a.y, direction=a.direction, amount=5)
        if a.type == "finished" and not a.content:
            a = Action("finished", content="")
        if a.x is None and pointer is not None and a.type not in ("scroll", "hotkey", "type", "wait", "finished",
                                                                   "call_user"):
            a = Action(a.type, x=pointer[0], y=pointer[1])
        if a.has_point:
            pointer = (a.x, a.y)
        out.append(a)
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(person_actions(), min_size=1, max_size=4), TEXT)
def test_format_reply_parses_back_to_the_same_actions(actions, thought):
    text = OPENCUA.format_reply(actions, thought or "The user did this.", "Did it.")
    parsed = OPENCUA.parse(text)
    assert parsed.actions == [Action.from_json(a.to_json()) for a in said(actions)], text
    assert all(isinstance(v, float) for a in parsed.actions for v in (a.x, a.y) if v is not None)


def test_format_reply_shape():
    text = OPENCUA.format_reply([Action("click", x=412.4, y=233.6), Action("type", text="it's\n")], " Fix it. ",
                                "click (410, 230); type")
    assert text == ("## Thought:\nFix it.\n\n## Action:\nclick (410, 230); type\n\n## Code:\n```python\n"
                    "pyautogui.click(x=412, y=234)\npyautogui.write(message=\"it's\\n\")\n```")
    assert OPENCUA.format_reply([Action("finished", content="42")], "Done.").endswith(
        "```code\ncomputer.terminate(status='success', answer='42')\n```")


# ---- a reply cut anywhere is never acted on in part ----
# The contract takes the LAST fenced block: a reply cut between a block in its thought and its code block would
# read as the first block. The client never hands over a cut reply (it checks the finish reason); the reply with a
# block in its thought is left out here for that reason.
@pytest.mark.parametrize("text", [r[0] for r in REALISTIC if r[0].count("```") == 2 or "```" not in r[0]])
def test_a_reply_cut_at_every_character_gives_an_error_or_a_whole_prefix(text):
    whole = parse_opencua(text).actions
    for i in range(len(text)):
        try:
            actions = parse_opencua(text[:i]).actions
        except FormatError:
            continue
        assert actions == whole[: len(actions)], (i, text[:i])
