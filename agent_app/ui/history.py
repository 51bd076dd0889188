"""Run history: past runs from the runs folder — open in the viewer, open the report, reveal, delete, re-run.

Damaged runs are listed too (status "damaged"); the line under the table says what is wrong with the selected
one, and only what still makes sense for it is enabled."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from agent_app.core.errors import AgentAppError
from agent_app.core.runs import reading
from agent_app.core.runs.reading import RunInfo
from agent_app.ui.models import LineRole, RunsTableModel
from agent_app.ui.open_file import open_path
from agent_app.ui.wording import for_person


class HistoryDialog(QDialog):
    open_run = Signal(object)  # RunInfo → show it in the viewer
    rerun = Signal(str)  # the task text

    def __init__(self, runs_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Run history")
        self.setObjectName("historyDialog")
        self.runs_dir = runs_dir
        self.model = RunsTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setShowGrid(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.table.doubleClicked.connect(lambda _i: self._open())
        self.empty = QLabel(f"No runs yet in {runs_dir}.")
        self.empty.setObjectName("muted")
        self.detail = QLabel()
        self.detail.setObjectName("historyDetail")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        for key, label, slot in (
            ("open", "Open in viewer", self._open), ("report", "Open report", self._report),
            ("reveal", "Show folder", self._reveal), ("rerun", "Run again", self._rerun),
            ("delete", "Delete…", self._delete),
        ):
            b = QPushButton(label)
            b.clicked.connect(slot)
            self.buttons[key] = b
            row.addWidget(b)
        row.addStretch(1)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        row.addWidget(close)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table)
        lay.addWidget(self.empty)
        lay.addWidget(self.detail)
        lay.addLayout(row)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.resize(820, 460)
        self.refresh()

    def refresh(self) -> None:
        self.model.set_runs(reading.list_runs(self.runs_dir))
        self.empty.setVisible(self.model.rowCount() == 0)
        if self.model.rowCount():
            self.table.selectRow(0)
        self._update_buttons()

    def selected(self) -> RunInfo | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.data(rows[0], LineRole) if rows else None

    def _update_buttons(self) -> None:
        run = self.selected()
        readable = run is not None and run.readable_lines > 0
        enabled = {"open": readable, "report": readable, "reveal": run is not None,
                   "rerun": run is not None and bool(run.task.strip()), "delete": run is not None}
        for key, b in self.buttons.items():
            b.setEnabled(enabled[key])
        damaged = sum(1 for r in self.model.runs if r.damage)
        text = ""
        if run is not None and run.damage:
            text = f"This run is damaged: {run.damage}."
            text += " What could be read can still be opened." if readable else " Nothing in it can be read."
        elif run is not None and (run.error or run.final_answer):
            text = run.error or run.final_answer or ""
        if damaged and not (run is not None and run.damage):
            text = (text + "\n" if text else "") + f"{damaged} damaged run(s) in this folder."
        self.detail.setText(text)
        self.detail.setVisible(bool(text))

    def _open(self) -> None:
        run = self.selected()
        if run:
            self.open_run.emit(run)
            self.accept()

    def _report(self) -> None:
        run = self.selected()
        if run:
            try:
                report = reading.ensure_report(run.path)
            except AgentAppError as e:
                QMessageBox.warning(self, "No report", for_person(str(e)))
                return
            open_path(report, "the report", self)

    def _reveal(self) -> None:
        run = self.selected()
        if run:
            open_path(run.path, "the run folder", self)

    def _rerun(self) -> None:
        run = self.selected()
        if run:
            self.rerun.emit(run.task)
            self.accept()

    def _delete(self) -> None:
        run = self.selected()
        if not run:
            return
        box = QMessageBox(QMessageBox.Icon.Warning, "Delete run",
                          f"Delete the run “{run.task[:80] or run.run_id}” and its {run.steps} screenshot(s)?",
                          parent=self)
        delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        if box.clickedButton() is delete:
            try:
                reading.delete_run(run.path)
            except (OSError, ValueError) as e:
                QMessageBox.warning(self, "Not deleted", f"{run.path} could not be deleted: {e}")
            self.refresh()

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._open()
            return
        super().keyPressEvent(event)
