"""The run folder: `trajectory.jsonl` (flushed and fsynced per line), one PNG per step, `report.html`.

Lines carry a `"kind"`: `header` (task and settings, never the key), `step` (one model reply acted on),
`note` (a person's reply or takeover), `format_error` (a reply that could not be parsed), `end` (status).
A kill loses at most the step in flight; the report is rewritten after every line so it is never stale.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent_app import __version__
from agent_app.core.actions import Action
from agent_app.core.geometry import Monitor
from agent_app.core.runs.report import Report

TRAJECTORY = "trajectory.jsonl"
REPORT = "report.html"


@dataclass
class StepRecord:
    """One step as it happened: what the model saw and said, what was done, and what it cost."""

    step: int
    screenshot: str
    image_size: tuple[int, int]
    monitor: Monitor
    response: str
    thought: str
    actions: list[Action]
    timings_ms: dict[str, float] = field(default_factory=dict)
    usage: dict[str, int] | None = None
    started_at: float = 0.0
    error: str | None = None
    skipped: bool = False  # the person declined the actions: none was carried out
    interrupted: str | None = None  # "stopped" / "taken over" while acting: not an error

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "step",
            "step": self.step,
            "time": round(self.started_at, 3),
            "screenshot": self.screenshot,
            "image_size": list(self.image_size),
            "monitor": self.monitor.to_json(),
            "response": self.response,
            "thought": self.thought,
            "actions": [a.to_json() for a in self.actions],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            "usage": self.usage,
            "error": self.error,
            "skipped": self.skipped,
            "interrupted": self.interrupted,
        }


def _slug(text: str, limit: int = 40) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:limit].rstrip("-") or "task"


def new_run_dir(runs_dir: Path, task: str) -> Path:
    runs_dir.mkdir(parents=True, exist_ok=True)
    stem = time.strftime("%Y%m%d-%H%M%S") + "-" + _slug(task)
    for n in range(1000):
        path = runs_dir / (stem if n == 0 else f"{stem}-{n}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise OSError(f"cannot create a run folder in {runs_dir}")


class Recorder:
    def __init__(self, runs_dir: Path, task: str, header: dict[str, Any]) -> None:
        self.run_dir = new_run_dir(Path(runs_dir), task)
        self.run_id = self.run_dir.name
        self.lines: list[dict[str, Any]] = []
        self.report = Report()
        self._file = open(self.run_dir / TRAJECTORY, "a", encoding="utf-8")  # noqa: SIM115 - held open for the run
        self.append({"kind": "header", "task": task, "version": __version__, "started": time.time(), **header})

    def screenshot_name(self, step: int) -> str:
        return f"step-{step:03d}.png"

    def save_screenshot(self, step: int, png: bytes) -> str:
        name = self.screenshot_name(step)
        (self.run_dir / name).write_bytes(png)
        return name

    def append(self, line: dict[str, Any]) -> None:
        """Write one line durably, then refresh the report."""
        self._file.write(json.dumps(line, ensure_ascii=False) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())
        self.lines.append(line)
        self.report.add(line)
        self.write_report()

    def step(self, record: StepRecord) -> None:
        self.append(record.to_json())

    def write_report(self) -> None:
        tmp = self.run_dir / (REPORT + ".tmp")
        tmp.write_text(self.report.html(), encoding="utf-8")
        os.replace(tmp, self.run_dir / REPORT)

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()
