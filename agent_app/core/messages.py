"""The conversation sent each step. Each family lays it out the way it was trained (`Family.layout`).

UI-TARS (OSWorld uitars15_v1): system → user(prompt) → for each earlier step: [user(image) if among the last
N-1] + assistant(reply) → user(current image). Every earlier reply is kept as text; only the newest screenshots
travel as images. A person's note (reply to call_user, or after a takeover) is a user text turn at the point it
was given. Aguvis lays it out differently: see `aguvis.aguvis_messages`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agent_app.core.prompts import SYSTEM_PROMPT

if TYPE_CHECKING:
    from agent_app.core.families import Family


@dataclass(frozen=True)
class Turn:
    """One entry of the run's memory: a step (the screenshot it saw and the reply) or a person's note."""

    kind: str  # "step" | "note"
    text: str
    image_url: str | None = None


# (family, instruction, language, history, current_image_url, history_images) → chat messages
Layout = Callable[["Family", str, str, list[Turn], str, int], list[dict[str, Any]]]


def image_part(url: str) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": url}}


def text_part(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _image(url: str) -> dict[str, Any]:
    return {"role": "user", "content": [image_part(url)]}


def _text(role: str, text: str) -> dict[str, Any]:
    return {"role": role, "content": [text_part(text)]}


def build_messages(
    family: Family,
    instruction: str,
    language: str,
    history: list[Turn],
    current_image_url: str,
    history_images: int = 5,
) -> list[dict[str, Any]]:
    """The chat messages for the next request. `history_images` counts the current screenshot too."""
    return family.layout(family, instruction, language, history, current_image_url, history_images)


def uitars_messages(
    family: Family,
    instruction: str,
    language: str,
    history: list[Turn],
    current_image_url: str,
    history_images: int = 5,
) -> list[dict[str, Any]]:
    """The UI-TARS layout (also Doubao's): multi-turn, the last N screenshots, every earlier reply as text."""
    messages = [_text("system", SYSTEM_PROMPT), _text("user", family.prompt(instruction, language))]
    steps = [t for t in history if t.kind == "step"]
    with_image = {id(t) for t in steps[len(steps) - (history_images - 1) :]} if history_images > 1 else set()
    for turn in history:
        if turn.kind == "note":
            messages.append(_text("user", turn.text))
            continue
        if id(turn) in with_image and turn.image_url:
            messages.append(_image(turn.image_url))
        messages.append(_text("assistant", family.history_text(turn.text)))
    messages.append(_image(current_image_url))
    return messages
