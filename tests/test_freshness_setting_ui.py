"""The freshness setting in Settings (pytest-qt on a real X display): every choice is offered with what it costs,
is saved to settings.json, shown again when the dialog reopens, and a run built from the settings takes it."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt

from agent_app.core.settings.config import RunConfig, Settings
from agent_app.ui.settings_dialog import FRESHNESS, SettingsDialog


def test_every_freshness_choice_is_saved_and_shown_again(qtbot, app_dirs):
    values = [value for _, value, _ in FRESHNESS]
    assert values == ["auto", "watch", "settle"]  # what the CLI's --freshness takes, the default first
    for value in values:
        d = SettingsDialog(Settings(base_url="http://127.0.0.1:9/v1"), None)
        qtbot.addWidget(d)
        assert d.freshness.currentData() == "auto"  # the default
        d.freshness.setCurrentIndex(d.freshness.findData(value))
        tip = d.freshness.itemData(d.freshness.currentIndex(), Qt.ItemDataRole.ToolTipRole)
        assert tip and len(tip.split()) >= 8  # says what the choice costs
        d.accept()
        assert json.loads(Settings.path().read_text())["freshness"] == value
        saved = Settings.load()
        assert RunConfig.from_settings("t", saved).freshness == value
        again = SettingsDialog(saved, None)
        qtbot.addWidget(again)
        assert again.freshness.currentData() == value
