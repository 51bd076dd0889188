"""API keys in the OS keychain (keyring, service "agent-app"), with the environment as fallback.

Lookup order for a run: AGENT_APP_API_KEY, then the keychain, then OPENAI_API_KEY; none means keyless
(fine for a local server). Keys are never logged, recorded or written to the settings file.
"""

from __future__ import annotations

import os

from agent_app.core.errors import ConfigError

SERVICE = "agent-app"
DEFAULT_ACCOUNT = "default"
NO_BACKEND = (
    "no OS keychain is available here (keyring found no backend; on Linux a Secret Service such as "
    "gnome-keyring must be running); set AGENT_APP_API_KEY in the environment instead"
)


def _keyring():  # imported late: keyring loads its backends on import
    import keyring

    return keyring


def keychain_available() -> bool:
    try:
        keyring = _keyring()
        from keyring.backends import fail

        return not isinstance(keyring.get_keyring(), fail.Keyring)
    except Exception:  # noqa: BLE001 - any keyring failure means no keychain
        return False


def get_key(account: str = DEFAULT_ACCOUNT) -> str | None:
    """The key saved in the keychain, or None (also when there is no keychain at all)."""
    try:
        keyring = _keyring()
        return keyring.get_password(SERVICE, account) or None
    except Exception:  # noqa: BLE001 - no backend, locked, D-Bus gone: all mean no saved key
        return None


def set_key(key: str, account: str = DEFAULT_ACCOUNT) -> None:
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


# The environment variables each provider's own SDK reads, in its order (Google's SDK prefers GOOGLE_API_KEY when
# both are set; ours asks for GEMINI_API_KEY first, as the contract says).
PROVIDER_ENV = {"anthropic": ("ANTHROPIC_API_KEY",), "openai": ("OPENAI_API_KEY",),
                "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY")}


def resolve_api_key(provider: str | None = None) -> str | None:
    """The key for a run: AGENT_APP_API_KEY, else the keychain entry (the provider's own, or the default one for
    an OpenAI-compatible endpoint), else the provider's own environment variable (OPENAI_API_KEY for the
    default). None: keyless, fine for a local server."""
    account = provider or DEFAULT_ACCOUNT
    env = PROVIDER_ENV.get(provider or "openai", ())
    return (os.environ.get("AGENT_APP_API_KEY") or get_key(account)
            or next((os.environ[v] for v in env if os.environ.get(v)), None))
