"""Provider presets for the Settings dialog: where each kind of endpoint usually lives."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Provider:
    key: str
    label: str
    base_url: str
    model: str
    family: str
    needs_key: bool
    hint: str


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
    Provider("custom", "Custom", "", "", "auto", False, "Any OpenAI-compatible endpoint that accepts images."),
)


def provider(key: str) -> Provider:
    return next((p for p in PROVIDERS if p.key == key), PROVIDERS[-1])
