"""What the loop tells its observers (the CLI, the app): one `Event` per phase, and the `RunResult` at the end."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STATUSES = ("running", "paused", "finished", "call_user", "max_steps", "stopped", "error")


@dataclass
class Event:
    """What just happened. `kind`: started, status, captured, model_text, model_replied, format_error, parsed,
    executed, recorded, note, person_actions, retry, ended."""

    kind: str
    step: int = 0
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunResult:
    status: str
    steps: int
    run_dir: str
    final_answer: str | None = None
    error: str | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "status": self.status, "steps": self.steps, "run_dir": self.run_dir,
            "final_answer": self.final_answer, "error": self.error,
        }
