"""The action types the open and API families add, carried out on a real X display and heard back from the X server
(pynput records every event, synthetic ones included): exact pixels, buttons, modifiers, wheel clicks."""

from __future__ import annotations

import os
import threading
import time

import pytest

from agent_app.core.actions import Action

pytestmark = pytest.mark.x11


class Heard:
    """What reached the X server, in order: ("press"|"release", button, x, y), ("scroll", dy), ("key", down, name)."""

    def __init__(self) -> None:
        from pynput import keyboard, mouse

        self.events: list[tuple] = []
        self._lock = threading.Lock()
        self._ms = mouse.Listener(on_click=self._click, on_scroll=self._scroll)
        self._kb = keyboard.Listener(on_press=lambda k: self._key(True, k), on_release=lambda k: self._key(False, k))
        for listener in (self._ms, self._kb):
            listener.daemon = True
            listener.start()
            listener.wait()

    def _click(self, x, y, button, pressed):
        with self._lock:
            self.events.append(("press" if pressed else "release", button.name, int(x), int(y)))

    def _scroll(self, x, y, dx, dy):
        with self._lock:
            self.events.append(("scroll", int(dy)))

    def _key(self, down, key):
        name = getattr(key, "name", None) or getattr(key, "char", None)
        with self._lock:
            self.events.append(("key", down, name))

    def settle(self, count: int, timeout: float = 5.0) -> list[tuple]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.events) < count:
            time.sleep(0.01)
        time.sleep(0.1)  # nothing more may come
        with self._lock:
            return list(self.events)

    def stop(self) -> None:
        self._ms.stop()
        self._kb.stop()


@pytest.fixture
def act(desktop):
    os.environ.update(desktop.env)
    from agent_app.core.desktop.executor import PyAutoGUIExecutor
    from agent_app.core.geometry import Monitor

    executor = PyAutoGUIExecutor(Monitor(0, 0, 1920, 1080))
    heard = Heard()

    def run(*actions: Action, expect: int) -> list[tuple]:
        heard.events.clear()
        for action in actions:
            executor.execute(action)
        return heard.settle(expect)

    yield run, desktop
    heard.stop()


def test_triple_and_middle_clicks_land_on_the_pixel(act):
    run, _ = act
    assert run(Action("triple_click", x=401, y=302), expect=6) == [
        ("press", "left", 401, 302), ("release", "left", 401, 302)] * 3
    assert run(Action("middle_click", x=77, y=1000), expect=2) == [
        ("press", "middle", 77, 1000), ("release", "middle", 77, 1000)]


def test_a_click_without_a_point_is_at_the_pointer(act):
    run, desktop = act
    desktop.xdotool("mousemove", "--sync", "555", "444")
    assert run(Action("click"), Action("right_click"), expect=4) == [
        ("press", "left", 555, 444), ("release", "left", 555, 444),
        ("press", "right", 555, 444), ("release", "right", 555, 444)]
    assert desktop.pointer() == (555, 444)


def test_modifiers_are_held_around_the_click_and_released_after(act):
    run, _ = act
    events = run(Action("click", x=300, y=200, keys=("shift", "ctrl")), expect=6)
    assert events == [("key", True, "shift"), ("key", True, "ctrl"), ("press", "left", 300, 200),
                      ("release", "left", 300, 200), ("key", False, "ctrl"), ("key", False, "shift")]


def test_mouse_down_and_up_are_separate_and_a_drag_may_start_at_the_pointer(act):
    run, desktop = act
    assert run(Action("mouse_down", x=600, y=400), Action("mouse_up", x=700, y=450), expect=2) == [
        ("press", "left", 600, 400), ("release", "left", 700, 450)]
    desktop.xdotool("mousemove", "--sync", "100", "120")
    assert run(Action("drag", x2=300, y2=330), expect=2) == [("press", "left", 100, 120),
                                                              ("release", "left", 300, 330)]


def test_scroll_amount_is_wheel_clicks(act):
    run, desktop = act
    assert run(Action("scroll", x=800, y=600, direction="down", amount=3), expect=3) == [("scroll", -1)] * 3
    assert desktop.pointer() == (800, 600)
    assert run(Action("scroll", direction="up", amount=2), expect=2) == [("scroll", 1)] * 2
    assert run(Action("scroll", direction="down"), expect=5) == [("scroll", -1)] * 5  # no amount: the default


@pytest.mark.parametrize("amount", [7, 29, 30, 31, 500])
def test_a_scroll_turns_the_wheel_at_most_max_clicks(act, amount):
    """A model writing pixels where clicks are meant (`pixels=-500`) scrolls a bounded distance, not 500 clicks."""
    from agent_app.core.desktop.executor import MAX_SCROLL_CLICKS

    run, _ = act
    expected = min(amount, MAX_SCROLL_CLICKS)
    assert run(Action("scroll", x=900, y=500, direction="down", amount=amount), expect=expected + 1) == [
        ("scroll", -1)] * expected


def test_a_stop_lands_between_slices_of_a_long_scroll(desktop):
    from agent_app.core.desktop.executor import PyAutoGUIExecutor
    from agent_app.core.errors import Stopped
    from agent_app.core.geometry import Monitor

    os.environ.update(desktop.env)
    executor, turned, checks = PyAutoGUIExecutor(Monitor(0, 0, 1920, 1080)), [], []
    executor.pg.scroll = lambda units, *a, **k: turned.append(units)

    def check() -> None:
        checks.append(1)
        if len(checks) == 4:  # the action's own check, then one per slice
            raise Stopped("stop")

    with pytest.raises(Stopped):
        executor.execute(Action("scroll", direction="up", amount=30), check)
    assert turned == [5, 5]  # two slices turned, then the stop: the rest never


def test_a_held_hotkey_goes_down_then_up(act):
    run, _ = act
    assert run(Action("hotkey", keys=("shift",), hold=0.2), expect=2) == [("key", True, "shift"),
                                                                             ("key", False, "shift")]


def test_answered_types_do_nothing_on_the_desktop(act):
    run, desktop = act
    before = desktop.pointer()
    assert run(Action("zoom", x=1, y=2, x2=30, y2=40), Action("unsupported", name="open_web_browser"), expect=0) == []
    assert desktop.pointer() == before
