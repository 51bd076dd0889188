"""Settings: what a run needs (`RunConfig`) and what the app remembers between runs (`Settings`).

The API key is never a field of `Settings` and never leaves `RunConfig` through `public()`; it lives in the
OS keychain (see `keystore.py`) or in the environment.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from agent_app.core.families.registry import DEFAULT_FAMILY

APP_NAME = "agent-app"
# Global hotkeys (pynput syntax). Presets add their own.
DEFAULT_HOTKEYS = {"pause": "<ctrl>+<alt>+p", "stop": "<ctrl>+<alt>+x", "show": "<ctrl>+<alt>+a"}


def config_dir() -> Path:
    """The platform's config location (XDG on Linux, Application Support on macOS, AppData on Windows)."""
    override = os.environ.get("AGENT_APP_CONFIG_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    override = os.environ.get("AGENT_APP_DATA_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_runs_dir() -> Path:
    return data_dir() / "runs"


@dataclass
class Settings:
    """The persistent profile edited in the app's Settings dialog (a JSON file in `config_dir()`)."""

    provider: str = "local-vllm"
    base_url: str = ""
    model: str = ""
    model_family: str = DEFAULT_FAMILY
    language: str = "en"
    max_steps: int = 25
    history_images: int = 5
    wait_seconds: float = 5.0
    timeout: float = 120.0
    max_pixels: int | None = None  # None: the family's own budget; lower = "economy"
    monitor: int = 1
    stream: bool = True
    runs_dir: str = ""
    confirm: str = "never"
    freshness: str = "watch"  # see RunConfig.freshness
    takeover_threshold_px: int = 12
    hotkeys: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_HOTKEYS))

    @classmethod
    def path(cls) -> Path:
        return config_dir() / "settings.json"

    @classmethod
    def load(cls) -> Settings:
        """Saved settings; defaults for a missing or unreadable file, unknown keys ignored."""
        try:
            data = json.loads(cls.path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        known = {f.name for f in fields(cls)}
        try:
            return cls(**{k: v for k, v in data.items() if k in known})
        except TypeError:
            return cls()

    def save(self) -> None:
        path = self.path()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        os.replace(tmp, path)

    @property
    def configured(self) -> bool:
        return bool(self.base_url)


@dataclass
class RunConfig:
    """Everything one run needs. Built from Settings, then the environment, then command-line options."""

    task: str
    base_url: str = ""
    model: str = ""
    api_key: str | None = field(default=None, repr=False)
    model_family: str = DEFAULT_FAMILY
    language: str = "en"
    max_steps: int = 25
    history_images: int = 5
    wait_seconds: float = 5.0
    timeout: float = 120.0
    retries: int = 3
    format_retries: int = 2
    format_retry_temperature: float = 1.0
    max_pixels: int | None = None
    monitor: int = 1
    stream: bool = True
    stuck_repeats: int = 5
    settle_max_s: float = 1.0
    call_user_pauses: bool = False  # headless: call_user ends the run; the app and --interactive hand over
    confirm: str = "never"  # "never" | "risky" | "always": ask the person before acting
    freshness: str = "watch"  # "watch": re-ask when the screen changes while the model thinks; "settle": wait first
    runs_dir: str = ""

    @classmethod
    def from_settings(cls, task: str, settings: Settings, **overrides: Any) -> RunConfig:
        shared = {f.name for f in fields(cls)} & {f.name for f in fields(Settings)}
        base = cls(task=task, **{name: getattr(settings, name) for name in shared})
        return replace(base, **{k: v for k, v in overrides.items() if v is not None})

    def public(self) -> dict[str, Any]:
        """The settings as recorded in a run's header: everything but the key."""
        data = asdict(self)
        data.pop("api_key", None)
        data.pop("task", None)
        data["api_key_set"] = bool(self.api_key)
        return data
