"""Saved tasks: add, edit, delete, run, import and export; each may have a global hotkey."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from agent_app.core.desktop.input_listener import check_hotkeys, describe, parse_hotkey
from agent_app.core.errors import ConfigError
from agent_app.core.settings.presets import Preset, load_presets, merge, save_presets
from agent_app.ui.keyseq import to_pynput, to_sequence
from agent_app.ui.settings_dialog import add_family_choices


def _readable(spec: str) -> str:
    try:
        return describe(parse_hotkey(spec))
    except ValueError:
        return spec


class PresetsDialog(QDialog):
    run_preset = Signal(object)  # Preset

    def __init__(self, global_hotkeys: dict[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Saved tasks")
        self.setObjectName("presetsDialog")
        self.global_hotkeys = global_hotkeys
        self.presets: list[Preset] = []
        try:
            self.presets = load_presets()
        except ConfigError as e:
            QMessageBox.warning(self, "Saved tasks", str(e))
        self.list = QListWidget()
        self.list.currentRowChanged.connect(self._show)
        self.name = QLineEdit()
        self.task = QPlainTextEdit()
        self.task.setFixedHeight(70)
        self.max_steps = QSpinBox()
        self.max_steps.setRange(0, 1000)
        self.max_steps.setSpecialValueText("from Settings")
        self.base_url = QLineEdit()
        self.base_url.setPlaceholderText("from Settings")
        self.model = QLineEdit()
        self.model.setPlaceholderText("from Settings")
        self.family = QComboBox()
        self.family.addItem("from Settings", "")
        add_family_choices(self.family)
        self.hotkey = QKeySequenceEdit()
        self.hotkey.setMaximumSequenceLength(1)
        clear_hotkey = QPushButton("Clear")
        clear_hotkey.clicked.connect(self.hotkey.clear)
        hk_row = QHBoxLayout()
        hk_row.addWidget(self.hotkey, 1)
        hk_row.addWidget(clear_hotkey)
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setObjectName("testResult")
        self.problems.setProperty("state", "error")
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Task", self.task)
        form.addRow("Step budget", self.max_steps)
        form.addRow("Base URL", self.base_url)
        form.addRow("Model", self.model)
        form.addRow("Model family", self.family)
        form.addRow("Global hotkey", hk_row)
        form.addRow("", self.problems)
        for w in (self.name, self.base_url, self.model):
            w.editingFinished.connect(self._store)
        self.task.textChanged.connect(self._store)
        self.max_steps.valueChanged.connect(self._store)
        self.family.currentIndexChanged.connect(self._store)
        self.hotkey.editingFinished.connect(self._store)
        clear_hotkey.clicked.connect(self._store)

        self.buttons: dict[str, QPushButton] = {}
        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        row = QHBoxLayout()
        for key, label, slot in (("add", "Add", self.add), ("delete", "Delete", self.delete)):
            b = QPushButton(label)
            b.clicked.connect(slot)
            self.buttons[key] = b
            row.addWidget(b)
        left.addLayout(row)
        bottom = QHBoxLayout()
        for key, label, slot in (("import", "Import…", self.import_file), ("export", "Export…", self.export_file)):
            b = QPushButton(label)
            b.clicked.connect(slot)
            self.buttons[key] = b
            bottom.addWidget(b)
        bottom.addStretch(1)
        run = QPushButton("Run now")
        run.setObjectName("primary")
        run.clicked.connect(self._run)
        self.buttons["run"] = run
        close = QPushButton("Save and close")
        close.clicked.connect(self.accept)
        bottom.addWidget(run)
        bottom.addWidget(close)
        main = QHBoxLayout()
        main.addLayout(left, 1)
        main.addLayout(form, 2)
        lay = QVBoxLayout(self)
        lay.addLayout(main)
        lay.addLayout(bottom)
        self.resize(820, 420)
        self._refresh()

    # ---- list ----
    def _refresh(self, select: int = 0) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for p in self.presets:
            item = QListWidgetItem(p.name + (f"   ({_readable(p.hotkey)})" if p.hotkey else ""))
            self.list.addItem(item)
        self.list.blockSignals(False)
        has = bool(self.presets)
        for key in ("delete", "run", "export"):
            self.buttons[key].setEnabled(has)
        if has:
            self.list.setCurrentRow(min(select, len(self.presets) - 1))
        else:
            self._show(-1)
        self._check()

    def _show(self, row: int) -> None:
        self._loading = True
        p = self.presets[row] if 0 <= row < len(self.presets) else Preset("", "")
        self.name.setText(p.name)
        self.task.setPlainText(p.task)
        self.max_steps.setValue(p.max_steps or 0)
        self.base_url.setText(p.base_url)
        self.model.setText(p.model)
        self.family.setCurrentIndex(max(0, self.family.findData(p.model_family)))
        self.hotkey.setKeySequence(to_sequence(p.hotkey) if p.hotkey else QKeySequence())
        for w in (self.name, self.task, self.max_steps, self.base_url, self.model, self.family, self.hotkey):
            w.setEnabled(row >= 0)
        self._loading = False

    def _store(self) -> None:
        row = self.list.currentRow()
        if getattr(self, "_loading", False) or not 0 <= row < len(self.presets):
            return
        self.presets[row] = replace(
            self.presets[row], name=self.name.text().strip() or self.presets[row].name,
            task=self.task.toPlainText().strip(), max_steps=self.max_steps.value() or None,
            base_url=self.base_url.text().strip(), model=self.model.text().strip(),
            model_family=self.family.currentData(), hotkey=to_pynput(self.hotkey.keySequence()),
        )
        item = self.list.item(row)
        p = self.presets[row]
        item.setText(p.name + (f"   ({_readable(p.hotkey)})" if p.hotkey else ""))
        self._check()

    def _check(self) -> list[str]:
        bindings = dict(self.global_hotkeys)
        bindings.update({f"saved task {p.name}": p.hotkey for p in self.presets})
        _, problems = check_hotkeys(bindings)
        names = [p.name for p in self.presets]
        problems += [f"Two saved tasks are named “{n}”." for n in sorted({n for n in names if names.count(n) > 1})]
        problems += [f"“{p.name}” has no task text." for p in self.presets if not p.task.strip()]
        self.problems.setText("\n".join(problems))
        self.problems.setVisible(bool(problems))
        return problems

    # ---- actions ----
    def add(self) -> None:
        n = 1
        while any(p.name == f"New task {n}" for p in self.presets):
            n += 1
        self.presets.append(Preset(f"New task {n}", ""))
        self._refresh(len(self.presets) - 1)
        self.name.setFocus()
        self.name.selectAll()

    def delete(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self.presets):
            del self.presets[row]
            self._refresh(max(0, row - 1))

    def import_file(self, path: str | None = None) -> None:
        path = path or QFileDialog.getOpenFileName(self, "Import saved tasks", "", "JSON (*.json)")[0]
        if not path:
            return
        try:
            self.presets = merge(self.presets, load_presets(Path(path)))
        except ConfigError as e:
            QMessageBox.warning(self, "Import", str(e))
            return
        self._refresh()

    def export_file(self, path: str | None = None) -> None:
        path = path or QFileDialog.getSaveFileName(self, "Export saved tasks", "agent-app-presets.json",
                                                   "JSON (*.json)")[0]
        if path:
            save_presets(self.presets, Path(path))

    def _run(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self.presets) and self.presets[row].task:
            self.accept()
            self.run_preset.emit(self.presets[row])

    def accept(self) -> None:
        self._store()
        self.presets = [p for p in self.presets if p.task.strip()]
        save_presets(self.presets)
        super().accept()

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if event.key() == Qt.Key.Key_Escape:
            self.reject()
            return
        super().keyPressEvent(event)
