"""What `agent-app doctor` found: one `Check` per thing it tried, and the report that holds them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Check:
    """One verdict. `advice` is one sentence saying what to do, set exactly when the check failed."""

    name: str
    ok: bool
    summary: str
    figures: dict[str, Any] = field(default_factory=dict)
    advice: str | None = None
    skipped: bool = False  # not applicable here, or nothing to check (no endpoint configured)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "ok": self.ok, "summary": self.summary, "figures": self.figures}
        if self.skipped:
            out["skipped"] = True
        if self.advice:
            out["advice"] = self.advice
        return out

    def line(self) -> str:
        mark = "–" if self.skipped else "✔" if self.ok else "✖"
        text = f"{mark} {self.name:<12} {self.summary}"
        return f"{text} — {self.advice}" if self.advice else text


def failed(name: str, summary: str, advice: str, **figures: Any) -> Check:
    return Check(name, False, summary, figures, advice)


def passed(name: str, summary: str, **figures: Any) -> Check:
    return Check(name, True, summary, figures)


def skipped(name: str, summary: str, **figures: Any) -> Check:
    return Check(name, True, summary, figures, skipped=True)


@dataclass
class DoctorReport:
    checks: list[Check] = field(default_factory=list)
    seconds: float = 0.0
    monitor: dict[str, int] | None = None  # the monitor checked, in input (pyautogui) coordinates
    monitor_index: int = 1

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def get(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    def headline(self) -> str:
        problems = [c for c in self.checks if not c.ok]
        if not problems:
            return f"Everything holds on monitor {self.monitor_index} ({self.seconds:.1f} s)."
        names = ", ".join(c.name for c in problems)
        return f"{len(problems)} problem(s) on monitor {self.monitor_index}: {names} ({self.seconds:.1f} s)."

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "seconds": round(self.seconds, 2), "monitor": self.monitor_index,
            "monitor_rect": self.monitor, "checks": [c.to_json() for c in self.checks],
        }

    def lines(self) -> list[str]:
        return [c.line() for c in self.checks] + [self.headline()]
