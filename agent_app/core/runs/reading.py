"""Reading run folders back: the run history, one run's lines, a report regenerated after a kill."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent_app.core.runs.recorder import REPORT, TRAJECTORY


@dataclass
class RunInfo:
    run_id: str
    path: Path
    task: str
    started: float
    status: str  # the end line's status, or "incomplete" when the run never wrote one (killed)
    steps: int
    final_answer: str | None
    error: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "run_dir": str(self.path), "task": self.task, "started": self.started,
            "status": self.status, "steps": self.steps, "final_answer": self.final_answer, "error": self.error,
        }


def read_lines(run_dir: Path) -> list[dict[str, Any]]:
    """Every complete JSON line; a torn last line (a kill mid-write) is skipped."""
    lines: list[dict[str, Any]] = []
    try:
        with open(run_dir / TRAJECTORY, encoding="utf-8") as f:
            for raw in f:
                try:
                    obj = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(obj, dict):
                    lines.append(obj)
    except OSError:
        pass
    return lines


def run_info(run_dir: Path) -> RunInfo | None:
    lines = read_lines(run_dir)
    header = next((x for x in lines if x.get("kind") == "header"), None)
    if header is None:
        return None
    end = next((x for x in reversed(lines) if x.get("kind") == "end"), None)
    return RunInfo(
        run_id=run_dir.name,
        path=run_dir,
        task=str(header.get("task", "")),
        started=float(header.get("started") or 0),
        status=str(end.get("status")) if end else "incomplete",
        steps=sum(1 for x in lines if x.get("kind") == "step"),
        final_answer=end.get("final_answer") if end else None,
        error=end.get("error") if end else None,
    )


def list_runs(runs_dir: Path) -> list[RunInfo]:
    """All runs, newest first."""
    try:
        entries = [p for p in Path(runs_dir).iterdir() if p.is_dir()]
    except OSError:
        return []
    infos = [info for p in entries if (info := run_info(p)) is not None]
    return sorted(infos, key=lambda r: (r.started, r.run_id), reverse=True)


def find_run(runs_dir: Path, ref: str) -> Path | None:
    """A run by folder path, exact id, or unique id prefix."""
    path = Path(ref)
    if (path / TRAJECTORY).is_file():
        return path
    candidate = Path(runs_dir) / ref
    if (candidate / TRAJECTORY).is_file():
        return candidate
    matches = [r.path for r in list_runs(runs_dir) if r.run_id.startswith(ref)]
    return matches[0] if len(matches) == 1 else None


def ensure_report(run_dir: Path) -> Path:
    """The run's report, regenerated from the trajectory (e.g. after a kill left it a step behind)."""
    from agent_app.core.runs.report import render_report

    path = run_dir / REPORT
    tmp = run_dir / (REPORT + ".tmp")
    tmp.write_text(render_report(read_lines(run_dir)), encoding="utf-8")
    os.replace(tmp, path)
    return path


def delete_run(run_dir: Path) -> None:
    if not (run_dir / TRAJECTORY).is_file():
        raise ValueError(f"{run_dir} is not a run folder")
    shutil.rmtree(run_dir)
