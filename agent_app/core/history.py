"""The run's memory: the one source of what the model is sent.

The loop adds what happens — each step (the model's reply and the screenshot it answered), the person's notes
(replies, declines, takeovers) and any lowering of the screenshot count — and asks for the next request's
messages; `runs export` replays a run folder into a fresh `History` and asks the same question. The rule of which
screenshots travel lives here and only here: the newest `images` of them, the current one included, so request k
carries min(k, images) screenshots. How the request is laid out is the family's business (`Family.messages`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent_app.core.families.base import Context, Family


@dataclass(frozen=True)
class Turn:
    """One entry: a step (the reply, and its screenshot while it may still be sent) or a person's note."""

    kind: str  # "step" | "note"
    text: str
    image_url: str | None = None
    extra: dict[str, Any] | None = None  # what the app answered for the step (API families: families/api.py)


class History:
    def __init__(self, images: int) -> None:
        self.images = max(1, images)  # screenshots per request, the current one included
        self.turns: list[Turn] = []

    @classmethod
    def for_family(cls, family: Family, images: int) -> History:
        """A history sending at most what `family` takes (Aguvis was trained on one screenshot a request)."""
        return cls(min(images, family.max_images) if family.max_images else images)

    # ---- what happened ----
    def add_step(self, reply: str, image_url: str, extra: dict[str, Any] | None = None) -> None:
        self.turns.append(Turn("step", reply, image_url, extra))
        self._forget_images()

    def annotate(self, extra: dict[str, Any]) -> None:
        """Add what the app answered to the newest step (after acting on it)."""
        for i in range(len(self.turns) - 1, -1, -1):
            if self.turns[i].kind == "step":
                self.turns[i] = replace(self.turns[i], extra={**(self.turns[i].extra or {}), **extra})
                return

    def add_note(self, text: str) -> None:
        self.turns.append(Turn("note", text))

    def lower_images(self, images: int) -> bool:
        """Send fewer screenshots from now on (a server's limit). False if that is no change or impossible."""
        if not 1 <= images < self.images:
            return False
        self.images = images
        self._forget_images()
        return True

    def replace_images(self, convert: Callable[[str], str]) -> None:
        """Re-encode the screenshots that may still be sent (once, when an endpoint refuses their format)."""
        self.turns = [replace(t, image_url=convert(t.image_url)) if t.image_url else t for t in self.turns]

    # ---- what the model gets ----
    def visible(self) -> list[Turn]:
        """The turns as the next request shows them: only the newest `images - 1` steps keep their screenshot."""
        keep = self.images - 1
        steps = [i for i, t in enumerate(self.turns) if t.kind == "step"]
        with_image = set(steps[max(0, len(steps) - keep) :]) if keep > 0 else set()
        return [t if i in with_image or t.image_url is None else replace(t, image_url=None)
                for i, t in enumerate(self.turns)]

    def messages(self, family: Family, context: Context, current_image_url: str) -> list[dict[str, Any]]:
        """The next request: the family's layout of the visible turns and the current screenshot."""
        return family.messages(context, self.visible(), current_image_url)

    def _forget_images(self) -> None:
        """Drop screenshots that can never be sent again, so memory stays flat over long runs."""
        self.turns = self.visible()


USER_NOTE_PREFIX = "Note from the user: "


def user_note_text(note: str, intervened: bool) -> str:
    """The text a person's reply or takeover becomes in the model's context."""
    lead = "The user took over control and then handed it back to you. " if intervened else ""
    return lead + (USER_NOTE_PREFIX + note.strip() if note.strip() else "Please continue the task.")
