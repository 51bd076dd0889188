"""README's "Supported model families" table against the registry: every family has a row, and each `vllm serve`
line allows exactly the screenshots a request of that family carries, with the tool-call parser where the family
reads native tool calls (issue 11, deliverable 5; cli-contract "Open model families")."""

from __future__ import annotations

import json
import re
from pathlib import Path

from agent_app.core.families.registry import FAMILIES
from agent_app.core.settings.config import RunConfig

README = Path(__file__).resolve().parent.parent / "README.md"
TOOL_CALL_FAMILIES = ("qwen2.5-vl", "qwen3-vl", "gui-owl-1.5")  # `<tool_call>` JSON: vLLM's hermes parser


def rows() -> dict[str, str]:
    text = README.read_text(encoding="utf-8")
    table = text.split("## Supported model families", 1)[1].split("\n\n", 2)[1]
    found = {}
    for line in table.splitlines():
        m = re.match(r"\|\s*`([\w.-]+)`\s*\|", line)
        if m:
            found[m.group(1)] = line
    found.pop("--model-family", None)  # the header
    return found


def test_every_registered_family_has_a_row():
    assert set(rows()) == set(FAMILIES)


def test_each_vllm_line_allows_the_screenshots_a_request_carries():
    default = RunConfig.__dataclass_fields__["history_images"].default
    served = {name: line for name, line in rows().items() if "vllm serve" in line}
    assert set(TOOL_CALL_FAMILIES) <= set(served)
    for name, line in served.items():
        limit = re.search(r"--limit-mm-per-prompt '(\{.*?\})'", line)
        assert limit, name
        assert json.loads(limit.group(1)) == {"image": FAMILIES[name].max_images or default}, name


def test_the_tool_call_families_are_served_with_the_hermes_parser():
    for name in TOOL_CALL_FAMILIES:
        line = rows()[name]
        assert "--enable-auto-tool-choice --tool-call-parser hermes" in line, name


def test_each_api_provider_is_used_in_two_lines():
    # issue 12, deliverable 5: "README: how to use each provider in two lines" — the key, then the run
    text = README.read_text(encoding="utf-8")
    for provider, family in (("anthropic", "claude"), ("openai", "openai-cua"), ("gemini", "gemini")):
        paragraph = next(p for p in text.split("\n\n") if f"key set --provider {provider}`" in p and "run " in p)
        lines = paragraph.strip().splitlines()
        assert len(lines) == 2, (provider, lines)
        assert f"--model-family {family}`" in lines[1], provider
