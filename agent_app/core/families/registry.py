"""The one list of model families. Adding a family: its module, its tests, and one line here."""

from __future__ import annotations

from agent_app.core.families.aguvis import AGUVIS
from agent_app.core.families.base import Family
from agent_app.core.families.qwen import GUI_OWL_15, QWEN3_VL, QWEN25_VL
from agent_app.core.families.uitars import DOUBAO, UITARS_10, UITARS_15

FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        UITARS_15,
        UITARS_10,
        DOUBAO,
        AGUVIS,
        QWEN25_VL,
        QWEN3_VL,
        GUI_OWL_15,
    )
}
DEFAULT_FAMILY = "uitars-1.5"


def get_family(name: str) -> Family:
    try:
        return FAMILIES[name]
    except KeyError:
        raise ValueError(f"unknown model family {name!r} (choose from {', '.join(FAMILIES)})") from None
