"""The step list's look (thumbnail, action, thought) and the detail pane for the selected step."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from agent_app.core.costs import Price, step_text
from agent_app.core.runs.report import phase_times
from agent_app.ui.models import THUMB, KindRole, LineRole, ThoughtRole, describe_actions, is_skipped
from agent_app.ui.screenshot_view import ScreenshotView
from agent_app.ui.wording import for_person

PAD = 8
SELECTED = QColor("#e0e7ff")
HOVER = QColor(224, 231, 255, 110)
ACCENT = QColor("#4f46e5")
ONE_LINERS = ("note", "person_actions", "format_error")  # rows without a screenshot


def _dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


def tone(palette: QPalette, name: str) -> QColor:
    """A state colour that stays legible on this palette's background (light or dark)."""
    light, dark = {"note": ("#2b8a3e", "#69db7c"), "warn": ("#b35c00", "#ffc078"),
                   "error": ("#c92a2a", "#ff8787")}[name]
    return QColor(dark if _dark(palette) else light)


class StepDelegate(QStyledItemDelegate):
    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802 - Qt's name
        if index.data(KindRole) in ONE_LINERS:
            return QSize(option.rect.width(), option.fontMetrics.height() * 2 + 2 * PAD)
        return QSize(option.rect.width(), THUMB.height() + 2 * PAD)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        pal = option.palette
        if selected or hovered:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(SELECTED if selected else HOVER)
            painter.drawRoundedRect(option.rect.adjusted(2, 1, -2, -1), 6, 6)
            if selected:
                painter.setBrush(ACCENT)
                painter.drawRoundedRect(QRect(option.rect.x() + 2, option.rect.y() + 6, 3, option.rect.height() - 12),
                                        1.5, 1.5)
        text_color = pal.color(QPalette.ColorRole.Text)
        muted = QColor(text_color)
        muted.setAlphaF(0.68)
        r = option.rect.adjusted(PAD + 2, PAD, -PAD, -PAD)
        kind = index.data(KindRole)
        if kind in ONE_LINERS:
            warn = kind == "format_error"
            painter.setPen(tone(pal, "warn" if warn else "note"))
            font = QFont(option.font)
            font.setItalic(not warn)
            painter.setFont(font)
            text = ("⚠  " if warn else "✎  ") + " ".join(str(index.data()).split())
            text = painter.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, r.width() * 2 - PAD)
            painter.drawText(r, Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextWordWrap, text)
            painter.restore()
            return
        skipped = is_skipped(index.data(LineRole) or {})
        thumb: QPixmap | None = index.data(Qt.ItemDataRole.DecorationRole)
        thumb_rect = QRect(r.x(), r.y(), THUMB.width(), THUMB.height())
        painter.fillRect(thumb_rect, pal.color(QPalette.ColorRole.Mid))
        if thumb:
            x = thumb_rect.x() + (THUMB.width() - thumb.width()) // 2
            y = thumb_rect.y() + (THUMB.height() - thumb.height()) // 2
            painter.setOpacity(0.45 if skipped else 1.0)  # nothing was done at this step
            painter.drawPixmap(x, y, thumb)
            painter.setOpacity(1.0)
        text_rect = r.adjusted(THUMB.width() + PAD * 1.5, 0, 0, 0)
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(muted if skipped else text_color)
        fm = painter.fontMetrics()
        title = fm.elidedText(str(index.data()), Qt.TextElideMode.ElideRight, text_rect.width())
        painter.drawText(text_rect.x(), text_rect.y() + fm.ascent(), title)
        painter.setFont(option.font)
        painter.setPen(muted)
        top = fm.height() + 4
        body = QRect(text_rect.x(), text_rect.y() + top, text_rect.width(), text_rect.height() - top)
        thought = str(index.data(ThoughtRole) or "")
        painter.drawText(body, Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignTop, _clip(thought, option, body))
        painter.restore()


def _clip(text: str, option: QStyleOptionViewItem, rect: QRect) -> str:
    """As much of `text` as fits in `rect` when wrapped, with an ellipsis."""
    fm = option.fontMetrics
    lines = max(1, rect.height() // fm.lineSpacing())
    budget = lines * max(1, rect.width() // max(1, fm.averageCharWidth()))
    return text if len(text) <= budget else text[: max(0, budget - 1)].rstrip() + "…"


class StepDetail(QWidget):
    """The selected step: screenshot with marks, thought, actions, timings, tokens, raw reply."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.price: Price | None = None  # the shown run's list price: a step's cost is estimated with it
        self.view = ScreenshotView()
        self.title = QLabel()
        self.title.setObjectName("stepTitle")
        self.thought = QLabel()
        self.thought.setWordWrap(True)
        self.thought.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.actions = QLabel()
        self.actions.setWordWrap(True)
        self.actions.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.metrics = QLabel()
        self.metrics.setObjectName("muted")
        self.metrics.setWordWrap(True)
        self.raw_toggle = QToolButton()
        self.raw_toggle.setText("Raw model response")
        self.raw_toggle.setCheckable(True)
        self.raw_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.raw_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.raw = QPlainTextEdit()
        self.raw.setReadOnly(True)
        self.raw.setVisible(False)
        self.raw.setMinimumHeight(80)
        self.raw_toggle.toggled.connect(self._toggle_raw)

        self.note = QLabel()  # skipped, interrupted, failed: said once, in a colour that reads on this theme
        self.note.setWordWrap(True)
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        info = QWidget()
        lay = QVBoxLayout(info)
        lay.setContentsMargins(4, 8, 4, 4)
        lay.setSpacing(6)
        for w in (self.title, self.note, self.thought, self.actions, self.metrics, self.raw_toggle, self.raw):
            lay.addWidget(w)
        lay.addStretch(1)
        self.scroll = scroll = QScrollArea()
        scroll.setWidget(info)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setMinimumHeight(120)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.view)
        split.addWidget(scroll)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(split)
        self.show_line(None, None)

    def _toggle_raw(self, on: bool) -> None:
        self.raw.setVisible(on)
        self.raw_toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)

    def show_line(self, line: dict[str, Any] | None, pixmap: QPixmap | None) -> None:
        """Show one trajectory line (or a proposed step awaiting the person's answer), from its top."""
        self._fill(line or {}, pixmap)
        # Lines without a screenshot (an unusable reply, a note) give its room to their text.
        self.view.setVisible(not line or line.get("kind") in ("step", "proposal"))
        self.raw_toggle.setVisible(bool(self.raw.toPlainText()))
        self.scroll.verticalScrollBar().setValue(0)
        self.scroll.horizontalScrollBar().setValue(0)
        self.raw.verticalScrollBar().setValue(0)

    def _say(self, text: str, colour: str | None = None) -> None:
        self.note.setText(text)
        self.note.setVisible(bool(text))
        self.note.setStyleSheet(f"color: {tone(self.palette(), colour).name()};" if colour else "")

    def _fill(self, line: dict[str, Any], pixmap: QPixmap | None) -> None:
        kind = line.get("kind")
        self._say("")
        self.raw.setPlainText(str(line.get("response") or ""))
        if not line:
            self.view.set_step(None, None)
            self.title.setText("No step selected")
            for w in (self.thought, self.actions, self.metrics):
                w.setText("")
            return
        if kind == "person_actions":
            self.view.set_step(None, None)
            self.title.setText("What you did while you had control")
            self.thought.setText("Recorded in the model's own action space: a correction the model can learn from.")
            self.actions.setText(f"<b>Actions:</b> {_html(describe_actions(line))}")
            self.metrics.setText("")
            return
        if kind == "note":
            self.view.set_step(None, None)
            self.title.setText("You did not allow the action" if line.get("declined")
                               else "Hand-over" if line.get("intervened") else "Your reply")
            self.thought.setText(line.get("note") or "(resumed without a note)")
            self.actions.setText("")
            self.metrics.setText(f"Sent to the model as: {line.get('text', '')}" if line.get("text") else "")
            return
        if kind == "format_error":
            self.view.set_step(None, None)
            attempt = f" (attempt {line['attempt']})" if line.get("attempt") else ""
            self.title.setText(f"Unusable reply{attempt}")
            self._say(for_person(str(line.get("error") or "")), "warn")
            self.thought.setText("The model's reply could not be turned into actions, so nothing was done with it. "
                                 "Its raw text:")
            self.actions.setText("")
            self.metrics.setText("")
            self.raw_toggle.setChecked(True)
            return
        self.view.set_step(pixmap, line)
        self.thought.setText(str(line.get("thought") or "(no thought)"))
        if kind == "proposal":
            self.title.setText(f"Step {line.get('step')} — proposed, not done yet")
            self.actions.setText(f"<b>Will do:</b> {_html(describe_actions(line))} (marked on the screenshot)")
            self.metrics.setText("")
            return
        self.title.setText(f"Step {line.get('step')}")
        self.actions.setText(f"<b>Action:</b> {_html(describe_actions(line))}")
        if is_skipped(line):
            self._say("Skipped: you did not allow this action, so nothing was done.", "warn")
        elif line.get("interrupted"):
            self._say("Interrupted: you took over while the agent acted." if line["interrupted"] == "taken over"
                      else "Interrupted: the run was stopped while the agent acted.", "warn")
        elif line.get("error"):
            self._say(for_person(str(line["error"])), "error")
        parts = [f"{name} {ms:.0f} ms" for name, ms in phase_times(line.get("timings_ms"))]
        if tokens := step_text(line.get("usage"), self.price):
            parts.append(tokens)
        self.metrics.setText(" · ".join(parts))


def _html(text: str) -> str:
    import html

    return html.escape(text)
