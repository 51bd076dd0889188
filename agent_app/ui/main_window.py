"""The main window: task box, Run / Pause / Stop, the live trajectory viewer, status line, hand-overs."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QElapsedTimer, QItemSelectionModel, QModelIndex, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListView,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from agent_app import __version__
from agent_app.core.control import RunControl
from agent_app.core.costs import Price, Tally, run_price
from agent_app.core.desktop.person import PersonRecorder
from agent_app.core.errors import AgentAppError, ConfigError
from agent_app.core.events import Event, RunResult
from agent_app.core.families.registry import AUTO, FAMILIES
from agent_app.core.runs import reading
from agent_app.core.settings.config import RunConfig, Settings, default_runs_dir
from agent_app.core.settings.keychain import resolve_api_key
from agent_app.core.settings.presets import Preset, find_preset, load_presets, merge, save_presets
from agent_app.ui.banner import Banner
from agent_app.ui.control_strip import ControlStrip
from agent_app.ui.history import HistoryDialog
from agent_app.ui.hotkeys import HotkeyBridge
from agent_app.ui.models import LineRole, StepListModel, describe_actions, qimage
from agent_app.ui.open_file import open_path
from agent_app.ui.presets_dialog import PresetsDialog
from agent_app.ui.resources import icon
from agent_app.ui.screens import screen_for_monitor
from agent_app.ui.settings_dialog import SettingsDialog
from agent_app.ui.step_view import StepDelegate, StepDetail
from agent_app.ui.tray import Tray
from agent_app.ui.wording import for_person
from agent_app.ui.worker import RunThread, RunWorker, ScreenGuard

END_TITLES = {
    "finished": "Done", "max_steps": "Step budget used up", "call_user": "The model asked for help",
    "stopped": "Stopped", "error": "The run failed",
}
STATE_LABELS = {
    "idle": "Ready", "starting": "Starting…", "running": "Running", "paused": "Paused", "call_user": "Needs you",
    "stopping": "Stopping…", "takeover": "You have control", "confirm": "Allow this?", "replay": "Replay",
    # how a run ended (the status line stays on it)
    "finished": "Finished", "stopped": "Stopped", "error": "Error", "max_steps": "Budget used up",
    "asked": "Ended: asked for help", "incomplete": "Incomplete",
}
ACTIVE_STATES = ("starting", "running", "paused", "call_user", "stopping", "takeover", "confirm")
WHAT_NEXT = {
    "max_steps": "Raise the step budget in Settings, or split the task into smaller ones.",
    "stopped": "Everything up to here is saved; press Run to start again.",
}


class MainWindow(QMainWindow):
    closed = Signal()

    def __init__(self, settings: Settings, tray: Tray | None = None, hotkeys: HotkeyBridge | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.hotkeys = hotkeys
        self.setWindowTitle("agent-app")
        self.setWindowIcon(icon())
        self.run_thread: RunThread | None = None
        self.control: RunControl | None = None
        self.run_dir: Path | None = None
        self.run_settings: dict[str, Any] = {}  # the run's own settings (its header): model, family, budget
        self.replaying = False
        self.follow = True
        self.tally = Tally()  # the shown run's tokens and estimated cost
        self.steps_done = 0
        self.state = "idle"
        self.last_result: RunResult | None = None
        self.collapse_during_runs = True
        self._last_thought = ""
        self.doctor: Any = None  # Help → Check this computer… while it runs (a DoctorRun)
        self.doctor_dialog: Any = None
        self._shot: Any = None  # the latest screenshot the model got (for a confirmation)

        # ---- task row ----
        self.task = QPlainTextEdit()
        self.task.setObjectName("taskBox")
        self.task.setPlaceholderText("What should the agent do?  e.g. “Open the text editor and write a haiku about "
                                     "autumn”   (Ctrl+Enter to run)")
        self.task.setFixedHeight(64)
        self.run_button = QPushButton("Run")
        self.run_button.setObjectName("primary")
        self.run_button.setToolTip("Start the task (Ctrl+Enter)")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setToolTip("Pause after the current step (Ctrl+P)")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("danger")
        self.stop_button.setToolTip("Stop now (Ctrl+.); pushing the pointer into a screen corner stops too")
        self.run_button.clicked.connect(self.start_run)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button.clicked.connect(self.stop_run)
        self.saved_button = QToolButton()
        self.saved_button.setText("Saved tasks")
        self.saved_button.setToolTip("Run or manage saved tasks (each can have a global hotkey)")
        self.saved_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.saved_menu = QMenu(self.saved_button)
        self.saved_menu.aboutToShow.connect(self._fill_saved_menu)
        self.saved_button.setMenu(self.saved_menu)
        buttons = QVBoxLayout()
        buttons.setSpacing(6)
        run_row = QHBoxLayout()
        run_row.setSpacing(6)
        run_row.addWidget(self.run_button, 1)
        run_row.addWidget(self.saved_button)
        buttons.addLayout(run_row)
        controls = QHBoxLayout()
        controls.setSpacing(6)
        controls.addWidget(self.pause_button)
        controls.addWidget(self.stop_button)
        buttons.addLayout(controls)
        task_row = QHBoxLayout()
        task_row.addWidget(self.task, 1)
        task_row.addLayout(buttons)

        # ---- viewer ----
        self.banner = Banner()
        self.banner.resume.connect(self.resume_with_note)
        self.banner.end_run.connect(self.end_hand_over)
        self.banner.open_report.connect(self.open_report)
        self.banner.open_settings.connect(self.open_settings)
        self.banner.allow.connect(lambda: self.answer_confirmation(allow=True))
        self.banner.allow_rest.connect(lambda: self.answer_confirmation(allow=True, rest=True))
        self.banner.skip.connect(lambda note: self.answer_confirmation(allow=False, note=note))
        self.steps = StepListModel(self)
        self.list = QListView()
        self.list.setObjectName("stepList")
        self.list.setModel(self.steps)
        self.list.setItemDelegate(StepDelegate(self.list))
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setUniformItemSizes(False)
        self.list.setMinimumWidth(340)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setWordWrap(True)
        self.list.selectionModel().currentChanged.connect(self._current_changed)
        self.empty_hint = QLabel("Each step appears here as it happens: what the model saw, what it thought and "
                                 "where it acted.")
        self.empty_hint.setObjectName("muted")
        self.empty_hint.setWordWrap(True)
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        left = QWidget()
        left_lay = QVBoxLayout(left)
        left_lay.setContentsMargins(0, 0, 0, 0)
        self.list_title = QLabel("Steps")
        self.list_title.setObjectName("sectionTitle")
        left_lay.addWidget(self.list_title)
        left_lay.addWidget(self.list, 1)
        left_lay.addWidget(self.empty_hint)
        self.detail = StepDetail()
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setSizes([380, 900])
        split.setChildrenCollapsible(False)

        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(12, 12, 12, 6)
        lay.setSpacing(10)
        lay.addLayout(task_row)
        lay.addWidget(self.banner)
        lay.addWidget(split, 1)
        self.setCentralWidget(central)

        # ---- status line ----
        self.state_label = QLabel()
        self.state_label.setObjectName("stateChip")
        self.step_label = QLabel()
        self.elapsed_label = QLabel()
        self.model_label = QLabel()
        self.tokens_label = QLabel()
        for w in (self.state_label, self.step_label, self.elapsed_label, self.model_label, self.tokens_label):
            self.statusBar().addPermanentWidget(w)
        self.elapsed = QElapsedTimer()
        self.tick = QTimer(self)
        self.tick.setInterval(500)
        self.tick.timeout.connect(self._update_status_line)

        # ---- strip, tray, menus ----
        self.strip = ControlStrip()
        self.strip.primary_clicked.connect(self.toggle_pause)
        self.strip.secondary_clicked.connect(self._strip_secondary)
        self.strip.stop_clicked.connect(self.stop_run)
        self.strip.show_clicked.connect(self.bring_forward)
        self.strip.note_submitted.connect(self.resume_with_note)
        self.tray = tray or Tray(self)
        self.tray.show_requested.connect(self.bring_forward)
        self.tray.pause_requested.connect(self.toggle_pause)
        self.tray.stop_requested.connect(self.stop_run)
        self.tray.quit_requested.connect(self.close)
        self._build_menus()
        self._set_state("idle")
        self._initial_geometry()
        if self.hotkeys is not None:
            self.hotkeys.current_control = lambda: self.control if self.running else None
            self.hotkeys.triggered.connect(self._on_hotkey)
            self.hotkeys.taken_over.connect(self._on_taken_over)
            self.apply_hotkeys()

    def _initial_geometry(self) -> None:
        """A comfortable size for the screen it opens on, centred."""
        screen = QGuiApplication.primaryScreen().availableGeometry()
        w, h = min(1320, int(screen.width() * 0.9)), min(860, int(screen.height() * 0.9))
        self.resize(w, h)
        self.move(screen.x() + (screen.width() - w) // 2, screen.y() + (screen.height() - h) // 2)

    # ---------------------------------------------------------------- menus
    def _build_menus(self) -> None:
        def action(text: str, slot: Any, shortcut: str | QKeySequence | None = None) -> QAction:
            a = QAction(text, self)
            a.triggered.connect(slot)
            if shortcut:
                a.setShortcut(QKeySequence(shortcut))
            self.addAction(a)
            return a

        file_menu = self.menuBar().addMenu("&File")
        self.act_run = action("Run task", self.start_run, "Ctrl+Return")
        self.act_pause = action("Pause / resume", self.toggle_pause, "Ctrl+P")
        self.act_stop = action("Stop", self.stop_run, "Ctrl+.")
        for a in (self.act_run, self.act_pause, self.act_stop):
            file_menu.addAction(a)
        file_menu.addSeparator()
        file_menu.addAction(action("Saved tasks…", self.open_presets, "Ctrl+T"))
        file_menu.addAction(action("Save this task…", self.save_current_task, "Ctrl+S"))
        file_menu.addAction(action("Run history…", self.open_history, "Ctrl+H"))
        file_menu.addAction(action("Open run folder…", self.open_run_folder, "Ctrl+O"))
        file_menu.addAction(action("Show runs folder", self.reveal_runs_dir))
        file_menu.addSeparator()
        file_menu.addAction(action("Quit", self.close, QKeySequence.StandardKey.Quit))
        settings_menu = self.menuBar().addMenu("&Settings")
        settings_menu.addAction(action("Settings…", self.open_settings, "Ctrl+,"))
        help_menu = self.menuBar().addMenu("&Help")
        self.act_doctor = action("Check this computer…", self.check_computer)
        help_menu.addAction(self.act_doctor)
        help_menu.addAction(action("About agent-app", self.about))

    # ---------------------------------------------------------------- state
    @property
    def running(self) -> bool:
        return self.run_thread is not None and self.run_thread.is_running()

    def _set_state(self, state: str, detail: str = "") -> None:
        self.state = state
        label = STATE_LABELS.get(state, state.replace("_", " ").capitalize())
        self.state_label.setText(label)
        self.state_label.setProperty("state", state)
        self.state_label.style().unpolish(self.state_label)
        self.state_label.style().polish(self.state_label)
        active = state in ACTIVE_STATES
        paused = state in ("paused", "call_user", "takeover", "confirm")
        waits = state in ("paused", "call_user", "takeover")  # Pause becomes Resume; a confirmation is answered
        self.run_button.setEnabled(not active)
        self.act_run.setEnabled(not active)
        self.task.setReadOnly(active)
        self.pause_button.setEnabled(active and state not in ("stopping", "confirm"))  # a confirmation is answered
        self.pause_button.setText("Resume" if waits else "Pause")
        self.stop_button.setEnabled(active and state != "stopping")
        self.strip.set_mode(state, label + (f" — {detail}" if detail else ""))
        tray_state = {"call_user": "call_user", "takeover": "call_user", "confirm": "call_user",
                      "error": "error"}.get(state, "running" if active else "idle")
        if state == "paused":
            tray_state = "paused"
        self.tray.set_state(tray_state, running=active, paused=paused)
        self._update_status_line()

    def _use_price(self, price: Price | None) -> None:
        """The shown run's list price (None: tokens only), for the status line and the step detail."""
        self.tally = Tally(price)
        self.detail.price = price

    def _update_status_line(self) -> None:
        run = self.run_settings
        budget = run.get("max_steps") or self.settings.max_steps
        self.step_label.setText(f"Step {self.steps_done} of {budget}" if self.run_dir else "")
        if self.elapsed.isValid() and self.run_dir and not self.replaying:
            secs = int(self.elapsed.elapsed() / 1000)
            self.elapsed_label.setText(f"{secs // 60:02d}:{secs % 60:02d}")
        model = run.get("model") or self.settings.model or "(endpoint default)"
        family = _family_text(run.get("model_family") or self.settings.model_family, run.get("model_family_chosen"))
        self.model_label.setText(f"{model} · {family}")
        self.tokens_label.setText(self.tally.describe(short=True))

    # ---------------------------------------------------------------- run
    def start_run(self, task: str | None = None, preset: Preset | None = None) -> None:
        if self.running or self.doctor is not None:
            return
        if preset is not None:
            task = preset.task
        if isinstance(task, str) and task:
            self.task.setPlainText(task)
        text = self.task.toPlainText().strip()
        if not text:
            self.banner.show_message("info", "Type a task first", "Say what the agent should do, in plain words.")
            self.task.setFocus()
            return
        if not self.settings.configured and not self.open_settings(first_run=True, then_run=True):
            return
        overrides = preset.overrides() if preset else {}
        config = RunConfig.from_settings(text, self.settings, api_key=resolve_api_key(), call_user_pauses=True,
                                         confirm=self.settings.confirm, **overrides)
        self.control = RunControl()
        monitor = self._monitor_rect(config.monitor)
        guard = ScreenGuard(monitor) if self.collapse_during_runs else None
        watching = self.hotkeys is not None and self.hotkeys.available
        activity = self.hotkeys.input.activity if watching else None
        person = PersonRecorder() if watching else None
        worker = RunWorker(config, self.control, guard, activity, person)
        worker.event.connect(self._on_event)
        worker.ended.connect(self._on_ended)
        worker.failed.connect(self._on_failed)
        if self.run_thread is not None:  # the last run's thread is ending: let it, before it is let go
            self.run_thread.thread.wait(5000)
        self.run_thread = RunThread(worker)
        self.replaying = False
        self.steps.reset(None)
        self.detail.show_line(None, None)
        self.banner.hide()
        self.follow, self.tally, self.steps_done, self.run_dir, self.run_settings = True, Tally(), 0, None, {}
        self._shot = None
        self.list_title.setText("Steps")
        self.empty_hint.setVisible(True)
        self.strip.set_detail(text)
        self.strip.place(monitor)
        self._set_state("starting")
        self.elapsed.start()
        self.tick.start()
        if self.collapse_during_runs:
            self.hide()  # out of the model's way; the control strip stays in reach
            self.strip.show()
        if watching:
            self.hotkeys.watch(self.control, self.settings.takeover_threshold_px, person)
        self.run_thread.start()

    def _monitor_rect(self, index: int) -> QRect:
        """Qt's rectangle for the agent's monitor (numbered as mss does)."""
        return screen_for_monitor(index).geometry()

    def toggle_pause(self) -> None:
        if not self.control or not self.running:
            return
        if self.control.paused_by == "call_user":
            self.resume_with_note(self.banner.reply.text())
        elif self.control.paused_by == "confirm":
            return  # answered only by Allow / Skip: a pause hotkey must not allow an action
        elif self.control.paused_by == "takeover":
            self.resume_with_note("")
        elif self.control.paused_by:
            self.control.resume()
        else:
            self.control.pause("user")
            self._set_state("paused", "after this step")

    def stop_run(self) -> None:
        if self.control and self.running:
            self.control.stop("stopped by the user")
            self._set_state("stopping")

    def resume_with_note(self, note: str) -> None:
        if self.control and self.control.paused_by:
            self.banner.hide()
            self.control.resume(note=note.strip())
            self._back_to_work()

    def answer_confirmation(self, allow: bool, rest: bool = False, note: str = "") -> None:
        """Allow the proposed action (and, with `rest`, every later one of this run) or skip it (`note`: why)."""
        if self.control and self.control.paused_by == "confirm":
            self.banner.hide()
            self.control.resume(note=note.strip(), decline=not allow, allow_rest=rest)
            self.follow = True
            self._back_to_work()

    def _back_to_work(self) -> None:
        self._set_state("running")
        if self.collapse_during_runs:
            self.hide()
            self.strip.show()

    def _strip_secondary(self) -> None:
        """Takeover: 'Resume with note…'."""
        if not self.control:
            return
        if self.control.paused_by == "takeover":
            self.strip.ask_note()

    def end_hand_over(self) -> None:
        """The person will not help: end the run as call_user."""
        if self.control and self.control.paused_by == "call_user":
            self.control.resume(decline=True)
        else:
            self.stop_run()

    # ---------------------------------------------------------------- events (GUI thread)
    def _on_event(self, event: Event) -> None:
        d = event.data
        if event.kind == "started":
            self.run_dir = Path(d["run_dir"])
            self.steps.run_dir = self.run_dir
            self.run_settings = d["config"]
            self._use_price(run_price(self.run_settings))
            self._set_state("running")
            if self.run_settings.get("model_family_chosen") == AUTO:
                self.statusBar().showMessage(
                    f"Model family: {_family_text(self.run_settings['model_family'])}, chosen from the model name "
                    f"{self.run_settings['model']!r}", 15000)
        elif event.kind == "captured":
            self._shot = d["screenshot"]
        elif event.kind == "format_error":
            self._append_line({"kind": "format_error", "error": d["error"], "response": d["response"],
                               "attempt": d.get("attempt"), "after_step": event.step})
        elif event.kind == "model_text":
            self.strip.set_detail(_thought_so_far(d["text"]))
        elif event.kind == "parsed":
            self._last_thought = d["thought"]
            acts = "; ".join(a.describe() for a in d["actions"])
            self.strip.set_detail(f"{event.data['step_no']}: {acts}")
        elif event.kind == "recorded":
            line = d["record"].to_json()
            self.steps_done = line["step"]
            self.tally.add(line.get("usage"))
            shot = d.get("screenshot")
            self._append_line(line, shot.image if shot is not None else None)
        elif event.kind == "person_actions":
            self._append_line({"kind": "person_actions", "actions": [a.to_json() for a in d["actions"]]})
        elif event.kind == "note":
            self._append_line({"kind": "note", "note": d["note"], "intervened": d["intervened"],
                               "declined": d.get("declined", False), "after_step": event.step})
        elif event.kind == "retry":
            self.statusBar().showMessage(for_person(d["message"]), 8000)
        elif event.kind == "status":
            self._on_status(d)
        self._update_status_line()

    def _on_status(self, d: dict[str, Any]) -> None:
        status = d.get("status")
        if not self.running:  # the run has ended: its final state stays
            return
        if status == "running" and self.state not in ("stopping",):
            self._set_state("running", d.get("detail", ""))
        elif status == "paused" and d.get("by") == "call_user":
            self._set_state("call_user")
            thought = d.get("thought") or self._last_thought or "(no reason given)"
            self.strip.hide()  # the window itself asks now
            self.bring_forward()
            self.banner.show_message("call_user", "The model needs your help", thought)
            self.tray.notify("agent-app needs you", thought)
        elif status == "paused" and d.get("by") == "takeover":
            self._set_state("takeover")
            self.strip.set_detail("The agent waits. Resume when you are done.")
            self.strip.show()
            if self.isVisible():
                self.banner.show_message("takeover", "You have control",
                                         "The agent waits. Add a note for the model if you like, then Resume.")
        elif status == "paused" and d.get("by") == "confirm":
            self._ask_before_acting(d)
        elif status == "paused":
            self._set_state("paused")
            self.strip.show()  # the agent's last action took it off the screen: Resume must be in reach

    def _ask_before_acting(self, d: dict[str, Any]) -> None:
        """The window comes forward with the proposed action marked on this step's screenshot, where it will
        land, and the model's thought in full: Allow, Skip, or Allow the rest of this run."""
        self._set_state("confirm")
        actions = [a.to_json() for a in d.get("actions") or []]
        reason = str(d.get("reason") or "")
        shot = self._shot
        pixmap = None
        proposal: dict[str, Any] = {"kind": "proposal", "step": self.steps_done + 1, "actions": actions,
                                    "thought": d.get("thought") or self._last_thought, "reason": reason}
        if shot is not None:
            pixmap = QPixmap.fromImage(qimage(shot.image))  # no encode on the GUI thread
            proposal["monitor"] = shot.monitor.to_json()
        self.follow = False
        self.list.clearSelection()
        self.detail.show_line(proposal, pixmap)
        self.strip.hide()  # the window itself asks now
        self.bring_forward()
        what = describe_actions(proposal)
        self.banner.show_message("confirm", f"Allow this? {what}", f"Asking because: {reason}." if reason else "")
        self.tray.notify("agent-app asks before acting", f"{what}\n{reason}")

    def _append_line(self, line: dict[str, Any], picture: Any = None) -> None:
        self.empty_hint.setVisible(False)
        self.steps.append(line, picture)
        if self.follow:
            index = self.steps.index(self.steps.rowCount() - 1, 0)
            self.list.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
            self.list.scrollTo(index)

    def _current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        line = current.data(LineRole) if current.isValid() else None
        self.follow = current.row() == self.steps.rowCount() - 1
        pixmap = self.steps.picture(current.row()) if current.isValid() else None
        self.detail.show_line(line, pixmap)

    def _on_ended(self, result: RunResult) -> None:
        self.last_result = result
        if self.hotkeys is not None:
            self.hotkeys.unwatch()
        self.tick.stop()
        self._update_status_line()
        self.strip.hide()
        self.banner.hide()
        self._set_state("asked" if result.status == "call_user" else result.status)
        self.bring_forward()
        title = END_TITLES.get(result.status, result.status)
        if result.status == "finished":
            text = result.final_answer or "The model reports the task is complete."
        else:
            text = for_person(result.error)
            if WHAT_NEXT.get(result.status):
                text = f"{text}\n{WHAT_NEXT[result.status]}".strip()
        kind = "finished" if result.status == "finished" else "error" if result.status == "error" else "info"
        self.banner.show_message(kind, title, text, report=True)
        if result.status in ("finished", "error", "call_user"):
            self.tray.notify(f"agent-app — {title}", text or title, critical=result.status == "error")

    def _on_failed(self, message: str) -> None:
        if self.hotkeys is not None:
            self.hotkeys.unwatch()
        self.tick.stop()
        self.strip.hide()
        self._set_state("error")
        self.bring_forward()
        message = for_person(message)
        self.banner.show_message("error", "The run could not start", message, settings=True)
        self.tray.notify("agent-app — the run could not start", message, critical=True)

    # ---------------------------------------------------------------- hotkeys, takeover, saved tasks
    def hotkey_bindings(self) -> dict[str, str]:
        bindings = dict(self.settings.hotkeys)
        try:
            bindings.update({f"preset:{p.name}": p.hotkey for p in load_presets() if p.hotkey})
        except ConfigError as e:
            self.statusBar().showMessage(for_person(str(e)), 10000)
        return bindings

    def apply_hotkeys(self) -> list[str]:
        if self.hotkeys is None:
            return []
        problems = self.hotkeys.bind(self.hotkey_bindings())
        if problems:
            self.banner.show_message("error", "Some global hotkeys will not work", "\n".join(problems),
                                     settings=True)
        return problems

    def _on_hotkey(self, name: str) -> None:
        if name == "pause":
            self.toggle_pause()
        elif name == "stop":
            self.stop_run()
        elif name == "show":
            self.bring_forward()
        elif name.startswith("preset:") and not self.running:
            try:
                self.start_run(preset=find_preset(name.removeprefix("preset:")))
            except ConfigError as e:
                self.banner.show_message("error", "That saved task is gone", for_person(str(e)))

    def _on_taken_over(self, why: str) -> None:
        if not self.running:  # decided as the run ended: the run's final state stays
            return
        self._set_state("takeover")
        self.strip.set_detail(f"You have control ({why}). The agent waits.")
        self.strip.show()

    def _fill_saved_menu(self) -> None:
        self.saved_menu.clear()
        try:
            presets = load_presets()
        except ConfigError as e:
            presets = []
            self.statusBar().showMessage(for_person(str(e)), 10000)
        for p in presets:
            label = p.name + (f"\t{p.hotkey}" if p.hotkey else "")
            self.saved_menu.addAction(label, lambda p=p: self.start_run(preset=p)).setEnabled(not self.running)
        if presets:
            self.saved_menu.addSeparator()
        self.saved_menu.addAction("Save this task…", self.save_current_task)
        self.saved_menu.addAction("Manage saved tasks…", self.open_presets)

    def open_presets(self) -> PresetsDialog:
        dialog = PresetsDialog(self.settings.hotkeys, self)
        dialog.run_preset.connect(lambda p: self.start_run(preset=p))
        dialog.finished.connect(lambda _r: self.apply_hotkeys())
        dialog.open()
        return dialog

    def save_current_task(self) -> PresetsDialog | None:
        text = self.task.toPlainText().strip()
        if not text:
            return None
        try:
            presets = load_presets()
        except ConfigError:
            presets = []
        name = " ".join(text.split())[:40]
        presets = merge(presets, [Preset(name=name, task=text)])
        save_presets(presets)
        dialog = self.open_presets()
        dialog.list.setCurrentRow(next(i for i, p in enumerate(dialog.presets) if p.name == name))
        return dialog

    # ---------------------------------------------------------------- windows
    def bring_forward(self) -> None:
        self.show()
        self.setWindowState((self.windowState() & ~Qt.WindowState.WindowMinimized) | Qt.WindowState.WindowActive)
        self.raise_()
        self.activateWindow()

    def open_settings(self, first_run: bool = False, then_run: bool = False) -> bool:
        """`then_run`: opened by Run, which goes on once the settings are saved."""
        saved = SettingsDialog.edit(self.settings, self, first_run=first_run, then_run=then_run)
        if saved is None:
            return False
        self.settings = saved
        self._update_status_line()
        self.apply_hotkeys()
        return True

    def runs_dir(self) -> Path:
        return Path(self.settings.runs_dir) if self.settings.runs_dir else default_runs_dir()

    def open_history(self) -> HistoryDialog:
        dialog = HistoryDialog(self.runs_dir(), self)
        dialog.open_run.connect(lambda info: self.open_run(info.path))
        dialog.rerun.connect(self.start_run)
        dialog.open()
        return dialog

    def open_run_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open a run folder", str(self.runs_dir()))
        if path:
            self.open_run(Path(path))

    def open_run(self, run_dir: Path) -> bool:
        """Replay a past run in the viewer."""
        if self.running:
            return False
        log = reading.read_run(run_dir)
        if not log.lines:
            QMessageBox.warning(self, "Nothing to replay", f"{run_dir} holds no readable run ({log.damage}).")
            return False
        info, lines = reading.run_info(run_dir, log), log.lines
        self.replaying, self.run_dir = True, run_dir
        self.run_settings = next((x.get("settings") or {} for x in lines if x.get("kind") == "header"), {})
        price = run_price(self.run_settings)
        self._use_price(price)
        self.tally = Tally.of(lines, price)
        self.steps.reset(run_dir, lines)
        self.steps_done = info.steps
        self.list_title.setText(f"Replay — {info.task}")
        self.empty_hint.setVisible(self.steps.rowCount() == 0)
        self.task.setPlainText(info.task)
        self.elapsed.invalidate()
        self.elapsed_label.setText(time.strftime("%Y-%m-%d %H:%M", time.localtime(info.started)))
        self._set_state("replay")
        self.follow = False
        if self.steps.rowCount():
            self.list.setCurrentIndex(self.steps.index(0, 0))
        status_text = "\n".join(x for x in (info.final_answer or for_person(info.error), info.damage and
                                             f"Damaged: {info.damage}. What could be read is shown.") if x)
        kind = "finished" if info.status == "finished" else "error" if info.status == "error" else "info"
        self.banner.show_message(kind, f"Replay: {END_TITLES.get(info.status, info.status)}", status_text, report=True)
        return True

    def open_report(self) -> QWidget | None:
        """The run's report in the browser; without one, its path to copy (the dialog shown instead)."""
        if not self.run_dir:
            return None
        try:
            report = reading.ensure_report(self.run_dir)
        except AgentAppError as e:  # a damaged run folder: say so where the person looked
            self.banner.show_message("error", "No report", for_person(str(e)))
            return None
        return open_path(report, "the report", self)

    def reveal_runs_dir(self) -> QWidget | None:
        path = self.runs_dir()
        path.mkdir(parents=True, exist_ok=True)
        return open_path(path, "the runs folder", self)

    def check_computer(self) -> None:
        """Help → Check this computer…: `agent-app doctor` on the agent's monitor, then its results in a dialog."""
        if self.doctor is not None:
            return
        if self.running:
            self.banner.show_message("info", "A run is in progress",
                                     "Check this computer when it has ended: the check clicks and types on the screen.")
            return
        from agent_app.core.doctor.model_check import TASK
        from agent_app.core.doctor.runner import DoctorOptions
        from agent_app.ui.calibration import DoctorRun

        config = RunConfig.from_settings(TASK, self.settings, api_key=resolve_api_key(), retries=0,
                                         timeout=min(self.settings.timeout, 30.0)) if self.settings.configured else None
        self.doctor = DoctorRun(DoctorOptions(monitor=self.settings.monitor, run_config=config))
        self.doctor.finished.connect(self._doctor_finished)
        if self.hotkeys is not None:
            self.hotkeys.bind({})  # the check's own keys must not fire the app's hotkeys; rebound afterwards
        self.act_doctor.setEnabled(False)
        self.run_button.setEnabled(False)
        self.act_run.setEnabled(False)
        self.doctor.start()

    def _doctor_finished(self, report: Any) -> None:
        from agent_app.ui.doctor_dialog import DoctorDialog

        self.doctor = None
        self.act_doctor.setEnabled(True)
        self._set_state(self.state)
        self.apply_hotkeys()
        self.doctor_dialog = DoctorDialog(report, self)
        self.doctor_dialog.again.connect(self.check_computer)
        self.doctor_dialog.show()
        self.doctor_dialog.raise_()
        self.doctor_dialog.activateWindow()

    def about(self) -> None:
        QMessageBox.about(
            self, "About agent-app",
            f"<b>agent-app {__version__}</b><p>Lets a vision-language model (UI-TARS family) operate this "
            "computer while you watch, pause, stop or take over.</p>"
            f"<p>Runs are saved in<br><code>{self.runs_dir()}</code></p>",
        )

    def shut_down(self, reason: str) -> None:
        """Quit without asking (the session is ending: SIGTERM, SIGINT, logout): a run stops as the stop button
        stops it — recorded as stopped, nothing held — before the window closes."""
        if self.running and self.run_thread is not None:
            self.run_thread.stop_and_wait(reason=reason)
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self.running:
            answer = QMessageBox.question(self, "A run is in progress", "Stop the run and quit?",
                                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
            assert self.run_thread is not None
            self.run_thread.stop_and_wait()
        if self.run_thread is not None:  # a finished run's thread may still be about to end: end it now
            self.run_thread.thread.quit()
            self.run_thread.thread.wait(2000)
        self.strip.close()
        event.accept()
        self.closed.emit()


_CALL_START = re.compile(r"Action:|<seed:tool_call>|<tool_call>")
_TAG = re.compile(r"<[^<>\n]*>")


def _thought_so_far(text: str) -> str:
    """The model's reasoning while its reply streams in: up to its first call, without tags."""
    body = _CALL_START.split(text.split("Thought:", 1)[-1], maxsplit=1)[0]
    return _TAG.sub("", body).strip() or "thinking…"


def _family_text(name: str, chosen: str | None = None) -> str:
    """A family for the status line: its label, marked when it was chosen from the model name."""
    if name == AUTO:
        return "family from the model name"
    family = FAMILIES.get(name)
    label = family.label if family else name
    return f"{label} (automatic)" if chosen == AUTO else label
