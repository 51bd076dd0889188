"""`--model-family auto`: the family chosen from the endpoint's model name over real model ids (HF repos, served
and hosted names), the settings and presets that may say `auto`, and the real program choosing, saying so on
stderr, recording it, sampling as the chosen family does, and refusing plainly a name it cannot place."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import read_trajectory

from agent_app.core.errors import UnplacedModelError
from agent_app.core.families.registry import AUTO, CHOICES, DEFAULT_FAMILY, FAMILIES, claimed_by, detect
from agent_app.core.families.uitars2 import SYSTEM_PROMPT as UITARS2_PROMPT
from agent_app.core.runner import choose_family, validate
from agent_app.core.settings.config import RunConfig, Settings
from agent_app.core.settings.connection import ConnectionReport
from agent_app.core.settings.presets import Preset, save_presets
from agent_app.testing.scripted_server import ScriptedServer

CONTRACT_FAMILIES = {"uitars-1.5", "uitars-1.0", "doubao", "aguvis", "qwen2.5-vl", "qwen3-vl", "gui-owl-1.5",
                     "opencua", "glm-4.5v", "uitars-2", "openai-cua", "gemini", "claude"}

# Real model ids: Hugging Face repos, the names servers serve them under (a repo id, a local path, a GGUF or
# quantised build, an Ollama tag) and hosted ids (OpenRouter, Volcengine Ark, DashScope, Fireworks, cua's router).
REAL_IDS = {
    "uitars-1.5": ["ByteDance-Seed/UI-TARS-1.5-7B", "bytedance/ui-tars-1.5-7b", "UI-TARS-1.5-7B", "ui-tars-1.5",
                   "/models/ByteDance-Seed/UI-TARS-1.5-7B/", "Mungert/UI-TARS-1.5-7B-GGUF", "ui-tars-1.5-7b-awq",
                   r"C:\models\UI-TARS-1.5-7B"],
    "uitars-1.0": ["bytedance-research/UI-TARS-7B-DPO", "bytedance-research/UI-TARS-72B-SFT",
                   "bytedance-research/UI-TARS-2B-SFT", "UI-TARS-7B-SFT", "ui-tars-72b-dpo", "UI-TARS-72B-DPO-AWQ"],
    "doubao": ["doubao-1-5-ui-tars-250428", "doubao-1.5-ui-tars-250328", "doubao-1-5-thinking-vision-pro-250428",
               "doubao-seed-1-6-vision-250815", "ByteDance-Seed/Seed1.5-VL", "seed-1-6-250615"],
    "uitars-2": ["ui-tars-2", "bytedance/ui-tars-2", "cua/bytedance/ui-tars-2", "UI-TARS-2"],
    "qwen2.5-vl": ["Qwen/Qwen2.5-VL-7B-Instruct", "Qwen/Qwen2.5-VL-72B-Instruct-AWQ", "qwen/qwen2.5-vl-32b-instruct",
                   "qwen/qwen-2.5-vl-7b-instruct", "qwen2.5-vl-72b-instruct",
                   "accounts/fireworks/models/qwen2p5-vl-32b-instruct", "qwen2.5vl:7b"],
    "qwen3-vl": ["Qwen/Qwen3-VL-8B-Instruct", "Qwen/Qwen3-VL-235B-A22B-Thinking", "qwen3-vl-plus",
                 "qwen/qwen3-vl-30b-a3b-instruct", "Qwen/Qwen3-VL-4B-Instruct-FP8", "qwen3-vl:8b"],
    "gui-owl-1.5": ["mPLUG/GUI-Owl-1.5-8B-Instruct", "mPLUG/GUI-Owl-1.5-32B-Think", "mPLUG/GUI-Owl-1.5-2B-Instruct"],
    "opencua": ["xlangai/OpenCUA-7B", "xlangai/OpenCUA-32B", "OpenCUA-72B"],
    "glm-4.5v": ["zai-org/GLM-4.5V", "z-ai/glm-4.5v", "glm-4.5v", "zai-org/GLM-4.5V-FP8"],
    "aguvis": ["xlangai/Aguvis-7B-720P", "xlangai/Aguvis-72B-720P"],
    "openai-cua": ["computer-use-preview", "computer-use-preview-2025-03-11", "gpt-5.4", "gpt-5.4-mini",
                   "openai/gpt-5.4", "gpt-5.5"],
    "gemini": ["gemini-2.5-computer-use-preview-10-2025", "models/gemini-2.5-computer-use-preview-10-2025",
               "google/gemini-2.5-computer-use-preview-10-2025", "gemini-3-flash-preview", "gemini-3.1-pro-preview"],
    "claude": ["claude-sonnet-4-6", "claude-opus-4-5-20251101", "claude-haiku-4-5", "anthropic/claude-sonnet-4.5",
               "claude-3-7-sonnet-20250219", "claude-opus-4-1-20250805"],
    # Names no family may claim: guessing would misplace every click.
    None: ["scripted-ui-tars", "ui-tars", "tgi", "xlangai/OpenCUA-Qwen2-7B", "xlangai/OpenCUA-A3B",  # OpenCUA: 0..1
           "mPLUG/GUI-Owl-7B", "mPLUG/GUI-Owl-32B",  # GUI-Owl 1.0, Qwen2.5-VL based: not GUI-Owl-1.5
           "ByteDance-Seed/Seed-OSS-36B-Instruct", "Qwen/Qwen2-VL-7B-Instruct", "zai-org/GLM-4.1V-9B-Thinking",
           "glm-4.5", "zai-org/GLM-4.5-Air", "qwen-vl-max", "Qwen/Qwen3.5-27B", "gpt-4o", "ep-20250101123456-abcde",
           "gemini-3.5-flash", "gemini-2.5-flash", "gemini-2.5-pro",  # not Gemini's computer-use function set
           "claude-3-5-haiku-20241022", "claude-3-haiku-20240307",  # no computer tool
           "", "   ", "/"],
}


@pytest.mark.parametrize("family, model", [(f, m) for f, ms in REAL_IDS.items() for m in ms])
def test_real_model_ids_are_claimed_by_exactly_their_family(family, model):
    assert claimed_by(model) == ([family] if family else [])
    assert detect(model) is FAMILIES.get(family)


def test_every_family_of_the_contract_names_its_models():
    named = {n for n, f in FAMILIES.items() if f.model_names}
    assert named == CONTRACT_FAMILIES
    assert {f for f in REAL_IDS if f} == CONTRACT_FAMILIES
    for patterns in [FAMILIES[n].model_names for n in CONTRACT_FAMILIES]:  # the API families are chosen by name
        assert patterns and all(re.compile(p) for p in patterns)


def test_the_order_of_ui_tars_names_is_decided_by_the_names_not_the_walk():
    # UI-TARS-2 vs the 1.0 2B model vs Doubao's dated ids: each is one family whatever the order of the walk
    assert [claimed_by(m) for m in ("UI-TARS-2", "UI-TARS-2B-SFT", "doubao-1-5-ui-tars-250428", "UI-TARS-1.5-7B")] == [
        ["uitars-2"], ["uitars-1.0"], ["doubao"], ["uitars-1.5"]]
    # The organisation is not the model: ByteDance-Seed/UI-TARS-1.5-7B is not a Seed (Doubao) model
    assert claimed_by("ByteDance-Seed/UI-TARS-1.5-7B") == ["uitars-1.5"]


def test_a_name_two_families_claim_is_not_placed():
    assert sorted(claimed_by("my-ui-tars-1.5-on-qwen2.5-vl")) == ["qwen2.5-vl", "uitars-1.5"]
    assert detect("my-ui-tars-1.5-on-qwen2.5-vl") is None


# ---- settings, presets, the run's configuration ----
def test_a_new_profile_is_auto_and_the_command_line_without_one_keeps_the_contract_default(app_dirs):
    assert Settings().model_family == AUTO
    assert AUTO in CHOICES and set(FAMILIES) < set(CHOICES)
    assert not Settings.path().exists()
    assert Settings.load_for_command_line() == (Settings(model_family=DEFAULT_FAMILY), [])
    assert DEFAULT_FAMILY == "uitars-1.5"
    Settings(base_url="http://x/v1").save()
    assert json.loads(Settings.path().read_text())["model_family"] == AUTO
    assert Settings.load_for_command_line()[0].model_family == AUTO
    Settings(model_family="doubao").save()
    assert Settings.load_for_command_line()[0].model_family == "doubao"
    # A saved value that is no family is reported and replaced by the default the warning names: auto
    Settings.path().write_text(json.dumps({"model_family": "qwen9"}), encoding="utf-8")
    settings, problems = Settings.load_for_command_line()
    assert settings.model_family == AUTO and len(problems) == 1 and "model_family must be one of" in problems[0]
    assert problems[0].endswith('using "auto"') or problems[0].endswith("using 'auto'")
    # A profile that says nothing about the family (hand-written, or unreadable): the command line's default
    for content in ('{"max_steps": 7}', "[]", "null", "{"):
        Settings.path().write_text(content, encoding="utf-8")
        assert Settings.load_for_command_line()[0].model_family == DEFAULT_FAMILY, content


def test_choose_family_resolves_auto_from_the_model_name_and_records_the_choice():
    config = RunConfig(task="t", base_url="http://x/v1", model="bytedance/ui-tars-2", model_family=AUTO)
    validate(config)
    assert choose_family(config) is FAMILIES["uitars-2"]
    assert (config.model_family, config.model_family_chosen) == ("uitars-2", AUTO)
    assert config.public()["model_family"] == "uitars-2" and config.public()["model_family_chosen"] == AUTO
    explicit = RunConfig(task="t", base_url="http://x/v1", model="bytedance/ui-tars-2", model_family="uitars-1.5")
    assert choose_family(explicit) is FAMILIES["uitars-1.5"]  # a chosen family is never second-guessed
    assert "model_family_chosen" not in explicit.public()


def test_a_name_auto_cannot_place_says_a_family_must_be_chosen_and_lists_them():
    config = RunConfig(task="t", base_url="http://x/v1", model="my-finetune", model_family=AUTO)
    with pytest.raises(UnplacedModelError) as e:
        choose_family(config)
    message = str(e.value)
    assert message == ("no model family is known for the model name 'my-finetune': choose one with --model-family "
                       f"({', '.join(FAMILIES)})")
    assert e.value.saying("in Settings → Model family").endswith(
        f"choose one in Settings → Model family ({', '.join(FAMILIES)})")
    assert config.model_family == AUTO  # nothing was decided


def test_presets_may_say_auto():
    assert Preset("p", "task", model_family=AUTO).overrides() == {"model_family": AUTO}


def test_connection_report_says_what_auto_would_choose():
    ok = ConnectionReport(True, "Connected.", ["ui-tars-2"], "ui-tars-2", "uitars-2")
    assert ok.family_note(AUTO) == "Automatic model family: UI-TARS-2."
    assert ok.family_note("uitars-1.5") == "Its name says UI-TARS-2, not UI-TARS-1.5."
    assert ok.family_note("uitars-2") == ""
    unknown = ConnectionReport(True, "Connected.", ["tgi"], "tgi", "")
    assert unknown.family_note(AUTO) == "Automatic cannot tell the model family from the name 'tgi': choose one."
    assert unknown.family_note("uitars-1.5") == ""
    assert ConnectionReport(False, "cannot reach").family_note(AUTO) == ""


# ---- the real program ----
UITARS2_FINISH = "<gui_think> Done. </gui_think><seed:tool_call><function=finished><parameter=content>ok" \
                 "</parameter></function></seed:tool_call>"
UITARS15_FINISH = "Thought: Done.\nAction: finished(content='ok')"


@pytest.mark.x11
@pytest.mark.parametrize("model, family, reply, max_tokens", [
    ("cua/bytedance/ui-tars-2", "uitars-2", UITARS2_FINISH, 3000),
    ("ByteDance-Seed/UI-TARS-1.5-7B", "uitars-1.5", UITARS15_FINISH, 1000),
])
@pytest.mark.parametrize("quiet", [False, True], ids=["", "quiet"])
def test_auto_chooses_from_the_listed_model_says_so_and_records_it(cli, model, family, reply, max_tokens, quiet):
    with ScriptedServer([reply], model=model) as server:  # no --model: the name comes from GET /models
        proc, summary = cli.run_task(server, "finish", "--model-family", "auto", *(["-q"] if quiet else []))
        bodies = [r["body"] for r in server.chat_requests()]
    assert proc.returncode == 0, proc.stderr
    assert summary["status"] == "finished" and "model family" not in proc.stdout  # stdout: the JSON summary
    said = [line for line in proc.stderr.splitlines() if "model family" in line]
    assert said == [f"agent-app: model family: {family} (from the model name {model!r})"]
    header = read_trajectory(summary["run_dir"])[0]
    assert (header["settings"]["model_family"], header["settings"]["model_family_chosen"]) == (family, "auto")
    assert header["settings"]["model"] == model
    # The client samples as the chosen family does, and the request is laid out in its words
    assert [b["max_tokens"] for b in bodies] == [max_tokens]
    assert ("frequency_penalty" in bodies[0]) is (family == "uitars-1.5")
    assert (bodies[0]["messages"][0]["content"][0]["text"] == UITARS2_PROMPT) is (family == "uitars-2")


@pytest.mark.x11
@pytest.mark.parametrize("json_mode", [True, False], ids=["json", "text"])
def test_auto_with_a_name_it_cannot_place_is_a_usage_error_that_lists_the_families(cli, server, json_mode):
    args = ["run", "anything", "--base-url", server.base_url, "--runs-dir", str(cli.runs_dir), "--model-family",
            "auto", "--model", "scripted-ui-tars", *(["--json"] if json_mode else [])]
    proc = cli.run(*args)
    assert proc.returncode == 2
    line = ("agent-app: error: no model family is known for the model name 'scripted-ui-tars': choose one with "
            f"--model-family ({', '.join(FAMILIES)})")
    assert proc.stderr.splitlines() == [line]
    if json_mode:
        assert json.loads(proc.stdout)["status"] == "error"
    else:
        assert proc.stdout == ""
    assert server.chat_requests() == []  # nothing ran, and no run folder was begun
    assert not cli.runs_dir.exists() or not any(cli.runs_dir.iterdir())


@pytest.mark.x11
def test_the_saved_profile_and_a_preset_say_auto_and_the_flag_still_wins(cli, tmp_path):
    config_dir = Path(cli.env["AGENT_APP_CONFIG_DIR"])
    with ScriptedServer(model="bytedance/ui-tars-2", default=UITARS2_FINISH) as server:
        # No profile: the contract's default family (uitars-1.5) reads the UI-TARS-2 reply as garbage
        proc, summary = cli.run_task(server, "finish", "--model", "bytedance/ui-tars-2")
        assert (proc.returncode, summary["status"]) == (1, "error"), proc.stderr
        # A profile the app saved with the new default, auto
        config_dir.mkdir(parents=True)
        (config_dir / "settings.json").write_text(json.dumps({"base_url": server.base_url, "model_family": "auto"}),
                                                  encoding="utf-8")
        proc, summary = cli.run_task(server, "finish")
        assert proc.returncode == 0, proc.stderr
        assert "model family: uitars-2" in proc.stderr
        # A saved task may say auto over a profile that names a family
        (config_dir / "settings.json").write_text(json.dumps({"base_url": server.base_url,
                                                              "model_family": "uitars-1.5"}), encoding="utf-8")
        save_presets([Preset("auto task", "finish", model_family=AUTO)], config_dir / "presets.json")
        proc = cli.run("run", "--preset", "auto task", "--runs-dir", str(cli.runs_dir), "--json")
        assert proc.returncode == 0, proc.stderr
        # ... and the command line wins over both
        proc, summary = cli.run_task(server, "finish", "--preset", "auto task", "--model-family", "uitars-1.5")
        assert proc.returncode == 1 and "model family:" not in proc.stderr
