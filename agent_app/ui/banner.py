"""The message strip above the viewer: the final answer, an error and what to do, the model's request for help
with a reply box (the call_user hand-over), or a proposed action to Allow, Skip or allow for the rest of the run
(ask-before-acting)."""

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
    "info": QStyle.StandardPixmap.SP_MessageBoxInformation, "confirm": QStyle.StandardPixmap.SP_MessageBoxWarning,
}
PLACEHOLDERS = {
    "call_user": "Reply to the model (optional), then Resume",
    "takeover": "Tell the model what you did (optional), then Resume",
    "confirm": "Why not? (optional: sent to the model when you Skip)",
}


class Banner(QFrame):
    resume = Signal(str)  # the person's reply ("" allowed)
    end_run = Signal()
    open_report = Signal()
    open_settings = Signal()
    allow = Signal()
    skip = Signal(str)  # why not ("" allowed)
    allow_rest = Signal()

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
        self.reply.returnPressed.connect(self._reply_entered)
        self.resume_button = QPushButton("Resume")
        self.resume_button.setObjectName("primary")
        self.resume_button.clicked.connect(lambda: self.resume.emit(self.reply.text()))
        self.end_button = QPushButton("End run")
        self.end_button.clicked.connect(self.end_run)
        self.allow_button = QPushButton("Allow")
        self.allow_button.setObjectName("primary")
        self.allow_button.setToolTip("Carry out the proposed action")
        self.allow_button.clicked.connect(self.allow)
        self.skip_button = QPushButton("Skip")
        self.skip_button.setToolTip("Do not carry it out; the model is told and tries another way")
        self.skip_button.clicked.connect(lambda: self.skip.emit(self.reply.text()))
        self.rest_button = QPushButton("Allow the rest of this run")
        self.rest_button.setToolTip("Carry this out and do not ask again until the run ends")
        self.rest_button.clicked.connect(self.allow_rest)
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
        self.answers = (self.allow_button, self.skip_button, self.rest_button)
        for b in (self.report_button, self.settings_button, self.close_button, self.resume_button, self.end_button,
                  *self.answers):
            b.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        text_col = QVBoxLayout()
        text_col.setSpacing(2)
        text_col.addWidget(self.title)
        text_col.addWidget(self.text)
        reply_row = QHBoxLayout()
        reply_row.addWidget(self.reply, 1)
        reply_row.addWidget(self.resume_button)
        reply_row.addWidget(self.end_button)
        for b in self.answers:
            reply_row.addWidget(b)
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
        """kind: finished, error, info, call_user, takeover, confirm (the last three ask)."""
        self.kind = kind
        self.setProperty("kind", kind)
        self.style().unpolish(self)
        self.style().polish(self)
        icon = self.style().standardIcon(ICONS.get(kind, QStyle.StandardPixmap.SP_MessageBoxInformation))
        self.icon.setPixmap(icon.pixmap(24, 24))
        self.title.setText(title)
        self.text.setText(text)
        self.text.setVisible(bool(text))
        asks = kind in PLACEHOLDERS
        self.reply.setVisible(asks)
        self.reply.setPlaceholderText(PLACEHOLDERS.get(kind, ""))
        for w in (self.resume_button, self.end_button):
            w.setVisible(kind in ("call_user", "takeover"))
        for w in self.answers:
            w.setVisible(kind == "confirm")
        self.reply.clear()
        self.report_button.setVisible(report)
        self.settings_button.setVisible(settings)
        self.close_button.setVisible(not asks)
        self.show()
        if asks and kind != "confirm":  # a confirmation takes a deliberate click: no key allows by accident
            self.reply.setFocus()

    def _reply_entered(self) -> None:
        if self.kind == "confirm":
            self.skip.emit(self.reply.text())  # a reason typed: the person does not allow it
        else:
            self.resume.emit(self.reply.text())
