"""Provider presets for the Settings dialog: where each kind of endpoint usually lives, which keychain entry
holds its key, and (for the computer-use APIs) the list prices the cost estimate uses."""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent_app.core.costs import Price
from agent_app.core.settings.keychain import DEFAULT_ACCOUNT


@dataclass(frozen=True)
class Provider:
    key: str
    label: str
    base_url: str
    model: str
    family: str
    needs_key: bool
    hint: str
    key_account: str = DEFAULT_ACCOUNT  # the keychain entry (and env fallbacks) of this provider's key
    prices: tuple[tuple[str, Price], ...] = ()  # (model id, its list price); a dated snapshot id matches too

    def price(self, model: str) -> Price | None:
        """The list price of `model` ("claude-sonnet-4-5" or a dated "claude-sonnet-4-5-20250929"), or None."""
        name = model.strip().lower()
        for model_id, price in self.prices:
            if name == model_id or (name.startswith(model_id + "-") and _SNAPSHOT.fullmatch(name[len(model_id) + 1:])):
                return price
        return None


_SNAPSHOT = re.compile(r"\d{8}|\d{4}-\d{2}-\d{2}")  # Anthropic's 20250929, OpenAI's 2025-03-11

# List prices in USD per million tokens, read on 2026-12-01 through the search tool from the providers' pages:
# platform.claude.com/docs/en/about-claude/pricing (input, 5-minute cache write, cache hit, output),
# developers.openai.com/api/docs/models/gpt-5.4 and the OpenAI pricing page (computer-use-preview: no cached rate;
# GPT-5.4: a prompt over 272K tokens costs 2x input and 1.5x output), ai.google.dev/gemini-api/docs/pricing
# (Gemini 2.5 Computer Use Preview: $2.50/$15 for prompts over 200K tokens; no cache rate).
_OPUS = Price(5.0, 25.0, cached_input=0.5, cache_write=6.25)
_SONNET = Price(3.0, 15.0, cached_input=0.3, cache_write=3.75)
ANTHROPIC_PRICES = (
    ("claude-opus-4-7", _OPUS), ("claude-opus-4-6", _OPUS), ("claude-opus-4-5", _OPUS),
    ("claude-sonnet-4-6", _SONNET), ("claude-sonnet-4-5", _SONNET),
    ("claude-haiku-4-5", Price(1.0, 5.0, cached_input=0.1, cache_write=1.25)),
)
OPENAI_PRICES = (
    ("gpt-5.4", Price(2.5, 15.0, cached_input=0.25, long_above=272_000, long_input=2.0, long_output=1.5)),
    ("computer-use-preview", Price(3.0, 12.0)),
)
GEMINI_PRICES = (
    ("gemini-2.5-computer-use-preview-10-2025", Price(1.25, 10.0, long_above=200_000, long_input=2.0,
                                                      long_output=1.5)),
    ("gemini-3-flash-preview", Price(0.5, 3.0)),
)

PROVIDERS: tuple[Provider, ...] = (
    Provider("local-vllm", "Local vLLM", "http://localhost:8000/v1", "", "auto", False,
             """vllm serve ByteDance-Seed/UI-TARS-1.5-7B --limit-mm-per-prompt '{"image":5}' — leave the model """
             "empty to use the one the server lists."),
    Provider("huggingface", "Hugging Face endpoint", "https://YOUR-ENDPOINT.endpoints.huggingface.cloud/v1", "tgi",
             "uitars-1.5", True, "Deploy UI-TARS-1.5-7B as an Inference Endpoint; the key is a Hugging Face token."),
    Provider("volcengine", "Volcengine Ark (Doubao)", "https://ark.cn-beijing.volces.com/api/v3",
             "doubao-1-5-ui-tars-250428", "doubao", True, "The key is an Ark API key; the model is your endpoint ID."),
    Provider("openrouter", "OpenRouter", "https://openrouter.ai/api/v1", "bytedance/ui-tars-1.5-7b", "uitars-1.5",
             True, "The key is an OpenRouter API key."),
    Provider("anthropic", "Anthropic (Claude)", "https://api.anthropic.com", "claude-sonnet-4-6", "claude", True,
             "Claude with its computer-use tool; the key is an Anthropic API key (console.anthropic.com).",
             key_account="anthropic", prices=ANTHROPIC_PRICES),
    Provider("openai", "OpenAI (computer use)", "https://api.openai.com/v1", "gpt-5.4", "openai-cua", True,
             "gpt-5.4 or computer-use-preview (Responses API); the key is an OpenAI API key (platform.openai.com).",
             key_account="openai", prices=OPENAI_PRICES),
    Provider("gemini", "Google Gemini (computer use)", "https://generativelanguage.googleapis.com",
             "gemini-2.5-computer-use-preview-10-2025", "gemini", True,
             "Gemini's computer-use model; the key is a Gemini API key (aistudio.google.com).",
             key_account="gemini", prices=GEMINI_PRICES),
    Provider("custom", "Custom", "", "", "auto", False, "Any OpenAI-compatible endpoint that accepts images."),
)


def provider(key: str) -> Provider:
    return next((p for p in PROVIDERS if p.key == key), PROVIDERS[-1])


def price_for(family: str, model: str) -> Price | None:
    """The list price of `model` as the preset of `family` knows it (the API families); None when unknown."""
    for p in PROVIDERS:
        if p.family == family and (price := p.price(model)) is not None:
            return price
    return None

