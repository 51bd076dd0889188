"""The one list of model families. Adding a family: its module, its tests, and one line here.

`--model-family auto` chooses a family from the endpoint's model name: each family names its own models
(`model_names`, regular expressions matched in any case against the name without its organisation or folder), and
`detect` is the one place that walks them. The patterns exclude each other over real model ids (a test holds a list
of them): UI-TARS-2 is not UI-TARS-2B-SFT (1.0) nor doubao-1-5-ui-tars-250428; OpenCUA-7B is not OpenCUA-Qwen2-7B
(which answers 0..1); GUI-Owl-1.5 is Qwen3-VL-based but its own family. A name two families claim is not placed.
"""

from __future__ import annotations

import re

from agent_app.core.families.aguvis import AGUVIS
from agent_app.core.families.base import Family
from agent_app.core.families.claude import CLAUDE
from agent_app.core.families.gemini import GEMINI
from agent_app.core.families.glm import GLM_45V
from agent_app.core.families.openai_cua import OPENAI_CUA
from agent_app.core.families.opencua import OPENCUA
from agent_app.core.families.qwen import GUI_OWL_15, QWEN3_VL, QWEN25_VL
from agent_app.core.families.uitars import DOUBAO, UITARS_10, UITARS_15
from agent_app.core.families.uitars2 import UITARS_2

FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        UITARS_15,
        UITARS_10,
        DOUBAO,
        AGUVIS,
        OPENCUA,
        GLM_45V,
        UITARS_2,
        QWEN25_VL,
        QWEN3_VL,
        GUI_OWL_15,
        CLAUDE,
        OPENAI_CUA,
        GEMINI,
    )
}
DEFAULT_FAMILY = "uitars-1.5"
AUTO = "auto"  # choose the family from the endpoint's model name
CHOICES = (*FAMILIES, AUTO)  # what a run, the settings and a saved task may name

def get_family(name: str, model: str = "") -> Family:
    """The family `name`, as it serves `model` when that matters to it (an API family's tool is the model's)."""
    try:
        family = FAMILIES[name]
    except KeyError:
        raise ValueError(f"unknown model family {name!r} (choose from {', '.join(FAMILIES)})") from None
    for_model = getattr(family, "for_model", None)
    return for_model(model) if for_model is not None and model else family


def claimed_by(model_name: str) -> list[str]:
    """The families whose model names match `model_name`, in registry order."""
    base = re.split(r"[/\\]", model_name.strip().rstrip("/\\"))[-1]
    return [n for n, f in FAMILIES.items()
            if base and any(re.search(p, base, re.IGNORECASE) for p in getattr(f, "model_names", ()))]


def detect(model_name: str) -> Family | None:
    """The registered family this model name belongs to; None when no family (or more than one) claims it."""
    claims = claimed_by(model_name)
    return FAMILIES.get(claims[0]) if len(claims) == 1 else None
