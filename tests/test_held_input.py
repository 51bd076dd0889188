"""Nothing stays held (issue 10, item 8).

Unit level, no display: the X server's answers → what is held, over every button bit and every keycode, and the
release logic against a fake X server that counts stray releases. On a real X display: an action cut short by a
takeover, a stop, the fail-safe corner or Ctrl+C lets go of the button; the real CLI killed with -9 mid-drag
leaves button 1 held, and the next run releases it (and held modifier keys) at start; SIGTERM or SIGHUP mid-drag
ends with nothing held.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from agent_app.core.desktop.held_input import BLIND_MODIFIERS, BUTTON_NAMES, Held, X11Input, held_in, release_left_held

# This server's modifier map (xmodmap -pm on Xvfb): Shift, Lock, Control, Mod1 … Mod5, 0 = empty slot.
MODIFIER_MAP = [[50, 62, 0, 0], [66, 0, 0, 0], [37, 105, 0, 0], [64, 108, 205, 0], [77, 0, 0, 0], [0, 0, 0, 0],
                [133, 134, 206, 207], [92, 203, 0, 0]]
MODIFIERS = sorted({k for row in MODIFIER_MAP for k in row if k})
BUTTON_PRESS, BUTTON_RELEASE, KEY_PRESS, KEY_RELEASE = 4, 5, 2, 3  # Xlib.X event types


def keymap_of(keycodes: set[int], length: int = 32) -> list[int]:
    keymap = [0] * length
    for k in keycodes:
        keymap[k // 8] |= 1 << (k % 8)
    return keymap


# ---- the server's answers → what is held ----
@pytest.mark.parametrize("mask", range(32))
def test_every_combination_of_held_buttons_is_read_from_the_pointer_mask(mask):
    buttons = tuple(b for b in range(1, 6) if mask >> (b - 1) & 1)
    # other state bits (Shift, Lock, Control, Mod1–5 = bits 0–7, and bits beyond Button5) say nothing about buttons
    noise = 0xFF | (0xFFFF << 13)
    assert held_in((mask << 8) | noise, keymap_of(set()), MODIFIER_MAP) == Held(buttons, ())
    assert held_in(mask << 8, keymap_of(set()), MODIFIER_MAP) == Held(buttons, ())


@pytest.mark.parametrize("keycode", range(256))
def test_every_keycode_counts_as_held_exactly_when_it_is_a_modifier_and_down(keycode):
    alone = held_in(0, keymap_of({keycode}), MODIFIER_MAP)
    assert alone.keycodes == ((keycode,) if keycode in MODIFIERS else ())
    # with every other key down too, the answer for this key is the same
    everything_else = held_in(0, keymap_of(set(range(256)) - {keycode}), MODIFIER_MAP)
    assert keycode not in everything_else.keycodes
    assert set(everything_else.keycodes) == set(MODIFIERS) - {keycode}


def test_all_modifiers_down_are_all_listed_once_in_keycode_order():
    both = held_in(1 << 8, keymap_of(set(MODIFIERS) | {38, 24}), [*MODIFIER_MAP, [37, 37, 50, 0]])
    assert both == Held((1,), tuple(MODIFIERS))  # 'a' (38) and 'q' (24) are down but are not modifiers


@pytest.mark.parametrize("keymap", [[], [0xFF] * 4, [0xFF] * 12], ids=["empty", "cut to 4 bytes", "cut to 12 bytes"])
def test_a_short_keymap_reads_what_it_holds_and_nothing_beyond(keymap):
    held = held_in(0, keymap, MODIFIER_MAP)
    assert held.keycodes == tuple(k for k in MODIFIERS if k < 8 * len(keymap))


def test_an_empty_modifier_map_holds_no_key():
    assert held_in(0, [0xFF] * 32, [[0, 0]] * 8) == Held()
    assert held_in(0, [0xFF] * 32, []) == Held()


def test_held_describes_itself_in_words():
    assert not Held()
    assert Held().describe() == "nothing"
    assert Held((1, 3), (37,)).describe() == "button 1 (left), button 3 (right), key 37"
    assert [Held((b,)).describe() for b in BUTTON_NAMES] == [f"button {b} ({n})" for b, n in BUTTON_NAMES.items()]


# ---- releasing against a fake X server ----
class FakeX:
    """The parts of an X server the release logic touches: what is down, and every event XTest sends."""

    def __init__(self, buttons: set[int] = frozenset(), keys: set[int] = frozenset(), stuck_keys=frozenset()):
        self.buttons, self.keys = set(buttons), set(keys)
        self.stuck_keys = set(stuck_keys)  # held on a physical keyboard: an XTest release cannot lift them
        self.sent: list[tuple[int, int]] = []
        self.synced = 0

    # python-xlib's Display surface
    def screen(self):
        return self

    @property
    def root(self):
        return self

    def query_pointer(self):
        mask = sum(1 << (7 + b) for b in self.buttons) | 0b101  # Shift and Control bits: not buttons
        return type("Pointer", (), {"mask": mask})()

    def query_keymap(self):
        return keymap_of(self.keys)

    def get_modifier_mapping(self):
        return MODIFIER_MAP

    def sync(self):
        self.synced += 1

    def fake_input(self, display, event_type, detail):
        assert display is self
        self.sent.append((event_type, detail))
        if event_type == BUTTON_RELEASE:
            self.buttons.discard(detail)
        elif event_type == KEY_RELEASE and detail not in self.stuck_keys:
            self.keys.discard(detail)

    def stray(self) -> list[tuple[int, int]]:
        return [e for e in self.sent if e[0] in (BUTTON_PRESS, KEY_PRESS)]


class FakePyAutoGUI:
    def __init__(self, display=None, platform_module: bool = True):
        if platform_module:
            self.platformModule = type("X11", (), {"_display": display})()
        self.calls: list[tuple[str, str]] = []

    def keyUp(self, key):  # noqa: N802 - pyautogui's name
        self.calls.append(("keyUp", key))

    def mouseUp(self, *a, **kw):  # noqa: N802 - pyautogui's name
        self.calls.append(("mouseUp", kw.get("button", "left")))


def test_release_lifts_exactly_what_is_held_buttons_first():
    x = FakeX(buttons={1, 2}, keys={37, 50, 38})  # Ctrl_L, Shift_L and 'a'
    x11 = X11Input(x, x.fake_input)
    held = x11.held()
    assert held == Held((1, 2), (37, 50))
    x11.release(held)
    assert x.sent == [(BUTTON_RELEASE, 1), (BUTTON_RELEASE, 2), (KEY_RELEASE, 37), (KEY_RELEASE, 50)]
    assert x.synced == 1
    assert x.buttons == set() and x.keys == {38}  # 'a' is not a modifier: left alone
    assert not x11.held()


@pytest.mark.parametrize("buttons", [set(), {1}, {3}, {1, 2, 3, 4, 5}])
@pytest.mark.parametrize("keys", [set(), {37}, {108, 133}, set(MODIFIERS)])
def test_release_left_held_on_x11_sends_no_release_for_anything_not_held(buttons, keys, monkeypatch):
    from agent_app.core.desktop import held_input

    x = FakeX(buttons, keys)
    pg = FakePyAutoGUI(x)
    monkeypatch.setattr(held_input, "X11Input", lambda display: X11Input(display, x.fake_input))
    done = release_left_held(pg, "linux")
    expected = [(BUTTON_RELEASE, b) for b in sorted(buttons)] + [(KEY_RELEASE, k) for k in sorted(keys)]
    assert x.sent == expected
    assert x.buttons == set() and x.keys == set()
    assert pg.calls == []  # pyautogui's blind releases are not used where the server can be asked
    assert done == (f"released {Held(tuple(sorted(buttons)), tuple(sorted(keys))).describe()}"
                    if buttons or keys else "nothing was held")


def test_a_key_the_person_holds_on_their_own_keyboard_is_reported_still_held(monkeypatch):
    from agent_app.core.desktop import held_input

    x = FakeX({1}, {37, 50}, stuck_keys={50})
    monkeypatch.setattr(held_input, "X11Input", lambda display: X11Input(display, x.fake_input))
    done = release_left_held(FakePyAutoGUI(x), "linux")
    assert done == "released button 1 (left), key 37, key 50; still held by another device: key 50"


@pytest.mark.parametrize("platform", sorted(BLIND_MODIFIERS))
def test_where_nothing_can_be_asked_modifiers_are_released_and_buttons_never(platform):
    pg = FakePyAutoGUI(platform_module=False)
    done = release_left_held(pg, platform)
    assert pg.calls == [("keyUp", k) for k in BLIND_MODIFIERS[platform]]
    assert not any(call[0] == "mouseUp" for call in pg.calls)
    assert "cannot be asked" in done


def test_an_unknown_backend_releases_nothing():
    pg = FakePyAutoGUI(platform_module=False)
    assert release_left_held(pg, "linux").startswith("nothing released")
    assert pg.calls == []


def test_a_failing_server_does_not_stop_the_run():
    class Broken(FakeX):
        def query_keymap(self):
            raise ConnectionResetError("X connection lost")

    assert release_left_held(FakePyAutoGUI(Broken({1})), "linux") == "nothing released (X connection lost)"


# ---- on a real X display ----
def x_state(desktop) -> Held:
    """What the X server says is held right now (modifiers and buttons), asked over a connection of our own."""
    from Xlib.display import Display

    d = Display(desktop.display)
    try:
        return X11Input(d).held()
    finally:
        d.close()


def wait_for_button_1(desktop, proc, timeout: float = 60) -> None:
    from Xlib.display import Display

    d = Display(desktop.display)
    try:
        root = d.screen().root
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if root.query_pointer().mask & (1 << 8):
                return
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.002)
        raise AssertionError("the drag never pressed button 1")
    finally:
        d.close()


@pytest.fixture
def x_desktop(desktop):
    """The 1920x1080 desktop, selected for pyautogui in this process too; anything left held is let go after."""
    os.environ.update(desktop.env)
    yield desktop
    held = x_state(desktop)
    for b in held.buttons:
        desktop.xdotool("mouseup", str(b))
    for k in held.keycodes:
        desktop.xdotool("keyup", str(k))


def drag_reply(x1: int, y1: int, x2: int, y2: int) -> str:
    box = lambda x, y: f"({round(x * 1932 / 1920)},{round(y * 1092 / 1080)})"  # noqa: E731
    return f"Thought: Drag it.\nAction: drag(start_box='{box(x1, y1)}', end_box='{box(x2, y2)}')"


FINISH = "Thought: Done.\nAction: finished(content='done')"


def _interrupt(kind: str, desktop):
    from agent_app.core.control import RunControl
    from agent_app.core.errors import ExecutionError, Stopped, TakenOver

    control, calls = RunControl(), []

    def check():
        calls.append(1)
        if len(calls) == 4:  # mid-drag: button 1 is down
            assert x_state(desktop).buttons == (1,)
            if kind == "takeover":
                control.pause("takeover")
            elif kind == "stop":
                control.stop()
            elif kind == "fail-safe corner":
                desktop.xdotool("mousemove", "--sync", "0", "0")  # the person's emergency exit
            elif kind == "Ctrl+C":
                raise KeyboardInterrupt
            elif kind == "platform error":
                raise OSError("the input device went away")
        control.check()

    expected = {"takeover": TakenOver, "stop": Stopped, "fail-safe corner": Stopped, "Ctrl+C": KeyboardInterrupt,
                "platform error": ExecutionError}[kind]
    return check, expected


@pytest.mark.x11
@pytest.mark.parametrize("kind", ["takeover", "stop", "fail-safe corner", "Ctrl+C", "platform error"])
def test_an_action_cut_short_lets_go_of_the_button(x_desktop, kind):
    from agent_app.core.actions import Action
    from agent_app.core.desktop.executor import PyAutoGUIExecutor
    from agent_app.core.geometry import Monitor

    desktop = x_desktop
    executor = PyAutoGUIExecutor(Monitor(0, 0, 1920, 1080))
    check, expected = _interrupt(kind, desktop)
    with pytest.raises(expected):
        executor.execute(Action("drag", x=300, y=300, x2=1500, y2=900), check)
    assert x_state(desktop) == Held()
    assert executor._held_buttons == [] and executor._held_keys == []


@pytest.mark.x11
def test_the_next_run_releases_the_button_a_run_killed_mid_drag_left_held(x_desktop, cli, server):
    desktop = x_desktop
    server.add(drag_reply(200, 500, 1700, 520), FINISH)
    proc = cli.popen("run", "drag the slider", "--base-url", server.base_url, "--runs-dir", str(cli.runs_dir),
                     "--json")
    try:
        wait_for_button_1(desktop, proc)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert x_state(desktop).buttons == (1,)  # what the killed run left behind
    server.add(FINISH)
    done, summary = cli.run_task(server, "nothing to do")
    assert done.returncode == 0, done.stderr
    assert summary["status"] == "finished"
    assert x_state(desktop) == Held()


@pytest.mark.x11
def test_the_next_run_releases_held_modifier_keys_and_buttons(x_desktop, cli, server):
    desktop = x_desktop
    desktop.xdotool("keydown", "ctrl+shift+alt")  # as a run killed mid-hotkey leaves them (XTest, like pyautogui)
    desktop.xdotool("mousedown", "2")
    held = x_state(desktop)
    assert held.buttons == (2,) and len(held.keycodes) == 3
    server.add(FINISH)
    done, summary = cli.run_task(server, "nothing to do")
    assert done.returncode == 0, done.stderr
    assert summary["status"] == "finished"
    assert x_state(desktop) == Held()


@pytest.mark.x11
@pytest.mark.parametrize("sig", ["SIGTERM", "SIGHUP"])  # SIGHUP: the terminal the run was started in went away
def test_sigterm_mid_drag_stops_the_run_with_nothing_held(x_desktop, cli, server, sig):
    import json

    desktop = x_desktop
    server.add(drag_reply(200, 500, 1700, 520), FINISH)
    proc = cli.popen("run", "drag the slider", "--base-url", server.base_url, "--runs-dir", str(cli.runs_dir),
                     "--json")
    try:
        wait_for_button_1(desktop, proc)
        proc.send_signal(getattr(signal, sig))
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert (summary["status"], summary["error"]) == ("stopped", f"stopped by {sig}"), err
    assert x_state(desktop) == Held()
