"""Which Qt screen is the monitor the agent uses (numbered as mss numbers them, `--monitor N`)."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication, QScreen

from agent_app.core.desktop.capture import list_monitors


def screen_for_monitor(index: int) -> QScreen:
    """Qt's screen for monitor `index`. The two lists may be in different orders and, on scaled Windows displays,
    in different units, but their left-to-right, top-to-bottom arrangement is the same: match by rank in it.
    Falls back to the primary screen."""
    monitors = list_monitors()
    screens = sorted(QGuiApplication.screens(), key=lambda s: (s.geometry().x(), s.geometry().y()))
    if 0 < index <= len(monitors) and len(screens) == len(monitors):
        rank = sorted(monitors, key=lambda m: (m.left, m.top)).index(monitors[index - 1])
        return screens[rank]
    return QGuiApplication.primaryScreen()
