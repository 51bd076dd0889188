"""Issue 10, item 3 without a display: the takeover rules when some of the screen is agent-app's own.

The listener callbacks are fed events as pynput delivers them; a rectangle stands for our control strip and a
flag for our keyboard focus. A real RunControl is held, paused and resumed; a real PersonRecorder records."""

from __future__ import annotations

import itertools
import threading
from types import SimpleNamespace

import pytest

from agent_app.core.actions import Action
from agent_app.core.control import RunControl
from agent_app.core.desktop import input_listener as global_input
from agent_app.core.desktop.input_listener import GlobalInput
from agent_app.core.desktop.person import PersonRecorder
from agent_app.core.errors import Stopped, TakenOver

STRIP = (800, 0, 1100, 40)  # left, top, right, bottom
LEFT = SimpleNamespace(name="left")


class Ours:
    """The strip's rectangle and whether one of our windows has the keyboard focus."""

    def __init__(self) -> None:
        self.focus = False
        self.asked: list[tuple[float, float]] = []

    def at(self, x: float, y: float) -> bool:
        self.asked.append((x, y))
        left, top, right, bottom = STRIP
        return left <= x < right and top <= y < bottom

    def focused(self) -> bool:
        return self.focus


@pytest.fixture
def setup():
    own = Ours()
    gi = GlobalInput(own=own)
    gi.rest_s = 0.15
    control, person, took = RunControl(), PersonRecorder(), []
    gi._pointer = lambda: (100.0, 500.0)  # where the pointer rests when the run starts
    gi.watch(control, 12, took.append, person)
    yield SimpleNamespace(gi=gi, own=own, control=control, person=person, took=took)
    gi.stop()


def path(gi: GlobalInput, *points: tuple[float, float]) -> None:
    """A person's pointer trail: every few pixels between the points, as the X server reports it."""
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        n = max(1, int(max(abs(x1 - x0), abs(y1 - y0)) // 8))
        for i in range(1, n + 1):
            gi._on_move(x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n)


def settled(gi: GlobalInput) -> None:
    """Wait until the pointer's last movement has been decided (it came to rest)."""
    for _ in range(200):
        with gi._lock:
            if gi._moving_since is None:
                return
        threading.Event().wait(0.02)
    raise AssertionError("the movement was never decided")


def checks_in_background(control: RunControl) -> tuple[threading.Thread, list[str]]:
    """The agent's loop thread at its next check: what happened to it."""
    outcome: list[str] = []

    def agent() -> None:
        try:
            control.check()
            outcome.append("went on")
        except TakenOver:
            outcome.append("taken over")
        except Stopped:
            outcome.append("stopped")

    t = threading.Thread(target=agent)
    t.start()
    return t, outcome


def test_reaching_for_the_strip_and_clicking_pause_is_not_a_takeover(setup):
    s = setup
    path(s.gi, (100, 500), (400, 300))  # on the desktop, on the way up
    assert s.control._held  # the agent holds still while the pointer is on its way
    t, outcome = checks_in_background(s.control)
    path(s.gi, (400, 300), (900, 20))  # onto the strip's Pause
    settled(s.gi)
    t.join(5)
    assert outcome == ["went on"] and not s.control._held
    s.gi._on_click(900, 20, LEFT, True)
    s.control.pause("user")  # what the Pause button does, on the GUI thread
    s.gi._on_click(900, 20, LEFT, False)
    assert s.control.paused_by == "user" and s.took == []
    assert not s.person.recording and s.person.stop() == []


def test_a_pointer_that_comes_to_rest_on_the_desktop_takes_over(setup):
    s = setup
    path(s.gi, (100, 500), (300, 520))
    t, outcome = checks_in_background(s.control)
    settled(s.gi)
    t.join(5)
    assert outcome == ["taken over"]  # the reply the agent was about to act on is dropped
    assert s.control.paused_by == "takeover" and s.took == ["the pointer moved"]


def test_crossing_our_window_on_the_way_elsewhere_is_a_takeover(setup):
    s = setup
    path(s.gi, (700, 300), (950, 10), (1300, 300))  # over the strip and on, to rest on the desktop
    settled(s.gi)
    assert s.control.paused_by == "takeover" and s.took == ["the pointer moved"]


def test_moving_about_on_our_window_holds_nothing(setup):
    s = setup
    s.gi._on_move(820, 10)  # the pointer starts on the strip (the reference)
    path(s.gi, (820, 10), (1080, 30), (820, 5))
    assert not s.control._held and s.control.paused_by is None


def test_moving_about_the_desktop_without_rest_is_a_takeover_in_the_end(setup, monkeypatch):
    s = setup
    monkeypatch.setattr(global_input, "MOVING_MAX_S", 0.3)
    s.gi.rest_s = 10
    for _ in range(40):  # circles, never resting
        path(s.gi, (300, 300), (340, 300), (340, 340), (300, 340), (300, 300))
        threading.Event().wait(0.02)
        if s.control.paused_by:
            break
    assert s.control.paused_by == "takeover"


def take_over_by_a_click(s, x: float = 300, y: float = 600) -> None:
    s.gi._on_click(x, y, LEFT, True)
    s.gi._on_click(x, y, LEFT, False)
    assert s.control.paused_by == "takeover"


def test_the_correction_holds_only_what_was_done_on_the_desktop(setup):
    s = setup
    take_over_by_a_click(s)  # the desktop click that takes over is the first action
    path(s.gi, (300, 600), (1000, 20))
    s.gi._on_click(1000, 20, LEFT, True)  # "Resume with note…" on the strip
    s.gi._on_click(1000, 20, LEFT, False)
    s.own.focus = True  # the note field has the keyboard focus
    for ch in "done":
        s.gi._on_press(SimpleNamespace(char=ch))
        s.gi._on_release(SimpleNamespace(char=ch))
    s.gi._on_press(SimpleNamespace(name="enter", char=None))
    s.gi._on_release(SimpleNamespace(name="enter", char=None))
    s.gi._on_scroll(900, 20, 0, -1)  # a wheel turn over the strip
    assert s.person.stop() == [Action("click", x=300, y=600)]


def test_a_drag_from_the_desktop_that_ends_over_our_window_is_the_persons(setup):
    s = setup
    s.gi._on_click(200, 500, LEFT, True)
    assert s.control.paused_by == "takeover"
    s.gi._on_click(950, 20, LEFT, False)  # released over the strip: still the person's drag
    assert s.person.stop() == [Action("drag", x=200, y=500, x2=950, y2=20)]


def test_a_drag_that_starts_on_our_window_is_not_the_persons(setup):
    s = setup
    take_over_by_a_click(s)
    s.gi._on_click(850, 20, LEFT, True)  # dragging the strip somewhere else
    s.gi._on_click(600, 400, LEFT, False)
    assert s.person.stop() == [Action("click", x=300, y=600)]


def test_keys_follow_the_focus_they_were_pressed_in(setup):
    s = setup
    take_over_by_a_click(s)
    s.own.focus = True
    s.gi._on_press(SimpleNamespace(char="x"))  # typed into our note field
    s.own.focus = False  # the person clicked back into the target
    s.gi._on_release(SimpleNamespace(char="x"))
    for ch in "ok":
        s.gi._on_press(SimpleNamespace(char=ch))
        s.gi._on_release(SimpleNamespace(char=ch))
    assert s.person.stop() == [Action("click", x=300, y=600), Action("type", text="ok")]


def test_typing_into_our_window_is_not_a_takeover(setup):
    s = setup
    s.own.focus = True
    s.gi._on_press(SimpleNamespace(char="a"))
    s.gi._on_release(SimpleNamespace(char="a"))
    assert s.control.paused_by is None and s.took == []
    s.own.focus = False
    s.gi._on_press(SimpleNamespace(char="a"))
    assert s.control.paused_by == "takeover" and s.took == ["a key was pressed"]


def test_scrolling_our_window_is_not_a_takeover_and_the_desktop_is(setup):
    s = setup
    s.gi._on_scroll(900, 20, 0, -1)
    assert s.control.paused_by is None
    s.gi._on_scroll(400, 400, 0, -1)
    assert s.control.paused_by == "takeover" and s.took == ["the wheel was turned"]


def test_global_hotkeys_work_with_our_window_focused(setup):
    s = setup
    fired: list[str] = []
    assert s.gi.set_hotkeys({"pause": "<ctrl>+<alt>+p"}, {"pause": lambda: fired.append("pause")}) == []
    s.own.focus = True
    for name in ("ctrl_l", "alt_l"):
        s.gi._on_press(SimpleNamespace(name=name, char=None))
    s.gi._on_press(SimpleNamespace(char="p"))
    assert fired == ["pause"]
    s.own.focus = False
    s.gi._on_press(SimpleNamespace(char="p"))  # ctrl+alt still held, now with the desktop focused
    assert fired == ["pause", "pause"] and s.control.paused_by is None


def test_a_stop_ends_a_hold_and_unwatch_releases_it(setup):
    s = setup
    s.gi.rest_s = 10
    path(s.gi, (100, 500), (300, 500))
    assert s.control._held
    s.gi.unwatch()
    assert not s.control._held
    s.gi.watch(s.control, 12, s.took.append, s.person)
    path(s.gi, (300, 500), (600, 500))
    t, outcome = checks_in_background(s.control)
    s.control.stop("stopped by the user")
    t.join(5)
    assert outcome == ["stopped"]


def test_a_failing_question_counts_as_the_desktop(setup):
    s = setup

    def broken(x: float, y: float) -> bool:
        raise RuntimeError("X connection lost")

    s.own.at = broken
    s.gi._on_click(900, 20, LEFT, True)
    assert s.control.paused_by == "takeover"  # the person's input is never silently dropped
