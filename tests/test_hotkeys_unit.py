"""Pure parts of issue 5: hotkey parsing and conflicts, the synthetic-input bookkeeping, risk heuristics,
saved tasks."""

from __future__ import annotations

import json
import time

import pytest

from agent_app.core.actions import Action
from agent_app.core.desktop.input_listener import AgentActivity, GlobalInput, canonical, check_hotkeys, parse_hotkey
from agent_app.core.errors import ConfigError
from agent_app.core.risk import needs_confirmation
from agent_app.core.settings.presets import Preset, find_preset, load_presets, merge, read_presets, save_presets


def test_hotkey_parsing_and_spellings():
    assert parse_hotkey("<ctrl>+<alt>+p") == parse_hotkey("Ctrl+Alt+P") == frozenset({"ctrl", "alt", "p"})
    assert canonical("Key.ctrl_r") == canonical("<control>") == "ctrl"
    assert canonical("Key.cmd") == canonical("win") == "cmd"
    for bad in ("", "<ctrl>+<alt>", "<ctrl>+<ctrl>+x"):
        with pytest.raises(ValueError):
            parse_hotkey(bad)


def test_conflicts_and_unusable_hotkeys_are_reported_plainly():
    parsed, problems = check_hotkeys({"pause": "<ctrl>+<alt>+p", "stop": "Ctrl+Alt+P", "show": "<ctrl>",
                                      "paste": "<ctrl>+v", "none": ""})
    assert list(parsed.values()) == ["pause"]
    assert any("bound twice" in p and "“pause”" in p and "“stop”" in p for p in problems)
    assert any("“show” is not usable" in p for p in problems)
    assert any("paste shortcut" in p for p in problems)


def test_agent_activity_marks_its_own_input():
    a = AgentActivity()
    assert not a.acting()
    a.begin(("ctrl", "alt", "p"))
    assert a.acting() and a.pressing(frozenset({"ctrl", "alt", "p"}))
    assert not a.pressing(frozenset({"ctrl", "alt", "x"}))
    a.end((10, 20))
    assert a.acting()  # the grace period: its events may still be on their way
    assert a.pointer == (10, 20)
    time.sleep(0.3)
    assert not a.acting()


def test_takeover_rules_without_a_display():
    from agent_app.core.control import RunControl
    from agent_app.core.desktop.input_listener import _Watch

    gi = GlobalInput()
    gi.rest_s = 0.05
    control = RunControl()
    took: list[str] = []
    gi._watch = _Watch(control, 12, took.append, (100, 100))
    gi.activity.begin()
    gi._on_move(500, 500)  # the agent's own click moved the pointer
    gi.activity.end((500, 500))
    assert control.paused_by is None
    time.sleep(0.3)
    gi._on_move(505, 503)  # a jitter below the threshold
    assert control.paused_by is None
    gi._on_move(560, 540)  # the person's move: once the pointer rests (on the desktop) it is a takeover
    for _ in range(100):
        if control.paused_by:
            break
        time.sleep(0.02)
    assert control.paused_by == "takeover" and took == ["the pointer moved"]
    gi.stop()


def test_risky_actions():
    click = Action("click", x=1, y=1)
    assert needs_confirmation("never", [click], "Delete the file") is None
    assert "step-through" in needs_confirmation("always", [click], "anything")
    assert needs_confirmation("always", [Action("finished")], "done") is None
    assert needs_confirmation("risky", [click], "Open the menu") is None
    assert "delete" in needs_confirmation("risky", [click], "Click Delete to remove the old report")
    assert "password" in needs_confirmation("risky", [Action("type", text="hunter2")], "Type the password")
    assert "destructive" in needs_confirmation("risky", [Action("type", text="rm -rf build\n")], "Run it")
    assert "while deleting" in needs_confirmation("risky", [Action("hotkey", keys=("enter",))], "Confirm",
                                                  "Select the files to delete")
    assert needs_confirmation("risky", [Action("hotkey", keys=("enter",))], "Submit the form") is None
    assert "alt+f4" in needs_confirmation("risky", [Action("hotkey", keys=("alt", "f4"))], "Close")


def test_presets_store_import_export(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENT_APP_CONFIG_DIR", str(tmp_path))
    assert load_presets() == []
    presets = [Preset("Weather", "Check the weather", max_steps=10, hotkey="<ctrl>+<alt>+1"),
               Preset("Mail", "Open the mail app", model="ui-tars-72b")]
    save_presets(presets)
    data = json.loads((tmp_path / "presets.json").read_text())
    assert data["format"] == "agent-app presets" and data["presets"][0]["name"] == "Weather"
    assert load_presets() == presets
    assert find_preset("weather").task == "Check the weather"
    with pytest.raises(ConfigError, match="no saved task named 'Nope'"):
        find_preset("Nope")
    merged = merge(presets, [Preset("Mail", "Open Thunderbird"), Preset("New", "x")])
    assert [p.task for p in merged] == ["Check the weather", "Open Thunderbird", "x"]
    assert presets[0].overrides() == {"max_steps": 10}
    (tmp_path / "bad.json").write_text('[{"name": "no task"}, {"name": "ok", "task": "t"}]')
    assert read_presets(tmp_path / "bad.json") == (  # a bad entry is skipped, the others load
        [Preset("ok", "t")], [f"{tmp_path / 'bad.json'}: saved task 1 ('no task') needs a name and a task; skipped"])
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_presets(tmp_path / "broken.json")
