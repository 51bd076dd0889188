"""Issue 10, item 9: report.html shows actions in words, and every text colour reads on its background in the
light and the dark scheme (WCAG contrast ≥ 4.5:1 — no red text on red, no dark red on a dark page)."""

from __future__ import annotations

import re

import pytest

from agent_app.core.runs.report import _CSS, HALO, LABEL, describe_action, phase_times, render_report


def variables(block: str) -> dict[str, str]:
    return dict(re.findall(r"--([a-z-]+):(#[0-9a-fA-F]{3,6})", block))


def schemes() -> dict[str, dict[str, str]]:
    light = variables(_CSS.split("@media", 1)[0])
    dark_block = re.search(r"prefers-color-scheme:dark\)\{:root\{([^}]*)\}", _CSS)
    assert dark_block, "the report has no dark scheme"
    return {"light": light, "dark": {**light, **variables(dark_block.group(1))}}


def luminance(colour: str) -> float:
    colour = colour.lstrip("#")
    if len(colour) == 3:
        colour = "".join(c * 2 for c in colour)
    channels = [int(colour[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# (text, background) as the stylesheet pairs them: page text, muted meta and tables, the ok/warn/err texts
# (step errors, skipped, interrupted, on cards and on the page), and white on every status badge.
PAIRS = [("fg", "card"), ("fg", "bg"), ("muted", "card"), ("muted", "bg"), ("ok", "card"), ("warn", "card"),
         ("err", "card"), ("err", "bg"), ("warn", "bg")]
BADGES = ["badge-ok", "badge-warn", "badge-err", "badge-muted"]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_text_reads_on_its_background(scheme):
    v = schemes()[scheme]
    for text, background in PAIRS:
        assert contrast(v[text], v[background]) >= 4.5, (scheme, text, background)
    for badge in BADGES:
        assert contrast("#ffffff", v[badge]) >= 4.5, (scheme, badge)


def test_typed_text_on_a_screenshot_sits_on_its_own_label():
    assert contrast(HALO, LABEL) >= 4.5


def step(actions, **extra):
    return {"kind": "step", "step": 1, "time": 0, "screenshot": "step-001.png", "image_size": [1932, 1092],
            "monitor": {"left": 0, "top": 0, "width": 1920, "height": 1080}, "thought": "t", "response": "r",
            "actions": actions, "timings_ms": {}, "usage": None, "error": None, **extra}


def test_actions_are_shown_in_words():
    page = render_report([
        {"kind": "header", "task": "words", "started": 0, "settings": {}},
        step([{"type": "click", "x": 812, "y": 345}, {"type": "type", "text": "hello"},
              {"type": "hotkey", "keys": ["ctrl", "s"]}]),
        {"kind": "person_actions", "actions": [{"type": "drag", "x": 1, "y": 2, "x2": 3, "y2": 4}], "response": ""},
        {"kind": "end", "status": "max_steps", "time": 1},
    ])
    for words in ("<li>click (812, 345)</li>", "<li>type &#x27;hello&#x27;</li>", "<li>hotkey ctrl+s</li>",
                  "drag (1, 2) → (3, 4)", "step budget used up"):
        assert words in page
    assert '{"x"' not in page and "&quot;x&quot;" not in page  # no JSON for a person to decode


def test_skipped_and_damaged_steps_are_legible():
    page = render_report([step([{"type": "click", "x": 5, "y": 6}], skipped=True),
                          step([{"x": 1}, "not an action"]), step([], interrupted="taken over")])
    assert "Skipped: the person did not allow this action" in page
    assert "Interrupted while acting (taken over)" in page
    assert "<li>{&quot;x&quot;: 1}</li>" in page  # a damaged action is shown as it is, the page still renders


@pytest.mark.parametrize(("action", "words"), [
    ({"type": "click", "x": 1, "y": 2}, "click (1, 2)"),
    ({"type": "scroll", "x": 1, "y": 2, "direction": "down"}, "scroll down (1, 2)"),
    ({"type": "finished", "content": "ok"}, "finished 'ok'"),
    ({}, "{}"),
    (None, "null"),
    ([1, 2], "[1, 2]"),
])
def test_describe_action_over_whole_and_damaged_input(action, words):
    assert describe_action(action) == words


# ---- issue 12, item 4: tokens per step and for the run, with a cost estimate where the run recorded a price ----
def header(price=None):
    settings = {"model": "claude-sonnet-4-6", "model_family": "claude"}
    if price is not None:
        settings["price_usd_per_mtok"] = price
    return {"kind": "header", "task": "costs", "started": 0, "settings": settings}


USAGE_1 = {"prompt_tokens": 1523, "completion_tokens": 85}
USAGE_2 = {"prompt_tokens": 3100, "completion_tokens": 120, "cached_tokens": 1500}


def meta_of(page: str) -> str:
    return re.search(r'<div class="meta">(.*?)</div>', page).group(1)


def test_tokens_and_cost_per_step_and_for_the_run():
    page = render_report([header({"input": 3.0, "output": 15.0, "cached_input": 0.3}),
                          step([], usage=USAGE_1), step([], usage=USAGE_2), step([], usage=None),
                          {"kind": "end", "status": "finished", "time": 1}])
    rows = re.findall(r"<tr><td>(tokens|cost)</td><td>(.*?)</td></tr>", page)
    assert rows == [("tokens", "1,523 in / 85 out tokens"), ("cost", "≈ $0.0058 (list price)"),
                    ("tokens", "3,100 in (1,500 cached) / 120 out tokens"), ("cost", "≈ $0.0070 (list price)")]
    # The run's total sits in the header's meta line (muted text on the card: a pair the contrast test measures).
    total = re.search(r'<span class="tokens" title="([^"]*)">([^<]*)</span>', meta_of(page))
    assert total.group(2) == "4,623 in (1,500 cached) / 205 out tokens · ≈ $0.0129 (1 step without token counts)"
    assert "$3.00 per million input tokens, $15.00 per million output tokens" in total.group(1)
    assert ("muted", "card") in PAIRS and re.search(r"\.meta\{color:var\(--muted\)", _CSS)


@pytest.mark.parametrize("price", [None, {"input": "3"}, {"input": -1, "output": 1}, "3/15"])
def test_without_a_usable_price_tokens_only(price):
    page = render_report([header(price), step([], usage=USAGE_1), {"kind": "end", "status": "finished", "time": 1}])
    assert "<tr><td>tokens</td><td>1,523 in / 85 out tokens</td></tr>" in page
    assert "<td>cost</td>" not in page and "$" not in page  # no made-up cost
    assert re.search(r'<span class="tokens"[^>]*>1,523 in / 85 out tokens</span>', meta_of(page))


@pytest.mark.parametrize("usage", [None, {}, {"prompt_tokens": "many"}, [1, 2], {"prompt_tokens": -5}])
def test_a_step_without_readable_usage_shows_no_tokens_and_the_page_still_renders(usage):
    page = render_report([header({"input": 3.0, "output": 15.0}), step([{"type": "wait"}], usage=usage)])
    assert "<td>tokens</td>" not in page and 'class="tokens"' not in page
    assert "<li>wait</li>" in page


@pytest.mark.parametrize("timings, shown", [
    ({"capture": 12.4, "encode_cpu": 30.0, "model": 700.0, "execute": 5.5},
     [("screenshot", 12.4), ("model", 700.0), ("act", 5.5)]),
    ({"record": 1, "guard": 2, "cancelled": 300, "parse": 0.1, "encode": 3},  # in the step's order, whatever came
     [("encode", 3.0), ("our windows aside", 2.0), ("dropped requests", 300.0), ("parse", 0.1), ("record", 1.0)]),
    ({"a_new_phase": 1.0, "model": 2}, [("model", 2.0), ("a_new_phase", 1.0)]),  # a later version's phase: by key
    ({"model": "slow", "parse": None, "act": True, "capture": 4}, [("screenshot", 4.0)]),  # damaged values left out
    (None, []), ([], []), ("capture", []),
])
def test_phase_times_in_words(timings, shown):
    assert phase_times(timings) == shown
    page = render_report([step([{"type": "click", "x": 5, "y": 6}], timings_ms=timings)])
    for name, ms in shown:
        assert f"<td>{name}</td><td>{ms:.0f} ms</td>" in page
    assert "encode_cpu" not in page
