"""Issue 12, item 4: one keychain entry per provider, through the real keyring (gnome-keyring's Secret Service
on the test session's own D-Bus): the lookup order over every combination of sources, and `agent-app key
set|delete|status --provider` — the key never printed, logged or written anywhere else."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CLI
from desktop import KEY_ENV

from agent_app.core.settings import keychain

ACCOUNTS = ("default", "anthropic", "openai", "gemini")
KEYCHAIN = "keychain"  # a source in the combinations below: the provider's own keychain entry


@pytest.fixture
def real_keychain(dbus_session, monkeypatch):
    """This process on the session's Secret Service, with no key in the environment or the keychain."""
    for name, value in dbus_session.env.items():
        monkeypatch.setenv(name, value)
    for name in ("AGENT_APP_API_KEY", *KEY_ENV):
        monkeypatch.delenv(name, raising=False)
    import keyring
    import keyring.core

    keyring.core.init_backend()
    assert "SecretService" in type(keyring.get_keyring()).__module__  # a real OS keychain, not a file

    def clear() -> None:
        for account in ACCOUNTS:
            keychain.delete_key(account)

    clear()
    yield keyring
    clear()


def keyring_get(env: dict[str, str], account: str) -> str:
    code = f"import keyring; print(keyring.get_password('agent-app', {account!r}))"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=30).stdout.strip()


@pytest.mark.parametrize("provider", ACCOUNTS)
def test_the_lookup_order_over_every_combination_of_sources(real_keychain, monkeypatch, provider):
    own = [keychain.OVERRIDE_ENV, KEYCHAIN, *keychain.PROVIDER_ENV[provider]]
    # Decoys: every other provider's keychain entry and env var is set throughout and must never be taken.
    for account in ACCOUNTS:
        if account != provider:
            keychain.set_key(f"decoy-entry-{account}", account)
    for name in KEY_ENV:
        if name not in own:
            monkeypatch.setenv(name, f"decoy-env-{name}")
    for present in itertools.product((False, True), repeat=len(own)):
        sources = [source for source, on in zip(own, present, strict=True) if on]
        for source in own:
            if source == KEYCHAIN:
                if source in sources:
                    keychain.set_key(f"key-from-{provider}-entry", provider)
                else:
                    keychain.delete_key(provider)
            elif source in sources:
                monkeypatch.setenv(source, f"key-from-{source}")
            else:
                monkeypatch.delenv(source, raising=False)
        found = keychain.find_api_key(provider)
        if not sources:
            assert found is None and keychain.resolve_api_key(provider) is None, provider
            continue
        first = sources[0]
        expected = f"key-from-{provider}-entry" if first == KEYCHAIN else f"key-from-{first}"
        assert found is not None, (provider, sources)
        assert (found.key, found.where) == (expected, keychain.KEYCHAIN if first == KEYCHAIN else first), sources
        assert keychain.resolve_api_key(provider) == expected
        assert expected not in repr(found)  # a FoundKey may be logged: it never shows the key


def test_blank_variables_count_as_unset_and_an_unknown_provider_is_refused(real_keychain, monkeypatch):
    monkeypatch.setenv("AGENT_APP_API_KEY", "  ")
    monkeypatch.setenv("GEMINI_API_KEY", "")
    monkeypatch.setenv("GOOGLE_API_KEY", " google-key \n")
    found = keychain.find_api_key("gemini")
    assert found is not None and (found.key, found.where) == ("google-key", "GOOGLE_API_KEY")
    # The Settings dialog asks with the key about to be saved, before it is in the keychain.
    assert keychain.find_api_key("gemini", saved="typed").where == keychain.KEYCHAIN
    assert keychain.find_api_key("gemini", saved=None).where == "GOOGLE_API_KEY"
    for bad in ("", "Anthropic", "google", "claude"):
        with pytest.raises(ValueError, match="unknown API key provider"):
            keychain.resolve_api_key(bad)


def test_each_provider_has_its_own_entry(real_keychain):
    for account in ACCOUNTS:
        keychain.set_key(f"  sk-{account}-0123456789\n", account)  # pasted with spaces: saved clean
    assert [keychain.get_key(a) for a in ACCOUNTS] == [f"sk-{a}-0123456789" for a in ACCOUNTS]
    assert keychain.delete_key("openai") is True and keychain.delete_key("openai") is False
    assert [keychain.get_key(a) for a in ACCOUNTS] == ["sk-default-0123456789", "sk-anthropic-0123456789", None,
                                                       "sk-gemini-0123456789"]
    assert real_keychain.get_password("agent-app", "anthropic") == "sk-anthropic-0123456789"


# ---- the command line, through the real keyring ----
@pytest.fixture
def cli_keys(dbus_session, app_env, tmp_path):
    """The real program, no display, on the session's keychain (emptied before and after)."""
    cli = CLI(None, {**app_env, **dbus_session.env}, tmp_path / "runs")
    for account in ACCOUNTS:
        cli.run("key", "delete", *(["--provider", account] if account != "default" else []))
    yield cli
    for account in ACCOUNTS:
        cli.run("key", "delete", *(["--provider", account] if account != "default" else []))


def everything_written(tmp_path: Path) -> str:
    """Every file the program could have written for this test (settings, logs, run folders)."""
    return "\n".join(p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file())


def test_key_set_status_and_delete_per_provider(cli_keys, tmp_path):
    env = cli_keys.full_env()
    secret = "sk-ant-api03-secret-0123456789"
    proc = cli_keys.run("key", "set", "--provider", "anthropic", input=secret + "\n")
    assert proc.returncode == 0, proc.stderr
    assert "Anthropic API key saved in the OS keychain" in proc.stderr and "account 'anthropic'" in proc.stderr
    assert keyring_get(env, "anthropic") == secret
    assert keyring_get(env, "default") == "None"  # the endpoint's key is another entry

    outputs = [proc.stdout + proc.stderr]
    status = cli_keys.run("key", "status", env={"OPENAI_API_KEY": "sk-openai-env-42", "GOOGLE_API_KEY": "g-env-42"})
    outputs.append(status.stdout + status.stderr)
    assert status.returncode == 0, status.stderr
    assert status.stdout.splitlines() == [
        "runs will use the API key from OPENAI_API_KEY",
        "claude (Anthropic): runs will use the API key from the OS keychain",
        "openai-cua (OpenAI): runs will use the API key from OPENAI_API_KEY",
        "gemini (Google Gemini): runs will use the API key from GOOGLE_API_KEY",
    ]
    status = cli_keys.run("key", "status", "--provider", "gemini",
                          env={"GEMINI_API_KEY": "gem-key-42", "GOOGLE_API_KEY": "goo-key-42"})
    outputs.append(status.stdout + status.stderr)
    assert status.stdout.splitlines() == ["gemini (Google Gemini): runs will use the API key from GEMINI_API_KEY"]
    status = cli_keys.run("key", "status", "--provider", "openai")
    assert status.stdout.splitlines() == [
        "openai-cua (OpenAI): no key set; save one with `agent-app key set --provider openai` or set OPENAI_API_KEY"]
    status = cli_keys.run("key", "status", env={"AGENT_APP_API_KEY": "sk-override"})
    outputs.append(status.stdout + status.stderr)
    assert status.stdout.splitlines()[1] == (
        "claude (Anthropic): runs will use the API key from AGENT_APP_API_KEY "
        "(it overrides the key saved in the OS keychain)")
    assert all("AGENT_APP_API_KEY" in line for line in status.stdout.splitlines())

    proc = cli_keys.run("key", "delete", "--provider", "anthropic")
    outputs.append(proc.stdout + proc.stderr)
    assert proc.returncode == 0 and "Anthropic API key removed from the keychain" in proc.stderr
    assert keyring_get(env, "anthropic") == "None"
    assert "no Anthropic API key was saved" in cli_keys.run("key", "delete", "--provider", "anthropic").stderr
    # Without --provider, today's behaviour: the OpenAI-compatible endpoint's entry.
    proc = cli_keys.run("key", "set", input="sk-endpoint-key\n")
    assert "API key saved in the OS keychain (service 'agent-app')" in proc.stderr
    assert keyring_get(env, "default") == "sk-endpoint-key" and keyring_get(env, "anthropic") == "None"
    for text in outputs:
        for key in (secret, "sk-openai-env-42", "g-env-42", "sk-override", "gem-key-42", "goo-key-42"):
            assert key not in text
    assert secret not in everything_written(tmp_path)  # no log line, setting or run file holds it


@pytest.mark.parametrize(("args", "stdin", "says"), [
    (["key", "set", "--provider", "google"], "k\n", "invalid choice: 'google'"),
    (["key", "status", "--provider", "default"], None, "invalid choice: 'default'"),
    (["key", "set", "--provider", "gemini"], "   \n", "empty API key"),
])
def test_bad_key_commands_get_one_line(cli_keys, args, stdin, says):
    proc = cli_keys.run(*args, input=stdin)
    assert proc.returncode == 2
    assert says in proc.stderr and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_no_keychain_is_said_plainly_for_every_provider(cli_nodisplay):
    env = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    proc = cli_nodisplay.run("key", "set", "--provider", "openai", input="sk-x\n", env=env)
    assert proc.returncode == 2 and "no OS keychain" in proc.stderr and "Traceback" not in proc.stderr
    status = cli_nodisplay.run("key", "status", "--provider", "openai", env={**env, "OPENAI_API_KEY": "sk-env"})
    assert "from OPENAI_API_KEY" in status.stdout and "no OS keychain" in status.stdout
    assert "sk-env" not in status.stdout + status.stderr
