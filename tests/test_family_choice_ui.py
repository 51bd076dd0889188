"""The family choice in the app (pytest-qt on a real X display, the scripted server behind it): Settings and
saved tasks offer "Automatic" and every family with its coordinate convention, Test connection says what
Automatic would choose, a run shows the family it chose, and a name it cannot place points at Settings."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from agent_app.core.families.registry import AUTO, FAMILIES
from agent_app.core.settings.config import Settings
from agent_app.testing.scripted_server import ScriptedServer
from agent_app.ui.main_window import MainWindow, _thought_so_far
from agent_app.ui.presets_dialog import PresetsDialog
from agent_app.ui.settings_dialog import SettingsDialog

pytestmark = pytest.mark.x11

FINISH = ("<gui_think> Done. </gui_think><seed:tool_call><function=finished><parameter=content>all done</parameter>"
          "</function></seed:tool_call>")


def items(combo) -> list[tuple[str, str]]:
    return [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())]


FAMILY_ITEMS = [("Automatic (from the model name)", AUTO), *((f.description, n) for n, f in FAMILIES.items())]


def test_settings_offer_automatic_first_and_every_family_with_its_convention(qtbot, app_dirs):
    d = SettingsDialog(Settings(), None, first_run=True)
    qtbot.addWidget(d)
    assert items(d.family) == FAMILY_ITEMS
    assert ("UI-TARS-1.5: absolute pixels of the screenshot as the model saw it", "uitars-1.5") in items(d.family)
    assert ("Aguvis: relative 0–1 of the screen", "aguvis") in items(d.family)
    assert d.family.currentData() == AUTO  # a new profile
    d.provider.setCurrentIndex(d.provider.findData("volcengine"))
    assert d.family.currentData() == "doubao"
    d.provider.setCurrentIndex(d.provider.findData("local-vllm"))
    assert d.family.currentData() == AUTO  # a local server may serve any model: let its name say
    d.base_url.setText("http://localhost:8000/v1")
    d.accept()
    assert json.loads(Settings.path().read_text())["model_family"] == AUTO


def test_saved_tasks_offer_settings_automatic_and_every_family(qtbot, app_dirs):
    d = PresetsDialog({})
    qtbot.addWidget(d)
    assert items(d.family) == [("from Settings", ""), *FAMILY_ITEMS]


@pytest.mark.parametrize("model, chosen, says", [
    ("bytedance/ui-tars-2", AUTO, "Automatic model family: UI-TARS-2."),
    ("ByteDance-Seed/UI-TARS-1.5-7B", AUTO, "Automatic model family: UI-TARS-1.5."),
    ("my-finetune", AUTO, "Automatic cannot tell the model family from the name 'my-finetune': choose one."),
    ("bytedance/ui-tars-2", "uitars-1.5", "Its name says UI-TARS-2, not UI-TARS-1.5."),
])
def test_test_connection_says_which_family_automatic_would_choose(qtbot, app_dirs, model, chosen, says):
    with ScriptedServer(model=model) as server:
        d = SettingsDialog(Settings(base_url=server.base_url, model_family=chosen))  # model empty: the listed one
        qtbot.addWidget(d)
        qtbot.mouseClick(d.test_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: d.test_button.isEnabled(), timeout=20000)
    assert d.test_result.text().startswith(f"✔ Connected: {model} answered in")
    assert d.test_result.text().endswith(says)


def _window(qtbot, settings: Settings) -> MainWindow:
    settings.save()
    w = MainWindow(Settings.load())
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_a_run_shows_the_family_it_chose(qtbot, app_dirs):
    with ScriptedServer([FINISH], model="bytedance/ui-tars-2") as server:
        w = _window(qtbot, Settings(base_url=server.base_url, wait_seconds=0.2))
        assert w.model_label.text() == "(endpoint default) · family from the model name"
        messages: list[str] = []
        w.statusBar().messageChanged.connect(messages.append)
        w.task.setPlainText("finish")
        w.start_run()
        qtbot.waitUntil(lambda: w.last_result is not None and not w.running, timeout=30000)
    assert w.last_result.status == "finished" and w.last_result.final_answer == "all done"
    assert "Model family: UI-TARS-2, chosen from the model name 'bytedance/ui-tars-2'" in messages
    assert w.model_label.text() == "bytedance/ui-tars-2 · UI-TARS-2 (automatic)"
    w.strip.close()


def test_a_name_automatic_cannot_place_points_at_settings(qtbot, app_dirs):
    with ScriptedServer([FINISH], model="my-finetune") as server:
        w = _window(qtbot, Settings(base_url=server.base_url))
        w.task.setPlainText("anything")
        w.start_run()
        qtbot.waitUntil(lambda: w.banner.isVisible() and w.banner.kind == "error", timeout=15000)
        assert server.chat_requests() == []
    text = w.banner.text.text()
    assert text == ("no model family is known for the model name 'my-finetune': choose one in Settings → Model "
                    f"family ({', '.join(FAMILIES)})")
    assert "--" not in text and w.banner.settings_button.isVisible() and w.run_button.isEnabled()
    w.strip.close()


@pytest.mark.parametrize("streamed, shown", [
    ("Thought: Click the OK button.\nAction: click(start_box='(1,2)')", "Click the OK button."),
    ("<gui_think> The search box is at the top. </gui_think>\n<seed:tool_call><function=click>", "The search box is at "
     "the top."),
    ("<gui_think> Still thinking", "Still thinking"),
    ("<seed:tool_call><function=wait></function>", "thinking…"),
])
def test_the_strip_shows_the_thought_while_the_reply_streams(streamed, shown):
    assert _thought_so_far(streamed) == shown
