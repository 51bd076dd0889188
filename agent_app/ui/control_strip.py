"""The small always-on-top strip a run collapses the window into.

Modes: running (Pause, Stop, Show), paused (Resume), takeover (the person has control: Resume, Resume with
a note, Stop). A confirmation (ask-before-acting) is asked in the main window, which shows where the action
would land; the strip steps aside meanwhile. It sits at the top centre of the monitor the
agent works on and is taken off the screen (by the run's ScreenGuard) whenever the agent looks or acts, so
the model never sees it and never clicks it.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

STATE_COLORS = {
    "running": "#2f9e44", "paused": "#e67700", "takeover": "#1c7ed6", "confirm": "#7048e8",
    "call_user": "#1c7ed6", "stopping": "#c92a2a", "starting": "#868e96",
}
MODES = {  # mode → (primary text, secondary text or None)
    "running": ("Pause", None), "starting": ("Pause", None), "stopping": ("Pause", None),
    "paused": ("Resume", None), "call_user": ("Resume", None),
    "takeover": ("Resume", "Resume with note…"),
}


class StateDot(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.color = QColor(STATE_COLORS["starting"])
        self.setFixedSize(12, 12)

    def set_state(self, state: str) -> None:
        self.color = QColor(STATE_COLORS.get(state, "#868e96"))
        self.update()

    def paintEvent(self, event: object) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(self.color)
        p.drawEllipse(self.rect().adjusted(1, 1, -1, -1))


class ControlStrip(QWidget):
    primary_clicked = Signal()
    secondary_clicked = Signal()
    stop_clicked = Signal()
    show_clicked = Signal()
    note_submitted = Signal(str)

    def __init__(self) -> None:
        super().__init__(None, Qt.WindowType.Tool | Qt.WindowType.FramelessWindowHint
                         | Qt.WindowType.WindowStaysOnTopHint)
        self.setObjectName("controlStrip")
        self.setWindowTitle("agent-app control strip")
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)  # never steal the target's focus
        self.mode = "starting"
        self.dot = StateDot()
        self.state = QLabel("Starting…")
        self.state.setObjectName("stripState")
        self.detail = QLabel("")
        self.detail.setObjectName("stripDetail")
        self.detail.setMinimumWidth(260)
        self.detail.setMaximumWidth(440)
        self.primary = QPushButton("Pause")
        self.secondary = QPushButton("")
        self.stop = QPushButton("Stop")
        self.stop.setObjectName("danger")
        self.show_window = QPushButton("Show")
        self.show_window.setToolTip("Show the agent-app window (it steps aside whenever the agent looks or acts)")
        for b in (self.primary, self.secondary, self.stop, self.show_window):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.setCursor(Qt.CursorShape.PointingHandCursor)
        self.primary.clicked.connect(self.primary_clicked)
        self.secondary.clicked.connect(self.secondary_clicked)
        self.stop.clicked.connect(self.stop_clicked)
        self.show_window.clicked.connect(self.show_clicked)
        self.note = QLineEdit()
        self.note.setPlaceholderText("Tell the model what you did or what to do next, then Enter")
        self.note.returnPressed.connect(lambda: self.note_submitted.emit(self.note.text()))
        self.note.hide()
        row = QHBoxLayout()
        row.setSpacing(8)
        row.addWidget(self.dot)
        row.addWidget(self.state)
        row.addWidget(self.detail, 1)
        for b in (self.primary, self.secondary, self.stop, self.show_window):
            row.addWidget(b)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 6, 8, 6)
        lay.addLayout(row)
        lay.addWidget(self.note)
        self._drag_from: QPoint | None = None
        self.set_mode("starting", "Starting…")

    def set_mode(self, mode: str, text: str) -> None:
        self.mode = mode
        self.dot.set_state(mode)
        self.state.setText(text)
        primary, secondary = MODES.get(mode, ("Pause", None))
        self.primary.setText(primary)
        self.primary.setObjectName("stripPrimary" if mode == "takeover" else "")
        self.primary.style().unpolish(self.primary)
        self.primary.style().polish(self.primary)
        self.primary.setEnabled(mode != "stopping")
        self.stop.setEnabled(mode != "stopping")
        self.secondary.setVisible(secondary is not None)
        self.secondary.setText(secondary or "")
        if mode != "takeover":
            self.note.hide()
            self.note.clear()
        # The person works with the keyboard during a takeover (the note); otherwise never take focus.
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating, mode != "takeover")
        self.adjustSize()

    def ask_note(self) -> None:
        self.note.show()
        self.adjustSize()
        self.activateWindow()
        self.note.setFocus()

    def set_detail(self, text: str) -> None:
        metrics = self.detail.fontMetrics()
        self.detail.setText(metrics.elidedText(" ".join(text.split()), Qt.TextElideMode.ElideRight, 420))
        self.detail.setToolTip(text)

    def place(self, monitor: QRect) -> None:
        """Top centre of the monitor the agent works on."""
        self.adjustSize()
        self.move(monitor.x() + (monitor.width() - self.width()) // 2, monitor.y() + 8)

    # Drag the frameless strip anywhere.
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._drag_from = event.globalPosition().toPoint() - self.frameGeometry().topLeft()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._drag_from is not None and event.buttons() & Qt.MouseButton.LeftButton:
            self.move(event.globalPosition().toPoint() - self._drag_from)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._drag_from = None
