"""A screenshot with the step's actions drawn where they really landed (the executor's exact pixels)."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from agent_app.core.geometry import Monitor

MARK = QColor("#e5484d")


class ScreenshotView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pixmap: QPixmap | None = None
        self.line: dict[str, Any] = {}
        self.setMinimumSize(320, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_step(self, pixmap: QPixmap | None, line: dict[str, Any] | None) -> None:
        self.pixmap, self.line = pixmap, line or {}
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(960, 540)

    def _target(self) -> QRectF:
        """Where the image is drawn: fitted into the widget, aspect kept, centred."""
        if not self.pixmap:
            return QRectF()
        pw, ph = self.pixmap.width(), self.pixmap.height()
        scale = min(self.width() / pw, self.height() / ph)
        w, h = pw * scale, ph * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def to_widget(self, x: float, y: float) -> QPointF:
        """Screen pixel (as recorded) → widget point, through the monitor → image mapping."""
        target = self._target()
        px, py = Monitor.from_json(self.line.get("monitor")).to_picture(x, y, target.width(), target.height())
        return QPointF(target.x() + px, target.y() + py)

    def paintEvent(self, event: Any) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.fillRect(self.rect(), self.palette().window().color().darker(108))
        if not self.pixmap:
            p.setPen(self.palette().placeholderText().color())
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "The screenshot of the selected step shows here.")
            return
        target = self._target()
        p.drawPixmap(target, self.pixmap, QRectF(self.pixmap.rect()))
        radius = max(9.0, target.width() / 70)
        label_y = target.y() + 12
        for action in self.line.get("actions") or []:
            label_y = self._draw(p, action, radius, target, label_y)
        p.end()

    def _draw(self, p: QPainter, a: dict[str, Any], r: float, target: QRectF, label_y: float) -> float:
        kind = a.get("type")
        pen = QPen(MARK, max(2.5, r / 3.5))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        if a.get("x") is not None and a.get("y") is not None:
            c = self.to_widget(a["x"], a["y"])
            if kind == "drag" and a.get("x2") is not None:
                end = self.to_widget(a["x2"], a["y2"])
                p.drawLine(c, end)
                self._arrowhead(p, c, end, r)
            if kind == "scroll":
                d = {"up": (0, -1), "down": (0, 1), "left": (-1, 0), "right": (1, 0)}.get(a.get("direction"), (0, 1))
                end = QPointF(c.x() + d[0] * r * 3, c.y() + d[1] * r * 3)
                p.drawLine(c, end)
                self._arrowhead(p, c, end, r)
            p.drawEllipse(c, r, r)
            if kind == "double_click":
                p.drawEllipse(c, r * 1.5, r * 1.5)
            if kind == "right_click":
                p.drawText(QRectF(c.x() + r * 1.2, c.y() - r, 200, 2 * r), Qt.AlignmentFlag.AlignVCenter, "right")
            p.setBrush(MARK)
            p.drawEllipse(c, r / 4, r / 4)
            return label_y
        if kind in ("type", "hotkey", "scroll"):
            text = {
                "type": lambda: "⌨ " + str(a.get("text", "")).replace("\n", "⏎"),
                "hotkey": lambda: "⌨ " + "+".join(a.get("keys") or []),
                "scroll": lambda: f"scroll {a.get('direction')}",
            }[kind]()
            font = QFont(self.font())
            font.setPointSizeF(max(9.0, r * 0.9))
            font.setBold(True)
            p.setFont(font)
            metrics = p.fontMetrics()
            text = metrics.elidedText(text, Qt.TextElideMode.ElideRight, int(target.width() - 40))
            box = QRectF(target.x() + 12, label_y, metrics.horizontalAdvance(text) + 20, metrics.height() + 10)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(229, 72, 77, 225))
            p.drawRoundedRect(box, 6, 6)
            p.setPen(QColor("white"))
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
            return label_y + box.height() + 6
        return label_y

    @staticmethod
    def _arrowhead(p: QPainter, start: QPointF, end: QPointF, r: float) -> None:
        angle = math.atan2(end.y() - start.y(), end.x() - start.x())
        path = QPainterPath(end)
        for da in (2.6, -2.6):
            path.lineTo(end.x() + r * math.cos(angle + da), end.y() + r * math.sin(angle + da))
        path.closeSubpath()
        p.save()
        p.setBrush(MARK)
        p.drawPath(path)
        p.restore()
