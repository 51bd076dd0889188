"""Qt item models over Qt-free data: a run's steps (live or replayed) and the run history."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractListModel, QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QImage, QPixmap

from agent_app.core.runs.reading import RunInfo
from agent_app.core.runs.report import describe_action

Index = QModelIndex | QPersistentModelIndex
LineRole = Qt.ItemDataRole.UserRole + 1
ThoughtRole = Qt.ItemDataRole.UserRole + 2
KindRole = Qt.ItemDataRole.UserRole + 3
THUMB = QSize(160, 90)
SHOWN = ("step", "note", "person_actions", "format_error")  # trajectory lines the viewer lists


def describe_actions(line: dict[str, Any]) -> str:
    return "; ".join(describe_action(a) for a in line.get("actions") or []) or "(no action)"


def is_skipped(line: dict[str, Any]) -> bool:
    """A step whose actions the person did not allow (`"skipped": true`; older runs: an error "skipped: …")."""
    return line.get("skipped") is True or str(line.get("error") or "").startswith("skipped")


def is_shown(line: dict[str, Any]) -> bool:
    if line.get("kind") == "note" and line.get("declined") and not str(line.get("note") or "").strip():
        return False  # a skip without a word: the skipped step's own row says it
    return line.get("kind") in SHOWN


class StepListModel(QAbstractListModel):
    """The trajectory shown in the viewer: one row per step, plus rows for the person's notes."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.run_dir: Path | None = None
        self.lines: list[dict[str, Any]] = []
        self._thumbs: dict[int, QPixmap] = {}
        self._live: dict[int, QImage] = {}  # a live run's newest screenshots, until the recorder has written them

    def reset(self, run_dir: Path | None, lines: list[dict[str, Any]] | None = None) -> None:
        self.beginResetModel()
        self.run_dir = run_dir
        self.lines = [x for x in (lines or []) if is_shown(x)]
        self._thumbs.clear()
        self._live.clear()
        self.endResetModel()

    def append(self, line: dict[str, Any], picture: Any = None) -> None:
        """Add a row; `picture` (PIL) is the step's screenshot as the model got it, shown until its file is written."""
        if not is_shown(line):
            return
        row = len(self.lines)
        if picture is not None:
            self._live[row] = qimage(picture)
            for old in [r for r in self._live if r < row - 2]:  # the recorder is at most a step behind
                del self._live[old]
        self.beginInsertRows(QModelIndex(), row, row)
        self.lines.append(line)
        self.endInsertRows()

    def picture(self, row: int) -> QPixmap | None:
        """The screenshot of a step row: from the run folder, or from memory while it is being written."""
        path = self.screenshot_path(row)
        if path is not None and path.exists():
            pix = QPixmap(str(path))
            if not pix.isNull():
                return pix
        live = self._live.get(row)
        return QPixmap.fromImage(live) if live is not None else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt's signature
        return 0 if parent.isValid() else len(self.lines)

    def screenshot_path(self, row: int) -> Path | None:
        line = self.lines[row]
        if line.get("kind") != "step" or self.run_dir is None or not line.get("screenshot"):
            return None
        return self.run_dir / line["screenshot"]

    def thumbnail(self, row: int) -> QPixmap | None:
        if row not in self._thumbs:
            pix = self.picture(row)
            if pix is None:
                return None
            self._thumbs[row] = pix.scaled(THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.SmoothTransformation)
        return self._thumbs[row]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.lines):
            return None
        line = self.lines[index.row()]
        if role == LineRole:
            return line
        if role == KindRole:
            return line.get("kind")
        if line.get("kind") == "person_actions":
            if role == Qt.ItemDataRole.DisplayRole:
                return f"You did: {describe_actions(line)}"
            return None
        if line.get("kind") == "note":
            if role == Qt.ItemDataRole.DisplayRole:
                who = ("You did not allow it" if line.get("declined")
                       else "You took over, then handed back" if line.get("intervened") else "You replied")
                return f"{who}: {line.get('note') or '(continue)'}"
            return None
        if line.get("kind") == "format_error":
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                attempt = f" (attempt {line['attempt']})" if line.get("attempt") else ""
                return f"Unusable reply{attempt}: {line.get('error') or ''}"
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            skipped = "Skipped: " if is_skipped(line) else ""
            return f"{line.get('step')}. {skipped}{describe_actions(line)}"
        if role == ThoughtRole:
            return " ".join(str(line.get("thought") or "").split())
        if role == Qt.ItemDataRole.DecorationRole:
            return self.thumbnail(index.row())
        if role == Qt.ItemDataRole.ToolTipRole:
            return str(line.get("thought") or "")
        return None


class RunsTableModel(QAbstractTableModel):
    """Past runs from the runs folder: task, date, status, steps."""

    COLUMNS = ("Task", "Started", "Status", "Steps")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.runs: list[RunInfo] = []

    def set_runs(self, runs: list[RunInfo]) -> None:
        self.beginResetModel()
        self.runs = list(runs)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.runs)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        run = self.runs[index.row()]
        if role == LineRole:
            return run
        if role == Qt.ItemDataRole.ToolTipRole:
            return run.error or run.final_answer or run.task
        if role != Qt.ItemDataRole.DisplayRole:
            if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 3:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return None
        col = index.column()
        if col == 0:
            return run.task
        if col == 1:
            return dt.datetime.fromtimestamp(run.started).strftime("%Y-%m-%d %H:%M") if run.started else ""
        if col == 2:
            return run.status.replace("_", " ")
        return str(run.steps)


def qimage(picture: Any) -> QImage:
    """A PIL RGB picture as a QImage (a copy: Qt must not keep pointing into Python's buffer)."""
    rgb = picture.convert("RGB")
    data = rgb.tobytes()
    return QImage(data, rgb.width, rgb.height, rgb.width * 3, QImage.Format.Format_RGB888).copy()
