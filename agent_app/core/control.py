"""Pause / resume / stop for a running agent, safe to call from any thread (UI, signal handler, hotkey)."""

from __future__ import annotations

import signal
import threading
import time
from dataclasses import dataclass

from agent_app.core.errors import Stopped, TakenOver

POLL_S = 0.02  # how often blocking waits look at the stop flag: stop lands within ~20 ms
HOLD_MAX_S = 10.0  # a hold the input listener never settles (it died) must not freeze the run


@dataclass(frozen=True)
class Resumption:
    """How a pause ended: the person's note (may be empty) and whether they had taken over the controls."""

    note: str = ""
    intervened: bool = False
    decline: bool = False  # the person will not help: end a call_user hand-over as `call_user`
    allow_rest: bool = False  # a confirmation answered "Allow the rest of this run": stop asking


class RunControl:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._stop_reason: str | None = None
        self._paused_by: str | None = None
        self._resumption: Resumption | None = None
        self._interventions = 0
        self._held = False

    # ---- requests (any thread) ----
    def stop(self, reason: str = "stopped by the user") -> None:
        with self._cond:
            if self._stop_reason is None:
                self._stop_reason = reason
            self._cond.notify_all()

    def pause(self, by: str = "user") -> None:
        """Ask the loop to pause at its next checkpoint. `by` says why: 'user', 'takeover', 'call_user'."""
        with self._cond:
            if self._paused_by is None:
                self._paused_by = by
                self._resumption = None
            if by == "takeover":
                self._interventions += 1
            self._cond.notify_all()

    def resume(self, note: str = "", decline: bool = False, allow_rest: bool = False) -> None:
        with self._cond:
            if self._paused_by is not None:
                intervened = self._interventions > 0
                self._interventions = 0
                self._resumption = Resumption(note=note, intervened=intervened, decline=decline,
                                              allow_rest=allow_rest)
                self._paused_by = None
            self._cond.notify_all()

    def hold(self, held: bool) -> None:
        """Hold the agent at its next check while the person's pointer is on its way somewhere: until it comes
        to rest it is not known whether the person is taking over or reaching for agent-app's own controls."""
        with self._cond:
            self._held = held
            self._cond.notify_all()

    # ---- state ----
    @property
    def stop_requested(self) -> bool:
        return self._stop_reason is not None

    @property
    def paused_by(self) -> str | None:
        return self._paused_by

    def check(self) -> None:
        """Raise Stopped if a stop was requested, TakenOver if the person has just taken the controls.

        Other pauses (the Pause button, a hand-over) let the current step finish and hold at the next one.
        While held (see `hold`) it waits until the hold is settled one way or the other.
        """
        if self._held:
            self._wait_out_hold()
        if self._stop_reason is not None:
            raise Stopped(self._stop_reason)
        if self._paused_by == "takeover":
            raise TakenOver("the person took over")

    def _wait_out_hold(self) -> None:
        deadline = time.monotonic() + HOLD_MAX_S
        with self._cond:
            while (self._held and self._stop_reason is None and self._paused_by != "takeover"
                   and time.monotonic() < deadline):
                self._cond.wait(POLL_S)

    def _check_stop(self) -> None:
        if self._stop_reason is not None:
            raise Stopped(self._stop_reason)

    # ---- waits (the loop's thread) ----
    def wait_while_paused(self) -> Resumption | None:
        """Block while paused; return how the pause ended (None if there was no pause). Raises Stopped."""
        with self._cond:
            if self._paused_by is None and self._resumption is None:
                self._check_stop()
                return None
            while self._paused_by is not None:
                self._check_stop()
                self._cond.wait(POLL_S * 5)
            self._check_stop()
            resumption, self._resumption = self._resumption, None
            return resumption or Resumption()

    def sleep(self, seconds: float) -> None:
        """Sleep that a stop interrupts (a pause does not: the loop pauses at its next checkpoint)."""
        deadline = time.monotonic() + seconds
        with self._cond:
            while True:
                self.check()
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._cond.wait(min(left, POLL_S * 5))


def stop_signals() -> list[signal.Signals]:
    """The signals that end a run the way Stop does: Ctrl+C, `kill` (and logout), and the terminal going away
    (SIGHUP, where the platform has it). Left to their default, SIGTERM and SIGHUP end the process on the spot,
    with a button the agent holds still down and no summary."""
    return [signal.SIGINT, signal.SIGTERM, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])]
