"""Tokens and what they cost: one step's usage, a run's totals, and the words the viewer, the report and the
command line show them in.

A step's usage is the `usage` object of its trajectory line. `prompt_tokens` counts every input token the
provider billed, cached ones included; `completion_tokens` every output token, thinking included. Optional
parts of `prompt_tokens`: `cached_tokens` (read from the provider's prompt cache) and `cache_write_tokens`
(written to it); other keys are kept but not priced. A price is in US dollars per million tokens; without one
there are tokens only, never a made-up cost.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from agent_app.core.typecheck import fits

MILLION = 1_000_000
MAX_TOKENS = 10**12  # no call spends a trillion tokens: a larger count is a damaged line (its cost would overflow)
PRICE_KEY = "price_usd_per_mtok"  # in a run's recorded settings: the list price the run is estimated at


@dataclass(frozen=True)
class Price:
    """A model's list price in USD per million tokens, as a provider publishes it."""

    input: float
    output: float
    cached_input: float | None = None  # None: cache reads cost the input price
    cache_write: float | None = None  # None: cache writes cost the input price
    # A request whose prompt is longer than `long_above` tokens is billed at these multiples, on every token.
    long_above: int | None = None
    long_input: float = 1.0
    long_output: float = 1.0

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if v is not None}
        if self.long_above is None:
            del data["long_input"], data["long_output"]
        return data

    @classmethod
    def from_json(cls, data: Any) -> Price | None:
        """The price a run recorded; None when there is none or it is damaged (then: tokens only)."""
        if not isinstance(data, dict):
            return None
        values: dict[str, Any] = {}
        for f in fields(cls):
            value = data.get(f.name)
            if value is None:
                if f.name in ("input", "output"):
                    return None
                continue
            if not _number(value) or value < 0 or (f.name == "long_above" and value != int(value)):
                return None
            values[f.name] = int(value) if f.name == "long_above" else float(value)
        return cls(**values)


def run_price(settings: Any) -> Price | None:
    """The price a run recorded in its settings (header line, or the `started` event's config), or None."""
    return Price.from_json(settings.get(PRICE_KEY)) if isinstance(settings, dict) else None


def _number(value: Any) -> bool:
    return fits(value, float)  # finite, and an int past any float (10**400) refused without overflowing


@dataclass(frozen=True)
class Usage:
    """One model call's tokens, checked: whole, non-negative, the cached parts no more than the prompt."""

    prompt: int = 0
    completion: int = 0
    cached: int = 0
    cache_write: int = 0

    @classmethod
    def from_json(cls, data: Any) -> Usage | None:
        """A step line's `usage`; None when the step has none or it cannot be read (a damaged line)."""
        if not isinstance(data, dict) or ("prompt_tokens" not in data and "completion_tokens" not in data):
            return None
        counts: list[int] = []
        for key in ("prompt_tokens", "completion_tokens", "cached_tokens", "cache_write_tokens"):
            value = data.get(key, 0)
            if value is None:
                value = 0
            if not _number(value) or value < 0 or value != int(value) or value > MAX_TOKENS:
                return None
            counts.append(int(value))
        prompt, completion, cached, write = counts
        cached = min(cached, prompt)
        return cls(prompt, completion, cached, min(write, prompt - cached))

    def cost(self, price: Price) -> float:
        """USD for this call at `price`."""
        fresh = self.prompt - self.cached - self.cache_write
        long = price.long_above is not None and self.prompt > price.long_above
        in_x, out_x = (price.long_input, price.long_output) if long else (1.0, 1.0)
        cached = price.input if price.cached_input is None else price.cached_input
        write = price.input if price.cache_write is None else price.cache_write
        spent_in = fresh * price.input + self.cached * cached + self.cache_write * write
        return (spent_in * in_x + self.completion * price.output * out_x) / MILLION


@dataclass
class Tally:
    """A run's tokens and cost so far. `cost` is None when the run's price is unknown."""

    price: Price | None = None
    prompt: int = 0
    completion: int = 0
    cached: int = 0
    cost: float | None = None
    unreported: int = 0  # steps whose usage the endpoint did not report (the totals leave them out)

    def __post_init__(self) -> None:
        if self.price is not None and self.cost is None:
            self.cost = 0.0

    def add(self, usage: Any) -> Usage | None:
        """Count one step's `usage` (as recorded); returns it checked, None when the step has none."""
        checked = Usage.from_json(usage)
        if checked is None:
            self.unreported += 1
            return None
        self.prompt += checked.prompt
        self.completion += checked.completion
        self.cached += checked.cached
        if self.price is not None and self.cost is not None:
            self.cost += checked.cost(self.price)
        return checked

    def progress(self, usage: Any) -> str:
        """Count one step and say it with the run so far: "1.5k in / 85 out tokens · ≈ $0.0059 (run ≈ $0.0160)";
        "" when the step has no usage."""
        if self.add(usage) is None:
            return ""
        text = step_text(usage, self.price, short=True)
        return text + (f" (run ≈ {usd(self.cost)})" if self.cost is not None else "")

    @classmethod
    def of(cls, lines: list[dict[str, Any]], price: Price | None) -> Tally:
        """The totals of a recorded run's step lines."""
        tally = cls(price)
        for line in lines:
            if line.get("kind") == "step":
                tally.add(line.get("usage"))
        return tally

    @property
    def counted(self) -> bool:
        return bool(self.prompt or self.completion)

    def describe(self, short: bool = False) -> str:
        """"12.3k in / 456 out tokens · ≈ $0.12", "" when nothing was counted. `short`: thousands as k."""
        if not self.counted:
            return ""
        text = tokens_text(self.prompt, self.completion, self.cached, short)
        if self.cost is not None:
            text += f" · ≈ {usd(self.cost)}"
        if self.unreported:
            steps = f"{self.unreported} step{'s' if self.unreported > 1 else ''}"
            text += f" ({steps} uncounted)" if short else f" ({steps} without token counts)"
        return text


def step_text(usage: Any, price: Price | None, short: bool = False) -> str:
    """One step's tokens and cost in words ("1,523 in / 85 out tokens · ≈ $0.0059"), "" without usage."""
    checked = Usage.from_json(usage)
    if checked is None:
        return ""
    text = tokens_text(checked.prompt, checked.completion, checked.cached, short)
    return text + (f" · ≈ {usd(checked.cost(price))}" if price is not None else "")


def tokens_text(prompt: int, completion: int, cached: int = 0, short: bool = False) -> str:
    count = _short if short else _long
    cached_note = f" ({count(cached)} cached)" if cached else ""
    return f"{count(prompt)} in{cached_note} / {count(completion)} out tokens"


def _long(n: int) -> str:
    return f"{n:,}"


def _short(n: int) -> str:
    if n < 1000:
        return str(n)
    if n < 1_000_000:
        return f"{n / 1000:.1f}k"
    return f"{n / MILLION:.2f}M"


def usd(amount: float) -> str:
    """Dollars as a person reads an estimate: two decimals from 10 cents up, four below, never a bare 0 for a
    cost that is not zero."""
    if amount <= 0:
        return "$0.00"
    if amount < 0.0001:
        return "< $0.0001"
    if amount < 0.1:
        return f"${amount:.4f}"
    return f"${amount:,.2f}"
