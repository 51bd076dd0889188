"""Icons shipped in assets/ (installed as the agent_app.assets package data)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from PySide6.QtGui import QIcon


def asset_path(name: str) -> Path:
    return Path(str(resources.files("agent_app.assets").joinpath(name)))


@cache
def icon(name: str = "agent-app") -> QIcon:
    """`agent-app` (the app) or a tray state: `tray-running`, `tray-paused`, `tray-attention`, `tray-error`."""
    return QIcon(str(asset_path(f"{name}.svg")))
