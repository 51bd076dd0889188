"""Aguvis: its request layout, its reply shapes, every mapping rule of the CLI contract, and proof that nothing
the model writes is ever run (hostile inputs, property tests)."""

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

from agent_app.cli import main as cli_main
from agent_app.core.actions import ACTION_TYPES, DIRECTIONS
from agent_app.core.control import RunControl
from agent_app.core.errors import FormatError
from agent_app.core.families.aguvis import (
    PREFILL,
    SYSTEM_PROMPT,
    low_level_action,
    parse_aguvis,
    restore_tokens,
    split_reply,
)
from agent_app.core.families.base import Context, ParsedReply, previous_actions
from agent_app.core.families.registry import FAMILIES
from agent_app.core.history import History, Turn
from agent_app.core.loop import Agent
from agent_app.core.settings.config import RunConfig


def acts(text: str) -> list[dict]:
    return [a.to_json() for a in parse_aguvis(text).actions]


def code(body: str) -> str:
    """A reply in the canonical decoded shape (special tokens stripped)."""
    return f"all\nThought: go\nAction: Do it.\nassistantos\n{body}"


# ---- the family and its request ----
def test_family_is_registered_with_unit_coordinates_and_a_720p_budget():
    f = FAMILIES["aguvis"]
    assert (f.label, f.coordinates, f.max_images) == ("Aguvis", "unit", 1)
    assert f.history_text("os\npyautogui.click(start_box='(1,2)')") == "os\npyautogui.click(start_box='(1,2)')"
    assert f.span(1316, 728) == (1.0, 1.0)
    assert f.model_image_size(1280, 720) == (1288, 728)  # what the 720P checkpoint saw in training
    assert f.model_image_size(1920, 1080) == (1316, 728)


def test_request_is_image_then_text_then_the_enforced_planning_prefill():
    history = [Turn("step", code("pyautogui.click(0.1, 0.2)").replace("Do it.", "Click the icon."), "data:old")]
    h = History.for_family(FAMILIES["aguvis"], 5)
    h.turns = history
    msgs = h.messages(FAMILIES["aguvis"], Context("Open the editor ", "zh"), "data:now")
    assert [m["role"] for m in msgs] == ["system", "user", "assistant"]
    assert msgs[0]["content"] == [{"type": "text", "text": SYSTEM_PROMPT}]
    image, text = msgs[1]["content"]
    assert image == {"type": "image_url", "image_url": {"url": "data:now"}}  # only the current screenshot
    assert text["text"] == (
        "Please generate the next move according to the ui screenshot, instruction and previous actions.\n\n"
        "Instruction: Open the editor\n\nPrevious actions:\nStep 1: Click the icon.\n"
    )
    assert msgs[2]["content"] == [{"type": "text", "text": "<|recipient|>all\nObservation: "}] == [
        {"type": "text", "text": PREFILL}
    ]


def test_previous_actions_none_then_steps_with_notes_in_place():
    assert previous_actions([], low_level_action) == "None"
    history = [
        Turn("step", "Obs.\nThought: a\nAction: Click the File menu.\nassistantos\npyautogui.click(0.1, 0.1)"),
        Turn("note", "Note from the user: the password is\n on the sticky note"),
        Turn("step", "os\npyautogui.write(message='hi')"),  # self-plan straight to code: the code stands in
        Turn("step", "```DONE```"),
    ]
    assert previous_actions(history, low_level_action) == (
        "Step 1: Click the File menu.\n"
        "Note from the user: the password is on the sticky note\n"
        "Step 2: pyautogui.write(message='hi')\n"
        "Step 3: DONE"
    )


def test_the_layout_of_other_families_is_unchanged():
    h = History(5)
    h.add_step("Thought: a\nAction: wait()", "d:1")
    msgs = h.messages(FAMILIES["uitars-1.5"], Context("t", "en"), "d:now")
    assert [m["role"] for m in msgs] == ["system", "user", "user", "assistant", "user"]


def test_restore_tokens_for_training_targets():
    assert restore_tokens("Obs\nAction: x\nassistantos\npyautogui.click(0.1, 0.2)") == (
        "Obs\nAction: x<|im_end|>\n<|im_start|>assistant<|recipient|>os\npyautogui.click(0.1, 0.2)"
    )
    kept = "Obs<|im_end|>\n<|im_start|>assistant<|recipient|>os\nWAIT<|diff_marker|>"
    assert restore_tokens(kept) == kept.removesuffix("<|diff_marker|>")


# ---- realistic replies ----
REALISTIC = [
    (  # decoded with special tokens stripped (model-facts)
        "all\nThought: The search box is at the top.\nAction: Click on the search box.\nassistantos\n"
        "pyautogui.click(x=0.4219, y=0.0912)",
        "Thought: The search box is at the top.\nAction: Click on the search box.",
        [{"type": "click", "x": 0.4219, "y": 0.0912}],
    ),
    (  # special tokens kept, ending at <|diff_marker|>
        "<|recipient|>all\nThought: Type the query.\nAction: Type 'weather'.<|im_end|>\n"
        "<|im_start|>assistant<|recipient|>os\npyautogui.write(message='weather\\n')<|diff_marker|>\ngarbage(",
        "Thought: Type the query.\nAction: Type 'weather'.",
        [{"type": "type", "text": "weather\n"}],
    ),
    (  # continuing our prefill `<|recipient|>all\nObservation: `
        "The browser shows the home page.\nThought: Open the menu.\nAction: Click the menu button.\n"
        "assistantos\npyautogui.click(0.95, 0.05)",
        "The browser shows the home page.\nThought: Open the menu.\nAction: Click the menu button.",
        [{"type": "click", "x": 0.95, "y": 0.05}],
    ),
    (  # planner style: comment + fenced python
        "The file is saved.\n```python\n# Close the dialog\npyautogui.hotkey('alt', 'f4')\n```",
        "The file is saved.",
        [{"type": "hotkey", "keys": ["alt", "f4"]}],
    ),
    ("Everything is loading.\n```WAIT```", "Everything is loading.", [{"type": "wait"}]),
    ("The task is complete.\n```DONE```", "The task is complete.", [{"type": "finished", "content": ""}]),
    ("I cannot log in without a password.\n```FAIL```", "I cannot log in without a password.",
     [{"type": "call_user"}]),
    (  # bare pyautogui lines, several actions, code continuing an indented block
        "Thought: select all and copy\npyautogui.hotkey('ctrl', 'a')\npyautogui.hotkey('ctrl', 'c')",
        "Thought: select all and copy",
        [{"type": "hotkey", "keys": ["ctrl", "a"]}, {"type": "hotkey", "keys": ["ctrl", "c"]}],
    ),
    (  # OpenCUA-style agent calls
        "os\ncomputer.terminate(status='success', answer='It is 21 °C')",
        "",
        [{"type": "finished", "content": "It is 21 °C"}],
    ),
    (  # Windows line endings, indented code
        "all\r\nThought: scroll\r\nassistantos\r\n    pyautogui.scroll(page=-0.5)\r\n",
        "Thought: scroll",
        [{"type": "scroll", "direction": "down"}],
    ),
]


@pytest.mark.parametrize("text, thought, expected", REALISTIC)
def test_realistic_replies(text, thought, expected):
    parsed = parse_aguvis(text)
    assert isinstance(parsed, ParsedReply)
    assert parsed.thought == thought
    assert [a.to_json() for a in parsed.actions] == expected


# ---- every mapping rule of the contract ----
@pytest.mark.parametrize("call, expected", [
    ("pyautogui.click(x=0.25, y=0.75)", [{"type": "click", "x": 0.25, "y": 0.75}]),
    ("pyautogui.click(0.25, 0.75)", [{"type": "click", "x": 0.25, "y": 0.75}]),
    ("pyautogui.click((0.25, 0.75))", [{"type": "click", "x": 0.25, "y": 0.75}]),
    ("pyautogui.click(x=0.5, y=0.5, button='right')", [{"type": "right_click", "x": 0.5, "y": 0.5}]),
    ("pyautogui.click(0.5, 0.5, clicks=2)", [{"type": "double_click", "x": 0.5, "y": 0.5}]),
    ("pyautogui.click(0.5, 0.5, duration=1)", [{"type": "click", "x": 0.5, "y": 0.5}]),
    ("pyautogui.doubleClick(x=0.1, y=0.2)", [{"type": "double_click", "x": 0.1, "y": 0.2}]),
    ("pyautogui.rightClick(0.1, 0.2)", [{"type": "right_click", "x": 0.1, "y": 0.2}]),
    ("pyautogui.moveTo(0.1, 0.2)", [{"type": "move", "x": 0.1, "y": 0.2}]),
    ("pyautogui.moveTo(0.3, 0.4)\npyautogui.click()", [{"type": "move", "x": 0.3, "y": 0.4},
                                                       {"type": "click", "x": 0.3, "y": 0.4}]),
    ("pyautogui.click(0.3, 0.4); pyautogui.doubleClick(); pyautogui.rightClick()",
     [{"type": "click", "x": 0.3, "y": 0.4}, {"type": "double_click", "x": 0.3, "y": 0.4},
      {"type": "right_click", "x": 0.3, "y": 0.4}]),
    ("pyautogui.moveTo(0.1, 0.2)\npyautogui.dragTo(0.7, 0.8)",
     [{"type": "move", "x": 0.1, "y": 0.2}, {"type": "drag", "x": 0.1, "y": 0.2, "x2": 0.7, "y2": 0.8}]),
    ("pyautogui.moveTo(0.1, 0.2)\npyautogui.dragTo(x=0.7, y=0.8, duration=0.5)\npyautogui.click()",
     [{"type": "move", "x": 0.1, "y": 0.2}, {"type": "drag", "x": 0.1, "y": 0.2, "x2": 0.7, "y2": 0.8},
      {"type": "click", "x": 0.7, "y": 0.8}]),
    ("pyautogui.dragTo(from_coord=[0.1, 0.2], to_coord=[0.3, 0.4])",
     [{"type": "drag", "x": 0.1, "y": 0.2, "x2": 0.3, "y2": 0.4}]),
    ("pyautogui.write(message='hello world')", [{"type": "type", "text": "hello world"}]),
    ("pyautogui.write('a\\nb')", [{"type": "type", "text": "a\nb"}]),
    ("pyautogui.typewrite('x', interval=0.1)", [{"type": "type", "text": "x"}]),
    ("pyautogui.write(text='via alias')", [{"type": "type", "text": "via alias"}]),
    ("pyautogui.typewrite(['h', 'i', 'enter'])",
     [{"type": "type", "text": "hi"}, {"type": "hotkey", "keys": ["enter"]}]),
    ("pyautogui.press('enter')", [{"type": "hotkey", "keys": ["enter"]}]),
    ("pyautogui.press(keys='Return')", [{"type": "hotkey", "keys": ["enter"]}]),
    ("pyautogui.press(['down', 'down', 'enter'])",
     [{"type": "hotkey", "keys": ["down"]}, {"type": "hotkey", "keys": ["down"]},
      {"type": "hotkey", "keys": ["enter"]}]),
    ("pyautogui.press('tab', presses=2)", [{"type": "hotkey", "keys": ["tab"]}] * 2),
    ("pyautogui.press(' ')", [{"type": "hotkey", "keys": [" "]}]),
    ("pyautogui.hotkey('ctrl', 'c')", [{"type": "hotkey", "keys": ["ctrl", "c"]}]),
    ("pyautogui.hotkey(keys=['ctrl', 'shift', 't'])", [{"type": "hotkey", "keys": ["ctrl", "shift", "t"]}]),
    ("pyautogui.hotkey(['Control', 'v'])", [{"type": "hotkey", "keys": ["ctrl", "v"]}]),
    ("pyautogui.hotkey('ctrl+s')", [{"type": "hotkey", "keys": ["ctrl", "s"]}]),
    ("pyautogui.scroll(page=-0.1)", [{"type": "scroll", "direction": "down"}]),
    ("pyautogui.scroll(0.13)", [{"type": "scroll", "direction": "up"}]),
    ("pyautogui.scroll(-5, x=0.2, y=0.3)", [{"type": "scroll", "x": 0.2, "y": 0.3, "direction": "down"}]),
    ("pyautogui.scroll(5, 0.2, 0.3)", [{"type": "scroll", "x": 0.2, "y": 0.3, "direction": "up"}]),
    ("pyautogui.hscroll(page=0.2)", [{"type": "scroll", "direction": "right"}]),
    ("pyautogui.hscroll(-3)", [{"type": "scroll", "direction": "left"}]),
    ("pyautogui.moveTo(0.5, 0.5)\npyautogui.scroll(-1)",  # no point named: none given (pointer is there)
     [{"type": "move", "x": 0.5, "y": 0.5}, {"type": "scroll", "direction": "down"}]),
    ("WAIT", [{"type": "wait"}]),
    ("mobile.wait(seconds=3)", [{"type": "wait"}]),
    ("computer.wait()", [{"type": "wait"}]),
    ("pyautogui.wait(1)", [{"type": "wait"}]),
    ("DONE", [{"type": "finished", "content": ""}]),
    ("mobile.terminate(status='success')", [{"type": "finished", "content": ""}]),
    ("computer.terminate(status='success')", [{"type": "finished", "content": ""}]),
    ("answer('The capital is Paris')", [{"type": "finished", "content": "The capital is Paris"}]),
    ("FAIL", [{"type": "call_user"}]),
    ("mobile.terminate(status='failure')", [{"type": "call_user"}]),
    ("computer.terminate(status='failure')", [{"type": "call_user"}]),
    ("pyautogui.click(x=-0.01, y=+1.02)", [{"type": "click", "x": -0.01, "y": 1.02}]),  # clamped when mapped
])
def test_contract_mapping(call, expected):
    assert acts(code(call)) == expected
    assert acts(f"```python\n{call}\n```") == expected
    if call.startswith(("pyautogui.", "mobile.", "computer.", "answer(")):
        assert acts(call) == expected  # bare lines


@pytest.mark.parametrize("call, reason", [
    ("pyautogui.click()", "no earlier pointer position"),
    ("pyautogui.doubleClick()", "no earlier pointer position"),
    ("pyautogui.dragTo(0.5, 0.5)", "earlier pointer position"),
    ("pyautogui.scroll(-1)\npyautogui.dragTo(0.5, 0.5)", "earlier pointer position"),
    ("pyautogui.dragTo(from_coord=[0.1, 0.2])", "to_coord"),
    ("pyautogui.click(x=0.1)", "both x and y"),
    ("pyautogui.click(x='0.1', y=0.2)", "must be a number"),
    ("pyautogui.click(x=True, y=0.2)", "must be a number"),
    ("pyautogui.click(x=1e999, y=0.2)", "must be a number"),
    ("pyautogui.click(0.1, 0.2, button='middle')", "mouse button"),
    ("pyautogui.click(0.1, 0.2, clicks=3)", "click count"),
    ("pyautogui.click(0.1, 0.2, 1, 0.0, 'left', 0.1, None, 'extra')", "too many arguments"),
    ("pyautogui.click(0.1, 0.2, colour='red')", "no argument 'colour'"),
    ("pyautogui.click(0.1, y=0.2, x=0.3)", "twice"),
    ("pyautogui.scroll(0)", "scroll by 0"),
    ("pyautogui.scroll()", "without an amount"),
    ("pyautogui.scroll(clicks=1, page=2)", "twice"),
    ("pyautogui.press('notakey')", "unknown key"),
    ("pyautogui.press('a', presses=10000)", "presses"),
    ("pyautogui.hotkey()", "hotkey without keys"),
    ("pyautogui.write(5)", "write needs a string"),
    ("mobile.terminate(status='maybe')", "status="),
    ("answer(42)", "answer needs a string"),
    ("pyautogui.screenshot()", "not an allowed action"),
    ("pyautogui.locateCenterOnScreen('button.png')", "not an allowed action"),
    ("# only a comment", "no action"),
])
def test_contract_rejections(call, reason):
    with pytest.raises(FormatError, match=reason):
        parse_aguvis(code(call))


def test_one_bad_statement_rejects_the_whole_reply():
    with pytest.raises(FormatError):
        parse_aguvis(code("pyautogui.click(0.1, 0.2)\npyautogui.write('ok')\nprint('x')"))


@pytest.mark.parametrize("text", ["", "   \n", "I am thinking about it.", "all\nThought: hmm\nassistantos\n"])
def test_no_code_is_a_format_error(text):
    with pytest.raises(FormatError):
        parse_aguvis(text)


def test_split_reply_and_low_level_action():
    text = ("Obs.\nThought: t\nAction: Click OK.<|im_end|>\n<|im_start|>assistant<|recipient|>os\n"
            "pyautogui.click(0.1, 0.2)")
    assert split_reply(text) == ("Obs.\nThought: t\nAction: Click OK.", "pyautogui.click(0.1, 0.2)")
    assert low_level_action(text) == "Click OK."
    assert low_level_action("no structure at all\nsecond line") == "no structure at all"
    assert low_level_action("") == "(no action)"


# ---- the CLI and the loop ----
def run_parse(monkeypatch, capsys, text: str, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    rc = cli_main(["parse", "--model-family", "aguvis", *args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_cli_parse_maps_unit_coordinates_to_screen_pixels(monkeypatch, capsys):
    reply = code("pyautogui.click(x=0.5, y=0.25)\npyautogui.dragTo(1.2, -0.1)\npyautogui.scroll(-1, x=1.0, y=1.0)")
    rc, out, _ = run_parse(monkeypatch, capsys, reply, "--screen", "1920x1080")
    assert rc == 0
    assert json.loads(out) == {"thought": "Thought: go\nAction: Do it.", "actions": [
        {"type": "click", "x": 960, "y": 270},
        {"type": "drag", "x": 960, "y": 270, "x2": 1919, "y2": 0},  # round(x * w), clamped
        {"type": "scroll", "x": 1919, "y": 1079, "direction": "down"},
    ]}
    # The screenshot's size does not matter for normalised coordinates
    rc, out2, _ = run_parse(monkeypatch, capsys, reply, "--screen", "1920x1080", "--image", "1280x720")
    assert out2 == out


def test_cli_parse_rejects_hostile_code_with_exit_2_and_one_line(monkeypatch, capsys):
    rc, out, err = run_parse(monkeypatch, capsys, code("__import__('os').system('true')"), "--screen", "800x600")
    assert (rc, out) == (2, "")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_cli_parse_in_a_subprocess(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "agent_app", "parse", "--model-family", "aguvis", "--screen", "1000x500"],
        input="```python\npyautogui.rightClick(0.1234, 0.5)\n```", capture_output=True, text=True, timeout=60,
        env={k: v for k, v in os.environ.items() if k != "DISPLAY"},
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["actions"] == [{"type": "right_click", "x": 123, "y": 250}]


def test_the_loop_runs_aguvis_end_to_end(server, tmp_path):
    server.add(
        "The desktop.\nThought: open it\nAction: Double-click the icon.\nassistantos\npyautogui.doubleClick(0.5, 0.5)",
        "The editor.\nThought: done\nAction: Report.\nassistantos\nanswer('opened')",
    )
    config = RunConfig(task="open the editor", base_url=server.base_url, model=server.model, runs_dir=str(tmp_path),
                       model_family="aguvis")
    executor = RecordingExecutor()
    agent = Agent(config, screen=StaticScreen(), executor=executor, control=RunControl())
    result = agent.run()
    assert (result.status, result.steps, result.final_answer) == ("finished", 2, "opened")
    assert [(a.type, a.x, a.y) for a in executor.actions] == [("double_click", 960, 540)]
    second = server.chat_requests()[1]["body"]["messages"]
    assert [m["role"] for m in second] == ["system", "user", "assistant"]
    assert second[1]["content"][1]["text"].endswith("Previous actions:\nStep 1: Double-click the icon.\n")
    assert second[2]["content"][0]["text"] == PREFILL


# ---- nothing the model writes can run ----
def test_the_spies_see_execution(no_execution):
    with pytest.raises(AssertionError):
        exec("1")  # the harness itself: a parser that ran code would be caught
    compile("1", "<s>", "eval")
    __import__("os")
    assert no_execution == ["exec", "compile eval", "import os"]


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_code_is_rejected_and_nothing_runs(payload, tmp_path, no_execution):
    sentinel = tmp_path / "pwned"
    body = payload.format(S=sentinel)
    shapes = [
        code(body),
        f"Thought: x\n```python\n{body}\n```",
        f"<|recipient|>all\nAction: x<|im_end|>\n<|im_start|>assistant<|recipient|>os\n{body}<|diff_marker|>",
        f"pyautogui.click(0.5, 0.5)\n{body}",  # a valid first line does not save the reply
    ]
    for text in shapes:
        with pytest.raises(FormatError) as info:
            parse_aguvis(text)
        assert "\n" not in str(info.value) and len(str(info.value)) < 200
    assert no_execution == []
    assert not sentinel.exists()


# ---- properties: any input gives actions or a FormatError, nothing else ----
FRAGMENTS = st.sampled_from([
    "pyautogui.", "click", "doubleClick", "rightClick", "moveTo", "dragTo", "write", "typewrite", "press",
    "hotkey", "scroll", "hscroll", "mobile.", "computer.", "terminate", "answer", "wait", "(", ")", "[", "]",
    "{", "}", ",", "=", "x", "y", "0.5", "-0.25", "1e999", "1e308", "10**9", "True", "None", "'enter'", "'ctrl'",
    "\"a\"", "'", "\"", "\\", "\n", " ", "    ", "#", ";", ":", "*", "**", ":=", "f'", "lambda", "__import__",
    "os.system", "exec", "eval", "import os", "WAIT", "DONE", "FAIL", "```", "```python\n", "all\n",
    "assistantos\n", "os\n", "<|recipient|>", "<|im_end|>", "<|im_start|>assistant", "<|diff_marker|>",
    "Thought: ", "Action: ", "from_coord=", "to_coord=", "page=", "button='right'", "status='success'",
    "message=", "keys=", "presses=", "\x00", "\r\n", "é", "(" * 50,
])
ARGS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**6, 10**6), st.booleans(), st.none(),
    st.text(max_size=10), st.lists(st.floats(-2, 2), max_size=3), st.sampled_from(["enter", "ctrl", "tab", "x"]),
)
NAMES = st.sampled_from([
    "pyautogui.click", "pyautogui.doubleClick", "pyautogui.rightClick", "pyautogui.moveTo", "pyautogui.dragTo",
    "pyautogui.write", "pyautogui.typewrite", "pyautogui.press", "pyautogui.hotkey", "pyautogui.scroll",
    "pyautogui.hscroll", "mobile.wait", "computer.terminate", "answer", "terminate", "wait",
])
KWARGS = st.sampled_from(["x", "y", "button", "clicks", "message", "keys", "page", "status", "from_coord",
                          "to_coord", "presses", "seconds", "answer", "text", "bogus"])


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
        if action.type == "scroll":
            assert action.direction in DIRECTIONS
        if action.type == "hotkey":
            assert action.keys and all(isinstance(k, str) for k in action.keys)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=300), st.lists(FRAGMENTS, max_size=40).map("".join)))
def test_any_text_gives_actions_or_a_format_error(text):
    try:
        parsed = parse_aguvis(text)
    except FormatError as e:
        assert str(e) and "\n" not in str(e)
        return
    check_result(parsed)


@settings(max_examples=400, deadline=None)
@given(st.lists(calls(), min_size=1, max_size=4), st.sampled_from(["os", "fence", "bare"]))
def test_any_allowed_call_gives_actions_or_a_format_error(lines, shape):
    body = "\n".join(lines)
    text = code(body) if shape == "os" else f"```python\n{body}\n```" if shape == "fence" else body
    try:
        parsed = parse_aguvis(text)
    except FormatError:
        return
    check_result(parsed)


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 1), st.floats(0, 1), st.sampled_from(["click", "doubleClick", "rightClick", "moveTo"]))
def test_valid_points_round_trip(x, y, fn):
    (action,) = parse_aguvis(code(f"pyautogui.{fn}(x={x!r}, y={y!r})")).actions
    assert (action.x, action.y) == (x, y)
