"""The core's messages name command-line flags (`--model-family`); the window names the setting a person changes
instead (Settings → Model → Model family). One table, applied by `for_person` to every core message the window
shows: run errors, start-up failures, retries, connection tests, saved-task and history problems.
"""

from __future__ import annotations

import re

# flag → what the window says instead. A flag of the CLI that has no setting in the app says what to do here.
SETTINGS: dict[str, str] = {
    "--base-url": "Settings → Model → Base URL",
    "--model": "Settings → Model → Model name",
    "--model-family": "Settings → Model → Model family",
    "--api-key": "Settings → Model → API key",
    "--max-steps": "Settings → Runs → Step budget",
    "--history-images": "Settings → Runs → Screenshots per request",
    "--wait-seconds": "Settings → Runs → A wait() pauses for",
    "--timeout": "Settings → Runs → Model timeout",
    "--language": "Settings → Runs → Thought language",
    "--max-pixels": "Settings → Runs → Screenshot size",
    "--monitor": "Settings → Runs → Monitor the agent uses",
    "--runs-dir": "Settings → Runs → Runs folder",
    "--confirm": "Settings → Hotkeys and safety → Ask before acting",
    "--preset": "a saved task (Saved tasks)",
    "--interactive": "the window's hand-over",
    "--retries": "the retry count (an option of agent-app run)",
    "--no-stream": "whole replies (an option of agent-app run)",
    "--json": "the JSON summary (an option of the command line)",
    "--quiet": "quiet output (an option of agent-app run)",
    "--status": "the status filter (an option of agent-app runs export)",
    "--format": "the export format (an option of agent-app runs export)",
    "--out": "the export folder (an option of agent-app runs export)",
    "--task-contains": "the task filter (an option of agent-app runs export)",
    "--screen": "the screen size (an option of agent-app parse)",
    "--image": "the screenshot size (an option of agent-app parse)",
}
# Flags shown as they are: of other programs (vLLM's server command, git, xsel …), or of a command a person types in a
# terminal whatever window they read it in (`agent-app key set --provider anthropic`).
FOREIGN: frozenset[str] = frozenset({
    "--limit-mm-per-prompt", "--tool-call-parser", "--force", "--clipboard", "--input", "--output",
    "--no-newline", "--provider",
})
# An environment variable offered next to a flag ("pass --base-url URL or set AGENT_APP_BASE_URL"): the app's
# Settings are the way here.
_ENV_ALTERNATIVE = re.compile(r"\s+or\s+set\s+AGENT_APP_[A-Z_]+")
# A flag, not a CSS custom property (`--fg: …`, `var(--fg)`) nor part of a longer word.
FLAG = r"(?<![\w-])(?<!var\()--[a-z][a-z0-9-]*(?![\w:-])"
# …with the verb before it and the value after it: "pass --model NAME", "raise --timeout", "--history-images 2".
_USE = re.compile(
    rf"(?P<verb>\b(?:pass|use|set|with|try)\s+)?(?P<flag>{FLAG})"
    r"(?:[ =](?P<value>[A-Z][A-Z_]*\b|\d[\d.]*\b|auto\b|any\b))?"
)


def for_person(text: str | None) -> str:
    """`text` with every agent-app flag replaced by the setting the person changes (unknown flags stay)."""
    if not text:
        return ""
    text = _ENV_ALTERNATIVE.sub("", text)

    def replace(m: re.Match[str]) -> str:
        flag, verb, value = m.group("flag"), m.group("verb") or "", m.group("value")
        where = SETTINGS.get(flag)
        if where is None:
            return m.group(0)
        if verb.strip() == "pass":
            verb = "set "
        if value and not value.isupper():  # a value to choose, not a placeholder such as URL or N
            return f"{verb}{where}: {value}"
        return f"{verb}{where}"

    return _USE.sub(replace, text)
