"""The agent loop: screenshot → model → parse → execute → record, until finished, budget, stop or error.

Small on purpose. Everything fiddly lives in the parts it calls; this file only decides what happens next.
Observers (the CLI, the app) hear one `Event` per phase and never drive the loop; a `RunControl` pauses,
resumes (optionally with the person's note) and stops it from any thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent_app.core import images
from agent_app.core.actions import ANSWERED_TYPES, TERMINAL_TYPES, Action
from agent_app.core.client import ImageFormatError, ImageLimitError, ModelClient, ModelReply
from agent_app.core.control import Resumption, RunControl
from agent_app.core.desktop.capture import Screenshot, screenshot
from agent_app.core.desktop.person import PersonRecorder
from agent_app.core.errors import (
    AgentAppError,
    ConfigError,
    FormatError,
    Interrupt,
    RecordingError,
    ScreenChanged,
    Stopped,
    TakenOver,
)
from agent_app.core.events import Event, RunResult
from agent_app.core.families.base import Context, Family, ParsedReply, coordinate_space
from agent_app.core.families.registry import get_family
from agent_app.core.history import History, user_note_text
from agent_app.core.protocols import Executor, NoGuard, Screen, WindowGuard
from agent_app.core.redact import redact
from agent_app.core.risk import needs_confirmation
from agent_app.core.runs.recorder import Recorder, StepRecord
from agent_app.core.settings import endpoints
from agent_app.core.settings.config import RunConfig, default_runs_dir
from agent_app.core.settings.logs import log_path

log = logging.getLogger(__name__)

STILL_S, STILL_INTERVAL_S = 0.15, 0.015  # before a screenshot: the screen has stopped changing (bounded)
WATCH_S, WATCH_INTERVAL_S = 1.5, 0.05  # while the model thinks, this long after an action: did the screen react?
MAX_CANCELS = 3  # requests dropped per step because the screen changed; then the model answers what it has


@dataclass
class Outcome:
    """How a step's acting ended: the terminal action, a wait() to sleep, or the person's decline."""

    terminal: Action | None = None
    wait: float | None = None  # seconds to sleep for a wait()
    declined: Resumption | None = None


class Agent:
    def __init__(
        self,
        config: RunConfig,
        *,
        screen: Screen,
        executor: Executor,
        client: ModelClient | None = None,
        control: RunControl | None = None,
        observers: list[Callable[[Event], None]] | None = None,
        guard: WindowGuard | None = None,
        person: PersonRecorder | None = None,
    ) -> None:
        self.config = config
        self.guard = guard or NoGuard()
        self.person = person
        self.family: Family = get_family(config.model_family, config.model)
        self.screen, self.executor = screen, executor
        self.control = control or RunControl()
        self.observers = list(observers or [])
        self.client = client or self.family.client(config)
        self.history = History.for_family(self.family, config.history_images)
        self.steps = 0
        self.recorder: Recorder | None = None
        self._repeats: list[list[dict[str, Any]]] = []
        self.last_actions: list[Action] = []
        self.last_thought = self.previous_thought = ""
        monitor = screen.monitor
        self.model_size = self.family.model_image_size(monitor.width, monitor.height, config.max_pixels)
        self.space = coordinate_space(self.family, monitor, self.model_size)
        self.context = Context(config.task, config.language, self.model_size, monitor)
        self.encoding = images.encoding_for(config.base_url, endpoints.refuses_webp(config.base_url))
        self._acted_at: float | None = None  # when the agent last did something on the desktop
        # Watch the screen while the model thinks (and drop a request it makes stale), or settle before each
        # screenshot: "auto" watches for open models and settles for paid APIs, where a dropped request is billed.
        self.watching = config.freshness == "watch" or (config.freshness == "auto" and self.family.watches)

    # ---- observers ----
    def emit(self, kind: str, **data: Any) -> None:
        event = Event(kind, self.steps, data)
        for observer in self.observers:
            try:
                observer(event)
            except Exception:
                log.exception("observer failed on %s", kind)

    def _status(self, status: str, **data: Any) -> None:
        self.emit("status", status=status, **data)

    # ---- the loop ----
    def run(self) -> RunResult:
        cfg = self.config
        runs_dir = Path(cfg.runs_dir) if cfg.runs_dir else default_runs_dir()
        header = {"settings": cfg.public(), "model_image": list(self.model_size)}
        try:
            self.recorder = Recorder(runs_dir, cfg.task, header)
        except RecordingError as e:
            raise ConfigError(str(e)) from None
        result = RunResult("running", 0, str(self.recorder.run_dir))
        self.emit("started", run_dir=result.run_dir, config=cfg.public())
        self._status("running")
        try:
            while True:
                self._checkpoint()
                if self.steps >= cfg.max_steps:
                    result.status = "max_steps"
                    result.error = f"the step budget of {cfg.max_steps} is used up"
                    break
                try:
                    terminal = self._step()
                except TakenOver:
                    continue  # the person has the controls; the checkpoint waits until they hand back
                if terminal is None:
                    self._check_stuck()
                    continue
                if terminal.type == "finished":
                    result.status, result.final_answer = "finished", terminal.content or ""
                    break
                if not cfg.call_user_pauses or terminal.confirm or self._hand_over().decline:
                    result.status, result.error = "call_user", terminal.content or None
                    break
        except Stopped as e:
            result.status, result.error = "stopped", str(e)
        except AgentAppError as e:
            result.status, result.error = "error", str(e)
        except Exception as e:
            log.exception("internal error")
            result.status = "error"
            result.error = redact(f"internal error: {type(e).__name__}: {e} (details in {log_path()})")
        finally:
            self.executor.release_all()
            self.guard.show()
            failure = self.recorder.flush()
            if failure is not None and result.status != "error":
                result.status, result.error = "error", str(failure)
            result.steps = self.recorder.steps_written  # the step lines on disk, which the end line must match
            failure = self.recorder.finish({"kind": "end", "time": time.time(), **result.summary()})
            if failure is not None:
                result.error = result.error or str(failure)
            self._status(result.status, error=result.error, final_answer=result.final_answer)
            self.emit("ended", result=result)
        return result

    def _step(self) -> Action | None:
        """One step: look, ask, act, record. Returns the terminal action (finished / call_user), if any."""
        step_no, started = self.steps + 1, time.time()
        shot = self._capture(self.control.check)
        self.emit("captured", screenshot=shot, step_no=step_no)
        timings = dict(shot.timings_ms)
        shot, reply, parsed = self._fresh_reply(shot, timings)
        record = self._take(step_no, started, shot, reply, parsed, timings)
        try:
            outcome = self._act(record, shot)
        finally:
            self._record(record, shot)
        if outcome.declined is not None:
            self._add_note(outcome.declined)  # after the step line: the model reads it after its reply
            self.last_actions = []  # nothing was done: the stuck detector skips this step
        if outcome.wait is not None:
            self._wait(outcome.wait)
        return outcome.terminal

    def _take(self, step_no: int, started: float, shot: Screenshot, reply: ModelReply, parsed: ParsedReply,
              timings: dict[str, float]) -> StepRecord:
        """The reply becomes a step: mapped to the screen, remembered, about to be acted on."""
        t0 = time.perf_counter()
        actions = [a.mapped(self.space.to_screen) for a in parsed.actions]
        timings["parse"] += (time.perf_counter() - t0) * 1000
        self.emit("parsed", step_no=step_no, thought=parsed.thought, actions=actions)
        self.control.check()  # the person took over while the model thought: this reply is stale, drop it
        timings["record"] = self.recorder.ready()  # nothing is done while the step before is not on disk
        self.previous_thought, self.last_thought = self.last_thought, parsed.thought
        self.steps, self.last_actions = step_no, actions
        self.history.add_step(reply.text, shot.data_url)
        return StepRecord(
            step_no, self.recorder.screenshot_name(step_no), (shot.width, shot.height), shot.monitor,
            reply.text, parsed.thought, actions, timings, reply.usage, started,
        )

    def _answers(self, record: StepRecord, shot: Screenshot, confirmed: bool) -> dict[str, Any]:
        """What the step's calls get back besides the next screenshot: the pointer, zoomed crops, errors."""
        out: dict[str, Any] = {"pointer": list(self.executor.position())}
        if confirmed:
            out["confirmed"] = True
        m = shot.monitor
        for i, a in enumerate(record.actions):
            if a.type == "unsupported":
                out.setdefault("unsupported", {})[str(i)] = (
                    f"{a.name}() has no meaning on this desktop; nothing was done. Use the desktop's own means "
                    "(click, type, keys) instead.")
            elif a.type == "zoom" and shot.native is not None and a.x2 is not None:
                sx, sy = shot.native.width / m.width, shot.native.height / m.height
                box = (round((min(a.x, a.x2) - m.left) * sx), round((min(a.y, a.y2) - m.top) * sy),
                       round((max(a.x, a.x2) - m.left + 1) * sx), round((max(a.y, a.y2) - m.top + 1) * sy))
                crop = shot.native.crop(box)
                zoomed = screenshot(crop, crop.size, self.encoding, m)
                name = f"step-{record.step:03d}-zoom-{i}.png"
                self.recorder.save_image(name, zoomed)
                out.setdefault("zoom", {})[str(i)] = (name, zoomed.data_url)
        return out

    def _answer(self, record: StepRecord, answers: dict[str, Any]) -> None:
        """Keep the answers: the step line names the files, the history carries the pictures themselves."""
        record.answers = {**(record.answers or {}), **answers}
        if "zoom" in answers:
            record.answers["zoom"] = {k: name for k, (name, _) in answers["zoom"].items()}
            answers = {**answers, "zoom": {k: url for k, (_, url) in answers["zoom"].items()}}
        self.history.annotate(answers)

    def _act(self, record: StepRecord, shot: Screenshot) -> Outcome:
        """Carry out the step's actions, after asking the person when asking is due (a provider's safety check
        always: never acknowledged without the person; nobody to ask ends the run as call_user)."""
        terminal, wait = None, None
        try:
            check = "; ".join(dict.fromkeys(a.confirm for a in record.actions if a.confirm))
            if check and not self.config.call_user_pauses:  # a provider's safety check and nobody to ask
                record.skipped = True
                message = f"{self.family.label} asks the person to confirm first: {check}"
                return Outcome(terminal=Action("call_user", content=message, confirm=check))
            reason = (f"{self.family.label} asks: {check}" if check else
                      needs_confirmation(self.config.confirm, record.actions, record.thought, self.previous_thought))
            declined = self._ask(record.actions, reason) if reason else None
            if declined is not None:
                record.skipped = True
                self._answer(record, {"declined": True})
                return Outcome(declined=declined)
            t0 = time.perf_counter()
            if any(a.type not in (*TERMINAL_TYPES, *ANSWERED_TYPES, "wait") for a in record.actions):
                self.guard.hide()  # never click or type into our own windows
            for action in record.actions:
                if action.type in TERMINAL_TYPES:
                    terminal = action
                    break
                if action.type == "wait":
                    wait = action.seconds if action.seconds is not None else self.config.wait_seconds
                    continue
                self.executor.execute(action, self.control.check)
                if action.type not in ANSWERED_TYPES:
                    self._acted_at = time.monotonic()
                self.emit("executed", step_no=record.step, action=action)
            record.timings_ms["execute"] = (time.perf_counter() - t0) * 1000
            if self.family.provider is not None:  # an API family: calls that want an answer get one
                self._answer(record, self._answers(record, shot, confirmed=bool(check)))
        except Interrupt as e:
            record.interrupted = "stopped" if isinstance(e, Stopped) else "taken over"
            raise
        except AgentAppError as e:
            record.error = str(e)
            raise
        return Outcome(terminal, wait)

    def _record(self, record: StepRecord, shot: Screenshot) -> None:
        self.recorder.step(record, shot)  # written on the recorder's thread: the screenshot, then the line
        self.emit("recorded", record=record, screenshot=shot)

    def _wait(self, seconds: float) -> None:
        self.guard.show()
        self._status("running", detail=f"waiting {seconds:g} s")
        self.control.sleep(seconds)

    def _fresh_reply(self, shot: Screenshot, timings: dict[str, float]) -> tuple[Screenshot, ModelReply, ParsedReply]:
        """Ask about `shot`. If the screen changes while the model thinks (a late reaction to the last action), drop
        the request — it is no step and never reaches the history — and ask about the screen as it is now."""
        cancels = 0
        while True:
            watch = self._watch(shot) if cancels < MAX_CANCELS else None
            t0 = time.perf_counter()
            try:
                reply, parsed = self._query(shot, timings, watch or self.control.check)
                return shot, reply, parsed
            except ScreenChanged:
                cancels += 1
                waited = (time.perf_counter() - t0) * 1000
                timings["cancelled"] = timings.get("cancelled", 0.0) + waited
                self.recorder.append({"kind": "cancelled", "time": time.time(), "before_step": self.steps + 1,
                                      "after_ms": round(waited, 1),
                                      "reason": "the screen changed while the model was thinking"})
                self.emit("cancelled", step_no=self.steps + 1, after_ms=waited)
                shot = self._capture(self.control.check, still_s=self.config.settle_max_s)
            except ImageFormatError:
                if self.encoding.format == "png":
                    raise
                shot = self._fall_back_to_png(shot)
            self.emit("captured", screenshot=shot, step_no=self.steps + 1)
            for phase, ms in shot.timings_ms.items():
                timings[phase] = timings.get(phase, 0.0) + ms

    def _watch(self, shot: Screenshot) -> Callable[[], None] | None:
        """A `check` for the request that also watches the screen, shortly after the agent acted."""
        if not self.watching or self._acted_at is None:
            return None
        until = self._acted_at + WATCH_S
        last = [0.0]

        def check() -> None:
            self.control.check()
            now = time.monotonic()
            if now < until and now - last[0] >= WATCH_INTERVAL_S:
                last[0] = now
                if self.screen.changed_since(shot, self.guard.regions()):
                    raise ScreenChanged()

        return check if time.monotonic() < until else None

    def _fall_back_to_png(self, shot: Screenshot) -> Screenshot:
        """The endpoint refused WebP: PNG from now on (and remembered for it), history screenshots re-encoded once."""
        self.encoding = images.PNG
        endpoints.remember_refuses_webp(self.config.base_url)
        self.history.replace_images(lambda url: images.data_url(images.PNG.encode(images.decode_data_url(url)),
                                                                images.PNG.mime))
        self.emit("retry", message="the endpoint refused WebP screenshots; sending PNG from now on")
        return screenshot(shot.image, (shot.width, shot.height), images.PNG, shot.monitor, shot.signature)

    def _query(self, shot: Screenshot, timings: dict[str, float],
               check: Callable[[], None]) -> tuple[ModelReply, ParsedReply]:
        """Ask the model; re-sample (bounded, hotter) when its reply cannot be parsed."""
        temperature = None
        timings.setdefault("parse", 0.0)
        for attempt in range(self.config.format_retries + 1):
            messages = self.history.messages(self.family, self.context, shot.data_url)
            try:
                reply = self.client.complete(
                    messages, check, temperature=temperature,
                    on_text=lambda text: self.emit("model_text", text=text),
                    on_retry=lambda message: self.emit("retry", message=message),
                )
            except ImageLimitError as e:
                if not self.history.lower_images(e.limit):
                    raise
                self.recorder.append({"kind": "image_limit", "time": time.time(), "images": e.limit,
                                      "before_step": self.steps + 1})
                self.emit("retry", message=f"{e}; sending {e.limit} screenshot(s) per request from now on")
                return self._query(shot, timings, check)
            timings["model"] = timings.get("model", 0.0) + reply.request_ms
            self.emit("model_replied", text=reply.text, usage=reply.usage, notes=reply.notes)
            t0 = time.perf_counter()
            try:
                parsed = self.family.parse(reply.text)
                return reply, parsed
            except FormatError as e:
                self.recorder.append(
                    {"kind": "format_error", "time": time.time(), "error": str(e), "response": reply.text}
                )
                self.emit("format_error", error=str(e), response=reply.text, attempt=attempt + 1)
                if attempt == self.config.format_retries:
                    raise FormatError(
                        f"the model's reply could not be understood {attempt + 1} time(s) in a row ({e}); "
                        "check that --model-family matches the model"
                    ) from None
                temperature = self.config.format_retry_temperature
                self.emit("retry", message=f"unusable reply ({e}); asking again")
            finally:
                timings["parse"] += (time.perf_counter() - t0) * 1000
        raise AssertionError("unreachable")

    # ---- pauses, hand-overs, guards ----
    def _ask(self, actions: list[Action], reason: str) -> Resumption | None:
        """Ask the person before acting (step-through or a risky action). Their decline, or None: go ahead."""
        self.control.pause("confirm")
        self._status("paused", by="confirm", reason=reason, actions=actions, thought=self.last_thought)
        resumption = self.control.wait_while_paused() or Resumption()
        if resumption.allow_rest:  # "Allow the rest of this run": no more asking
            self.config.confirm = "never"
        self._status("running")
        return resumption if resumption.decline else None

    def _checkpoint(self) -> None:
        by = self.control.paused_by
        if by == "takeover":
            self.recorder.append({"kind": "takeover", "time": time.time(), "after_step": self.steps})
            shot = self._takeover_screenshot()
        if by is not None:
            self._status("paused", by=by)
        resumption = self.control.wait_while_paused()
        if resumption is not None:
            if by == "takeover" and self.person is not None:
                self._record_person(self.person.stop(), shot)
            if resumption.note.strip() or resumption.intervened:
                self._add_note(resumption)
            self._status("running")

    def _capture(self, check: Callable[[], None], still_s: float | None = None) -> Screenshot:
        """A screenshot with our own windows out of it, once the screen is still (bounded). Watching for late
        changes makes a long wait needless ("watch"); "settle" waits up to settle_max_s before every screenshot."""
        t0 = time.perf_counter()
        hidden = self.guard.hide()
        guard_ms = (time.perf_counter() - t0) * 1000
        settle = not self.watching
        if still_s is None:
            still_s = self.config.settle_max_s if settle else STILL_S
        if hidden:  # our windows were showing: let the desktop repaint where they were
            still_s = max(still_s, 0.5)
        interval = 0.05 if settle or still_s > STILL_S else STILL_INTERVAL_S
        shot = self.screen.capture(self.model_size, self.encoding, still_s=still_s, interval_s=interval, check=check)
        self.guard.show()
        shot.timings_ms["guard"] = guard_ms
        return shot

    def _takeover_screenshot(self) -> str | None:
        """The screen as the person took it over (our own windows stepped aside for the grab)."""
        if self.person is None:
            return None
        shot = self._capture(lambda: None)  # the run is paused by the takeover: nothing to check
        return self.recorder.save_image(f"takeover-{self.steps:03d}.png", shot)

    def _record_person(self, actions: list[Action], screenshot: str | None) -> None:
        """What the person did, in the model's own words: the 'chosen' side of a correction pair."""
        if not actions:
            return
        model_actions = [a.mapped(lambda x, y: self.space.to_model(x, y)) for a in actions]
        reply = self.family.format_reply(model_actions, "The user took over and did this instead.",
                             "; ".join(a.describe() for a in actions))
        self.recorder.append({
            "kind": "person_actions", "time": time.time(), "after_step": self.steps, "screenshot": screenshot,
            "image_size": list(self.model_size), "monitor": self.screen.monitor.to_json(),
            "actions": [a.to_json() for a in actions], "response": reply,
        })
        self.emit("person_actions", actions=actions)

    def _hand_over(self) -> Resumption:
        """call_user in the app or --interactive: pause until the person answers (or declines)."""
        self.control.pause("call_user")
        self._status("paused", by="call_user", thought=self.last_thought)
        resumption = self.control.wait_while_paused() or Resumption()
        if not resumption.decline:
            self._add_note(resumption)
            self._status("running")
        return resumption

    def _add_note(self, resumption: Resumption) -> None:
        """The person's words (or their decline, or their takeover) join the history where they were given."""
        if resumption.decline:
            text = "The user did not allow that action. " + (resumption.note.strip() or "Try another way.")
        else:
            text = user_note_text(resumption.note, resumption.intervened)
        self.history.add_note(text)
        self.recorder.append(
            {"kind": "note", "time": time.time(), "after_step": self.steps, "note": resumption.note,
             "intervened": resumption.intervened, "declined": resumption.decline, "text": text}
        )
        self.emit("note", note=resumption.note, intervened=resumption.intervened, declined=resumption.decline)

    def _check_stuck(self) -> None:
        """End the run when the model repeats the same action at the same place too many times."""
        if not self.last_actions:  # a declined step did nothing: it neither counts nor breaks a streak
            return
        actions = [a.to_json() for a in self.last_actions if a.type not in ("wait", "scroll")]
        if not actions:
            self._repeats.clear()
            return
        m = self.screen.monitor
        tol_x, tol_y = m.width * 0.02, m.height * 0.02
        if self._repeats and not _same(self._repeats[-1], actions, tol_x, tol_y):
            self._repeats.clear()
        self._repeats.append(actions)
        if len(self._repeats) >= self.config.stuck_repeats:
            what = Action.from_json(actions[0]).describe()
            raise AgentAppError(
                f"stuck: the model repeated {what} {len(self._repeats)} times in a row; "
                "rephrase the task or take over"
            )


def _same(a: list[dict[str, Any]], b: list[dict[str, Any]], tol_x: float, tol_y: float) -> bool:
    if len(a) != len(b):
        return False
    for p, q in zip(a, b, strict=True):
        if set(p) != set(q):
            return False
        for key in p:
            if key in ("x", "x2"):
                if abs(p[key] - q[key]) > tol_x:
                    return False
            elif key in ("y", "y2"):
                if abs(p[key] - q[key]) > tol_y:
                    return False
            elif p[key] != q[key]:
                return False
    return True
