"""Settings: provider presets, endpoint, model, key (in the OS keychain), run limits; Test connection."""

from __future__ import annotations

import threading
from dataclasses import replace

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from agent_app.core.desktop.capture import list_monitors
from agent_app.core.families.registry import AUTO, FAMILIES
from agent_app.core.settings import keychain
from agent_app.core.settings.config import Settings, default_runs_dir
from agent_app.core.settings.connection import ConnectionReport, check_connection
from agent_app.core.settings.providers import PROVIDERS, provider
from agent_app.ui.keyseq import to_pynput, to_sequence
from agent_app.ui.wording import for_person

PIXEL_BUDGETS = (
    ("Full size (the model's own limit)", None),
    ("Balanced — about 2.1 megapixels", 2700 * 28 * 28),
    ("Economy — about 1 megapixel", 1280 * 28 * 28),
)
# (label, setting, tooltip): what the agent does about a screen that is still changing after its action.
FRESHNESS = (
    ("Automatic — watch for open models, settle for paid APIs", "auto",
     "Paid APIs bill a request that is dropped, so they wait for a still screen instead."),
    ("Watch — send at once, ask again if the screen changes", "watch",
     "Fastest, and the model never answers a stale screen; a request dropped mid-answer costs the server its work."),
    ("Settle — wait for a still screen, never drop a request", "settle",
     "Costs a short wait on every step; a reaction later than the wait can be missed."),
)


def add_family_choices(combo: QComboBox) -> None:
    """Automatic, then every family with its coordinate convention in one line (Settings and saved tasks)."""
    combo.addItem("Automatic (from the model name)", AUTO)
    for f in FAMILIES.values():
        combo.addItem(f.description, f.name)


class _Probe(QObject):
    done = Signal(object)


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, parent: QWidget | None = None, first_run: bool = False, *,
                 then_run: bool = False) -> None:
        """`first_run`: the welcome (nothing configured yet); `then_run`: opened by Run, which goes on after Save."""
        super().__init__(parent)
        self.setWindowTitle("Welcome to agent-app — connect a model" if first_run else "Settings")
        self.setObjectName("settingsDialog")
        self.settings = settings
        # The key field shows the keychain entry of the chosen provider; what was typed for each entry is kept
        # until Save writes the entries that changed.
        self._saved_keys: dict[str, str] = {}
        self._typed_keys: dict[str, str] = {}
        self._account = provider(settings.provider).key_account
        self._probe = _Probe()
        self._probe.done.connect(self._probe_done)

        intro = QLabel(
            "agent-app needs a GUI model (UI-TARS, Aguvis and the other supported families) behind an "
            "OpenAI-compatible endpoint. Pick where yours runs."
            if first_run else ""
        )
        intro.setWordWrap(True)
        intro.setVisible(first_run)

        self.provider = QComboBox()
        for p in PROVIDERS:
            self.provider.addItem(p.label, p.key)
        self.provider_hint = QLabel()
        self.provider_hint.setWordWrap(True)
        # Wrapped labels in a form layout need to say they grow in height, or Qt clips their second line.
        self.provider_hint.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.MinimumExpanding)
        self.provider_hint.setObjectName("muted")
        # Switching provider never silently replaces a URL the person typed: it offers the preset's instead.
        self.use_preset_url = QPushButton()
        self.use_preset_url.setObjectName("flat")
        self.use_preset_url.setVisible(False)
        self.use_preset_url.clicked.connect(self._use_preset_url)
        self.base_url = QLineEdit()
        self.base_url.setPlaceholderText("http://localhost:8000/v1")
        self.model = QLineEdit()
        self.model.setPlaceholderText("empty: the first model the endpoint lists")
        self.family = QComboBox()
        add_family_choices(self.family)
        self.key = QLineEdit()
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setPlaceholderText("not needed for a local server")
        reveal = QAction("Show", self.key)
        reveal.setCheckable(True)
        reveal.toggled.connect(lambda on: self.key.setEchoMode(
            QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password))
        self.key.addAction(reveal, QLineEdit.ActionPosition.TrailingPosition)
        self.key_note = QLabel()
        self.key_note.setObjectName("muted")
        self.key_note.setWordWrap(True)
        self.key_note.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.MinimumExpanding)
        self._keychain = keychain.keychain_available()
        self.key.setEnabled(self._keychain)
        self.key.setText(self._saved_key(self._account))
        self.key.textChanged.connect(self._update_key_note)
        self.test_button = QPushButton("Test connection")
        self.test_result = QLabel()
        self.test_result.setWordWrap(True)
        self.test_result.setObjectName("testResult")
        self.test_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.test_button.clicked.connect(self.test_connection)

        endpoint = QGroupBox("Model endpoint")
        form = QFormLayout(endpoint)
        form.addRow("Provider", self.provider)
        form.addRow("", self.provider_hint)
        form.addRow("Base URL", self.base_url)
        form.addRow("", self.use_preset_url)
        form.addRow("Model name", self.model)
        form.addRow("Model family", self.family)
        form.addRow("API key", self.key)
        form.addRow("", self.key_note)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_result, 1)
        form.addRow(test_row)

        self.max_steps = QSpinBox()
        self.max_steps.setRange(1, 1000)
        self.history_images = QSpinBox()
        self.history_images.setRange(1, 10)
        self.wait_seconds = QDoubleSpinBox()
        self.wait_seconds.setRange(0.5, 600)
        self.wait_seconds.setSuffix(" s")
        self.timeout = QDoubleSpinBox()
        self.timeout.setRange(5, 3600)
        self.timeout.setSuffix(" s")
        self.language = QComboBox()
        self.language.addItem("English", "en")
        self.language.addItem("Chinese", "zh")
        self.pixels = QComboBox()
        for label, value in PIXEL_BUDGETS:
            self.pixels.addItem(label, value)
        self.freshness = QComboBox()
        for label, value, tip in FRESHNESS:
            self.freshness.addItem(label, value)
            self.freshness.setItemData(self.freshness.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.monitor = QComboBox()
        for n, m in enumerate(list_monitors(), 1):
            self.monitor.addItem(f"{n}: {m.width}×{m.height} at {m.left},{m.top}", n)
        self.runs_dir = QLineEdit()
        self.runs_dir.setPlaceholderText(str(default_runs_dir()))
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._choose_runs_dir)
        runs_row = QHBoxLayout()
        runs_row.addWidget(self.runs_dir, 1)
        runs_row.addWidget(browse)

        limits = QGroupBox("Runs")
        lform = QFormLayout(limits)
        lform.addRow("Step budget", self.max_steps)
        lform.addRow("Screenshots per request", self.history_images)
        lform.addRow("A wait() pauses for", self.wait_seconds)
        lform.addRow("Model timeout", self.timeout)
        lform.addRow("Thought language", self.language)
        lform.addRow("Screenshot size", self.pixels)
        lform.addRow("When the screen reacts late", self.freshness)
        lform.addRow("Monitor the agent uses", self.monitor)
        lform.addRow("Runs folder", runs_row)

        self.hotkey_edits: dict[str, QKeySequenceEdit] = {}
        safety = QGroupBox("Hotkeys and safety")
        sform = QFormLayout(safety)
        for name, label in (("pause", "Pause / resume"), ("stop", "Emergency stop"), ("show", "Show window")):
            edit = QKeySequenceEdit()
            edit.setMaximumSequenceLength(1)
            self.hotkey_edits[name] = edit
            sform.addRow(label, edit)
        self.confirm = QComboBox()
        self.confirm.addItem("Never — the agent acts on its own", "never")
        self.confirm.addItem("Before risky actions (passwords, deleting, system keys)", "risky")
        self.confirm.addItem("Before every action (step-through, for a new model)", "always")
        sform.addRow("Ask before acting", self.confirm)
        self.threshold = QSpinBox()
        self.threshold.setRange(2, 200)
        self.threshold.setSuffix(" px")
        self.threshold.setToolTip("Moving the mouse this far while the agent runs hands control to you")
        sform.addRow("Takeover when the mouse moves", self.threshold)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        if then_run:
            buttons.button(QDialogButtonBox.StandardButton.Save).setText("Save and run")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons

        self.tabs = QTabWidget()  # tabs keep the dialog within a 1366x768 screen
        for title, group in (("Model", endpoint), ("Runs", limits), ("Hotkeys and safety", safety)):
            page = QWidget()
            page_lay = QVBoxLayout(page)
            page_lay.addWidget(group)
            page_lay.addStretch(1)
            self.tabs.addTab(page, title)
        lay = QVBoxLayout(self)
        lay.addWidget(intro)
        lay.addWidget(self.tabs)
        lay.addWidget(buttons)
        self._load(settings)
        self._update_key_note()
        self.provider.currentIndexChanged.connect(self._provider_changed)
        self.provider.activated.connect(self._provider_changed)  # choosing the shown provider again fills too
        self.setMinimumWidth(560)

    # ---- data ----
    def _load(self, s: Settings) -> None:
        self.provider.setCurrentIndex(max(0, self.provider.findData(s.provider)))
        preset = provider(s.provider)
        self.provider_hint.setText(preset.hint)
        self.base_url.setText(s.base_url or preset.base_url)  # nothing configured yet: the preset's own URL
        self.model.setText(s.model or ("" if s.base_url else preset.model))
        self.family.setCurrentIndex(max(0, self.family.findData(s.model_family)))
        self.max_steps.setValue(s.max_steps)
        self.history_images.setValue(s.history_images)
        self.wait_seconds.setValue(s.wait_seconds)
        self.timeout.setValue(s.timeout)
        self.language.setCurrentIndex(max(0, self.language.findData(s.language)))
        self.pixels.setCurrentIndex(max(0, self.pixels.findData(s.max_pixels)))
        self.freshness.setCurrentIndex(max(0, self.freshness.findData(s.freshness)))
        self.runs_dir.setText(s.runs_dir)
        if self.monitor.findData(s.monitor) < 0:
            self.monitor.addItem(f"{s.monitor}: not connected now", s.monitor)
        self.monitor.setCurrentIndex(self.monitor.findData(s.monitor))
        for name, edit in self.hotkey_edits.items():
            spec = s.hotkeys.get(name, "")
            edit.setKeySequence(to_sequence(spec) if spec else QKeySequence())
        self.confirm.setCurrentIndex(max(0, self.confirm.findData(s.confirm)))
        self.threshold.setValue(s.takeover_threshold_px)

    def result_settings(self) -> Settings:
        return replace(
            self.settings,
            provider=self.provider.currentData(),
            base_url=self.base_url.text().strip(),
            model=self.model.text().strip(),
            model_family=self.family.currentData(),
            max_steps=self.max_steps.value(),
            history_images=self.history_images.value(),
            wait_seconds=self.wait_seconds.value(),
            timeout=self.timeout.value(),
            language=self.language.currentData(),
            max_pixels=self.pixels.currentData(),
            freshness=self.freshness.currentData(),
            runs_dir=self.runs_dir.text().strip(),
            monitor=self.monitor.currentData(),
            hotkeys={name: to_pynput(edit.keySequence()) for name, edit in self.hotkey_edits.items()},
            confirm=self.confirm.currentData(),
            takeover_threshold_px=self.threshold.value(),
        )

    def _provider_changed(self) -> None:
        """Fill in the provider's usual endpoint — but a URL or model name the person typed stays (the preset's
        URL is offered on a button instead). A field left empty or as another preset filled it is replaced."""
        p = provider(self.provider.currentData())
        self.provider_hint.setText(p.hint)
        self._bind_key(p.key_account)
        self.use_preset_url.setVisible(False)
        if p.key == "custom":
            return
        url = self.base_url.text().strip()
        if not url or url in {q.base_url for q in PROVIDERS}:
            self.base_url.setText(p.base_url)
        elif url != p.base_url:
            self.use_preset_url.setText(f"Kept the URL you typed — use {p.label}’s {p.base_url} instead")
            self.use_preset_url.setVisible(True)
        model = self.model.text().strip()
        if not model or model in {q.model for q in PROVIDERS}:
            self.model.setText(p.model)
        self.family.setCurrentIndex(max(0, self.family.findData(p.family)))

    # ---- the key field: one keychain entry per provider ----
    def _saved_key(self, account: str) -> str:
        if account not in self._saved_keys:
            self._saved_keys[account] = keychain.get_key(account) or ""
        return self._saved_keys[account]

    def _bind_key(self, account: str) -> None:
        """Show `account`'s key in the field, keeping what was typed for the one shown before."""
        if account == self._account:
            return
        self._typed_keys[self._account] = self.key.text().strip()
        self._account = account
        self.key.setText(self._typed_keys.get(account, self._saved_key(account)))
        self._update_key_note()

    def _update_key_note(self) -> None:
        """Where a run's key will come from, in words (never the key)."""
        account, typed = self._account, self.key.text().strip()
        entry = "" if account == keychain.DEFAULT_ACCOUNT else f", entry “{account}”"
        env = " or ".join(keychain.PROVIDER_ENV[account])
        self.key.setPlaceholderText("not needed for a local server" if account == keychain.DEFAULT_ACCOUNT
                                    else f"required — or set {env}")
        if not self._keychain:
            note = ("No OS keychain is available here: a key typed here cannot be saved. "
                    "Set AGENT_APP_API_KEY in the environment instead.")
        else:
            found = keychain.find_api_key(account, saved=typed or None)
            where = found.where if found else ""
            if where == keychain.OVERRIDE_ENV:
                note = "AGENT_APP_API_KEY is set in the environment: runs use it, not the key here."
            elif where and where != keychain.KEYCHAIN:
                note = f"Empty: runs use {where} from the environment."
            else:
                note = f"Stored in the OS keychain (service “agent-app”{entry}), never in the settings file."
        self.key_note.setText(note)

    def _use_preset_url(self) -> None:
        self.base_url.setText(provider(self.provider.currentData()).base_url)
        self.use_preset_url.setVisible(False)

    def _choose_runs_dir(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Runs folder", self.runs_dir.text() or str(default_runs_dir()))
        if path:
            self.runs_dir.setText(path)

    # ---- test connection ----
    def test_connection(self) -> None:
        self.test_button.setEnabled(False)
        self.test_result.setText("Testing…")
        self.test_result.setProperty("state", "busy")
        found = keychain.find_api_key(self._account, saved=self.key.text().strip() or None)  # as runs will
        base_url, model, key = self.base_url.text(), self.model.text().strip(), found.key if found else None
        timeout, family = min(30.0, self.timeout.value()), self.family.currentData()
        threading.Thread(
            target=lambda: self._probe.done.emit(check_connection(base_url, model, key, timeout, family)),
            daemon=True
        ).start()

    def _probe_done(self, report: ConnectionReport) -> None:
        self.test_button.setEnabled(True)
        note = report.family_note(self.family.currentData())
        message = for_person(report.message + (f" {note}" if note else ""))
        self.test_result.setText(("✔ " if report.ok else "✖ ") + message)
        self.test_result.setProperty("state", "ok" if report.ok else "error")
        self.test_result.style().unpolish(self.test_result)
        self.test_result.style().polish(self.test_result)
        if report.ok and not self.model.text().strip() and report.model:
            self.model.setPlaceholderText(f"empty: uses {report.model}")

    # ---- save ----
    def accept(self) -> None:
        self._typed_keys[self._account] = self.key.text().strip()
        try:
            for account, key in self._typed_keys.items():
                saved = self._saved_key(account)
                if key and key != saved:
                    keychain.set_key(key, account)
                elif not key and saved:
                    keychain.delete_key(account)
                self._saved_keys[account] = key
        except Exception as e:  # noqa: BLE001 - shown in the dialog, which stays open
            self.test_result.setText(f"✖ {for_person(str(e))}")
            return
        self.result_settings().save()
        super().accept()

    @classmethod
    def edit(cls, settings: Settings, parent: QWidget | None = None, first_run: bool = False,
             then_run: bool = False) -> Settings | None:
        """Show the dialog; the saved settings, or None when cancelled (nothing changed then)."""
        dialog = cls(settings, parent, first_run, then_run=then_run)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            return dialog.result_settings()
        return None
