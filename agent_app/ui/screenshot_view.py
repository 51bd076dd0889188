"""A screenshot with the step's actions drawn where they really landed (the executor's exact pixels)."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from agent_app.core.geometry import Monitor
from agent_app.ui.models import is_skipped

MARK = QColor("#e5484d")
NOT_DONE = QColor("#adb5bd")  # a skipped step's actions: where they would have landed


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
        colour = NOT_DONE if is_skipped(self.line) else MARK
        for action in self.line.get("actions") or []:
            if isinstance(action, dict):
                label_y = self._draw(p, action, radius, target, label_y, colour)
        if self.line.get("kind") == "proposal":
            self._magnify(p, target)
        p.end()

    def _magnify(self, p: QPainter, target: QRectF) -> None:
        """A proposed pointer action, up close: the screenshot around it at full size, in the corner away from it,
        so the person sees exactly what it will hit."""
        point = next((a for a in self.line.get("actions") or []
                      if isinstance(a, dict) and a.get("x") is not None and a.get("y") is not None), None)
        if point is None or not self.pixmap or target.width() >= self.pixmap.width() * 0.8:
            return  # nothing to point at, or the picture is already shown near full size
        pw, ph = self.pixmap.width(), self.pixmap.height()
        ix, iy = Monitor.from_json(self.line.get("monitor")).to_picture(point["x"], point["y"], pw, ph)
        size = QSize(min(300, int(target.width() / 2.5)), min(200, int(target.height() / 2.5)))
        source = QRectF(ix - size.width() / 2, iy - size.height() / 2, size.width(), size.height())
        at = self.to_widget(point["x"], point["y"])
        right = at.x() < target.center().x()
        box = QRectF(target.right() - size.width() - 10 if right else target.x() + 10,
                     target.bottom() - size.height() - 10, size.width(), size.height())
        p.save()
        p.fillRect(box, QColor("#000000"))
        p.drawPixmap(box, self.pixmap, source)
        p.setPen(QPen(QColor("#ffffff"), 2))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(box)
        p.setPen(QPen(MARK, 3))
        p.drawEllipse(box.center(), 14, 14)
        caption = "up close"
        bar = QRectF(box.x(), box.y(), p.fontMetrics().horizontalAdvance(caption) + 12, p.fontMetrics().height() + 4)
        p.fillRect(bar, QColor(31, 34, 51, 220))
        p.setPen(QColor("#ffffff"))
        p.drawText(bar, Qt.AlignmentFlag.AlignCenter, caption)
        p.restore()

    def _draw(self, p: QPainter, a: dict[str, Any], r: float, target: QRectF, label_y: float,
              colour: QColor) -> float:
        kind = a.get("type")
        pen = QPen(colour, max(2.5, r / 3.5))
        if colour != MARK:
            pen.setStyle(Qt.PenStyle.DashLine)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        if a.get("x") is not None and a.get("y") is not None:
            c = self.to_widget(a["x"], a["y"])
            if kind == "drag" and a.get("x2") is not None:
                end = self.to_widget(a["x2"], a["y2"])
                p.drawLine(c, end)
                self._arrowhead(p, c, end, r, colour)
            if kind == "scroll":
                d = {"up": (0, -1), "down": (0, 1), "left": (-1, 0), "right": (1, 0)}.get(a.get("direction"), (0, 1))
                end = QPointF(c.x() + d[0] * r * 3, c.y() + d[1] * r * 3)
                p.drawLine(c, end)
                self._arrowhead(p, c, end, r, colour)
            p.drawEllipse(c, r, r)
            if kind == "double_click":
                p.drawEllipse(c, r * 1.5, r * 1.5)
            if kind == "right_click":
                p.drawText(QRectF(c.x() + r * 1.2, c.y() - r, 200, 2 * r), Qt.AlignmentFlag.AlignVCenter, "right")
            p.setBrush(colour)
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
            badge = QColor(colour)
            badge.setAlpha(225)
            p.setBrush(badge if colour == MARK else QColor(73, 80, 87, 225))
            p.drawRoundedRect(box, 6, 6)
            p.setPen(QColor("white"))
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
            return label_y + box.height() + 6
        return label_y

    @staticmethod
    def _arrowhead(p: QPainter, start: QPointF, end: QPointF, r: float, colour: QColor) -> None:
        angle = math.atan2(end.y() - start.y(), end.x() - start.x())
        path = QPainterPath(end)
        for da in (2.6, -2.6):
            path.lineTo(end.x() + r * math.cos(angle + da), end.y() + r * math.sin(angle + da))
        path.closeSubpath()
        p.save()
        p.setBrush(colour)
        p.drawPath(path)
        p.restore()
