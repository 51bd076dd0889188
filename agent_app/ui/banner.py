"""The message strip above the viewer: the final answer, an error and what to do, or the model's request for
help with a reply box (the call_user hand-over)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QStyle,
    QVBoxLayout,
    QWidget,
)

ICONS = {  # standard icons: they exist on every platform and theme, unlike emoji glyphs
    "finished": QStyle.StandardPixmap.SP_DialogApplyButton, "error": QStyle.StandardPixmap.SP_MessageBoxCritical,
    "call_user": QStyle.StandardPixmap.SP_MessageBoxQuestion, "takeover": QStyle.StandardPixmap.SP_MessageBoxQuestion,
    "info": QStyle.StandardPixmap.SP_MessageBoxInformation,
}


class Banner(QFrame):
    resume = Signal(str)  # the person's reply ("" allowed)
    end_run = Signal()
    open_report = Signal()
    open_settings = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.icon = QLabel()
        self.icon.setObjectName("bannerIcon")
        self.title = QLabel()
        self.title.setObjectName("bannerTitle")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reply = QLineEdit()
        self.reply.setPlaceholderText("Reply to the model (optional), then Resume")
        self.reply.returnPressed.connect(lambda: self.resume.emit(self.reply.text()))
        self.resume_button = QPushButton("Resume")
        self.resume_button.setObjectName("primary")
        self.resume_button.clicked.connect(lambda: self.resume.emit(self.reply.text()))
        self.end_button = QPushButton("End run")
        self.end_button.clicked.connect(self.end_run)
        self.report_button = QPushButton("Open report")
        self.report_button.clicked.connect(self.open_report)
        self.settings_button = QPushButton("Settings…")
        self.settings_button.clicked.connect(self.open_settings)
        self.close_button = QPushButton("Dismiss")
        self.close_button.setObjectName("flat")
        self.close_button.clicked.connect(self.hide)

        self.icon.setFixedWidth(30)
        self.title.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        for b in (self.report_button, self.settings_button, self.close_button, self.resume_button, self.end_button):
            b.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        text_col = QVBoxLayout()
        text_col.setSpacing(2)
        text_col.addWidget(self.title)
        text_col.addWidget(self.text)
        reply_row = QHBoxLayout()
        reply_row.addWidget(self.reply, 1)
        reply_row.addWidget(self.resume_button)
        reply_row.addWidget(self.end_button)
        text_col.addLayout(reply_row)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(14, 10, 10, 10)
        lay.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        lay.addLayout(text_col, 1)
        for b in (self.report_button, self.settings_button, self.close_button):
            lay.addWidget(b, 0, Qt.AlignmentFlag.AlignTop)
        self.kind = ""
        self.hide()

    def show_message(self, kind: str, title: str, text: str = "", *, report: bool = False,
                     settings: bool = False) -> None:
        """kind: finished, error, info, call_user, takeover (the last two ask for a reply)."""
        self.kind = kind
        self.setProperty("kind", kind)
        self.style().unpolish(self)
        self.style().polish(self)
        icon = self.style().standardIcon(ICONS.get(kind, QStyle.StandardPixmap.SP_MessageBoxInformation))
        self.icon.setPixmap(icon.pixmap(24, 24))
        self.title.setText(title)
        self.text.setText(text)
        self.text.setVisible(bool(text))
        asks = kind in ("call_user", "takeover")
        for w in (self.reply, self.resume_button, self.end_button):
            w.setVisible(asks)
        self.reply.clear()
        self.report_button.setVisible(report)
        self.settings_button.setVisible(settings)
        self.close_button.setVisible(not asks)
        self.show()
        if asks:
            self.reply.setFocus()
