"""Issue 12, item 4, in the Settings dialog (pytest-qt on a real X display, the real keychain): the Anthropic,
OpenAI and Gemini presets fill in their endpoint and model but keep what was typed, and the key field is bound to
the chosen provider's own keychain entry."""

from __future__ import annotations

import pytest
from desktop import KEY_ENV
from PySide6.QtCore import Qt

from agent_app.core.settings import keychain
from agent_app.core.settings.config import Settings
from agent_app.core.settings.providers import provider
from agent_app.ui.settings_dialog import SettingsDialog

ACCOUNTS = ("default", "anthropic", "openai", "gemini")


@pytest.fixture
def keys(qapp, app_dirs, monkeypatch):
    """The session's real keychain, empty before and after; no key in the environment."""
    import keyring

    assert "SecretService" in type(keyring.get_keyring()).__module__
    for name in ("AGENT_APP_API_KEY", *KEY_ENV):
        monkeypatch.delenv(name, raising=False)

    def clear() -> None:
        for account in ACCOUNTS:
            keychain.delete_key(account)

    clear()
    yield keyring
    clear()


def dialog(qtbot, settings: Settings, first_run: bool = False) -> SettingsDialog:
    d = SettingsDialog(settings, None, first_run)
    qtbot.addWidget(d)
    return d


def choose(d: SettingsDialog, key: str) -> None:
    d.provider.setCurrentIndex(d.provider.findData(key))


def test_the_api_presets_fill_in_but_never_replace_what_was_typed(qtbot, keys):
    d = dialog(qtbot, Settings(), first_run=True)
    for key, url, model in (("anthropic", "https://api.anthropic.com", "claude-sonnet-4-6"),
                            ("openai", "https://api.openai.com/v1", "gpt-5.4"),
                            ("gemini", "https://generativelanguage.googleapis.com",
                             "gemini-2.5-computer-use-preview-10-2025")):
        choose(d, key)
        assert (d.base_url.text(), d.model.text()) == (url, model)  # another preset's values are replaced
        assert d.provider_hint.text() == provider(key).hint and "API key" in d.provider_hint.text()
        assert not d.use_preset_url.isVisibleTo(d)
    # A URL the person typed (a proxy, a local scripted server) stays; the preset's own is offered on a button.
    d.base_url.setText("http://127.0.0.1:8123")
    d.model.setText("claude-opus-4-7")
    choose(d, "anthropic")
    assert (d.base_url.text(), d.model.text()) == ("http://127.0.0.1:8123", "claude-opus-4-7")
    assert d.use_preset_url.isVisibleTo(d) and "https://api.anthropic.com" in d.use_preset_url.text()
    qtbot.mouseClick(d.use_preset_url, Qt.MouseButton.LeftButton)
    assert d.base_url.text() == "https://api.anthropic.com"
    d.accept()
    saved = Settings.load()
    assert (saved.provider, saved.base_url, saved.model) == ("anthropic", "https://api.anthropic.com",
                                                             "claude-opus-4-7")


def test_the_key_field_writes_the_chosen_providers_own_entry(qtbot, keys):
    d = dialog(qtbot, Settings())
    choose(d, "anthropic")
    assert d.key.text() == "" and "ANTHROPIC_API_KEY" in d.key.placeholderText()
    d.key.setText("sk-ant-typed-0001")
    choose(d, "openai")
    assert d.key.text() == ""  # OpenAI's entry, not what was typed for Anthropic
    d.key.setText("sk-openai-typed-0002")
    choose(d, "anthropic")
    assert d.key.text() == "sk-ant-typed-0001"  # kept until Save
    choose(d, "openrouter")  # an OpenAI-compatible endpoint: the default entry
    assert d.key.text() == "" and d.key.placeholderText() == "not needed for a local server"
    d.key.setText("sk-or-typed-0003")
    choose(d, "gemini")
    d.accept()
    assert [keys.get_password("agent-app", a) for a in ACCOUNTS] == [
        "sk-or-typed-0003", "sk-ant-typed-0001", "sk-openai-typed-0002", None]
    text = Settings.path().read_text()
    assert not any(k in text for k in ("sk-ant-typed", "sk-openai-typed", "sk-or-typed"))
    # Reopened on OpenAI, the field shows OpenAI's key; clearing it removes that entry only.
    d2 = dialog(qtbot, Settings.load())
    assert d2.provider.currentData() == "gemini" and d2.key.text() == ""
    choose(d2, "openai")
    assert d2.key.text() == "sk-openai-typed-0002" and d2.key.echoMode() == d2.key.EchoMode.Password
    d2.key.clear()
    d2.accept()
    assert [keys.get_password("agent-app", a) for a in ACCOUNTS] == [
        "sk-or-typed-0003", "sk-ant-typed-0001", None, None]
    # Cancel writes nothing.
    d3 = dialog(qtbot, Settings(provider="anthropic"))
    assert d3.key.text() == "sk-ant-typed-0001"
    d3.key.setText("changed")
    d3.reject()
    assert keys.get_password("agent-app", "anthropic") == "sk-ant-typed-0001"


def test_the_key_note_says_where_runs_will_take_the_key(qtbot, keys, monkeypatch):
    monkeypatch.setenv("GOOGLE_API_KEY", "google-env-key")
    d = dialog(qtbot, Settings(provider="gemini"))
    assert d.key.text() == ""
    assert d.key_note.text() == "Empty: runs use GOOGLE_API_KEY from the environment."
    d.key.setText("typed-gemini-key")
    assert d.key_note.text() == ("Stored in the OS keychain (service “agent-app”, entry “gemini”), "
                                 "never in the settings file.")
    monkeypatch.setenv("AGENT_APP_API_KEY", "override-key")
    choose(d, "anthropic")
    assert d.key_note.text() == "AGENT_APP_API_KEY is set in the environment: runs use it, not the key here."
    for text in (d.key_note.text(), d.provider_hint.text(), d.key.placeholderText()):
        assert "google-env-key" not in text and "override-key" not in text
