"""Where the keyboard goes back to when agent-app's windows step aside (X11, a real display and window manager):
the desktop window that had it — never a window of ours that the person brought forward meanwhile."""

from __future__ import annotations

import subprocess

import pytest
from PySide6.QtWidgets import QWidget

from agent_app.ui.focus import FocusKeeper

pytestmark = pytest.mark.x11


def focused(desktop) -> int:
    return int(desktop.xdotool("getwindowfocus"))


def test_a_window_of_ours_is_never_noted_as_the_one_to_give_the_keyboard_back_to(qtbot, desktop):
    zen = desktop.spawn(["zenity", "--entry", "--title", "Keyboard owner", "--text", "Name"],
                        stdout=subprocess.PIPE, text=True)
    desktop.procs.append(zen)
    desktop.wait_window("Keyboard owner")
    target = int(desktop.xdotool("search", "--onlyvisible", "--name", "Keyboard owner").split()[0])
    desktop.xdotool("windowactivate", "--sync", str(target))
    keeper = FocusKeeper()
    keeper.note(ours=set())
    assert keeper._noted is not None and keeper._noted.id == target

    ours = QWidget()
    ours.setWindowTitle("agent-app (ours)")
    qtbot.addWidget(ours)
    ours.show()
    qtbot.waitExposed(ours)
    desktop.xdotool("windowactivate", "--sync", str(int(ours.winId())))
    qtbot.waitUntil(lambda: ours.isActiveWindow(), timeout=5000)
    keeper.note(ours={int(ours.winId())})  # the person brought our window forward: not the desktop's owner
    assert keeper._noted.id == target

    ours.hide()  # our window steps aside; wherever the window manager parks the keyboard, it goes back
    qtbot.wait(200)
    keeper.restore()
    qtbot.waitUntil(lambda: focused(desktop) == target, timeout=5000)
    keeper.close()
