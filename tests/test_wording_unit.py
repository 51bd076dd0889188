"""Issue 10, item 9: the window speaks to a person. Every command-line flag the core's texts name has a place in
the table the window translates them with, and no agent-app flag survives the translation."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import agent_app.core
from agent_app.ui.wording import FLAG, FOREIGN, SETTINGS, for_person

CORE = Path(agent_app.core.__file__).parent


def core_strings() -> list[tuple[str, str]]:
    """(file, text) for every string in the core's source: constants and the literal parts of f-strings."""
    found = []
    for path in sorted(CORE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.append((str(path.relative_to(CORE)), node.value))
    return found


def flags_in(text: str) -> list[str]:
    return re.findall(FLAG, text)


def test_every_flag_the_core_names_is_in_the_table():
    named = {(f, flag) for f, text in core_strings() for flag in flags_in(text)}
    assert named, "the scan found no flag at all: the scan is broken"
    missing = sorted((flag, f) for f, flag in named if flag not in SETTINGS and flag not in FOREIGN)
    assert missing == [], "add these flags to agent_app/ui/wording.py SETTINGS (or FOREIGN)"


def test_no_agent_app_flag_survives_in_a_core_message():
    messages = [text for _f, text in core_strings() if flags_in(text)]
    for text in messages:
        left = [f for f in flags_in(for_person(text)) if f not in FOREIGN]
        assert left == [], (text, for_person(text))


def test_css_custom_properties_are_not_flags():
    assert flags_in(":root{--fg:#1d2330}body{color:var(--fg)}") == []
    assert flags_in("lower the screenshot size (--max-pixels)") == ["--max-pixels"]


@pytest.mark.parametrize(("core", "window"), [
    ("the model's reply could not be understood 3 time(s) in a row (no Action:); "
     "check that --model-family matches the model",
     "the model's reply could not be understood 3 time(s) in a row (no Action:); "
     "check that Settings → Model → Model family matches the model"),
    ("no model endpoint configured: pass --base-url URL or set AGENT_APP_BASE_URL "
     "(e.g. http://localhost:8000/v1 for a local vLLM server)",
     "no model endpoint configured: set Settings → Model → Base URL "
     "(e.g. http://localhost:8000/v1 for a local vLLM server)"),
    ("the model at http://h/v1 did not answer in time; raise --timeout or check the server",
     "the model at http://h/v1 did not answer in time; raise Settings → Runs → Model timeout or check the server"),
    ("no model name given and the endpoint lists no models; pass --model",
     "no model name given and the endpoint lists no models; set Settings → Model → Model name"),
    ("no model name given and http://h/v1 does not list its models; pass --model NAME",
     "no model name given and http://h/v1 does not list its models; set Settings → Model → Model name"),
    ("--max-steps must be at least 1", "Settings → Runs → Step budget must be at least 1"),
    ("the request is too large: lower the screenshot size (--max-pixels) or the number of screenshots per "
     "request (--history-images)",
     "the request is too large: lower the screenshot size (Settings → Runs → Screenshot size) or the number of "
     "screenshots per request (Settings → Runs → Screenshots per request)"),
    ("try --history-images 2", "try Settings → Runs → Screenshots per request: 2"),
    ("vllm serve M --limit-mm-per-prompt image=5", "vllm serve M --limit-mm-per-prompt image=5"),
    ("plain words stay as they are", "plain words stay as they are"),
    ("", ""),
])
def test_core_messages_in_the_windows_words(core, window):
    assert for_person(core) == window


def test_nothing_to_translate_is_nothing():
    assert for_person(None) == ""


def test_the_words_put_in_name_no_flag_themselves():
    assert [where for where in SETTINGS.values() if flags_in(where)] == []
