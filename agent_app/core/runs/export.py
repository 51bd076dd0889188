"""Recorded runs → fine-tuning data in ms-swift's format: one JSONL sample per step, plus its images.

Each sample is the request of that step exactly as the model got it: the run folder is replayed through the same
`History` and family layout the loop used (the family's prompt, the recent screenshots, earlier replies, the
person's notes, a screenshot count a server lowered mid-run), with the step's own reply as the final assistant
turn, the training target. ms-swift's multimodal format puts an `<image>` tag in the text where each
image goes and lists the files, in the same order, in "images":

    {"messages": [{"role": "system", "content": "..."}, {"role": "user", "content": "...<image>"},
                  {"role": "assistant", "content": "Thought: ...\\nAction: ..."}],
     "images": ["images/<run>/step-001.png"]}

Two adaptations, both forced by ms-swift: it wants user and assistant turns strictly alternating, so consecutive
messages of one role are merged (joined with a newline); and an assistant prefill (Aguvis) is merged with the reply
that continued it. Replies get their special tokens back (`Family.history_text`), as the model produced them.
Image paths are relative to the output folder; ms-swift resolves relative paths against its working directory,
so run training from there.

`--format dpo` writes error-correction pairs instead, one per takeover in which the person acted, in ms-swift's
RLHF format (accepted by its DPO/KTO/ORPO trainers): the context of the model's last step before the takeover,
the person's actions written in the model's own action space as the chosen reply (the final assistant turn), and
the model's step as "rejected_response":

    {"messages": [..., {"role": "assistant", "content": "Thought: ...\nAction: click(start_box='(412,233)')"}],
     "rejected_response": "Thought: ...\nAction: click(start_box='(880,610)')", "images": [...]}
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent_app.core.errors import ConfigError
from agent_app.core.families.base import Context, Family
from agent_app.core.families.registry import DEFAULT_FAMILY, get_family
from agent_app.core.geometry import Monitor
from agent_app.core.history import History, user_note_text
from agent_app.core.runs.reading import DAMAGED, find_run, list_runs, read_run, run_info

FORMATS = ("ms-swift", "dpo")
STATUSES = ("finished", "any", "call_user", "max_steps", "stopped", "error", "incomplete", DAMAGED)
JSONL_NAME = "train.jsonl"
INFO_NAME = "export.json"
IMAGES_DIR = "images"
IMAGE_TAG = "<image>"


@dataclass
class Sample:
    """One training sample and the files its image paths (relative to the output folder) come from."""

    record: dict[str, Any]
    sources: dict[str, Path]


@dataclass
class ExportSummary:
    out_dir: Path
    jsonl: Path
    samples: int = 0
    images: int = 0
    failed_steps: int = 0  # refused by the person or failed to execute: context for later steps, never a target
    missing_images: int = 0
    runs: list[dict[str, Any]] = field(default_factory=list)
    max_image_pixels: int = 0

    def describe(self) -> str:
        families = sorted({r["model_family"] for r in self.runs})
        text = (
            f"exported {self.samples} sample(s) from {len(self.runs)} run(s) with {self.images} image(s) to "
            f"{self.out_dir} ({', '.join(families)}); train from that folder with MAX_PIXELS>={self.max_image_pixels}"
        )
        if self.failed_steps:
            text += f"; {self.failed_steps} refused or failed step(s) left out as targets"
        if self.missing_images:
            text += f"; {self.missing_images} step(s) left out (screenshot missing)"
        if after_damage := sum(r.get("after_damage", 0) for r in self.runs):
            text += f"; {after_damage} step(s) after a damaged line left out"
        for run in self.runs:
            if run.get("left_out"):
                text += f"; run {run['run_id']} left out: {run['left_out']}"
        return text


def to_ms_swift(family: Family, messages: list[dict[str, Any]], reply: str) -> dict[str, Any]:
    """An OpenAI-style request plus the reply that answered it → {"messages": [...], "images": [...]}."""
    out: list[dict[str, str]] = []
    images: list[str] = []
    for message in messages:
        parts = message["content"]
        chunks: list[str] = []
        for part in [{"type": "text", "text": parts}] if isinstance(parts, str) else parts:
            if part.get("type") == "image_url":
                chunks.append(IMAGE_TAG)
                images.append(part["image_url"]["url"])
            else:  # a literal "<image>" in the text would be read as an image slot
                chunks.append(str(part.get("text", "")).replace(IMAGE_TAG, "< image>"))
        text = "".join(chunks)
        if out and out[-1]["role"] == message["role"]:
            out[-1]["content"] += "\n" + text
        else:
            out.append({"role": message["role"], "content": text})
    target = family.history_text(reply).replace(IMAGE_TAG, "< image>")
    if out and out[-1]["role"] == "assistant":  # a prefill: the reply continued it
        out[-1]["content"] += target
    else:
        out.append({"role": "assistant", "content": target})
    return {"messages": out, "images": images}


def run_samples(run_dir: Path, image_dir: str, fmt: str = "ms-swift") -> tuple[list[Sample], dict[str, Any]]:
    """(samples, run facts) for one run folder; image paths start with `image_dir`.

    A step whose actions the person refused, that failed or that the person cut short (its line has "skipped",
    an "error" or "interrupted") stays in the context of later steps, as the model saw it, but is not a target:
    training on it would teach what went wrong."""
    log = read_run(run_dir)
    # A damaged run gives only what came before its first damage: after a lost line (or without the header's
    # task and settings) the requests can no longer be rebuilt as the model got them.
    lines = log.lines if log.intact is None else log.lines[: log.intact]
    after_damage = sum(1 for x in log.lines[len(lines):] if x.get("kind") == "step")
    if not lines or lines[0].get("kind") != "header":
        return [], _left_out(run_dir, {}, "unknown", f"the task and settings the model was given cannot be read "
                             f"({log.damage})")
    header = lines[0]
    settings = header.get("settings") or {}
    name = str(settings.get("model_family") or DEFAULT_FAMILY)
    try:
        family = get_family(name)
    except ValueError:
        return [], _left_out(run_dir, header, name, f"its model family {name!r} is not one this version knows")
    if getattr(family, "provider", None) is not None:
        return [], _left_out(run_dir, header, name, f"{family.label} is a closed model behind an API: its runs are "
                             "no training data for open models")
    samples: list[Sample] = []
    failed = missing = 0
    for messages, step, person in replay(lines, family, image_dir, corrections=fmt == "dpo"):
        if person is None and (step.get("error") or step.get("skipped") or step.get("interrupted")):
            failed += 1
            continue
        if person is None:
            record = to_ms_swift(family, messages, step["response"])
        else:  # a correction pair: what the person did (chosen) against the model's step (rejected)
            record = to_ms_swift(family, messages, person["response"])
            record["rejected_response"] = family.history_text(step["response"])
        sources = {path: run_dir / Path(path).name for path in record["images"]}
        if all(src.is_file() for src in sources.values()):
            samples.append(Sample(record, sources))
        else:
            missing += 1
    model_image = header.get("model_image") or [0, 0]
    facts = {
        "run_id": run_dir.name, "task": str(header.get("task", "")),
        "status": (info.status if (info := run_info(run_dir)) else "?"),
        "model_family": family.name, "samples": len(samples), "failed_steps": failed, "missing_images": missing,
        "image_pixels": int(model_image[0]) * int(model_image[1]),
    }
    if after_damage:
        facts["after_damage"] = after_damage
    return samples, facts


def _left_out(run_dir: Path, header: dict[str, Any], family: str, why: str) -> dict[str, Any]:
    return {"run_id": run_dir.name, "task": str(header.get("task", "")), "status": "left out", "model_family": family,
            "samples": 0, "failed_steps": 0, "missing_images": 0, "image_pixels": 0, "left_out": why}


Replayed = tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any] | None]


def replay(
    lines: list[dict[str, Any]], family: Family, image_dir: str, corrections: bool = False
) -> Iterator[Replayed]:
    """The run again, through the loop's own `History`: for each step (request messages, its line, None).

    With `corrections`, instead: one item per takeover the person acted in, pairing the request of the last step
    before it with the person's `person_actions` line."""
    header = next((x for x in lines if x.get("kind") == "header"), {})
    settings = header.get("settings") or {}
    size = header.get("model_image") or [0, 0]
    shown = next((x["monitor"] for x in lines if x.get("kind") == "step" and isinstance(x.get("monitor"), dict)), None)
    context = Context(str(header.get("task", "")), str(settings.get("language") or "en"), (int(size[0]), int(size[1])),
                      Monitor.from_json(shown) if shown else None)
    history = History.for_family(family, max(1, int(settings.get("history_images") or 5)))
    last: tuple[list[dict[str, Any]], dict[str, Any]] | None = None
    for line in lines:
        kind = line.get("kind")
        if kind == "note":
            text = line.get("text") or user_note_text(str(line.get("note") or ""), bool(line.get("intervened")))
            history.add_note(str(text))
        elif kind == "image_limit":
            history.lower_images(int(line.get("images") or 0))
        elif kind == "person_actions" and corrections and last is not None and isinstance(line.get("response"), str):
            yield (*last, line)
            last = None  # one pair per model step
        elif kind == "step":
            shot, reply = line.get("screenshot"), line.get("response")
            if not isinstance(shot, str) or not shot or Path(shot).name != shot or not isinstance(reply, str):
                continue
            url = f"{image_dir}/{shot}"
            messages = history.messages(family, context, url)
            if not corrections:
                yield messages, line, None
            last = (messages, line)
            answers = line.get("answers") if isinstance(line.get("answers"), dict) else None
            if answers and isinstance(answers.get("zoom"), dict):  # the crops, where the export puts the images
                answers = {**answers, "zoom": {k: f"{image_dir}/{v}" for k, v in answers["zoom"].items()}}
            history.add_step(reply, url, answers)


def resolve_runs(refs: list[str], runs_dir: Path) -> list[Path]:
    """Run folders for ids, id prefixes or paths; every run in `runs_dir` when none is given."""
    if not refs:
        return [info.path for info in reversed(list_runs(runs_dir))]  # oldest first
    found: list[Path] = []
    for ref in refs:
        path = find_run(runs_dir, ref)
        if path is None:
            raise ConfigError(f"no run {ref!r} in {runs_dir} (see `agent-app runs list`)")
        if path.resolve() not in {p.resolve() for p in found}:
            found.append(path)
    return found


def select_runs(run_dirs: list[Path], status: str = "finished", task_contains: str | None = None) -> list[Path]:
    """The runs that ended with `status` ("any": all) and whose task contains the text (case-insensitive)."""
    chosen = []
    for path in run_dirs:
        info = run_info(path)
        if info is None or (status != "any" and info.status != status):
            continue
        if task_contains and task_contains.casefold() not in info.task.casefold():
            continue
        chosen.append(path)
    return chosen


def export_runs(
    refs: list[str],
    runs_dir: Path,
    out_dir: Path | None = None,
    *,
    fmt: str = "ms-swift",
    status: str | None = None,
    task_contains: str | None = None,
) -> ExportSummary:
    """Export the chosen runs. Raises ConfigError (a usage error) when there is nothing to export.

    `status` defaults to finished runs for ms-swift, and to any run for dpo (takeovers happen in runs of
    every outcome)."""
    status = status or ("any" if fmt == "dpo" else "finished")
    if fmt not in FORMATS:
        raise ConfigError(f"unknown export format {fmt!r} (choose from {', '.join(FORMATS)})")
    if status not in STATUSES:
        raise ConfigError(f"unknown status {status!r} (choose from {', '.join(STATUSES)})")
    candidates = resolve_runs(refs, runs_dir)
    chosen = select_runs(candidates, status, task_contains)
    if not chosen:
        what = "" if status == "any" else f" {status}"
        match = f" with a task containing {task_contains!r}" if task_contains else ""
        raise ConfigError(
            f"nothing to export: no{what} run{match} among {len(candidates)} run(s) (try --status any)"
        )
    out_dir = out_dir or Path.cwd() / time.strftime("agent-app-export-%Y%m%d-%H%M%S")
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"{out_dir} exists and is not a folder")
    summary = ExportSummary(out_dir, out_dir / JSONL_NAME)
    samples: list[Sample] = []
    used: set[str] = set()
    for run_dir in chosen:
        name = _unique(run_dir.name, used)
        found, facts = run_samples(run_dir, f"{IMAGES_DIR}/{name}", fmt)
        samples += found
        summary.failed_steps += facts["failed_steps"]
        summary.missing_images += facts["missing_images"]
        summary.runs.append(facts)
        summary.max_image_pixels = max(summary.max_image_pixels, facts.pop("image_pixels"))
    if not samples:
        what = "takeovers with recorded actions" if fmt == "dpo" else "usable steps"
        why = "".join(f"; run {r['run_id']} left out: {r['left_out']}" for r in summary.runs if r.get("left_out"))
        raise ConfigError(f"nothing to export: the {len(chosen)} selected run(s) have no {what}{why}")
    _write(out_dir, samples, summary, fmt)
    return summary


def _unique(name: str, used: set[str]) -> str:
    candidate, n = name, 1
    while candidate in used:
        n += 1
        candidate = f"{name}-{n}"
    used.add(candidate)
    return candidate


def _write(out_dir: Path, samples: list[Sample], summary: ExportSummary, fmt: str) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        copied: set[str] = set()
        for sample in samples:
            for rel, src in sample.sources.items():
                if rel not in copied:
                    _place(src, out_dir / rel)
                    copied.add(rel)
        tmp = summary.jsonl.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            for sample in samples:
                f.write(json.dumps(sample.record, ensure_ascii=False) + "\n")
        os.replace(tmp, summary.jsonl)
        summary.samples, summary.images = len(samples), len(copied)
        info = {
            "format": fmt, "jsonl": JSONL_NAME, "samples": summary.samples, "images": summary.images,
            "max_image_pixels": summary.max_image_pixels, "exported": time.time(), "runs": summary.runs,
        }
        (out_dir / INFO_NAME).write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"cannot write the export to {out_dir}: {e.strerror or e}") from None


def _place(src: Path, dst: Path) -> None:
    """Hard-link the image when the file system allows (no extra space), else copy it."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists():
        if dst.samefile(src):
            return
        dst.unlink()
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
