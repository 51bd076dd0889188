"""What a model family is, in one protocol: how its screenshot is sized, what its coordinates mean, how its request
is laid out from the run's history, how its replies parse, and how a person's actions are written in its words.

A family module never imports the desktop, the run folder or the UI: it turns text into actions and history into
messages, nothing else. `ChatFamily` holds what the families behind an OpenAI-compatible chat endpoint share.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from agent_app.core.actions import Action
from agent_app.core.geometry import FACTOR, MIN_PIXELS, CoordinateSpace, Monitor, smart_resize
from agent_app.core.text import one_line

if TYPE_CHECKING:
    from agent_app.core.client import RetryingClient
    from agent_app.core.history import Turn
    from agent_app.core.settings.config import RunConfig

COORDINATES = {
    "image": "absolute pixels of the screenshot as the model saw it",
    "thousandths": "relative 0–1000 of the screen",
    "unit": "relative 0–1 of the screen",
}


@dataclass
class Sampling:
    """How a family is sampled (its reference agents' settings). The client works on a copy."""

    temperature: float = 0.0
    top_p: float | None = 0.9
    max_tokens: int = 1000
    frequency_penalty: float | None = 1.0
    extra_body: dict[str, Any] = field(default_factory=dict)  # further request fields the family's server needs

@dataclass(frozen=True)
class Context:
    """What a family needs to know about the run to lay out a request."""

    task: str
    language: str = "en"
    image_size: tuple[int, int] = (0, 0)  # (width, height) of the screenshot as the model sees it
    monitor: Monitor | None = None  # the screen it shows (where answers in screen pixels are mapped from)


@dataclass
class ParsedReply:
    """A reply split into the model's reasoning and its actions (coordinates still in model units)."""

    thought: str
    actions: list[Action] = field(default_factory=list)


class Family(Protocol):
    name: str
    label: str
    coordinates: str  # a key of COORDINATES
    max_images: int | None  # screenshots per request it was trained on (None: as configured)
    sampling: Sampling
    model_names: tuple[str, ...]  # regular expressions (any case) for the endpoint model names that are its own
    truncate: bool  # its points are cut to the pixel (Gemini's int(x / 1000 * w)), not rounded
    provider: str | None  # whose API it speaks ("anthropic", "openai", "gemini"); None: any OpenAI-compatible one
    default_model: str  # the model to ask when none is named ("": the endpoint's first listed model)
    watches: bool  # freshness "auto": watch the screen (and drop requests) rather than settle first

    @property
    def description(self) -> str:
        """One line for a person: the family and its coordinate convention."""
        ...

    def model_image_size(self, width: int, height: int, max_pixels: int | None = None) -> tuple[int, int]:
        """(width, height) the model sees for a screenshot of this size, within the pixel budget."""
        ...

    def span(self, image_w: int, image_h: int) -> tuple[float, float]:
        """How many model units cover the width and height of the image the model saw."""
        ...

    def messages(self, context: Context, turns: list[Turn], current_image_url: str) -> list[dict[str, Any]]:
        """The request for the next step from the turns `History.visible()` gives (images only where they go)."""
        ...

    def parse(self, reply: str) -> ParsedReply:
        """Actions in model units, or FormatError with a one-line reason. Never runs anything."""
        ...

    def format_reply(self, actions: list[Action], thought: str, summary: str = "") -> str:
        """A reply in this family's words performing `actions` (model units): `parse` gives them back."""
        ...

    def history_text(self, reply: str) -> str:
        """A recorded reply as the model produced it, special tokens included (history turns, training targets)."""
        ...

    def client(self, config: RunConfig) -> RetryingClient:
        """The transport to the model (an OpenAI-compatible endpoint, or the provider's own API)."""
        ...


@dataclass(frozen=True)
class ChatFamily:
    """Sizing and coordinates shared by the families that answer over chat completions (Qwen2-VL processors)."""

    name: str
    label: str
    coordinates: str
    max_pixels: int
    min_pixels: int = MIN_PIXELS
    factor: int = FACTOR
    max_images: int | None = None
    sampling: Sampling = field(default_factory=Sampling)
    model_names: tuple[str, ...] = ()
    truncate: bool = False
    provider: str | None = None
    default_model: str = ""
    watches: bool = True  # an open model's dropped request costs only the server's prefill

    @property
    def description(self) -> str:
        return f"{self.label}: {COORDINATES[self.coordinates]}"

    def model_image_size(self, width: int, height: int, max_pixels: int | None = None) -> tuple[int, int]:
        budget = min(self.max_pixels, max_pixels) if max_pixels else self.max_pixels
        h, w = smart_resize(height, width, self.factor, min(self.min_pixels, budget), budget)
        return w, h

    def span(self, image_w: int, image_h: int) -> tuple[float, float]:
        if self.coordinates == "image":
            return float(image_w), float(image_h)
        if self.coordinates == "thousandths":
            return 1000.0, 1000.0
        return 1.0, 1.0

    def history_text(self, reply: str) -> str:
        return reply

    def client(self, config: RunConfig) -> RetryingClient:
        from agent_app.core.client import ModelClient

        return ModelClient.for_run(config, self.sampling)


def coordinate_space(family: Family, monitor: Monitor, model_size: tuple[int, int]) -> CoordinateSpace:
    """How `family`'s numbers for a screenshot sized `model_size` map onto `monitor` (the one place runs, the parse
    command and the doctor build it)."""
    return CoordinateSpace(monitor, *family.span(*model_size), truncate=family.truncate)


def image_part(url: str) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": url}}


def text_part(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def text_message(role: str, text: str) -> dict[str, Any]:
    return {"role": role, "content": [text_part(text)]}


def screenshot_dialogue(head: list[dict[str, Any]], turns: list[Turn], current_image_url: str,
                        history_text: Callable[[str], str]) -> list[dict[str, Any]]:
    """The layout the UI-TARS families were trained on: `head`, then per earlier step [user(its screenshot) while
    it still travels] + assistant(the reply as `history_text` gives it), a person's note as a user text turn
    where it was given, then user(the current screenshot)."""
    messages = list(head)
    for turn in turns:
        if turn.kind == "note":
            messages.append(text_message("user", turn.text))
            continue
        if turn.image_url:
            messages.append({"role": "user", "content": [image_part(turn.image_url)]})
        messages.append(text_message("assistant", history_text(turn.text)))
    messages.append({"role": "user", "content": [image_part(current_image_url)]})
    return messages


def previous_actions(turns: list[Turn], describe: Callable[[str], str]) -> str:
    """The text prompts' `Previous actions:` list: `Step k: …` per step (`describe` says in one line what its reply
    did), a person's note as a line of its own where it came; "None" when there is nothing."""
    lines: list[str] = []
    step = 0
    for turn in turns:
        if turn.kind == "note":
            lines.append(one_line(turn.text, 300))
        else:
            step += 1
            lines.append(f"Step {step}: {describe(turn.text)}")
    return "\n".join(lines) or "None"


def quote(text: str) -> str:
    """Single-quoted, with the escapes UI-TARS is taught (\\', \\", \\n) and a literal backslash."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'").replace('"', '\\"').replace("\n", "\\n") + "'"
