"""Opening a run's report or folder with the desktop's own programs — and, where there is none (no browser, no
file manager: a bare X server, a container), showing where the file is, with a button that copies the path."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


def open_path(path: Path, what: str, parent: QWidget | None = None) -> QDialog | None:
    """Open `path` (a file or folder) the desktop's way; if nothing here can, show it. `what`: "the report", …

    Returns the dialog shown instead, or None when the desktop opened it.
    """
    if QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
        return None
    dialog = PathDialog(path, what, parent)
    dialog.open()
    return dialog


class PathDialog(QDialog):
    def __init__(self, path: Path, what: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Open {what}")
        self.setObjectName("pathDialog")
        folder = path.is_dir()
        intro = QLabel(f"Nothing on this computer is set up to open {what} (no "
                       f"{'file manager' if folder else 'web browser'} handles it). Open it yourself — it is here:")
        intro.setWordWrap(True)
        self.path = QLineEdit(str(path))
        self.path.setReadOnly(True)
        self.path.setCursorPosition(0)
        self.copy_button = QPushButton("Copy path")
        self.copy_button.setObjectName("primary")
        self.copy_button.clicked.connect(self.copy)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(self.copy_button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(intro)
        lay.addLayout(row)
        lay.addWidget(buttons)
        self.setMinimumWidth(min(900, max(520, self.path.fontMetrics().horizontalAdvance(str(path)) + 160)))

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.path.text())
        self.copy_button.setText("Copied ✓")
