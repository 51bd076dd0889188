"""Request layouts: how a family lays out the turns `History.visible()` gives it (`Family.layout`).

UI-TARS (OSWorld uitars15_v1): system → user(prompt) → for each earlier step: [user(image) if it still carries
its screenshot] + assistant(reply) → user(current image). Every earlier reply is kept as text; which screenshots
travel is decided by `History`. A person's note (reply to call_user, a declined action, after a takeover) is a
user text turn at the point it was given. Aguvis lays it out differently: see `aguvis.aguvis_messages`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from agent_app.core.prompts import SYSTEM_PROMPT

if TYPE_CHECKING:
    from agent_app.core.families import Family
    from agent_app.core.history import Turn

# (family, instruction, language, visible turns, current_image_url) → chat messages
Layout = Callable[["Family", str, str, "list[Turn]", str], list[dict[str, Any]]]


def image_part(url: str) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": url}}


def text_part(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _image(url: str) -> dict[str, Any]:
    return {"role": "user", "content": [image_part(url)]}


def _text(role: str, text: str) -> dict[str, Any]:
    return {"role": role, "content": [text_part(text)]}


def uitars_messages(
    family: Family, instruction: str, language: str, turns: list[Turn], current_image_url: str
) -> list[dict[str, Any]]:
    """The UI-TARS layout (also Doubao's): multi-turn, recent screenshots, every earlier reply as text."""
    messages = [_text("system", SYSTEM_PROMPT), _text("user", family.prompt(instruction, language))]
    for turn in turns:
        if turn.kind == "note":
            messages.append(_text("user", turn.text))
            continue
        if turn.image_url:
            messages.append(_image(turn.image_url))
        messages.append(_text("assistant", family.history_text(turn.text)))
    messages.append(_image(current_image_url))
    return messages
