"""Tray icon (state, Pause/Stop/Show) and desktop notifications.

Where the desktop has no system tray (bare X servers, some GNOME setups) notifications go straight to the
desktop's notification service through notify-send; where neither exists the window's own banner is enough.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from agent_app.ui.resources import icon

STATE_ICONS = {"running": "tray-running", "paused": "tray-paused", "call_user": "tray-attention",
               "error": "tray-error", "idle": "agent-app"}


class Tray(QObject):
    show_requested = Signal()
    pause_requested = Signal()
    stop_requested = Signal()
    quit_requested = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = "idle"
        self.tray: QSystemTrayIcon | None = None
        self.menu = QMenu()
        self.action_show = QAction("Show agent-app", self.menu)
        self.action_pause = QAction("Pause", self.menu)
        self.action_stop = QAction("Stop", self.menu)
        self.action_quit = QAction("Quit", self.menu)
        self.action_show.triggered.connect(self.show_requested)
        self.action_pause.triggered.connect(self.pause_requested)
        self.action_stop.triggered.connect(self.stop_requested)
        self.action_quit.triggered.connect(self.quit_requested)
        for a in (self.action_show, self.action_pause, self.action_stop):
            self.menu.addAction(a)
        self.menu.addSeparator()
        self.menu.addAction(self.action_quit)
        self.set_state("idle", running=False, paused=False)
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(icon(), self)
            self.tray.setContextMenu(self.menu)
            self.tray.activated.connect(self._activated)
            self.tray.setToolTip("agent-app")
            self.tray.show()

    @property
    def available(self) -> bool:
        return self.tray is not None

    def set_state(self, state: str, running: bool, paused: bool) -> None:
        self.state = state
        self.action_pause.setText("Resume" if paused else "Pause")
        self.action_pause.setEnabled(running)
        self.action_stop.setEnabled(running)
        if self.tray:
            self.tray.setIcon(icon(STATE_ICONS.get(state, "agent-app")))
            self.tray.setToolTip(f"agent-app — {state.replace('_', ' ')}")

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.show_requested.emit()

    def notify(self, title: str, message: str, critical: bool = False) -> str:
        """Show a desktop notification. Returns how it was delivered: 'tray', 'notify-send' or 'none'."""
        if self.tray and QSystemTrayIcon.supportsMessages():
            kind = QSystemTrayIcon.MessageIcon.Critical if critical else QSystemTrayIcon.MessageIcon.Information
            self.tray.showMessage(title, message, kind, 8000)
            return "tray"
        if sys.platform.startswith("linux") and _notify_send(title, message, critical):
            return "notify-send"
        return "none"


def _notify_send(title: str, message: str, critical: bool) -> bool:
    """libnotify's notify-send talks to whatever notification service the desktop runs."""
    import shutil
    import subprocess

    exe = shutil.which("notify-send")
    if not exe:
        return False
    try:
        subprocess.Popen(
            [exe, "--app-name=agent-app", "--icon=agent-app", f"--urgency={'critical' if critical else 'normal'}",
             title, message[:500]],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
    except OSError:
        return False
    return True
