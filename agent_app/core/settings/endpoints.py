"""What agent-app has learned about endpoints, remembered between runs (a small JSON file in the data folder).

Today one fact: the endpoint refused a WebP screenshot, so it gets PNG from then on. A damaged or missing file
means nothing is known yet; it is rewritten whole.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from agent_app.core.settings.config import data_dir

log = logging.getLogger(__name__)


def _path() -> Path:
    return data_dir() / "endpoints.json"


def _load() -> dict[str, dict[str, object]]:
    try:
        data = json.loads(_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, dict)}


def _key(base_url: str) -> str:
    return base_url.strip().rstrip("/")


def refuses_webp(base_url: str) -> bool:
    return _load().get(_key(base_url), {}).get("refuses_webp") is True


def remember_refuses_webp(base_url: str) -> None:
    data = _load()
    data.setdefault(_key(base_url), {})["refuses_webp"] = True
    path = _path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:  # remembering is a nicety: the run goes on with PNG either way
        log.warning("cannot remember that %s refuses WebP: %s", base_url, e)
