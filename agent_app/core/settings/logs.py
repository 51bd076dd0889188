"""The app's log: a small rotating file in the data folder, never the terminal (the person gets one-line
messages; tracebacks go here for whoever debugs). Nothing logged carries the API key: the handler redacts
every record — message, traceback and stack — on its way out (`redact.RedactingFilter`)."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from agent_app.core.redact import RedactingFilter
from agent_app.core.settings.config import data_dir


def log_path() -> Path:
    return data_dir() / "logs" / "agent-app.log"


def setup_logging() -> Path | None:
    """Send warnings and errors of every module to the log file. Returns its path (None if not writable)."""
    root = logging.getLogger()
    if any(getattr(h, "agent_app", False) for h in root.handlers):
        return log_path()
    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    except OSError:
        handler = None
    target: logging.Handler = handler or logging.NullHandler()
    target.agent_app = True  # type: ignore[attr-defined]
    target.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    target.addFilter(RedactingFilter())
    root.addHandler(target)
    root.setLevel(logging.INFO)
    return path if handler else None
