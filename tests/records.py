"""Run folders for tests, written by the real Recorder, and real file systems that fail: a small tmpfs that
fills up (ENOSPC), a file-size limit on a running process (EFBIG), a read-only folder."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import resource
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from agent_app.core.actions import Action
from agent_app.core.geometry import Monitor
from agent_app.core.runs.recorder import Recorder, StepRecord


def png(width: int = 64, height: int = 36) -> bytes:
    out = io.BytesIO()
    Image.linear_gradient("L").resize((width, height)).convert("RGB").save(out, "PNG")
    return out.getvalue()


@dataclass
class Picture:
    """What the recorder needs of a screenshot: its PNG."""

    png: bytes


def make_run(runs_dir: Path, task: str, steps: int = 2, status: str | None = "finished",
             answer: str | None = "done") -> Path:
    """A run folder as a real run leaves it: header, `steps` click steps, and an end line (none: killed)."""
    rec = Recorder(runs_dir, task, {"settings": {"model_family": "uitars-1.5", "history_images": 5,
                                                 "language": "en", "model": "scripted"}, "model_image": [64, 36]})
    for n in range(1, steps + 1):
        name = rec.screenshot_name(n)
        rec.step(StepRecord(n, name, (64, 36), Monitor(0, 0, 1920, 1080),
                            f"Thought: step {n}\nAction: click(start_box='(10,{n})')", f"step {n}",
                            [Action("click", x=10 * n, y=20)], {"model": 5.0}, {"prompt_tokens": 9,
                                                                                 "completion_tokens": 3}, 0.0),
                 Picture(png()))
    if status is not None:
        rec.append({"kind": "end", "time": 1.0, "status": status, "steps": steps, "run_dir": str(rec.run_dir),
                    "final_answer": answer if status == "finished" else None,
                    "error": None if status == "finished" else "it ended"})
    rec.close()
    return rec.run_dir


def can_mount() -> bool:
    return os.geteuid() == 0


@contextlib.contextmanager
def mounted_tmpfs(path: Path, options: str) -> Iterator[Path]:
    """A tmpfs at `path` for the duration (needs root); unmounted afterwards even if the test fails."""
    path.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"mount refused: {proc.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def fill_disk(directory: Path, leave: int = 4096) -> Path:
    """Fill the file system holding `directory` to the last page, then give back about `leave` bytes
    (rounded to whole pages): writes beyond that fail with ENOSPC."""
    filler = directory / "filler.bin"
    chunk = b"\0" * 65536
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        for size in (65536, 4096, 1):
            while True:
                try:
                    os.write(fd, chunk[:size])
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
        total = os.fstat(fd).st_size
        os.ftruncate(fd, max(0, (total - leave) // 4096 * 4096))
    finally:
        os.close(fd)
    return filler


def limit_file_size(pid: int, limit: int) -> None:
    """From now on, process `pid` cannot grow any file past `limit` bytes: such writes fail with EFBIG (Python
    ignores SIGXFSZ, which would otherwise kill it)."""
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (limit, limit))
