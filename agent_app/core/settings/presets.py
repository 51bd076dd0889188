"""Saved tasks ("presets"): a name, the task, optional model overrides, a step budget and a global hotkey.

Stored as readable JSON in the config folder; the same format is used to import and export them. The saved
file never stops the app: an entry that fails its check is skipped with a warning, the others load.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import MISSING, asdict, dataclass
from pathlib import Path
from typing import Any

from agent_app.core.errors import ConfigError
from agent_app.core.files import replace_file
from agent_app.core.settings.config import checked_fields, config_dir, read_json_file
from agent_app.core.typecheck import json_kind

log = logging.getLogger(__name__)

FORMAT = "agent-app presets"


@dataclass
class Preset:
    name: str
    task: str
    max_steps: int | None = None
    base_url: str = ""  # empty: the app's settings
    model: str = ""
    model_family: str = ""
    hotkey: str = ""  # pynput syntax, e.g. "<ctrl>+<alt>+1"

    def overrides(self) -> dict[str, Any]:
        """RunConfig fields this preset sets (None/empty: keep the settings' value)."""
        return {k: v for k, v in (("max_steps", self.max_steps), ("base_url", self.base_url), ("model", self.model),
                                  ("model_family", self.model_family)) if v}


def presets_path() -> Path:
    return config_dir() / "presets.json"


def parse_presets(data: Any, source: str) -> tuple[list[Preset], list[str]]:
    """(presets, warnings) from a presets file's JSON value. Raises ConfigError when it is not a presets file
    at all; a bad entry is skipped with one warning."""
    items = data.get("presets") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ConfigError(f"{source} holds {json_kind(data)}, not agent-app saved tasks (a list of presets)")
    out: list[Preset] = []
    problems: list[str] = []
    for i, item in enumerate(items, 1):
        what = f"{source}: saved task {i}"
        if not isinstance(item, dict):
            problems.append(f"{what} is {json_kind(item)}, not an object; skipped")
            continue
        if isinstance(item.get("name"), str) and item["name"].strip():
            what += f" ({item['name'][:40]!r})"
        values, bad = checked_fields(Preset, item, what, fallback=False)
        if bad:
            problems.append(f"{bad[0]}; skipped")
        elif not values.get("name", "").strip() or not values.get("task", "").strip():
            problems.append(f"{what} needs a name and a task; skipped")
        else:
            out.append(Preset(**values))
    return out, problems


def read_presets(path: Path) -> tuple[list[Preset], list[str]]:
    """(presets, warnings) from a file to import. Raises ConfigError when it cannot be read as a presets file."""
    data, problem = read_json_file(path)
    if data is MISSING:
        raise ConfigError(f"{path} does not exist")
    if problem:
        raise ConfigError(f"{problem}; fix or delete it")
    presets, problems = parse_presets(data, str(path))
    for p in problems:
        log.warning("%s", p)
    return presets, problems


def load_presets_checked() -> tuple[list[Preset], list[str]]:
    """(the saved tasks, warnings). Never fails: an unusable file gives no saved tasks and one warning."""
    path = presets_path()
    if not path.exists():
        return [], []
    try:
        return read_presets(path)
    except ConfigError as e:
        message = f"{e}; no saved tasks loaded (the file is kept as {path.name}.broken when you save one)"
        log.warning("%s", message)
        return [], [message]


def load_presets(path: Path | None = None) -> list[Preset]:
    """The saved tasks (warnings go to the log), or the presets in a file to import (raises ConfigError when it
    is not a presets file)."""
    return read_presets(path)[0] if path is not None else load_presets_checked()[0]


def save_presets(presets: list[Preset], path: Path | None = None) -> None:
    """Write the presets; a saved file that could not be read is kept aside as `presets.json.broken`."""
    path = path or presets_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    if path == presets_path() and path.exists():
        try:
            read_presets(path)
        except ConfigError:
            os.replace(path, path.with_name(path.name + ".broken"))
    replace_file(path, json.dumps({"format": FORMAT, "presets": [asdict(p) for p in presets]}, indent=2,
                                  ensure_ascii=False) + "\n")


def merge(existing: list[Preset], incoming: list[Preset]) -> list[Preset]:
    """Imported presets replace same-named ones and are added otherwise."""
    by_name = {p.name: p for p in existing}
    for p in incoming:
        by_name[p.name] = p
    return list(by_name.values())


def find_preset(name: str, presets: list[Preset] | None = None) -> Preset:
    presets = load_presets() if presets is None else presets
    for p in presets:
        if p.name == name:
            return p
    matches = [p for p in presets if p.name.lower() == name.lower()]
    if len(matches) == 1:
        return matches[0]
    names = ", ".join(p.name for p in presets) or "none saved yet"
    raise ConfigError(f"no saved task named {name!r} (saved: {names})")
