"""The run folder: `trajectory.jsonl` (flushed and fsynced per line), one PNG per step, `report.html`.

Lines carry a `"kind"`: `header` (task and settings, never the key), `step` (one model reply acted on),
`note` (a person's reply or takeover), `format_error` (a reply that could not be parsed), `end` (status).
A kill loses at most the step in flight; the report is rewritten after every line so it is never stale.

A write that fails (disk full, an I/O error) raises `RecordingError` with one line and leaves the folder as it
was before it: no partial line (the file is cut back), no half-written screenshot, no temporary file. So every
line on disk is complete, and `steps_written` is the number of step lines on disk.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent_app import __version__
from agent_app.core.actions import Action
from agent_app.core.errors import ConfigError, RecordingError
from agent_app.core.files import replace_file
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


def check_runs_dir(runs_dir: Path) -> None:
    """Raise ConfigError unless run folders can be made in `runs_dir` (created if missing): checked by writing,
    as permissions alone do not tell (root, read-only mounts, ACLs)."""
    runs_dir = Path(runs_dir)
    if runs_dir.exists() and not runs_dir.is_dir():
        raise ConfigError(f"the runs folder {runs_dir} is a file, not a folder; choose another with --runs-dir")
    try:
        runs_dir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=runs_dir, prefix=".agent-app-check-")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise ConfigError(
            f"cannot write run folders in {runs_dir} ({_reason(e)}); choose another with --runs-dir"
        ) from None


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


def _reason(e: OSError) -> str:
    return e.strerror or str(e)


class Recorder:
    """Writes one run folder as the run goes. Every OSError becomes a RecordingError; `close` never raises."""

    def __init__(self, runs_dir: Path, task: str, header: dict[str, Any]) -> None:
        self.report = Report()
        self.steps_written = 0  # step lines on disk
        self._fd = -1
        self._size = 0
        try:
            self.run_dir = new_run_dir(Path(runs_dir), task)
        except OSError as e:
            raise RecordingError(f"cannot create a run folder in {runs_dir} ({_reason(e)})") from None
        self.run_id = self.run_dir.name
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0)
            self._fd = os.open(self.run_dir / TRAJECTORY, flags, 0o644)
            self._size = os.fstat(self._fd).st_size
            self._write({"kind": "header", "task": task, "version": __version__, "started": time.time(), **header})
        except OSError as e:
            self.close()
            for name in (TRAJECTORY, REPORT):  # nothing of this run is on disk: leave no empty folder behind
                with contextlib.suppress(OSError):
                    (self.run_dir / name).unlink()
            with contextlib.suppress(OSError):
                self.run_dir.rmdir()
            raise RecordingError(f"cannot create a run folder in {runs_dir} ({_reason(e)})") from None

    def screenshot_name(self, step: int) -> str:
        return f"step-{step:03d}.png"

    def save_screenshot(self, step: int, png: bytes) -> str:
        return self.save_image(self.screenshot_name(step), png)

    def save_image(self, name: str, png: bytes) -> str:
        """A picture in the run folder (whole, or not at all)."""
        path = self.run_dir / name
        try:
            path.write_bytes(png)
        except OSError as e:
            with contextlib.suppress(OSError):
                path.unlink()
            raise self._error(e) from None
        return name

    def append(self, line: dict[str, Any]) -> None:
        """Write one line durably, then refresh the report."""
        try:
            self._write(line)
        except OSError as e:
            raise self._error(e) from None

    def step(self, record: StepRecord) -> None:
        self.append(record.to_json())

    def write_report(self) -> None:
        try:
            self._write_report()
        except OSError as e:
            raise self._error(e) from None

    def close(self) -> None:
        fd, self._fd = self._fd, -1
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)

    def _write(self, line: dict[str, Any]) -> None:
        """The line, whole or not at all (on failure the file is cut back to where it was), then the report."""
        # Lone surrogates (a server's "\ud800") become JSON escapes instead of failing or writing bad UTF-8.
        data = (json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8", "backslashreplace")
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view):]
            os.fsync(self._fd)
        except OSError:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, self._size)
            raise
        self._size += len(data)
        if line.get("kind") == "step":
            self.steps_written += 1
        self.report.add(line)
        self._write_report()

    def _write_report(self) -> None:
        replace_file(self.run_dir / REPORT, self.report.html())

    def _error(self, e: OSError) -> RecordingError:
        return RecordingError(
            f"cannot write to the run folder {self.run_dir} ({_reason(e)}); everything recorded before is intact. "
            "Free some disk space or choose another runs folder"
        )
