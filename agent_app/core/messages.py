"""The conversation sent each step, in the layout UI-TARS was evaluated with (OSWorld uitars15_v1).

system → user(prompt) → for each earlier step: [user(image) if among the last N-1] + assistant(reply) →
user(current image). Every earlier reply is kept as text; only the newest screenshots travel as images.
A person's note (reply to call_user, or after a takeover) is a user text turn at the point it was given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agent_app.core.families import Family
from agent_app.core.parser import add_box_tokens
from agent_app.core.prompts import SYSTEM_PROMPT


@dataclass(frozen=True)
class Turn:
    """One entry of the run's memory: a step (the screenshot it saw and the reply) or a person's note."""

    kind: str  # "step" | "note"
    text: str
    image_url: str | None = None


def _image(url: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}}]}


def _text(role: str, text: str) -> dict[str, Any]:
    return {"role": role, "content": [{"type": "text", "text": text}]}


def build_messages(
    family: Family,
    instruction: str,
    language: str,
    history: list[Turn],
    current_image_url: str,
    history_images: int = 5,
) -> list[dict[str, Any]]:
    """The chat messages for the next request. `history_images` counts the current screenshot too."""
    messages = [_text("system", SYSTEM_PROMPT), _text("user", family.prompt(instruction, language))]
    steps = [t for t in history if t.kind == "step"]
    with_image = {id(t) for t in steps[len(steps) - (history_images - 1) :]} if history_images > 1 else set()
    for turn in history:
        if turn.kind == "note":
            messages.append(_text("user", turn.text))
            continue
        if id(turn) in with_image and turn.image_url:
            messages.append(_image(turn.image_url))
        text = add_box_tokens(turn.text) if family.box_tokens_in_history else turn.text
        messages.append(_text("assistant", text))
    messages.append(_image(current_image_url))
    return messages
