"""Bad settings never stop the app: settings.json and presets.json that are not objects, or hold values of the
wrong type or range, fall back to defaults with one warning per field (naming the file and the field); option
values are checked whichever source they come from, and a bad one is a usage error before anything happens."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from dataclasses import asdict, fields
from pathlib import Path

import pytest

from agent_app.core.settings.config import RULES, RunConfig, Settings
from agent_app.core.settings.presets import load_presets, load_presets_checked, save_presets
from agent_app.core.typecheck import field_types

NOT_OBJECTS = ["[]", "null", "5", '"x"', "true", "{not json", b"\xff\xfe{}", "{} {}"]


@pytest.fixture
def config_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENT_APP_CONFIG_DIR", str(tmp_path / "config"))
    (tmp_path / "config").mkdir()
    return tmp_path / "config"


def _write(path: Path, content: str | bytes) -> None:
    path.write_bytes(content if isinstance(content, bytes) else content.encode())


@pytest.mark.parametrize("content", NOT_OBJECTS)
def test_a_settings_file_that_is_no_object_gives_the_defaults_and_one_warning(config_dir, content, caplog):
    _write(config_dir / "settings.json", content)
    settings, problems = Settings.load_checked()
    assert settings == Settings()
    assert len(problems) == 1 and str(config_dir / "settings.json") in problems[0]
    assert "\n" not in problems[0] and "using the default settings" in problems[0]
    assert problems[0] in caplog.text  # and in the log


def test_a_missing_settings_file_is_no_problem(config_dir):
    assert Settings.load_checked() == (Settings(), [])


def test_a_byte_order_mark_is_fine(config_dir):
    _write(config_dir / "settings.json", '\ufeff{"max_steps": 9}')
    assert Settings.load_checked() == (Settings(max_steps=9), [])


WRONG = {  # field: values it must never take from a file
    "provider": [5, None], "base_url": [123, ["http://x"]], "model": [{}],
    "model_family": ["gpt-4", 1], "language": ["fr", None], "max_steps": ["abc", 0, -3, 2.5, True, None, 10**30],
    "history_images": [0, "5", 2**31], "wait_seconds": [0, -1, math.nan, math.inf, "5", 1e300],
    "timeout": [-1, 0, math.nan, -math.inf, math.inf, False, 1e10], "max_pixels": [1, 78399, 0, "big", 1.5],
    "monitor": [0, "1", 10**20], "stream": ["yes", 1, None], "runs_dir": [5, None, []], "confirm": ["sometimes", True],
    "freshness": ["fresh", 1],
    "takeover_threshold_px": [0, "12", 10**12], "hotkeys": [[], {"pause": 5}, "ctrl+p", None],
}


def test_every_settings_field_is_covered():
    assert set(WRONG) == {f.name for f in fields(Settings)}


@pytest.mark.parametrize("name, value", [(k, v) for k, vs in WRONG.items() for v in vs],
                         ids=lambda x: repr(x)[:20])
def test_each_bad_field_falls_back_with_one_warning_naming_file_and_field(config_dir, name, value):
    good = {"base_url": "http://localhost:8000/v1", "model": "m", "max_steps": 7}
    data = {**good, name: value}
    text = json.dumps(data, allow_nan=True)  # NaN / Infinity as Python (and some editors) write them
    _write(config_dir / "settings.json", text)
    settings, problems = Settings.load_checked()
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{config_dir / 'settings.json'}: {name} must be ")
    assert getattr(settings, name) == getattr(Settings(), name)  # the default
    for key, kept in good.items():  # the other fields are kept
        if key != name:
            assert getattr(settings, key) == kept


def test_good_values_load_and_numbers_are_typed(config_dir):
    data = {"base_url": "http://h/v1", "timeout": 30, "wait_seconds": 0.5, "max_pixels": 78400,
            "model_family": "aguvis", "hotkeys": {"pause": "<ctrl>+<alt>+p"}, "unknown_key": 1}
    _write(config_dir / "settings.json", json.dumps(data))
    settings, problems = Settings.load_checked()
    assert problems == []
    assert settings.timeout == 30.0 and isinstance(settings.timeout, float)
    assert (settings.max_pixels, settings.model_family) == (78400, "aguvis")
    assert settings.hotkeys == {"pause": "<ctrl>+<alt>+p"}
    Settings(**{**asdict(settings)}).save()
    assert Settings.load_checked() == (settings, [])  # what is saved loads back unchanged


def test_every_rule_names_a_real_field():  # a misspelt rule would check nothing
    assert set(RULES) <= set(field_types(RunConfig)) | set(field_types(Settings))


# ---------------------------------------------------------------- saved tasks
@pytest.mark.parametrize("content", [*NOT_OBJECTS[1:], '{"presets": 5}', '{"format": "x"}'])
def test_a_presets_file_that_is_no_list_gives_no_saved_tasks_and_one_warning(config_dir, content):
    _write(config_dir / "presets.json", content)
    presets, problems = load_presets_checked()
    assert presets == [] and len(problems) == 1
    assert str(config_dir / "presets.json") in problems[0] and "\n" not in problems[0]
    assert load_presets() == []


def test_a_bad_saved_task_is_skipped_and_the_others_load(config_dir):
    entries = [
        {"name": "good one", "task": "do a"}, 5, {"name": "no task"}, {"name": "", "task": "x"},
        {"name": "bad budget", "task": "t", "max_steps": 0}, {"name": "bad family", "task": "t", "model_family": "x"},
        {"name": "bad hotkey", "task": "t", "hotkey": []}, {"name": 7, "task": "t"},
        {"name": "nan budget", "task": "t", "max_steps": math.nan},
        {"name": "good two", "task": "do b", "max_steps": 3},
    ]
    _write(config_dir / "presets.json", json.dumps({"presets": entries}, allow_nan=True))
    presets, problems = load_presets_checked()
    assert [(p.name, p.max_steps) for p in presets] == [("good one", None), ("good two", 3)]
    assert len(problems) == 8 and all(p.endswith("; skipped") for p in problems)
    assert "saved task 5 ('bad budget'): max_steps must be at least 1, not 0" in problems[3]


def test_saving_over_a_broken_presets_file_keeps_it_aside(config_dir):
    _write(config_dir / "presets.json", "{broken")
    save_presets([])
    assert (config_dir / "presets.json.broken").read_text() == "{broken"
    assert load_presets_checked() == ([], [])


# ---------------------------------------------------------------- option values, whatever their source
BAD_OPTIONS = [
    (["--timeout", "0"], "--timeout must be more than 0"), (["--timeout", "-1"], "--timeout must be more than 0"),
    (["--timeout", "nan"], "--timeout must be a finite number"), (["--timeout", "inf"], "--timeout must be a finite"),
    (["--wait-seconds", "0"], "--wait-seconds must be more than 0"),
    (["--wait-seconds", "nan"], "--wait-seconds must be a finite number"),
    # beyond a day the clocks that bound a request overflow ("timestamp out of range for platform time_t")
    (["--timeout", "1e10"], "--timeout must be at most 86400"),
    (["--wait-seconds", "1e300"], "--wait-seconds must be at most 86400"),
    (["--max-steps", str(10**30)], "--max-steps must be at most 2147483647"),
    (["--base-url", "http://[::1"], "the base URL 'http://[::1' is not a valid URL (Invalid IPv6 URL)"),
    (["--base-url", "http://localhost:99999/v1"], "is not a valid URL (Port out of range"),
    (["--base-url", "http:///v1"], "the base URL 'http:///v1' names no host"),
    (["--retries", "-1"], "--retries must be at least 0"),
    (["--max-pixels", "1"], "--max-pixels must be at least 78400"),
    (["--max-pixels", "0"], "--max-pixels must be at least"),
    (["--history-images", "0"], "--history-images must be at least 1"),
    (["--max-steps", "0"], "--max-steps must be at least 1"),
    (["--monitor", "0"], "--monitor must be at least 1"),
    (["--max-steps", "abc"], "argument --max-steps: invalid int value: 'abc'"),
    (["--timeout", "soon"], "argument --timeout: invalid float value: 'soon'"),
]


@pytest.mark.parametrize("args, message", BAD_OPTIONS, ids=lambda x: " ".join(x) if isinstance(x, list) else "")
def test_a_bad_option_is_one_line_exit_2_and_nothing_happens(cli_nodisplay, server, args, message):
    for json_flag in ((), ("--json",)):
        proc = cli_nodisplay.run("run", "anything", "--base-url", server.base_url, "--runs-dir",
                                 str(cli_nodisplay.runs_dir), *args, *json_flag)
        assert proc.returncode == 2
        assert message in proc.stderr and "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
        if json_flag:
            assert json.loads(proc.stdout)["status"] == "error"
    assert server.requests == [] and not cli_nodisplay.runs_dir.exists()  # no request, no run folder


def test_max_pixels_below_the_family_minimum_is_refused_by_parse_too(cli_nodisplay):
    reply = "Thought: c\nAction: click(start_box='(10,10)')"
    proc = cli_nodisplay.run("parse", "--screen", "1920x1080", "--max-pixels", "1", input=reply)
    assert proc.returncode == 2 and "--max-pixels must be at least 78400" in proc.stderr
    proc = cli_nodisplay.run("parse", "--screen", "1920x1080", "--max-pixels", "78400", input=reply)
    assert proc.returncode == 0, proc.stderr


def test_a_bad_preset_value_is_refused_with_its_reason(cli_nodisplay, server):
    config = Path(cli_nodisplay.env["AGENT_APP_CONFIG_DIR"])
    config.mkdir(parents=True)
    (config / "presets.json").write_text(json.dumps({"presets": [
        {"name": "Zero", "task": "t", "max_steps": 0}, {"name": "Fine", "task": "t", "max_steps": 2}]}))
    proc = cli_nodisplay.run("run", "--preset", "Zero", "--base-url", server.base_url)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    warning, error = proc.stderr.strip().splitlines()
    assert "saved task 1 ('Zero'): max_steps must be at least 1, not 0; skipped" in warning
    assert "no saved task named 'Zero' (saved: Fine)" in error
    assert server.requests == [] and not cli_nodisplay.runs_dir.exists()


def test_a_bad_settings_value_is_replaced_not_fatal_for_a_run(cli_nodisplay, server):
    """settings.json with a family-too-small max_pixels and a bad runs_dir: warnings, then the run goes on to its
    first real obstacle here (no display), which proves the settings did not stop it."""
    config = Path(cli_nodisplay.env["AGENT_APP_CONFIG_DIR"])
    config.mkdir(parents=True)
    (config / "settings.json").write_text('{"max_pixels": 1, "runs_dir": 5, "timeout": -1, "max_steps": "abc"}')
    proc = cli_nodisplay.run("run", "x", "--base-url", server.base_url, "--model", "m",
                             "--runs-dir", str(cli_nodisplay.runs_dir))
    warnings = [line for line in proc.stderr.splitlines() if "warning:" in line]
    assert [w.split(": ")[3] for w in warnings] == ['max_steps must be a whole number, not "abc"; using 25',
                                                    "timeout must be more than 0, not -1; using 120.0",
                                                    "max_pixels must be at least 78400 (the smallest screenshot "
                                                    "UI-TARS-1.5 takes), not 1; using null",
                                                    'runs_dir must be text, not 5; using ""']
    assert "display" in proc.stderr.splitlines()[-1] and "Traceback" not in proc.stderr


@pytest.mark.x11
@pytest.mark.parametrize("content", ["[]", "null", '{"max_steps": "abc", "base_url": 123, "runs_dir": 5}'])
def test_run_with_a_bad_settings_file_runs(desktop, cli, server, content):
    config = Path(cli.env["AGENT_APP_CONFIG_DIR"])
    config.mkdir(parents=True, exist_ok=True)
    (config / "settings.json").write_text(content)
    server.add("Thought: done\nAction: finished(content='ok')")
    proc, summary = cli.run_task(server, "with bad settings")
    assert proc.returncode == 0, proc.stderr
    assert summary["status"] == "finished"
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("agent-app: warning: ")]
    assert len(warnings) == (1 if content in ("[]", "null") else 3)
    assert all(str(config / "settings.json") in w for w in warnings)
    listed = cli.run("runs", "list", "--runs-dir", str(cli.runs_dir))
    assert listed.returncode == 0 and "with bad settings" in listed.stdout


# ---------------------------------------------------------------- the desktop app
@pytest.mark.x11
@pytest.mark.parametrize("content", ["[]", "null", '{"max_steps": "abc", "base_url": 123, "hotkeys": []}'])
def test_the_app_starts_with_a_bad_settings_file_and_says_so(qtbot, qapp, app_dirs, content):
    from agent_app.ui.app import open_window

    config = app_dirs / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "settings.json").write_text(content)
    (config / "presets.json").write_text('{"presets": [{"name": "ok", "task": "t"}, {"name": "bad", "task": 5}]}')
    window = open_window()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.settings == Settings()  # every field its default (base_url, max_steps, hotkeys included)
    assert window.banner.isVisible() and window.banner.title.text() == "Some saved settings could not be used"
    text = window.banner.text.text()
    assert str(config / "settings.json") in text and "saved task 2 ('bad'): task must be text" in text
    assert text.count("\n") == (2 if content in ("[]", "null") else 4)  # one line per problem, then the advice
    assert [p.name for p in load_presets()] == ["ok"]
    window.strip.close()


@pytest.mark.x11
@pytest.mark.parametrize("content", ["[]", "null"])
def test_the_real_program_starts_with_a_bad_settings_file(desktop, app_env, content):
    config = Path(app_env["AGENT_APP_CONFIG_DIR"])
    config.mkdir(parents=True, exist_ok=True)
    (config / "settings.json").write_text(content)
    proc = subprocess.Popen([sys.executable, "-m", "agent_app"], env=desktop.full_env(app_env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        desktop.wait_window("Welcome to agent-app")  # nothing usable configured: the first-start dialog
        assert proc.poll() is None
        log = Path(app_env["AGENT_APP_DATA_DIR"]) / "logs" / "agent-app.log"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "using the default settings" not in _text(log):
            time.sleep(0.1)
        assert f"{config / 'settings.json'} holds " in _text(log)
    finally:
        proc.terminate()
        proc.wait(10)


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else ""


@pytest.mark.x11
def test_the_settings_dialog_opens_over_numbers_too_big_for_it(qtbot, qapp, app_dirs):
    """Counts beyond 32 bits in a hand-edited settings.json: the Settings dialog (opened by itself at the first
    start) raised OverflowError in its number boxes, so the person could not configure anything."""
    from agent_app.ui.settings_dialog import SettingsDialog

    config = app_dirs / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "settings.json").write_text(json.dumps({
        "max_steps": 10**30, "history_images": 2**40, "takeover_threshold_px": 10**12, "timeout": 1e10}))
    settings, problems = Settings.load_checked()
    assert [p.split(": ")[1].split()[0] for p in problems] == ["max_steps", "history_images", "timeout",
                                                              "takeover_threshold_px"]
    dialog = SettingsDialog(settings, first_run=True)
    qtbot.addWidget(dialog)
    assert (dialog.max_steps.value(), dialog.history_images.value(), dialog.timeout.value(),
            dialog.threshold.value()) == (25, 5, 120.0, 12)
