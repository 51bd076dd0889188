"""Model families: what each one is told, how its replies are parsed and what its coordinates mean."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from agent_app.core import prompts
from agent_app.core.aguvis import aguvis_messages, parse_aguvis, restore_tokens
from agent_app.core.geometry import FACTOR, MIN_PIXELS, smart_resize
from agent_app.core.messages import Layout, uitars_messages
from agent_app.core.parser import ParsedReply, add_box_tokens, parse_uitars


@dataclass(frozen=True)
class Family:
    name: str
    label: str
    coordinates: str  # "image": pixels of the image the model saw; "thousandths": 0..1000; "unit": 0..1
    max_pixels: int
    parse: Callable[[str], ParsedReply]
    action_space: str = prompts.UITARS_ACTION_SPACE
    box_tokens_in_history: bool = True
    min_pixels: int = MIN_PIXELS
    layout: Layout = uitars_messages  # how the request is laid out (see messages.py)
    restore: Callable[[str], str] | None = None  # puts back special tokens a server stripped from a reply
    max_images: int | None = None  # screenshots per request the model was trained on (None: as configured)

    def model_image_size(self, width: int, height: int, max_pixels: int | None = None) -> tuple[int, int]:
        """(width, height) the model sees for an image of this size: smart_resize within the pixel budget."""
        budget = min(self.max_pixels, max_pixels) if max_pixels else self.max_pixels
        h, w = smart_resize(height, width, FACTOR, min(self.min_pixels, budget), budget)
        return w, h

    def span(self, image_w: int, image_h: int) -> tuple[float, float]:
        """How many model units cover the width and height of an image the model saw."""
        if self.coordinates == "image":
            return float(image_w), float(image_h)
        if self.coordinates == "thousandths":
            return 1000.0, 1000.0
        return 1.0, 1.0

    def prompt(self, instruction: str, language: str) -> str:
        return prompts.computer_use_prompt(instruction, language, self.action_space)

    def history_text(self, reply: str) -> str:
        """A recorded reply as the model produced it, special tokens included (history turns, training targets)."""
        if self.restore is not None:
            return self.restore(reply)
        return add_box_tokens(reply) if self.box_tokens_in_history else reply


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family("uitars-1.5", "UI-TARS-1.5", "image", 16384 * FACTOR * FACTOR, parse_uitars),
        Family("uitars-1.0", "UI-TARS-1.0", "thousandths", 2700 * FACTOR * FACTOR, parse_uitars),
        Family(
            "doubao", "Doubao / Seed GUI", "thousandths", 5120 * FACTOR * FACTOR, parse_uitars,
            action_space=prompts.DOUBAO_ACTION_SPACE, box_tokens_in_history=False,
        ),
        # Trained around 1280x720: 1280 patches of 28x28 keep a 720p screen at 1288x728 (as in training) and
        # bring 1080p down to 1316x728. Coordinates are 0..1, so the size affects accuracy only.
        Family(
            "aguvis", "Aguvis", "unit", 1280 * FACTOR * FACTOR, parse_aguvis,
            box_tokens_in_history=False, layout=aguvis_messages, restore=restore_tokens, max_images=1,
        ),
    )
}
DEFAULT_FAMILY = "uitars-1.5"


def get_family(name: str) -> Family:
    try:
        return FAMILIES[name]
    except KeyError:
        raise ValueError(f"unknown model family {name!r} (choose from {', '.join(FAMILIES)})") from None
