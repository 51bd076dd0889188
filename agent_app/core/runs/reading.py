"""Reading run folders back: the run history, one run's lines, a report regenerated after a kill.

A run folder may be damaged (a line cut by a kill or a full disk, bytes that are not UTF-8, a line of the wrong
shape, no header, no trajectory.jsonl at all). Reading never fails on it: the lines that pass their check are
returned, the others are left out and named in `RunLog.problems`, and the run is listed as "damaged" with the
first problem as the reason. Every line `read_lines` returns has the types its kind promises (`LINE_TYPES`).
"""

from __future__ import annotations

import json
import math
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent_app.core.errors import ConfigError, RecordingError
from agent_app.core.files import replace_file
from agent_app.core.runs.recorder import REPORT, TRAJECTORY
from agent_app.core.settings.config import RunConfig
from agent_app.core.typecheck import describe, field_types, fits, json_kind

DAMAGED = "damaged"
Pair = tuple[int, int]
ACTION = {"type": str, "x": float | None, "y": float | None, "x2": float | None, "y2": float | None,
          "keys": list[str], "text": str | None, "direction": str | None, "content": str | None,
          "amount": int | None, "seconds": float | None, "hold": float | None, "name": str | None,
          "confirm": str | None}
MONITOR = {"left": int, "top": int, "width": int, "height": int}
# What each kind of line holds. A type that admits None may also be absent; unknown keys and kinds pass.
LINE_TYPES: dict[str, dict[str, Any]] = {
    "header": {"task": str, "started": float, "version": str | None, "settings": dict[str, Any] | None,
               "model_image": Pair | None},
    "step": {"step": int, "screenshot": str, "response": str, "thought": str | None,
             "actions": list[dict[str, Any]], "image_size": Pair | None, "monitor": dict[str, int] | None,
             "timings_ms": dict[str, float] | None, "usage": dict[str, int] | None, "error": str | None,
             "time": float | None, "skipped": bool | None, "interrupted": str | None,
             "answers": dict[str, Any] | None},
    "note": {"note": str | None, "text": str | None, "intervened": bool | None, "declined": bool | None,
             "after_step": int | None, "time": float | None},
    "format_error": {"error": str | None, "response": str | None, "time": float | None},
    "takeover": {"after_step": int | None, "time": float | None},
    "image_limit": {"images": int, "before_step": int | None, "time": float | None},
    "person_actions": {"actions": list[dict[str, Any]], "response": str | None, "screenshot": str | None,
                       "image_size": Pair | None, "monitor": dict[str, int] | None, "after_step": int | None,
                       "time": float | None},
    "end": {"status": str, "steps": int | None, "final_answer": str | None, "error": str | None,
            "time": float | None},
}


def _fields_problem(obj: dict[str, Any], types: dict[str, Any], optional: tuple[str, ...] = ()) -> str | None:
    """The first field of `obj` that does not fit `types`; a field may be absent if it is `optional` or its type
    admits None."""
    for key, hint in types.items():
        if key not in obj:
            if key not in optional and not fits(None, hint):
                return f"no {key!r}"
        elif not fits(obj[key], hint):
            return f"{key!r} is not {describe(hint)}"
    return None


def _holds_huge_int(value: Any) -> bool:
    """Does `value` hold a whole number beyond 64 bits? The viewer hands each line to Qt, which cannot carry one:
    a step numbered 1e30 broke the replay's step list and detail pane."""
    todo = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, int) and not -(2**63) <= item < 2**63:
            return True
        if isinstance(item, dict):
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)
    return False


def line_problem(line: dict[str, Any]) -> str | None:
    """Why a trajectory line cannot be used, in words; None when it can."""
    kind = line.get("kind")
    if not isinstance(kind, str):
        return "no 'kind'"
    if _holds_huge_int(line):
        return "a whole number beyond 64 bits"
    types = LINE_TYPES.get(kind)
    if types is None:
        return None
    if problem := _fields_problem(line, types):
        return problem
    for action in line.get("actions") or []:
        if problem := _fields_problem(action, ACTION, optional=tuple(ACTION)[1:]):  # all but "type"
            return f"an action: {problem}"
    for key in ("image_size", "model_image"):
        if line.get(key) is not None and min(line[key]) < 1:
            return f"{key!r} is not a size"
    monitor = line.get("monitor")
    if monitor is not None and (_fields_problem(monitor, MONITOR) or min(monitor["width"], monitor["height"]) < 1):
        return "'monitor' is not a monitor rectangle"
    name = line.get("screenshot")  # a plain file name in the run folder, never a path elsewhere
    if isinstance(name, str) and (not name or Path(name).name != name or name in (".", "..")):
        return "'screenshot' is not a file name in the run folder"
    if kind == "header" and not _is_time(line["started"]):
        return "'started' is not a time"
    if kind == "header" and isinstance(line.get("settings"), dict):
        hints = field_types(RunConfig)
        for key, value in line["settings"].items():
            if key in hints and not fits(value, hints[key]):
                return f"setting {key!r} is not {describe(hints[key])}"
    return None


def _is_time(seconds: float) -> bool:
    """Can `seconds` since the epoch be shown as a local date (what listings do with a run's start)?"""
    import datetime as dt

    try:
        dt.datetime.fromtimestamp(seconds)
    except (ValueError, OverflowError, OSError):
        return False
    return seconds >= 0


@dataclass
class RunLog:
    """What a run folder's trajectory holds: its usable lines, in order, and what is damaged."""

    lines: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # How many of `lines` came before the first damage (None: no damage). Those are exactly what the run wrote;
    # after a line that was lost, a replay no longer knows what the model was sent.
    intact: int | None = None

    def problem(self, text: str) -> None:
        if self.intact is None:
            self.intact = len(self.lines)
        self.problems.append(text)

    @property
    def damage(self) -> str | None:
        """The first problem, and how many more: the one-line reason a run is listed as damaged."""
        if not self.problems:
            return None
        more = len(self.problems) - 1
        return self.problems[0] + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")


def read_run(run_dir: Path) -> RunLog:
    """Every usable line of the run's trajectory, and what is wrong with the rest. Never raises."""
    log = RunLog()
    try:
        data = (Path(run_dir) / TRAJECTORY).read_bytes()
    except FileNotFoundError:
        log.problem(f"no {TRAJECTORY}")
        return log
    except OSError as e:
        log.problem(f"cannot read {TRAJECTORY} ({e.strerror or e})")
        return log
    if not data.strip():
        log.problem(f"{TRAJECTORY} is empty")
        return log
    raws = data.split(b"\n")
    header_damaged = False
    for number, raw in enumerate(raws, 1):
        if not raw.strip():
            continue
        cut = number == len(raws)  # the last line has no newline: the write was cut short (a kill, a full disk)
        try:
            obj = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as e:
            log.problem(f"line {number} is cut off" if cut else f"line {number} is not UTF-8 (byte {e.start})")
            continue
        except (ValueError, RecursionError):
            log.problem(f"line {number} is cut off" if cut else f"line {number} is not valid JSON")
            continue
        if not isinstance(obj, dict):
            log.problem(f"line {number} is {json_kind(obj)}, not an object")
            continue
        if problem := line_problem(obj):
            kind = obj.get("kind")
            header_damaged |= kind == "header"
            what = f"{kind} line" if isinstance(kind, str) and kind in LINE_TYPES else "line"
            log.problem(f"line {number} ({what}): {problem}")
            continue
        log.lines.append(obj)
    if (not log.lines or log.lines[0].get("kind") != "header") and not header_damaged:
        log.problem("no header line (the task and settings)")
        log.intact = 0
    return log


def read_lines(run_dir: Path) -> list[dict[str, Any]]:
    """Every usable line, in order (see `read_run` for what is left out and why)."""
    return read_run(run_dir).lines


@dataclass
class RunInfo:
    run_id: str
    path: Path
    task: str  # "" when no header could be read
    started: float  # 0 when unknown
    status: str  # the end line's status; "incomplete" when the run wrote none (killed); "damaged" (see `damage`)
    steps: int
    final_answer: str | None
    error: str | None
    damage: str | None = None  # why the run is listed as damaged
    readable_lines: int = 0  # trajectory lines that could be used (0: nothing to replay or report)

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "run_dir": str(self.path), "task": self.task, "started": self.started,
            "status": self.status, "steps": self.steps, "final_answer": self.final_answer, "error": self.error,
            "damage": self.damage,
        }


def run_info(run_dir: Path, log: RunLog | None = None) -> RunInfo:
    """The run's summary for listings; a damaged run is summed up from what can still be read."""
    log = log or read_run(run_dir)
    header = log.lines[0] if log.lines and log.lines[0].get("kind") == "header" else {}
    end = next((x for x in reversed(log.lines) if x.get("kind") == "end"), None)
    started = header.get("started", 0.0)
    return RunInfo(
        run_id=Path(run_dir).name,
        path=Path(run_dir),
        task=header.get("task", ""),
        started=float(started) if math.isfinite(started) else 0.0,
        status=DAMAGED if log.problems else end["status"] if end else "incomplete",
        steps=sum(1 for x in log.lines if x.get("kind") == "step"),
        final_answer=end.get("final_answer") if end else None,
        error=end.get("error") if end else None,
        damage=log.damage,
        readable_lines=len(log.lines),
    )


def _run_dirs(runs_dir: Path) -> list[Path]:
    try:
        return [p for p in Path(runs_dir).iterdir() if p.is_dir() and not p.name.startswith(".")]
    except OSError:
        return []


def list_runs(runs_dir: Path) -> list[RunInfo]:
    """All runs, damaged ones included, newest first (a run with no readable start time sorts by its id)."""
    infos = [run_info(p) for p in _run_dirs(runs_dir)]
    return sorted(infos, key=lambda r: (r.started or _started_from_id(r.run_id), r.run_id), reverse=True)


def _started_from_id(run_id: str) -> float:
    """A run id starts with its local start time (YYYYmmdd-HHMMSS): the order of runs whose header is lost."""
    import time

    match = re.match(r"(\d{8}-\d{6})", run_id)
    if not match:
        return 0.0
    try:
        return time.mktime(time.strptime(match.group(1), "%Y%m%d-%H%M%S"))
    except (ValueError, OverflowError):
        return 0.0


def find_run(runs_dir: Path, ref: str) -> Path | None:
    """A run by folder path, exact id, or unique id prefix. None when nothing matches; ConfigError (listing the
    matches) when a prefix fits several runs."""
    path = Path(ref)
    if (path / TRAJECTORY).is_file():
        return path
    if ref and Path(ref).name == ref and (Path(runs_dir) / ref).is_dir():
        return Path(runs_dir) / ref
    matches = sorted(p for p in _run_dirs(runs_dir) if ref and p.name.startswith(ref))
    if len(matches) > 1:
        names = ", ".join(p.name for p in matches[:5]) + (f" and {len(matches) - 5} more" if len(matches) > 5 else "")
        raise ConfigError(f"{ref!r} matches {len(matches)} runs ({names}); give more of the run id")
    return matches[0] if matches else None


def ensure_report(run_dir: Path) -> Path:
    """The run's report, regenerated from the trajectory (e.g. after a kill left it a step behind). Raises
    RecordingError when it cannot be written; no temporary file stays behind."""
    from agent_app.core.runs.report import render_report

    path = run_dir / REPORT
    try:
        replace_file(path, render_report(read_lines(run_dir)))
    except OSError as e:
        raise RecordingError(f"cannot write the report in {run_dir} ({e.strerror or e})") from None
    return path


# What agent-app writes into a run folder: a folder holding nothing else may be deleted even when its
# trajectory is gone (a damaged run).
_OWN_FILES = re.compile(r"(trajectory\.jsonl|report\.html|(step|takeover)-\d+\.png)(\.tmp)?")


def delete_run(run_dir: Path) -> None:
    if not (run_dir / TRAJECTORY).is_file() and not all(_OWN_FILES.fullmatch(p.name) for p in run_dir.iterdir()):
        raise ValueError(f"{run_dir} is not a run folder")
    shutil.rmtree(run_dir)
