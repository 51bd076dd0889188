"""Numbers in Aguvis replies: every numeric argument, at every size a reply can spell, is either a number the
parser uses or a FormatError (a usable message) — never an internal error (OverflowError from a huge int)."""

from __future__ import annotations

import pytest

from agent_app.core.errors import FormatError
from agent_app.core.families.aguvis import parse_aguvis
from agent_app.core.families.pycode import MAX_COORDINATE

CALLS = [  # every place a number goes; N is replaced by the number under test
    "pyautogui.click(x=N, y=0.5)", "pyautogui.click(0.5, N)", "pyautogui.click(x=[N, 0.5])",
    "pyautogui.doubleClick(N, 0.5)", "pyautogui.rightClick(0.5, y=N)", "pyautogui.moveTo(N, N)",
    "pyautogui.dragTo(from_coord=[0.1, 0.2], to_coord=[N, 0.3])",
    "pyautogui.moveTo(0.1, 0.1)\npyautogui.dragTo(N, 0.2)",
    "pyautogui.scroll(N)", "pyautogui.scroll(-1, x=N, y=0.5)", "pyautogui.hscroll(page=N)",
    "pyautogui.press('a', presses=N)", "pyautogui.click(0.5, 0.5, clicks=N)",
]
HUGE = ["9" * 309, "1" + "0" * 399, "-" + "9" * 400, "9" * 4300, "0x" + "f" * 1000, "1e400", "-1e400", "1e309"]


@pytest.mark.parametrize("number", HUGE, ids=lambda n: f"{n[:6]}…{len(n)}")
@pytest.mark.parametrize("call", CALLS)
def test_a_huge_number_anywhere_is_a_format_error(call, number):
    with pytest.raises(FormatError) as rejected:
        parse_aguvis(call.replace("N", number))
    assert "\n" not in str(rejected.value) and len(str(rejected.value)) < 200


def test_a_number_too_long_to_read_is_a_format_error():
    with pytest.raises(FormatError, match="not valid Python"):
        parse_aguvis("pyautogui.click(x=" + "9" * 5000 + ", y=0.5)")


@pytest.mark.parametrize("value, ok", [(MAX_COORDINATE, True), (-MAX_COORDINATE, True), (MAX_COORDINATE + 1, False),
                                       (int(MAX_COORDINATE) + 1, False), (10**18, False), (0, True), (0.999, True)])
def test_the_limit_is_exact(value, ok):
    """Exactly at the limit (as a float or as an int) is accepted; one more is not."""
    call = f"pyautogui.moveTo({value!r}, 0.5)"
    if ok:
        assert parse_aguvis(call).actions[0].x == value
    else:
        with pytest.raises(FormatError, match="must be a number of at most 1e\\+06"):
            parse_aguvis(call)


def test_the_cli_says_it_in_one_line(cli_nodisplay):
    reply = "pyautogui.click(x=" + "9" * 400 + ", y=0.5)"
    proc = cli_nodisplay.run("parse", "--model-family", "aguvis", "--screen", "1920x1080", input=reply)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr and "internal" not in proc.stderr
    assert "x must be a number of at most 1e+06, got a number of 400 digits" in proc.stderr
