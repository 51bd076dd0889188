"""Issue 12, item 4, in the viewer (pytest-qt on a real X display): a step's tokens and estimated cost in the
step detail, the run's totals in the status line — for a run folder the real recorder wrote, with and without a
recorded price."""

from __future__ import annotations

import pytest
from records import Picture, png

from agent_app.core.actions import Action
from agent_app.core.geometry import Monitor
from agent_app.core.runs.recorder import Recorder, StepRecord
from agent_app.core.settings.config import RunConfig, Settings
from agent_app.ui.main_window import MainWindow

# as the loop records them (capture.py, loop.py): what the person waited for, plus the encoder's own time
TIMINGS = {"capture": 121.4, "encode": 0.2, "encode_cpu": 13.0, "guard": 1.0, "model": 900.0, "cancelled": 40.0,
           "parse": 0.3, "record": 0.1, "execute": 6.0}
USAGES = [{"prompt_tokens": 1523, "completion_tokens": 85},
          {"prompt_tokens": 3100, "completion_tokens": 120, "cached_tokens": 1500},
          None]


@pytest.fixture
def window(qtbot, app_dirs):
    w = MainWindow(Settings())
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.strip.close()


def record(tmp_path, family: str, model: str) -> Recorder:
    """A run folder written by the real recorder: three steps, the last one without usage."""
    config = RunConfig("costs", model=model, model_family=family, api_key="sk-never-written")
    rec = Recorder(tmp_path / "runs", "costs", {"settings": config.public(), "model_image": [1280, 720]})
    for n, usage in enumerate(USAGES, 1):
        rec.step(StepRecord(n, rec.screenshot_name(n), (1280, 720), Monitor(0, 0, 1920, 1080), "{}", f"step {n}",
                            [Action("click", x=10 * n, y=20)], dict(TIMINGS), usage), Picture(png(1280, 720)))
    rec.append({"kind": "end", "status": "finished", "steps": 3, "final_answer": "done", "error": None})
    rec.close()
    return rec


def show_step(qtbot, window: MainWindow, row: int) -> str:
    window.list.setCurrentIndex(window.steps.index(row, 0))
    qtbot.waitUntil(lambda: window.detail.title.text() == f"Step {row + 1}", timeout=5000)
    return window.detail.metrics.text()


def test_a_priced_run_shows_tokens_and_cost_per_step_and_in_total(qtbot, window, tmp_path):
    rec = record(tmp_path, "claude", "claude-sonnet-4-6")
    assert window.open_run(rec.run_dir)
    assert window.tokens_label.text() == "4.6k in (1.5k cached) / 205 out tokens · ≈ $0.0129 (1 step uncounted)"
    assert show_step(qtbot, window, 0).endswith("1,523 in / 85 out tokens · ≈ $0.0058")
    assert show_step(qtbot, window, 1).endswith("3,100 in (1,500 cached) / 120 out tokens · ≈ $0.0070")
    assert "tokens" not in show_step(qtbot, window, 2)  # no usage reported: nothing made up
    assert "sk-never-written" not in (rec.run_dir / "trajectory.jsonl").read_text()


def test_a_run_without_a_known_price_shows_tokens_only(qtbot, window, tmp_path):
    rec = record(tmp_path, "uitars-1.5", "ui-tars-1.5-7b")
    assert window.open_run(rec.run_dir)
    assert window.tokens_label.text() == "4.6k in (1.5k cached) / 205 out tokens (1 step uncounted)"
    assert show_step(qtbot, window, 0).endswith("1,523 in / 85 out tokens")
    assert show_step(qtbot, window, 0).startswith(
        "screenshot 121 ms · encode 0 ms · our windows aside 1 ms · model 900 ms · dropped requests 40 ms · "
        "parse 0 ms · record 0 ms · act 6 ms · ")  # in words, the encoder's background time left to benchmarks
    assert "$" not in show_step(qtbot, window, 1) + window.tokens_label.text()
