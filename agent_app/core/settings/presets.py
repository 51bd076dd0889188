"""Saved tasks ("presets"): a name, the task, optional model overrides, a step budget and a global hotkey.

Stored as readable JSON in the config folder; the same format is used to import and export them.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from agent_app.core.errors import ConfigError
from agent_app.core.settings.config import config_dir

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


def _parse(data: Any, source: str) -> list[Preset]:
    items = data.get("presets") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ConfigError(f"{source} is not an agent-app presets file (expected a list of presets)")
    known = {f.name for f in fields(Preset)}
    out: list[Preset] = []
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict) or not str(item.get("name", "")).strip() or not str(item.get("task", "")).strip():
            raise ConfigError(f"preset {i} in {source} needs a name and a task")
        out.append(Preset(**{k: v for k, v in item.items() if k in known}))
    return out


def load_presets(path: Path | None = None) -> list[Preset]:
    path = path or presets_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as e:
        raise ConfigError(f"cannot read {path}: {e}") from None
    try:
        return _parse(json.loads(text), str(path))
    except ValueError as e:
        raise ConfigError(f"{path} is not valid JSON ({e}); fix or delete it") from None


def save_presets(presets: list[Preset], path: Path | None = None) -> None:
    path = path or presets_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"format": FORMAT, "presets": [asdict(p) for p in presets]}, indent=2,
                              ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


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
