"""API keys in the OS keychain (keyring, service "agent-app"), with the environment as fallback.

One keychain entry ("account") per provider: "default" holds the OpenAI-compatible endpoint's key, "anthropic",
"openai" and "gemini" the computer-use APIs' keys. Lookup order for a run: AGENT_APP_API_KEY, then the
provider's keychain entry, then the provider's own environment variable(s); none means keyless (fine for a
local server). Keys are never logged, recorded or written to the settings file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from agent_app.core.errors import ConfigError

SERVICE = "agent-app"
DEFAULT_ACCOUNT = "default"
OVERRIDE_ENV = "AGENT_APP_API_KEY"
# Each provider's own environment variables, in the order they are read (after AGENT_APP_API_KEY and the keychain).
PROVIDER_ENV: dict[str, tuple[str, ...]] = {
    DEFAULT_ACCOUNT: ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY",),
    "openai": ("OPENAI_API_KEY",),
    "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
}
PROVIDER_NAMES = {DEFAULT_ACCOUNT: "the OpenAI-compatible endpoint", "anthropic": "Anthropic", "openai": "OpenAI",
                  "gemini": "Google Gemini"}
NO_BACKEND = (
    "no OS keychain is available here (keyring found no backend; on Linux a Secret Service such as "
    "gnome-keyring must be running); set AGENT_APP_API_KEY in the environment instead"
)


def _keyring():  # imported late: keyring loads its backends on import
    import keyring

    return keyring


def _account(provider: str | None) -> str:
    provider = DEFAULT_ACCOUNT if provider is None else provider  # None: an OpenAI-compatible endpoint
    if provider not in PROVIDER_ENV:
        raise ValueError(f"unknown API key provider {provider!r} (one of {', '.join(PROVIDER_ENV)})")
    return provider


def keychain_available() -> bool:
    try:
        keyring = _keyring()
        from keyring.backends import fail

        return not isinstance(keyring.get_keyring(), fail.Keyring)
    except Exception:  # noqa: BLE001 - any keyring failure means no keychain
        return False


def get_key(account: str = DEFAULT_ACCOUNT) -> str | None:
    """The key saved in the keychain for `account`, or None (also when there is no keychain at all)."""
    account = _account(account)
    try:
        keyring = _keyring()
        return keyring.get_password(SERVICE, account) or None
    except Exception:  # noqa: BLE001 - no backend, locked, D-Bus gone: all mean no saved key
        return None


def set_key(key: str, account: str = DEFAULT_ACCOUNT) -> None:
    account = _account(account)
    key = key.strip()
    if not key:
        raise ConfigError("empty API key: nothing saved")
    try:
        keyring = _keyring()
        keyring.set_password(SERVICE, account, key)
    except Exception as e:  # noqa: BLE001 - reported by type below
        if type(e).__name__ == "NoKeyringError":
            raise ConfigError(NO_BACKEND) from None
        raise ConfigError(f"the keychain refused to save the key ({type(e).__name__}: {e})") from None


def delete_key(account: str = DEFAULT_ACCOUNT) -> bool:
    """Remove the saved key. True if one was removed, False if none was saved."""
    account = _account(account)
    try:
        keyring = _keyring()
        keyring.delete_password(SERVICE, account)
        return True
    except Exception as e:  # noqa: BLE001 - reported by type below
        name = type(e).__name__
        if name == "PasswordDeleteError":
            return False
        if name == "NoKeyringError":
            raise ConfigError(NO_BACKEND) from None
        raise ConfigError(f"the keychain refused to delete the key ({name}: {e})") from None


@dataclass(frozen=True)
class FoundKey:
    """A key and where it came from, in words ("AGENT_APP_API_KEY", "the OS keychain", "GEMINI_API_KEY").
    The key itself never appears in `repr` or `where`."""

    key: str
    where: str

    def __repr__(self) -> str:
        return f"FoundKey(where={self.where!r})"


KEYCHAIN = "the OS keychain"
_READ = object()


def find_api_key(provider: str | None = DEFAULT_ACCOUNT, saved: str | object | None = _READ) -> FoundKey | None:
    """The key a run for `provider` uses, and its source; None when there is none (a keyless run). `saved`: the
    keychain entry's value as it is about to be saved (the Settings dialog), instead of reading it."""
    account = _account(provider)
    if key := _env(OVERRIDE_ENV):
        return FoundKey(key, OVERRIDE_ENV)
    if key := (get_key(account) if saved is _READ else saved):
        return FoundKey(str(key), KEYCHAIN)
    for name in PROVIDER_ENV[account]:
        if key := _env(name):
            return FoundKey(key, name)
    return None


def _env(name: str) -> str:
    """An environment variable's value; blank counts as unset (an `export KEY=` left in a profile)."""
    return (os.environ.get(name) or "").strip()


def resolve_api_key(provider: str | None = DEFAULT_ACCOUNT) -> str | None:
    """The key for `provider`: AGENT_APP_API_KEY, its keychain entry, its own env var(s); None: keyless."""
    found = find_api_key(provider)
    return found.key if found else None
