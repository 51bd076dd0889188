"""Settings: what a run needs (`RunConfig`) and what the app remembers between runs (`Settings`).

The API key is never a field of `Settings` and never leaves `RunConfig` through `public()`; it lives in the
OS keychain (see `keystore.py`) or in the environment.

Every value has one check: its field's type (from the dataclass annotations) and its `RULES` entry (range or
choices). A saved file that fails it never stops the app: each bad field falls back to its default with one
warning that names the file and the field. A run's final configuration that fails it is a usage error.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from agent_app.core.costs import PRICE_KEY
from agent_app.core.families.registry import AUTO, CHOICES, DEFAULT_FAMILY, FAMILIES
from agent_app.core.files import replace_file
from agent_app.core.redact import redact
from agent_app.core.settings.providers import price_for
from agent_app.core.typecheck import describe, field_types, fits, json_kind, shown

log = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class Rule:
    """What a field's value must be beyond its type."""

    minimum: float | None = None  # at least this
    above: float | None = None  # strictly more than this
    maximum: float | None = None  # at most this
    choices: tuple[str, ...] = ()


# The largest count a field holds: the app's number boxes are 32-bit (a bigger one stops the Settings dialog).
MAX_COUNT = 2**31 - 1
# The longest wait in seconds: a day. Far beyond it, the clocks that bound a request or a sleep overflow
# (a 1e10 s timeout failed every model call with "timestamp out of range for platform time_t").
MAX_SECONDS = 86400.0

RULES: dict[str, Rule] = {
    "max_steps": Rule(minimum=1, maximum=MAX_COUNT), "history_images": Rule(minimum=1, maximum=MAX_COUNT),
    "monitor": Rule(minimum=1, maximum=MAX_COUNT), "timeout": Rule(above=0, maximum=MAX_SECONDS),
    "wait_seconds": Rule(above=0, maximum=MAX_SECONDS), "retries": Rule(minimum=0, maximum=MAX_COUNT),
    "format_retries": Rule(minimum=0, maximum=MAX_COUNT), "format_retry_temperature": Rule(minimum=0),
    "stuck_repeats": Rule(minimum=2, maximum=MAX_COUNT), "settle_max_s": Rule(minimum=0, maximum=MAX_SECONDS),
    "takeover_threshold_px": Rule(minimum=1, maximum=MAX_COUNT), "max_pixels": Rule(minimum=1),
    "language": Rule(choices=("en", "zh")), "confirm": Rule(choices=("never", "risky", "always")),
    "freshness": Rule(choices=("auto", "watch", "settle")),
    "model_family": Rule(choices=CHOICES), "model_family_chosen": Rule(choices=("", AUTO)),
}


def field_problem(name: str, value: Any, hint: Any, family: str = DEFAULT_FAMILY) -> str | None:
    """Why `value` cannot be field `name` (of type `hint`), in words; None when it can. `family` is the model
    family the value goes with (the smallest screenshot a family takes bounds max_pixels)."""
    if not fits(value, hint):
        return f"must be {describe(hint)}"
    rule = RULES.get(name)
    if rule is None or value is None:
        return None
    if rule.choices and value not in rule.choices:
        return "must be one of " + ", ".join(rule.choices)
    if rule.minimum is not None and value < rule.minimum:
        return f"must be at least {rule.minimum:g}"
    if rule.above is not None and not value > rule.above:
        return f"must be more than {rule.above:g}"
    if rule.maximum is not None and value > rule.maximum:
        return f"must be at most {rule.maximum:.15g}"
    if name == "max_pixels" and family in FAMILIES and value < getattr(FAMILIES[family], "min_pixels", 1):
        fam = FAMILIES[family]
        return f"must be at least {fam.min_pixels} (the smallest screenshot {fam.label} takes)"
    return None


def base_url_problem(url: str) -> str | None:
    """Why `url` cannot be an endpoint's base URL, in words; None when it can."""
    if not url.startswith(("http://", "https://")):
        return f"the base URL must start with http:// or https:// (got {url!r})"
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it checks it
    except ValueError as e:
        return f"the base URL {url!r} is not a valid URL ({e}); it looks like http://HOST:PORT/v1"
    if not parts.hostname:
        return f"the base URL {url!r} names no host; it looks like http://HOST:PORT/v1"
    return None


def checked_fields(cls: type, data: dict[str, Any], source: str, fallback: bool = True,
                   ) -> tuple[dict[str, Any], list[str]]:
    """The fields of dataclass `cls` that `data` (read from `source`) holds and that pass their check, and one
    warning per field that does not (saying which default replaces it, with `fallback`). A field's default
    always passes (an empty override means "not set")."""
    hints = field_types(cls)
    values: dict[str, Any] = {}
    problems: list[str] = []
    for f in fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        default = _default(f)
        family = values.get("model_family") or DEFAULT_FAMILY  # checked before max_pixels (field order)
        problem = None if value == default and type(value) is type(default) else field_problem(
            f.name, value, hints[f.name], family)
        if problem is None:
            values[f.name] = float(value) if hints[f.name] is float else value
        else:
            using = f"; using {shown(default)}" if fallback and default is not MISSING else ""
            problems.append(f"{source}: {f.name} {problem}, not {shown(value)}{using}")
    return values, problems


def _default(f: Any) -> Any:
    if f.default is not MISSING:
        return f.default
    return f.default_factory() if f.default_factory is not MISSING else MISSING


def read_json_file(path: Path) -> tuple[Any, str | None]:
    """(the JSON value in `path`, None), or (None, why it cannot be read); a missing file is (MISSING, None)."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark (Windows editors) is fine
    except FileNotFoundError:
        return MISSING, None
    except (OSError, UnicodeDecodeError) as e:
        return None, f"cannot read {path} ({getattr(e, 'strerror', None) or e})"
    try:
        return json.loads(text), None
    except (ValueError, RecursionError) as e:
        return None, f"{path} is not valid JSON ({str(e)[:80]})"


@dataclass
class Settings:
    """The persistent profile edited in the app's Settings dialog (a JSON file in `config_dir()`)."""

    provider: str = "local-vllm"
    base_url: str = ""
    model: str = ""
    model_family: str = AUTO  # a new profile: the family the model name says (see `load_for_command_line`)
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
    freshness: str = "auto"  # see RunConfig.freshness
    takeover_threshold_px: int = 12
    hotkeys: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_HOTKEYS))

    @classmethod
    def path(cls) -> Path:
        return config_dir() / "settings.json"

    @classmethod
    def load(cls) -> Settings:
        """Saved settings (see `load_checked`); the warnings go to the log only."""
        return cls.load_checked()[0]

    @classmethod
    def load_checked(cls) -> tuple[Settings, list[str]]:
        """(saved settings, warnings). Never fails: a missing file gives the defaults silently; an unreadable
        one, or one that is not a JSON object, the defaults and one warning; each bad field its default and one
        warning naming the file and the field. Unknown keys are ignored. Every warning is logged."""
        path = cls.path()
        data, problem = read_json_file(path)
        values: dict[str, Any] = {}
        problems = [f"{problem}; using the default settings"] if problem else []
        if isinstance(data, dict):
            values, problems = checked_fields(cls, data, str(path))
        elif data is not MISSING and problem is None:
            problems = [f"{path} holds {json_kind(data)}, not settings (a JSON object); using the default settings"]
        for p in problems:
            log.warning("%s", p)
        return cls(**values), problems

    @classmethod
    def load_for_command_line(cls) -> tuple[Settings, list[str]]:
        """`load_checked` for `agent-app run`: unless the saved profile names a family (the app's new profiles say
        auto), the command line's own default family, the CLI contract's uitars-1.5."""
        settings, problems = cls.load_checked()
        data, _ = read_json_file(cls.path())
        if not (isinstance(data, dict) and "model_family" in data):
            settings.model_family = DEFAULT_FAMILY
        return settings, problems

    def save(self) -> None:
        path = self.path()
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_file(path, json.dumps(asdict(self), indent=2))

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
    model_family: str = DEFAULT_FAMILY  # "auto" until the runner has chosen from the model name
    model_family_chosen: str = ""  # "auto" when the family was chosen from the model name
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
    # "watch": re-ask when the screen changes while the model thinks; "settle": wait for a still screen first;
    # "auto": watch for open models, settle for paid APIs (a dropped request is billed)
    freshness: str = "auto"
    runs_dir: str = ""

    @classmethod
    def from_settings(cls, task: str, settings: Settings, **overrides: Any) -> RunConfig:
        shared = {f.name for f in fields(cls)} & {f.name for f in fields(Settings)}
        base = cls(task=task, **{name: getattr(settings, name) for name in shared})
        return replace(base, **{k: v for k, v in overrides.items() if v is not None})

    def problem(self) -> str | None:
        """The first option that fails its check, worded for the command line; None when all pass."""
        hints = field_types(RunConfig)
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name != "api_key" and (problem := field_problem(f.name, value, hints[f.name], self.model_family)):
                return f"--{f.name.replace('_', '-')} {problem}, not {shown(value)}"
        return None

    def public(self) -> dict[str, Any]:
        """The settings as recorded in a run's header: everything but the key."""
        data = asdict(self)
        data.pop("api_key", None)
        data.pop("task", None)
        if not self.model_family_chosen:
            data.pop("model_family_chosen")
        data["api_key_set"] = bool(self.api_key)
        data["base_url"] = redact(self.base_url) if self.base_url else self.base_url  # a password typed into it
        if price := price_for(self.model_family, self.model):  # recorded, so the run's estimate keeps its price
            data[PRICE_KEY] = price.to_json()
        return data
