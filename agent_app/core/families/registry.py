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
from agent_app.core.families.glm import GLM_45V
from agent_app.core.families.opencua import OPENCUA
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
    )
}
DEFAULT_FAMILY = "uitars-1.5"
AUTO = "auto"  # choose the family from the endpoint's model name
CHOICES = (*FAMILIES, AUTO)  # what a run, the settings and a saved task may name

# Model names of the families whose modules are still to come, by family name: once a family is registered above,
# these are its names (its own `model_names`, if it gives any, win).
MODEL_NAMES: dict[str, tuple[str, ...]] = {
    "qwen2.5-vl": (r"qwen[-_ ]?2(?:\.|p|_)?5[-_ ]?vl",),
    "qwen3-vl": (r"qwen[-_ ]?3[-_ ]?vl",),
    "gui-owl-1.5": (r"gui[-_ ]?owl[-_ ]?1[._-]?5(?!\d)",),
}


def get_family(name: str) -> Family:
    try:
        return FAMILIES[name]
    except KeyError:
        raise ValueError(f"unknown model family {name!r} (choose from {', '.join(FAMILIES)})") from None


def claimed_by(model_name: str) -> list[str]:
    """The families (registered or to come) whose model names match `model_name`, in registry order."""
    base = re.split(r"[/\\]", model_name.strip().rstrip("/\\"))[-1]
    names = {**MODEL_NAMES, **{n: getattr(f, "model_names", ()) or MODEL_NAMES.get(n, ()) for n, f in FAMILIES.items()}}
    return [n for n, patterns in names.items() if base and any(re.search(p, base, re.IGNORECASE) for p in patterns)]


def detect(model_name: str) -> Family | None:
    """The registered family this model name belongs to; None when no family (or more than one) claims it."""
    claims = claimed_by(model_name)
    return FAMILIES.get(claims[0]) if len(claims) == 1 else None
