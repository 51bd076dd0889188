"""The app's look: Fusion with a restrained palette, one accent colour, clear danger and state colours."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication, QStyleFactory

ACCENT = "#4f46e5"

QSS = f"""
QMainWindow, QDialog {{ background: palette(window); }}
QPlainTextEdit#taskBox {{ font-size: 11pt; padding: 6px 8px; border: 1px solid palette(mid); border-radius: 8px;
  background: palette(base); }}
QPlainTextEdit#taskBox:focus {{ border: 1px solid {ACCENT}; }}
QPushButton {{ padding: 5px 14px; border-radius: 6px; border: 1px solid palette(mid); background: palette(button); }}
QPushButton:hover {{ border-color: {ACCENT}; }}
QPushButton:disabled {{ color: palette(mid); border-color: palette(midlight); }}
QPushButton#primary {{ background: {ACCENT}; color: white; border: 1px solid {ACCENT}; font-weight: 600;
  padding: 7px 22px; }}
QPushButton#primary:hover {{ background: #4338ca; }}
QPushButton#primary:disabled {{ background: #a5b4fc; border-color: #a5b4fc; color: #eef2ff; }}
QPushButton#danger:enabled {{ color: #c92a2a; border-color: #e8a5a5; }}
QPushButton#danger:enabled:hover {{ background: #c92a2a; color: white; border-color: #c92a2a; }}
QPushButton#flat {{ border: none; background: transparent; color: palette(dark); }}
QLabel#sectionTitle {{ font-weight: 600; color: palette(dark); padding: 2px 2px 4px 2px; }}
QLabel#stepTitle {{ font-size: 12pt; font-weight: 600; }}
QLabel#muted {{ color: palette(dark); }}
QListView#stepList {{ border: 1px solid palette(midlight); border-radius: 8px; background: palette(base); }}
QFrame#banner {{ border-radius: 8px; border: 1px solid #c5cae9; background: #eef2ff; }}
QFrame#banner[kind="finished"] {{ border-color: #b2f2bb; background: #ebfbee; }}
QFrame#banner[kind="error"] {{ border-color: #ffc9c9; background: #fff5f5; }}
QFrame#banner[kind="call_user"], QFrame#banner[kind="takeover"] {{ border-color: #a5d8ff; background: #e7f5ff; }}
QFrame#banner[kind="confirm"] {{ border-color: #ffc078; background: #fff4e6; }}
QLabel#bannerIcon {{ font-size: 16pt; padding-right: 6px; }}
QLabel#bannerTitle {{ font-weight: 600; font-size: 11pt; }}
QLabel#stateChip {{ padding: 1px 10px; border-radius: 9px; background: #e9ecef; color: #343a40; font-weight: 600; }}
QLabel#stateChip[state="running"], QLabel#stateChip[state="finished"] {{ background: #d3f9d8; color: #2b8a3e; }}
QLabel#stateChip[state="paused"], QLabel#stateChip[state="max_steps"] {{ background: #fff3bf; color: #e67700; }}
QLabel#stateChip[state="call_user"], QLabel#stateChip[state="takeover"], QLabel#stateChip[state="asked"] {{
  background: #d0ebff; color: #1864ab; }}
QLabel#stateChip[state="confirm"] {{ background: #ffe8cc; color: #a34f00; }}
QLabel#stateChip[state="error"], QLabel#stateChip[state="stopped"], QLabel#stateChip[state="stopping"] {{
  background: #ffe3e3; color: #c92a2a; }}
QLabel#testResult[state="ok"] {{ color: #2b8a3e; }}
QLabel#testResult[state="error"] {{ color: #c92a2a; }}
QWidget#controlStrip {{ background: #1f2233; border: 1px solid #3b3f5c; border-radius: 10px; }}
QWidget#controlStrip QLabel {{ color: #e9ecef; }}
QWidget#controlStrip QLabel#stripState {{ font-weight: 600; }}
QWidget#controlStrip QLabel#stripDetail {{ color: #adb5bd; }}
QWidget#controlStrip QPushButton {{ background: #2c3049; color: #e9ecef; border: 1px solid #474c6e;
  padding: 3px 12px; }}
QWidget#controlStrip QPushButton:hover {{ border-color: #8b8fd6; }}
QWidget#controlStrip QPushButton#danger {{ color: #ffa8a8; border-color: #7a3b3b; }}
QStatusBar QLabel {{ padding: 0 6px; }}
"""


def apply_style(app: QApplication) -> None:
    if sys.platform.startswith("linux") and "Fusion" in QStyleFactory.keys():  # noqa: SIM118 - a list
        app.setStyle("Fusion")  # the bare Qt default on Linux looks dated; Windows and macOS keep theirs
    app.setStyleSheet(QSS)
