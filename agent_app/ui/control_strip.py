"""The small always-on-top strip a run collapses the window into: state, step, last action, Pause, Stop.

It sits at the top centre of the monitor the agent works on and is taken off the screen (by the run's
ScreenGuard) whenever the agent looks or acts, so the model never sees it and never clicks it.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

STATE_COLORS = {
    "running": "#2f9e44", "paused": "#e67700", "call_user": "#1c7ed6", "stopping": "#c92a2a", "starting": "#868e96",
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
    pause_clicked = Signal()
    stop_clicked = Signal()
    show_clicked = Signal()

    def __init__(self) -> None:
        super().__init__(None, Qt.WindowType.Tool | Qt.WindowType.FramelessWindowHint
                         | Qt.WindowType.WindowStaysOnTopHint)
        self.setObjectName("controlStrip")
        self.setWindowTitle("agent-app control strip")
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)  # never steal the target's focus
        self.dot = StateDot()
        self.state = QLabel("Starting…")
        self.state.setObjectName("stripState")
        self.detail = QLabel("")
        self.detail.setObjectName("stripDetail")
        self.detail.setMinimumWidth(260)
        self.detail.setMaximumWidth(420)
        self.pause = QPushButton("Pause")
        self.stop = QPushButton("Stop")
        self.stop.setObjectName("danger")
        self.show_window = QPushButton("Show")
        self.show_window.setToolTip("Show the agent-app window (it steps aside whenever the agent looks or acts)")
        for b in (self.pause, self.stop, self.show_window):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.setCursor(Qt.CursorShape.PointingHandCursor)
        self.pause.clicked.connect(self.pause_clicked)
        self.stop.clicked.connect(self.stop_clicked)
        self.show_window.clicked.connect(self.show_clicked)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(12, 6, 8, 6)
        lay.setSpacing(8)
        lay.addWidget(self.dot)
        lay.addWidget(self.state)
        lay.addWidget(self.detail, 1)
        lay.addWidget(self.pause)
        lay.addWidget(self.stop)
        lay.addWidget(self.show_window)
        self._drag_from: QPoint | None = None

    def set_state(self, state: str, text: str, paused: bool) -> None:
        self.dot.set_state(state)
        self.state.setText(text)
        self.pause.setText("Resume" if paused else "Pause")

    def set_detail(self, text: str) -> None:
        metrics = self.detail.fontMetrics()
        self.detail.setText(metrics.elidedText(" ".join(text.split()), Qt.TextElideMode.ElideRight, 400))
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
