"""What the computer-use API families (Claude, OpenAI, Gemini) share: the family is still the one plugin, but its
reply is the provider's JSON response body, its request is the provider's own (built from the run's history), and
its transport is the provider's SDK (`client`).

Each earlier step's turn holds the response body as recorded, and in `extra` what the app answered for it — so a
request (and a replay of the run) can be built from the history alone:

* ``pointer``: [x, y], the pointer after the step, in screen pixels (a cursor-position call's answer);
* ``zoom``: {action index: image URL of the full-resolution crop of the region asked for};
* ``unsupported``: {action index: the error text the call gets back};
* ``confirmed``: True when the person allowed a call that carried a provider's safety check (only then is it
  acknowledged); a declined one ran nothing and is followed by the person's note in the history;
* the screenshot a call's result carries is the next step's: the following turn's image, else the request's
  current one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agent_app.core.actions import Action
from agent_app.core.families.base import COORDINATES, Sampling

if TYPE_CHECKING:
    from agent_app.core.history import Turn


@dataclass(frozen=True)
class ApiFamily:
    """The base of an API family. Subclasses give `model_image_size`, `messages`, `parse` and `client`."""

    name: str
    label: str
    coordinates: str  # "image": pixels of the screenshot sent; "thousandths": a 0..999 grid (Gemini)
    provider: str
    default_model: str
    max_images: int | None = 3  # the newest screenshots a request keeps (older ones leave, as the demos do)
    sampling: Sampling = field(default_factory=lambda: Sampling(temperature=0.0, top_p=None, max_tokens=4096,
                                                                frequency_penalty=None))
    model_names: tuple[str, ...] = ()
    watches: bool = False  # a dropped request is billed: settle before each screenshot instead
    truncate: bool = False  # points cut to the pixel, not rounded (Gemini's grid: int(x / 1000 * w))

    @property
    def description(self) -> str:
        return f"{self.label} (API): {COORDINATES[self.coordinates]}"

    def span(self, image_w: int, image_h: int) -> tuple[float, float]:
        if self.coordinates == "image":
            return float(image_w), float(image_h)
        return 1000.0, 1000.0

    def history_text(self, reply: str) -> str:
        return reply

    def format_reply(self, actions: list[Action], thought: str, summary: str = "") -> str:
        """Not training data (the model is closed): the person's actions, written plainly for the record."""
        return json.dumps({"thought": " ".join(thought.split()), "actions": [a.to_json() for a in actions]},
                          ensure_ascii=False)


def result_image(turns: list[Turn], index: int, current_image_url: str) -> str | None:
    """The screenshot the results of step `turns[index]`'s calls carry: the next step's, else the current one.
    None when it is no longer sent (older than the screenshots a request keeps)."""
    for turn in turns[index + 1 :]:
        if turn.kind == "step":
            return turn.image_url
    return current_image_url


def answers(turn: Turn) -> dict[str, Any]:
    """What the app answered for a step (see the module's docstring); empty when nothing."""
    return dict(turn.extra or {})
