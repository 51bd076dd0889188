"""Help → Check this computer…: what the doctor found, one row per check, in words a person can act on."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from agent_app.core.doctor.report import Check, DoctorReport

TITLES = {
    "display": "Display session", "permissions": "Permissions", "keychain": "Keychain for the API key",
    "clicks": "Clicks land on target", "typing": "Typed text arrives exactly",
    "clipboard": "Your clipboard is put back", "hotkeys": "Global hotkeys and takeover",
    "model": "The model clicks what it means",
}
QSS = """
QLabel#doctorHeadline { font-size: 12pt; font-weight: 600; padding: 8px 10px; border-radius: 8px; }
QLabel#doctorHeadline[ok="true"] { background: #ebfbee; color: #2b8a3e; border: 1px solid #b2f2bb; }
QLabel#doctorHeadline[ok="false"] { background: #fff5f5; color: #c92a2a; border: 1px solid #ffc9c9; }
QLabel#doctorCheck { font-weight: 600; }
QLabel#doctorSummary { color: palette(window-text); }
QLabel#doctorAdvice { color: #a61e4d; }
"""


class CheckRow:
    """One check's widgets: icon, title, what was measured, and what to do when it failed."""

    def __init__(self, check: Check, style: QStyle) -> None:
        self.name = check.name
        pixmap = (QStyle.StandardPixmap.SP_MessageBoxInformation if check.skipped
                  else QStyle.StandardPixmap.SP_DialogApplyButton if check.ok
                  else QStyle.StandardPixmap.SP_MessageBoxCritical)
        self.icon = QLabel()
        self.icon.setPixmap(style.standardIcon(pixmap).pixmap(20, 20))
        self.title = QLabel(TITLES.get(check.name, check.name))
        self.title.setObjectName("doctorCheck")
        self.summary = _wrapping(check.summary[:1].upper() + check.summary[1:], "doctorSummary")
        self.advice = _wrapping(check.advice or "", "doctorAdvice")
        self.advice.setVisible(bool(check.advice))


def _wrapping(text: str, name: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def headline(report: DoctorReport) -> str:
    problems = [TITLES.get(c.name, c.name) for c in report.checks if not c.ok]
    if not problems:
        return "Everything holds: clicks land where the agent aims, and typing arrives exactly."
    if len(problems) == 1:
        return f"One problem: {problems[0].lower()} — see below for what to do."
    return f"{len(problems)} problems: {', '.join(p.lower() for p in problems)} — see below for what to do."


class DoctorDialog(QDialog):
    again = Signal()

    def __init__(self, report: DoctorReport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report = report
        self.setWindowTitle("Check this computer")
        self.setStyleSheet(QSS)
        self.setMinimumWidth(720)
        self.headline = QLabel(headline(report))
        self.headline.setObjectName("doctorHeadline")
        self.headline.setProperty("ok", "true" if report.ok else "false")
        self.headline.setWordWrap(True)
        self.headline.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        grid_box = QFrame()
        grid = QGridLayout(grid_box)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(4)
        grid.setColumnStretch(2, 1)
        self.rows = [CheckRow(c, self.style()) for c in report.checks]
        for i, row in enumerate(self.rows):
            grid.addWidget(row.icon, 2 * i, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(row.title, 2 * i, 1, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(row.summary, 2 * i, 2)
            grid.addWidget(row.advice, 2 * i + 1, 2)
        rect = report.monitor or {}
        where = f" ({rect['width']}×{rect['height']})" if rect else ""
        note = QLabel(f"Checked monitor {report.monitor_index}{where} in {report.seconds:.1f} s. From a terminal, "
                      "<code>agent-app doctor</code> runs the same check (<code>--json</code> gives every figure).")
        note.setObjectName("doctorSummary")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.copy_button = QPushButton("Copy details")
        self.copy_button.setToolTip("Copy every check and its figures (JSON), to paste into a bug report")
        self.copy_button.clicked.connect(self.copy_details)
        self.again_button = QPushButton("Check again")
        self.again_button.clicked.connect(self._again)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.again_button, QDialogButtonBox.ButtonRole.ActionRole)
        lay = QVBoxLayout(self)
        lay.setSpacing(12)
        lay.addWidget(self.headline)
        lay.addWidget(grid_box)
        lay.addWidget(note)
        lay.addWidget(buttons)
        height = lay.totalHeightForWidth(self.minimumWidth())  # wrapped labels: their height at this width
        self.resize(self.minimumWidth(), height if height > 0 else self.sizeHint().height())

    def copy_details(self) -> None:
        QApplication.clipboard().setText(json.dumps(self.report.to_json(), indent=2, ensure_ascii=False))

    def _again(self) -> None:
        self.accept()
        self.again.emit()
