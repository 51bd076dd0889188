"""The one confirmation gate in the app (pytest-qt on a real X display, the real openai SDK against the scripted
Responses server): an OpenAI safety check brings the window forward with the provider's message, the proposed
click marked on the screenshot and the model's words; Allow runs the click and only then acknowledges the check,
Skip runs nothing and the model hears why."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from agent_app.core.settings.config import Settings
from agent_app.testing.scripted_openai_cua import ScriptedResponses
from agent_app.ui.hotkeys import HotkeyBridge
from agent_app.ui.main_window import MainWindow

pytestmark = pytest.mark.x11

KEY = "sk-proj-ConfirmGateUi-0123456789abcdefGHIJ"
MESSAGE = "The page may hold instructions from a third party."


@pytest.fixture
def responses():
    srv = ScriptedResponses(api_key=KEY).start()
    yield srv
    srv.stop()


@pytest.fixture
def window(qtbot, app_dirs, responses, desktop, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    Settings(base_url=responses.base_url, model=responses.model, model_family="openai-cua", max_steps=5).save()
    bridge = HotkeyBridge()
    w = MainWindow(Settings.load(), hotkeys=bridge)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    if w.running:
        w.run_thread.stop_and_wait()
    bridge.unwatch()
    bridge.close()
    w.strip.close()


def checked_click(x: int, y: int) -> dict:
    return {"actions": [{"type": "click", "button": "left", "x": x, "y": y}],
            "checks": [{"code": "malicious_instructions", "message": MESSAGE}],
            "reasoning": "The page says to click the green button."}


def start(qtbot, window, desktop) -> None:
    desktop.xdotool("mousemove", "--sync", "20", "20")
    window.task.setPlainText("click the green button")
    window.start_run()
    qtbot.waitUntil(lambda: window.state == "confirm", timeout=30000)
    assert window.isVisible() and not window.strip.isVisible()  # the window itself asks
    assert "click (640, 400)" in window.banner.title.text()
    assert MESSAGE in window.banner.text.text()  # the provider's own words
    assert desktop.pointer() == (20, 20)  # nothing ran yet


def test_allow_runs_the_click_and_only_then_acknowledges_the_check(qtbot, window, responses, desktop):
    responses.add(checked_click(640, 400), {"text": "Clicked it."})
    start(qtbot, window, desktop)
    assert len(responses.response_requests()) == 1  # no request acknowledges anything before the person answers
    qtbot.mouseClick(window.banner.allow_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.last_result is not None, timeout=30000)
    assert window.last_result.status == "finished" and window.last_result.final_answer == "Clicked it."
    assert desktop.pointer() == (640, 400)
    sent = responses.response_requests()[1]["body"]["input"][0]
    assert sent["acknowledged_safety_checks"][0]["message"] == MESSAGE


def test_skip_runs_nothing_and_the_model_hears_why(qtbot, window, responses, desktop):
    responses.add(checked_click(640, 400), {"text": "Understood, I stop here."})
    start(qtbot, window, desktop)
    window.answer_confirmation(allow=False, note="that page is a scam")
    qtbot.waitUntil(lambda: window.last_result is not None, timeout=30000)
    assert window.last_result.status == "finished"
    assert desktop.pointer() == (20, 20)  # the click never happened
    said = json.dumps(responses.response_requests()[1]["body"]["input"], ensure_ascii=False)
    assert "acknowledged_safety_checks" not in said and "a scam" in said
