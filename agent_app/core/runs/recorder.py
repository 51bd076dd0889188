"""The run folder: `trajectory.jsonl` (flushed and fsynced per line), one PNG per step, `report.html`.

Lines carry a `"kind"`: `header` (task and settings, never the key), `step` (one model reply acted on),
`note` (a person's reply or takeover), `format_error` (a reply that could not be parsed), `end` (status).
A kill loses at most the step in flight; the report is rewritten after every line so it is never stale.

The writing happens on a thread of its own, in order, so the loop never waits for a PNG encode, an fsync or a
report: lines, screenshots and the report reach the disk in the order they were handed over, a step's screenshot
before its line. The loop hands over a step only once the one before is on disk (so a kill still loses at most
the step in flight) and learns of a failed write at its next call.

A write that fails (disk full, an I/O error) raises `RecordingError` with one line and leaves the folder as it
was before it: no partial line (the file is cut back), no half-written screenshot, no temporary file. So every
line on disk is complete, and `steps_written` is the number of step lines on disk.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent_app import __version__
from agent_app.core import heap
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
    answers: dict[str, Any] | None = None  # what the app answered for the step (families/api.py): files, texts

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
            **({"answers": self.answers} if self.answers else {}),
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

    STEP_WAIT_S = 30.0  # a disk that takes longer than this for one step is reported, not waited on forever

    def __init__(self, runs_dir: Path, task: str, header: dict[str, Any]) -> None:
        self.report = Report()
        self.steps_written = 0  # step lines on disk
        self._fd = -1
        self._size = 0
        self._jobs: queue.Queue[tuple[str, Any, Any] | None] = queue.Queue()
        self._step_done = threading.Event()
        self._steps_written = 0
        self._step_done.set()
        self._failure: RecordingError | None = None
        self._report_due = False
        self._writer: threading.Thread | None = None
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
            self._write_report()
        except OSError as e:
            self.close()
            for name in (TRAJECTORY, REPORT):  # nothing of this run is on disk: leave no empty folder behind
                with contextlib.suppress(OSError):
                    (self.run_dir / name).unlink()
            with contextlib.suppress(OSError):
                self.run_dir.rmdir()
            raise RecordingError(f"cannot create a run folder in {runs_dir} ({_reason(e)})") from None
        self._writer = threading.Thread(target=self._write_jobs, name="agent-app-recorder", daemon=True)
        self._writer.start()

    def screenshot_name(self, step: int) -> str:
        return f"step-{step:03d}.png"

    def ready(self) -> float:
        """Wait until the last step handed over is on disk; raise if anything failed. The loop calls this before it
        acts on a new step, so no action is ever taken while an earlier one is unrecorded. Returns ms waited."""
        t0 = time.perf_counter()
        self._raise_failure()
        if not self._step_done.wait(self.STEP_WAIT_S):
            raise RecordingError(f"the disk did not take a step in {self.STEP_WAIT_S:g} s ({self.run_dir})")
        self._raise_failure()
        return (time.perf_counter() - t0) * 1000

    def step(self, record: StepRecord, shot: Any) -> None:
        """Hand over a step: its screenshot (`shot.png`, encoded on the writer) and then its line."""
        self._raise_failure()
        self._step_done.clear()
        self._jobs.put(("step", record.to_json(), shot))

    def save_image(self, name: str, shot: Any) -> str:
        """A picture in the run folder (whole, or not at all), written in turn."""
        self._raise_failure()
        self._jobs.put(("image", name, shot))
        return name

    def append(self, line: dict[str, Any]) -> None:
        """Hand over one line: written durably in turn, then the report refreshed."""
        self._raise_failure()
        self._jobs.put(("line", line, None))

    def flush(self) -> RecordingError | None:
        """Wait until everything handed over is on disk (or failed). Returns the failure, if any."""
        if self._writer is not None and self._writer.is_alive():
            self._jobs.join()
        return self._failure

    def finish(self, end: dict[str, Any]) -> RecordingError | None:
        """Write the end line even after a failed write (the disk may have room again for one line), then close.
        Returns why the end line could not be written, if it could not."""
        self.flush()
        self._failure = None
        self._jobs.put(("line", end, None))
        self.close()
        return self._failure

    def write_report(self) -> None:
        try:
            self._write_report()
        except OSError as e:
            raise self._error(e) from None

    def close(self) -> None:
        """Write what is pending, stop the writer, close the file. Never raises."""
        if self._writer is not None and self._writer.is_alive():
            self._jobs.put(None)
            self._writer.join()
        fd, self._fd = self._fd, -1
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)

    # ---- the writer thread ----
    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    def _write_jobs(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                if job is None:
                    return
                if self._failure is None:
                    self._do(*job)
            except OSError as e:
                self._failure = self._error(e)
            except Exception as e:  # noqa: BLE001 - a bug here must end the run with a message, not kill the thread
                self._failure = RecordingError(f"cannot record the run ({type(e).__name__}: {e})")
            finally:
                if job is not None and job[0] == "step":
                    self._step_done.set()
                    self._steps_written += 1
                    if self._steps_written % heap.TRIM_EVERY == 0:  # freed screenshot buffers: pages back
                        heap.trim()
                if self._report_due and self._jobs.qsize() == 0 and self._failure is None:
                    with contextlib.suppress(OSError):  # the report can be rebuilt from the lines at any time
                        self._write_report()
                    self._report_due = False
                self._jobs.task_done()

    def _do(self, kind: str, payload: Any, shot: Any) -> None:
        if kind == "line":
            self._write(payload)
        elif kind == "image":
            self._save(payload, shot.png)
        else:
            self._save(payload["screenshot"], shot.png)
            self._write(payload)

    def _save(self, name: str, png: bytes) -> None:
        path = self.run_dir / name
        try:
            path.write_bytes(png)
        except OSError:
            with contextlib.suppress(OSError):
                path.unlink()
            raise

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
        self._report_due = True

    def _write_report(self) -> None:
        replace_file(self.run_dir / REPORT, self.report.html())

    def _error(self, e: OSError) -> RecordingError:
        return RecordingError(
            f"cannot write to the run folder {self.run_dir} ({_reason(e)}); everything recorded before is intact. "
            "Free some disk space or choose another runs folder"
        )
