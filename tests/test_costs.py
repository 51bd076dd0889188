"""Issue 12, item 4: tokens and the cost estimate — the arithmetic over every case (cache reads and writes, the
long-prompt tier on both sides of its threshold, damaged usage and prices), the words it is shown in, and which
model a preset's price belongs to."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent_app.core.costs import PRICE_KEY, Price, Tally, Usage, run_price, step_text, tokens_text, usd
from agent_app.core.settings.config import RunConfig
from agent_app.core.settings.providers import PROVIDERS, price_for, provider

FLAT = Price(3.0, 15.0)
CACHED = Price(3.0, 15.0, cached_input=0.3, cache_write=3.75)
TIERED = Price(2.5, 15.0, cached_input=0.25, long_above=272_000, long_input=2.0, long_output=1.5)


# ---- one call's cost ----
@pytest.mark.parametrize(("usage", "price", "dollars"), [
    ({"prompt_tokens": 1_000_000, "completion_tokens": 0}, FLAT, 3.0),
    ({"prompt_tokens": 0, "completion_tokens": 1_000_000}, FLAT, 15.0),
    ({"prompt_tokens": 1523, "completion_tokens": 85}, FLAT, (1523 * 3 + 85 * 15) / 1e6),
    ({"prompt_tokens": 0, "completion_tokens": 0}, FLAT, 0.0),
    # cached and written tokens are parts of prompt_tokens, each at its own rate
    ({"prompt_tokens": 10_000, "completion_tokens": 100, "cached_tokens": 8000}, CACHED,
     (2000 * 3 + 8000 * 0.3 + 100 * 15) / 1e6),
    ({"prompt_tokens": 10_000, "completion_tokens": 0, "cache_write_tokens": 4000}, CACHED,
     (6000 * 3 + 4000 * 3.75) / 1e6),
    ({"prompt_tokens": 10_000, "completion_tokens": 0, "cached_tokens": 5000, "cache_write_tokens": 5000}, CACHED,
     (5000 * 0.3 + 5000 * 3.75) / 1e6),
    # a price without a cache rate charges cache reads and writes as input
    ({"prompt_tokens": 10_000, "completion_tokens": 0, "cached_tokens": 8000, "cache_write_tokens": 2000}, FLAT,
     10_000 * 3 / 1e6),
    # more cached than prompted (a provider's inconsistency): capped at the prompt, never a negative fresh count
    ({"prompt_tokens": 1000, "completion_tokens": 0, "cached_tokens": 5000}, CACHED, 1000 * 0.3 / 1e6),
    ({"prompt_tokens": 1000, "completion_tokens": 0, "cached_tokens": 600, "cache_write_tokens": 900}, CACHED,
     (600 * 0.3 + 400 * 3.75) / 1e6),
    # the long-prompt tier: at the threshold still the base rate, one token more and every token costs more
    ({"prompt_tokens": 272_000, "completion_tokens": 1000}, TIERED, (272_000 * 2.5 + 1000 * 15) / 1e6),
    ({"prompt_tokens": 272_001, "completion_tokens": 1000}, TIERED, (272_001 * 5.0 + 1000 * 22.5) / 1e6),
    ({"prompt_tokens": 300_000, "completion_tokens": 0, "cached_tokens": 100_000}, TIERED,
     (200_000 * 5.0 + 100_000 * 0.5) / 1e6),
    # extra keys a provider reports (thinking, totals) are kept out of the arithmetic
    ({"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110, "reasoning_tokens": 7}, FLAT,
     (100 * 3 + 10 * 15) / 1e6),
])
def test_a_calls_cost(usage, price, dollars):
    checked = Usage.from_json(usage)
    assert checked is not None
    assert math.isclose(checked.cost(price), dollars, rel_tol=1e-12, abs_tol=1e-15)


@pytest.mark.parametrize("usage", [
    None, {}, [], "1000", 5, {"total_tokens": 10},
    {"prompt_tokens": -1, "completion_tokens": 2}, {"prompt_tokens": 1.5, "completion_tokens": 2},
    {"prompt_tokens": "10", "completion_tokens": 2}, {"prompt_tokens": True, "completion_tokens": 2},
    {"prompt_tokens": float("nan"), "completion_tokens": 2}, {"prompt_tokens": float("inf"), "completion_tokens": 2},
    {"prompt_tokens": 10, "completion_tokens": 2, "cached_tokens": -3},
    {"prompt_tokens": 10, "completion_tokens": 2, "cache_write_tokens": "x"},
    {"prompt_tokens": 10**400, "completion_tokens": 2},  # an int past any float: once an OverflowError
])
def test_usage_that_cannot_be_read_counts_as_none(usage):
    assert Usage.from_json(usage) is None
    assert step_text(usage, FLAT) == ""


@pytest.mark.parametrize(("usage", "expected"), [
    ({"prompt_tokens": 10}, Usage(10, 0)),
    ({"completion_tokens": 7}, Usage(0, 7)),
    ({"prompt_tokens": 10, "completion_tokens": None}, Usage(10, 0)),
    ({"prompt_tokens": 10.0, "completion_tokens": 3}, Usage(10, 3)),
])
def test_usage_with_a_side_missing_counts_it_as_zero(usage, expected):
    assert Usage.from_json(usage) == expected


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])  # no timing in tests
@given(st.dictionaries(st.sampled_from(["prompt_tokens", "completion_tokens", "cached_tokens",
                                        "cache_write_tokens", "other"]),
                       st.one_of(st.none(), st.booleans(), st.integers(-10, 10**9), st.floats(), st.text(max_size=3))))
def test_any_usage_gives_a_checked_usage_or_none(data):
    usage = Usage.from_json(data)
    if usage is None:
        return
    assert min(usage.prompt, usage.completion, usage.cached, usage.cache_write) >= 0
    assert usage.cached + usage.cache_write <= usage.prompt
    for price in (FLAT, CACHED, TIERED):
        cost = usage.cost(price)
        assert cost >= 0 and math.isfinite(cost)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**7), st.integers(0, 10**6), st.integers(0, 10**6))
def test_more_tokens_never_cost_less(prompt, completion, more):
    for price in (FLAT, CACHED, TIERED):
        base = Usage(prompt, completion).cost(price)
        assert Usage(prompt + more, completion).cost(price) >= base
        assert Usage(prompt, completion + more).cost(price) >= base


# ---- a price recorded with a run ----
def test_a_price_survives_its_json_and_damage_means_unknown():
    for price in (FLAT, CACHED, TIERED):
        assert Price.from_json(price.to_json()) == price
    assert FLAT.to_json() == {"input": 3.0, "output": 15.0}  # nothing that is not set
    assert TIERED.to_json()["long_above"] == 272_000
    for bad in (None, [], "3/15", {}, {"input": 3.0}, {"output": 15.0}, {"input": -1, "output": 2},
                {"input": "3", "output": 15}, {"input": True, "output": 15}, {"input": float("nan"), "output": 1},
                {"input": 1, "output": 1, "cached_input": -0.1}, {"input": 1, "output": 1, "long_above": 2.5},
                {"input": 10**400, "output": 1}):
        assert Price.from_json(bad) is None, bad
    assert run_price({PRICE_KEY: {"input": 1, "output": 2}}) == Price(1.0, 2.0)
    assert run_price({}) is None and run_price(None) is None and run_price("x") is None


def test_a_run_records_the_price_it_is_estimated_at_and_never_the_key():
    public = RunConfig("t", model="claude-sonnet-4-5-20250929", model_family="claude", api_key="sk-secret").public()
    assert run_price(public) == provider("anthropic").price("claude-sonnet-4-5")
    assert "sk-secret" not in repr(public)
    assert PRICE_KEY not in RunConfig("t", model="ui-tars-1.5-7b", model_family="uitars-1.5").public()


# ---- which model a preset prices ----
@pytest.mark.parametrize(("family", "model", "priced"), [
    ("claude", "claude-sonnet-4-6", True),
    ("claude", "Claude-Sonnet-4-6", True),
    ("claude", " claude-sonnet-4-5-20250929 ", True),  # Anthropic's dated snapshot
    ("claude", "claude-haiku-4-5-20251001", True),
    ("claude", "claude-opus-4-7", True),
    ("claude", "claude-sonnet-4-5x", False),
    ("claude", "claude-sonnet-4-5-2025", False),  # not a snapshot date
    ("claude", "claude-sonnet-4", False),
    ("claude", "claude-opus-4-1", False),  # another price: not guessed
    ("claude", "anthropic/claude-sonnet-4-6", False),  # a gateway's name: its own price
    ("openai-cua", "computer-use-preview", True),
    ("openai-cua", "computer-use-preview-2025-03-11", True),  # OpenAI's dated snapshot
    ("openai-cua", "gpt-5.4", True),
    ("openai-cua", "gpt-5.4-mini", False),
    ("openai-cua", "gpt-5.4-pro", False),
    ("gemini", "gemini-2.5-computer-use-preview-10-2025", True),
    ("gemini", "gemini-3-flash-preview", True),
    ("gemini", "gemini-2.5-pro", False),
    ("uitars-1.5", "claude-sonnet-4-6", False),  # a price belongs to its family's provider
    ("claude", "gpt-5.4", False),
    ("claude", "", False),
])
def test_a_price_belongs_to_its_model(family, model, priced):
    assert (price_for(family, model) is not None) is priced


def test_the_api_presets_carry_prices_and_their_own_keychain_entries():
    api = {p.key: p for p in PROVIDERS if p.prices}
    assert {k: (p.family, p.key_account) for k, p in api.items()} == {
        "anthropic": ("claude", "anthropic"), "openai": ("openai-cua", "openai"), "gemini": ("gemini", "gemini")}
    for p in api.values():
        assert p.price(p.model) is not None, p.key  # the preset's own model has a price
        assert p.base_url.startswith("https://") and p.needs_key and p.hint
    assert provider("openai").price("computer-use-preview") == Price(3.0, 12.0)
    assert {p.key_account for p in PROVIDERS if not p.prices} == {"default"}


# ---- a run's totals and the words ----
def test_a_run_totals_its_steps_and_says_which_were_not_counted():
    lines = [{"kind": "header"},
             {"kind": "step", "usage": {"prompt_tokens": 1000, "completion_tokens": 100}},
             {"kind": "note"},
             {"kind": "step", "usage": {"prompt_tokens": 2000, "completion_tokens": 50, "cached_tokens": 1500}},
             {"kind": "step", "usage": None},
             {"kind": "step"}]
    tally = Tally.of(lines, CACHED)
    assert (tally.prompt, tally.completion, tally.cached, tally.unreported) == (3000, 150, 1500, 2)
    assert math.isclose(tally.cost, (1000 * 3 + 100 * 15 + 500 * 3 + 1500 * 0.3 + 50 * 15) / 1e6)
    assert tally.describe() == "3,000 in (1,500 cached) / 150 out tokens · ≈ $0.0072 (2 steps without token counts)"
    unpriced = Tally.of(lines, None)
    assert unpriced.cost is None
    assert "$" not in unpriced.describe() and unpriced.describe().startswith("3,000 in")
    assert tally.describe(short=True) == "3.0k in (1.5k cached) / 150 out tokens · ≈ $0.0072 (2 steps uncounted)"
    assert Tally(FLAT).describe() == ""  # nothing counted yet: nothing said
    assert Tally.of([{"kind": "step", "usage": None}], FLAT).describe() == ""


def test_the_progress_line_says_the_step_and_the_run_so_far():
    tally = Tally(FLAT)
    assert tally.progress({"prompt_tokens": 1523, "completion_tokens": 85}) == (
        "1.5k in / 85 out tokens · ≈ $0.0058 (run ≈ $0.0058)")
    assert tally.progress(None) == ""
    assert tally.progress({"prompt_tokens": 30_000, "completion_tokens": 500}) == (
        "30.0k in / 500 out tokens · ≈ $0.0975 (run ≈ $0.10)")
    assert (tally.prompt, tally.unreported) == (31_523, 1)
    assert Tally().progress({"prompt_tokens": 1, "completion_tokens": 2}) == "1 in / 2 out tokens"


@pytest.mark.parametrize(("amount", "words"), [
    (0, "$0.00"), (-1, "$0.00"), (0.00004, "< $0.0001"), (0.0001, "$0.0001"), (0.0058, "$0.0058"),
    (0.0999, "$0.0999"), (0.1, "$0.10"), (0.125, "$0.12"), (1.5, "$1.50"), (12345.678, "$12,345.68"),
])
def test_dollars_read_as_an_estimate(amount, words):
    assert usd(amount) == words


@pytest.mark.parametrize(("n", "short", "long"), [
    (0, "0", "0"), (999, "999", "999"), (1000, "1.0k", "1,000"), (1523, "1.5k", "1,523"),
    (999_949, "999.9k", "999,949"), (1_000_000, "1.00M", "1,000,000"), (12_345_678, "12.35M", "12,345,678"),
])
def test_token_counts_in_words(n, short, long):
    assert tokens_text(n, n, short=True) == f"{short} in / {short} out tokens"
    assert tokens_text(n, 0, n) == f"{long} in ({long} cached) / 0 out tokens" if n else "0 in / 0 out tokens"


def test_a_token_count_too_large_to_be_real_is_a_damaged_usage():
    """A count no call can reach (a damaged line) is not priced: its cost would overflow to infinity."""
    assert Usage.from_json({"prompt_tokens": 3.595386269724632e307}) is None
    assert Usage.from_json({"prompt_tokens": 10**12 + 1}) is None
    assert Usage.from_json({"prompt_tokens": 10**12}).prompt == 10**12


def test_a_float_setting_past_any_float_does_not_fit():
    from agent_app.core.typecheck import fits

    assert not fits(10**400, float) and not fits(-(10**400), float)  # once an OverflowError
    assert fits(10**300, float) and fits(2.5, float) and not fits(float("inf"), float)
