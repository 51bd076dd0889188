"""The command line: a thin listener on the core. `agent-app` alone opens the desktop app."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn, TextIO

from agent_app import __version__
from agent_app.core.control import stop_signals
from agent_app.core.costs import Tally, run_price
from agent_app.core.errors import AgentAppError, ConfigError, FormatError
from agent_app.core.families.registry import AUTO, CHOICES, DEFAULT_FAMILY, FAMILIES
from agent_app.core.runs.export import STATUSES
from agent_app.core.settings.config import RunConfig, Settings, default_runs_dir
from agent_app.core.text import one_line

EXIT = {"finished": 0, "error": 1, "max_steps": 3, "call_user": 4, "stopped": 130}
KEY_PROVIDERS = ("anthropic", "openai", "gemini")  # `key --provider`: the keychain entries of the API families
log = logging.getLogger(__name__)


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad command line as a ConfigError (one line, exit 2) instead of exiting."""

    def error(self, message: str) -> NoReturn:
        raise ConfigError(f"{message} (see `{self.prog} --help`)")


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = text.lower().split("x")
        size = int(w), int(h)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 1920x1080, got {text!r}") from None
    if min(size) < 1:
        raise argparse.ArgumentTypeError(f"sizes must be positive, got {text!r}")
    return size


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="agent-app",
        description="Let a vision-language model (UI-TARS family) operate this computer. "
        "With no command, opens the desktop app.",
    )
    p.add_argument("--version", action="version", version=f"agent-app {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    r = sub.add_parser("run", help="run one task headless on this display")
    r.add_argument("task", nargs="?", help="what the agent should do, in plain words (optional with --preset)")
    r.add_argument("--preset", metavar="NAME", help="run a saved task (its task, budget and model overrides)")
    r.add_argument(
        "--base-url", help="OpenAI-compatible endpoint, e.g. http://localhost:8000/v1 (env AGENT_APP_BASE_URL)"
    )
    r.add_argument("--model", help="model name (env AGENT_APP_MODEL; default: the endpoint's first model)")
    r.add_argument("--model-family", choices=CHOICES, metavar="FAMILY",
                   help=f"output/coordinate convention: {', '.join(FAMILIES)}, or {AUTO} (from the model name); "
                   f"default: the saved setting, else {DEFAULT_FAMILY}")
    # Value ranges are checked once, on the run's final configuration (whichever source a value came from).
    r.add_argument("--max-steps", type=int, help="step budget (default 25)")
    r.add_argument("--history-images", type=int, help="screenshots sent per request (default 5)")
    r.add_argument("--timeout", type=float, help="seconds to wait for one model response (default 120)")
    r.add_argument("--runs-dir", help=f"where run folders go (default {default_runs_dir()})")
    r.add_argument("--json", action="store_true", help="print one JSON summary object on stdout at the end")
    r.add_argument("--interactive", action="store_true", help="on call_user, read a reply on the terminal and go on")
    r.add_argument("--language", choices=("en", "zh"), help="language of the model's thoughts (default en)")
    r.add_argument("--max-pixels", type=int, help="screenshot pixel budget, lower = cheaper (e.g. 2116800)")
    r.add_argument("--monitor", type=int, help="monitor to capture and control, 1-based (default 1)")
    r.add_argument("--wait-seconds", type=float, help="how long wait() sleeps (default 5)")
    r.add_argument("--retries", type=int, help="retries after endpoint errors (default 3)")
    r.add_argument("--no-stream", action="store_true", help="ask for whole replies instead of streamed ones")
    r.add_argument("--freshness", choices=("auto", "watch", "settle"),
                   help="watch: send at once and ask again if the screen reacts while the model thinks; settle: wait "
                   "for a still screen first, never cancel a request; auto (default): watch for open models, settle "
                   "for paid APIs")
    r.add_argument("--confirm", choices=("never", "risky", "always"),
                   help="with --interactive: ask on the terminal before risky actions, or before every action")
    r.add_argument("--quiet", "-q", action="store_true", help="no progress lines on stderr")

    ps = sub.add_parser("parse", help="parse one model reply from stdin into action JSON")
    ps.add_argument("--model-family", choices=list(FAMILIES), metavar="FAMILY", default=DEFAULT_FAMILY,
                    help=f"one of {', '.join(FAMILIES)}")
    ps.add_argument("--screen", type=_size, required=True, help="screen size WxH in pixels")
    ps.add_argument("--image", type=_size, help="size WxH of the screenshot the model was sent (default: screen)")
    ps.add_argument("--max-pixels", type=int, help="pixel budget the screenshot was resized with")

    runs = sub.add_parser("runs", help="list, show or export recorded runs")
    runs_sub = runs.add_subparsers(dest="runs_command", metavar="ACTION", required=True)
    rl = runs_sub.add_parser("list", help="list runs, newest first")
    rl.add_argument("--runs-dir")
    rl.add_argument("--json", action="store_true")
    rs = runs_sub.add_parser("show", help="show one run's steps and its report path")
    rs.add_argument("run", help="run id, unique id prefix, or folder")
    rs.add_argument("--runs-dir")
    rs.add_argument("--json", action="store_true")
    rx = runs_sub.add_parser("export", help="export runs as fine-tuning data (ms-swift JSONL + images)")
    rx.add_argument("run", nargs="*", metavar="RUN", help="run ids, unique id prefixes or folders (default: every run)")
    rx.add_argument("--format", choices=("ms-swift", "dpo"), default="ms-swift",
                    help="ms-swift: one SFT sample per step; dpo: one correction pair per takeover (default ms-swift)")
    rx.add_argument("--out", help="output folder (default ./agent-app-export-DATE-TIME)")
    rx.add_argument(
        "--status", default=None,
        choices=STATUSES,
        help="only runs that ended so, or damaged ones for what can be read of them (default: finished for "
             "ms-swift, any for dpo)",
    )
    rx.add_argument("--task-contains", metavar="TEXT", help="only runs whose task contains TEXT (any case)")
    rx.add_argument("--runs-dir")

    d = sub.add_parser(
        "doctor", help="check that clicks land, typing arrives and the model's conventions match (a few seconds)",
        description="Opens a full-screen window on the monitor, clicks its targets and types into it through the "
        "agent's own mouse and keyboard control, checks the keychain, global hotkeys and permissions, and, with an "
        "endpoint configured, asks the model to click a drawn button. Exit 0 when everything holds, 1 otherwise.",
    )
    d.add_argument("--monitor", type=int, help="monitor to check, 1-based (default: Settings, else 1)")
    d.add_argument("--base-url", help="endpoint for the model check (env AGENT_APP_BASE_URL; default: Settings)")
    d.add_argument("--model", help="model name (env AGENT_APP_MODEL)")
    d.add_argument("--model-family", choices=CHOICES, metavar="FAMILY",
                   help=f"the family whose coordinate convention to check: {', '.join(FAMILIES)}, or {AUTO} "
                   "(default: as for run)")
    d.add_argument("--max-pixels", type=int, help="screenshot pixel budget, as for run")
    d.add_argument("--timeout", type=float, help="seconds to wait for the model (default 30)")
    d.add_argument("--no-model", action="store_true", help="skip the model call even if an endpoint is configured")
    d.add_argument("--json", action="store_true", help="print one JSON object with every check")

    k = sub.add_parser("key", help="store or remove an API key in the OS keychain")
    k_sub = k.add_subparsers(dest="key_command", metavar="ACTION", required=True)
    for name, text in (("set", "read the key from the terminal (or stdin) and store it"),
                       ("delete", "remove the stored key"),
                       ("status", "say where each key for runs would come from (never prints a key)")):
        ka = k_sub.add_parser(name, help=text)
        ka.add_argument("--provider", choices=KEY_PROVIDERS,
                        help="the computer-use API whose key this is (default: the OpenAI-compatible endpoint's)")
    return p


def _err(message: str) -> None:
    print(f"agent-app: {message}", file=sys.stderr, flush=True)


def _json_stdout() -> TextIO:
    """With --json, stdout carries the JSON and nothing else. fd 1 is pointed at stderr for the rest of the
    process, so whatever else writes there (a library's print, a C library, a child process) lands on stderr;
    the JSON goes to the original stdout, returned here."""
    if sys.stdout is None or sys.stderr is None:  # a windowed build without a console: nothing to guard
        return sys.stdout
    sys.stdout.flush()
    try:
        saved = os.dup(1)
        os.dup2(2, 1)
    except OSError:  # no stderr to send strays to: keep stdout as it is
        return sys.stdout
    return os.fdopen(saved, "w", encoding="utf-8")


def _print_json(out: TextIO, value: Any) -> None:
    out.write(json.dumps(value, ensure_ascii=False) + "\n")
    out.flush()


def _failed_run(error: str, run_dir: str = "", steps: int = 0, status: str = "error") -> dict[str, Any]:
    """The JSON summary of a run that did not get to return its own."""
    return {"status": status, "steps": steps, "run_dir": run_dir, "final_answer": None, "error": error}


def _interrupt_on_signals() -> None:
    """Until a run can stop itself (`cmd_run`), a stop signal ends the command at once, as Ctrl+C does."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"stopped by {signal.Signals(signum).name}")

    for sig in stop_signals():
        signal.signal(sig, interrupt)


def _wants_json(argv: list[str]) -> bool:
    """Does a `run` command line ask for --json (argparse also takes an unambiguous prefix such as --js)?"""
    return bool(argv) and argv[0] == "run" and any(len(a) >= 3 and "--json".startswith(a) for a in argv[1:])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from agent_app.core.heap import limit_arenas
    from agent_app.core.settings.logs import log_path, setup_logging

    limit_arenas()

    setup_logging()
    if not argv:
        from agent_app.ui.app import main as app_main

        return app_main([])
    if argv[0] == "run":
        _interrupt_on_signals()
    try:
        args = build_parser().parse_args(argv)
    except ConfigError as e:
        return _fail(str(e), 2, sys.stdout if _wants_json(argv) else None)
    except KeyboardInterrupt as e:
        return _stopped(e, sys.stdout if _wants_json(argv) else None)
    out = _json_stdout() if getattr(args, "json", False) else sys.stdout
    summary_to = out if args.command == "run" and args.json else None  # a run's JSON summary, whatever happens
    try:
        if args.command == "run":
            return cmd_run(args, out)
        if args.command == "parse":
            return cmd_parse(args)
        if args.command == "runs":
            return cmd_runs(args, out)
        if args.command == "key":
            return cmd_key(args)
        if args.command == "doctor":
            return cmd_doctor(args, out)
    except ConfigError as e:
        return _fail(str(e), 2, summary_to)
    except AgentAppError as e:
        return _fail(str(e), 1, summary_to)
    except KeyboardInterrupt as e:
        return _stopped(e, summary_to)
    except BrokenPipeError:  # whoever read stdout went away (`runs list | head`): nothing is wrong here
        _quiet_stdout()
        return 0
    except Exception as e:  # the person gets one line; the traceback goes to the log
        log.exception("internal error")
        return _fail(f"internal error: {type(e).__name__}: {e} (details in {log_path()})", 1, summary_to)
    build_parser().print_help()
    return 2


def _quiet_stdout() -> None:
    """Point stdout at the null device, so that flushing it at exit does not fail a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, AttributeError, ValueError):
        pass


def _stopped(interrupt: KeyboardInterrupt, summary_to: TextIO | None) -> int:
    """A stop signal before the run could stop itself: one line on stderr, with `run --json` the summary too."""
    message = str(interrupt) or "stopped by SIGINT"
    _err(f"stopped: {message}")
    if summary_to is not None:
        _print_json(summary_to, _failed_run(message, status="stopped"))
    return 130


def _fail(message: str, code: int, summary_to: TextIO | None) -> int:
    """One line on stderr; with `run --json`, the run's summary on stdout too."""
    _err(f"error: {message}")
    if summary_to is not None:
        _print_json(summary_to, _failed_run(message))
    return code


# ---- run ----
def run_config(args: argparse.Namespace) -> RunConfig:
    """Settings, then a preset, then the environment, then the command line: the later one wins. Unusable
    saved values are reported on stderr (one line each) and replaced by their defaults."""
    from agent_app.core.settings.keychain import resolve_api_key
    from agent_app.core.settings.presets import find_preset, load_presets_checked

    settings, problems = Settings.load_for_command_line()
    preset = None
    if args.preset:
        presets, preset_problems = load_presets_checked()
        problems += preset_problems
    for problem in problems:
        _err(f"warning: {problem}")
    if args.preset:
        preset = find_preset(args.preset, presets)
    task = args.task or (preset.task if preset else "")
    if not task:
        raise ConfigError('say what to do: agent-app run "TASK" (or --preset NAME)')
    if args.confirm not in (None, "never") and not args.interactive:
        raise ConfigError("--confirm needs --interactive (the answers are read on the terminal)")
    layers: dict[str, object] = dict(preset.overrides()) if preset else {}
    env = {"base_url": os.environ.get("AGENT_APP_BASE_URL"), "model": os.environ.get("AGENT_APP_MODEL")}
    cli = {
        "base_url": args.base_url, "model": args.model, "model_family": args.model_family,
        "language": args.language, "max_steps": args.max_steps, "history_images": args.history_images,
        "timeout": args.timeout, "retries": args.retries, "max_pixels": args.max_pixels, "monitor": args.monitor,
        "wait_seconds": args.wait_seconds, "stream": False if args.no_stream else None, "runs_dir": args.runs_dir,
        "call_user_pauses": args.interactive or None, "confirm": args.confirm, "freshness": args.freshness,
    }
    for layer in (env, cli):
        layers.update({k: v for k, v in layer.items() if v is not None and v != ""})
    return RunConfig.from_settings(task, for_family(settings, layers), api_key=resolve_api_key(), **layers)


def _api_family(name: object) -> bool:
    return getattr(FAMILIES.get(str(name)), "provider", None) is not None


def for_family(settings: Settings, layers: dict[str, object]) -> Settings:
    """The saved settings a run with `layers` on top builds on. The saved endpoint and model are another family's
    server's when an API family is asked for over them: it talks to its provider's public endpoint with its
    default model unless told otherwise."""
    family = layers.get("model_family") or settings.model_family
    if family != settings.model_family and _api_family(family):
        return replace(settings, base_url="", model="")
    return settings


class _Progress:
    """Prints one line per step on stderr; handles --interactive hand-overs."""

    def __init__(self, control: Any, quiet: bool, interactive: bool) -> None:
        self.control, self.quiet, self.interactive = control, quiet, interactive
        self.max_steps = 0
        self.run_dir = ""
        self.steps = 0  # steps recorded so far
        self.tally = Tally()

    def __call__(self, event: Any) -> None:
        d = event.data
        if event.kind == "started":
            config = d["config"]
            self.max_steps = config["max_steps"]
            self.tally = Tally(run_price(config))
            if config.get("model_family_chosen") == AUTO:  # said even with --quiet: a choice made for the person
                print(f"agent-app: model family: {config['model_family']} (from the model name {config['model']!r})",
                      file=sys.stderr, flush=True)
            self.run_dir = d["run_dir"]
            self._say(f"run folder {d['run_dir']}")
        elif event.kind == "recorded":
            rec = d["record"]
            self.steps += 1
            acts = "; ".join(a.describe() for a in rec.actions) or "(no action)"
            tokens = self.tally.progress(rec.usage)
            thought = " ".join(rec.thought.split())
            thought = thought[:110] + "…" if len(thought) > 110 else thought
            self._say(f"step {rec.step}/{self.max_steps}  {acts}" + (f"  · {tokens}" if tokens else "")
                      + (f"  — {thought}" if thought else ""))
        elif event.kind == "retry":
            self._say(d["message"])
        elif event.kind == "status" and d.get("status") == "paused" and d.get("by") == "call_user":
            self._ask(d.get("thought") or "")
        elif event.kind == "status" and d.get("status") == "paused" and d.get("by") == "confirm":
            self._confirm(d)

    def _say(self, text: str) -> None:
        if not self.quiet:
            print(f"agent-app: {text}", file=sys.stderr, flush=True)

    def _ask(self, thought: str) -> None:
        print(
            f"\nThe model asks for your help: {thought or '(no reason given)'}\n"
            "Do what is needed on the screen, then type a reply for the model and press Enter "
            "(Ctrl+D: end the run).",
            file=sys.stderr, flush=True,
        )

        def answer(line: str | None) -> None:
            if line is None:
                self.control.resume(decline=True)
            else:
                self.control.resume(note=line)

        self._read_line(answer)

    def _confirm(self, d: dict[str, Any]) -> None:
        acts = "; ".join(a.describe() for a in d.get("actions") or [])
        print(f"\nThe agent wants to: {acts}\n({d.get('reason')})\n"
              "Allow? y = yes; anything else = no (text is passed to the model as the reason): ",
              file=sys.stderr, end="", flush=True)

        def answer(line: str | None) -> None:
            text = (line or "").strip()
            if text.lower() in ("y", "yes"):
                self.control.resume()
            else:
                self.control.resume(note="" if text.lower() in ("", "n", "no") else text, decline=True)

        self._read_line(answer)

    @staticmethod
    def _read_line(answer: Any) -> None:
        """Read one line off the main thread, so Ctrl+C still stops the run while we wait."""

        def read() -> None:
            line = sys.stdin.readline()
            answer(line.rstrip("\n") if line else None)

        threading.Thread(target=read, name="agent-app-stdin", daemon=True).start()


def cmd_run(args: argparse.Namespace, out: TextIO) -> int:
    from agent_app.core.control import RunControl
    from agent_app.core.runner import run_task

    control = RunControl()
    progress = _Progress(control, args.quiet, args.interactive)
    previous: dict[int, Any] = {}

    def on_signal(signum: int, frame: Any) -> None:
        reason = f"stopped by {signal.Signals(signum).name}"
        if control.stop_requested:  # a second Ctrl+C: leave now (every finished step is already on disk)
            raise KeyboardInterrupt(reason)
        control.stop(reason)

    for sig in stop_signals():
        previous[sig] = signal.signal(sig, on_signal)
    try:
        try:
            result = run_task(run_config(args), control, [progress])
        except KeyboardInterrupt as e:  # a second Ctrl+C: every finished step is on disk already
            if args.json:
                _print_json(out, _failed_run(str(e) or "stopped by SIGINT", progress.run_dir, progress.steps,
                                             "stopped"))
            return 130
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if args.json:
        _print_json(out, result.summary())
    elif result.status == "finished":
        print(result.final_answer or "", flush=True)
    if result.status != "finished" and result.error:
        _err(f"{result.status}: {result.error}")
    elif result.status == "call_user":
        _err("call_user: the model asked for help; rerun with --interactive to answer it")
    return EXIT.get(result.status, 1)


# ---- parse ----
def cmd_parse(args: argparse.Namespace) -> int:
    from agent_app.core.families.base import coordinate_space
    from agent_app.core.geometry import Monitor
    from agent_app.core.settings.config import field_problem

    family = _family_or_exit(args.model_family)
    if args.max_pixels is not None and (problem := field_problem("max_pixels", args.max_pixels, int, family.name)):
        raise ConfigError(f"--max-pixels {problem}, not {args.max_pixels}")
    screen_w, screen_h = args.screen
    image_w, image_h = args.image or args.screen
    text = sys.stdin.read()
    try:
        parsed = family.parse(text)
    except FormatError as e:
        _err(f"cannot parse the reply: {e}")
        return 2
    # An API family answers in pixels of the image the app sent (`--image`), never of a resize of it.
    sent = getattr(family, "provider", None) is not None
    model_w, model_h = (image_w, image_h) if sent else family.model_image_size(image_w, image_h, args.max_pixels)
    space = coordinate_space(family, Monitor(0, 0, screen_w, screen_h), (model_w, model_h))
    actions = [a.mapped(space.to_screen).to_json() for a in parsed.actions]
    print(json.dumps({"thought": parsed.thought, "actions": actions}, ensure_ascii=False))
    return 0


def _family_or_exit(name: str):
    from agent_app.core.families.registry import get_family

    try:
        return get_family(name)
    except ValueError as e:
        raise ConfigError(str(e)) from None


# ---- runs ----
def _runs_dir(args: argparse.Namespace) -> Path:
    if getattr(args, "runs_dir", None):
        return Path(args.runs_dir)
    settings, problems = Settings.load_checked()
    for problem in problems:
        _err(f"warning: {problem}")
    return Path(settings.runs_dir) if settings.runs_dir else default_runs_dir()


def cmd_runs(args: argparse.Namespace, out: TextIO) -> int:
    from agent_app.core.runs import reading

    runs_dir = _runs_dir(args)
    if args.runs_command == "list":
        infos = reading.list_runs(runs_dir)
        if args.json:
            _print_json(out, [i.to_json() for i in infos])
        elif not infos:
            print(f"no runs in {runs_dir}", file=sys.stderr)
        else:
            print("\n".join(runs_table(infos)))
        return 0
    if args.runs_command == "export":
        from agent_app.core.runs.export import export_runs

        summary = export_runs(
            args.run, runs_dir, Path(args.out) if args.out else None,
            fmt=args.format, status=args.status, task_contains=args.task_contains,
        )
        print(summary.jsonl)
        print(f"agent-app: {summary.describe()}", file=sys.stderr)
        return 0
    run_dir = reading.find_run(runs_dir, args.run)
    if run_dir is None:
        raise ConfigError(f"no run {args.run!r} in {runs_dir} (see `agent-app runs list`)")
    log = reading.read_run(run_dir)
    info = reading.run_info(run_dir, log)
    report: Path | None = None
    report_problem = "nothing in the run to show"
    if log.lines:
        try:
            report = reading.ensure_report(run_dir)
        except AgentAppError as e:
            report_problem = str(e)
    if args.json:
        _print_json(out, {"run_dir": str(run_dir), "report": str(report) if report else None, "lines": log.lines,
                          "damage": info.damage})
        return 0
    print(f"{one_line(info.task) or '(task unknown)'}\n{info.status}, {info.steps} step(s) — {run_dir}")
    if info.damage:
        print(f"damaged: {info.damage}")
    for line in log.lines:
        if line.get("kind") == "step":
            acts = "; ".join(_short(a) for a in line["actions"])
            print(f"  step {line['step']}: {acts}")
            if line.get("thought"):
                print(f"      {one_line(line['thought'])[:150]}")
        elif line.get("kind") == "note":
            print(f"  note: {line.get('note') or '(resumed)'}")
    if info.final_answer:
        print(f"answer: {info.final_answer}")
    if info.error:
        print(f"error: {info.error}")
    print(f"report: {report}" if report else f"report: none ({report_problem})")
    return 0


def runs_table(infos: list[Any]) -> list[str]:
    """`runs list` as aligned columns (by display width: wide characters take two), one run per line."""
    import datetime as dt

    rows = [("RUN", "STARTED", "STATUS", "STEPS", "TASK")]
    for i in infos:
        when = dt.datetime.fromtimestamp(i.started).strftime("%Y-%m-%d %H:%M") if i.started else "-"
        task = one_line(i.task) or "(task unknown)"
        task = task[:59] + "…" if len(task) > 60 else task
        if i.damage:
            task += f"  [{i.damage}]"
        rows.append((i.run_id, when, i.status, str(i.steps), task))
    widths = [max(_width(row[c]) for row in rows) for c in range(4)]

    def cell(text: str, c: int) -> str:
        pad = " " * (widths[c] - _width(text))
        return pad + text if c == 3 else text + pad

    return ["  ".join([*(cell(row[c], c) for c in range(4)), row[4]]).rstrip() for row in rows]


def _width(text: str) -> int:
    """Columns a terminal gives `text`: East Asian wide characters two, combining marks none."""
    import unicodedata

    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
               for ch in text)


def _short(action: dict[str, Any]) -> str:
    from agent_app.core.actions import Action

    return Action.from_json(action).describe()


# ---- key ----
def cmd_key(args: argparse.Namespace) -> int:
    from agent_app.core.settings import keychain

    account = args.provider or keychain.DEFAULT_ACCOUNT
    what = "API key" if account == keychain.DEFAULT_ACCOUNT else f"{keychain.PROVIDER_NAMES[account]} API key"
    where = "service 'agent-app'" + (f", account '{account}'" if args.provider else "")
    if args.key_command == "set":
        if sys.stdin.isatty():
            import getpass

            key = getpass.getpass(f"{what} (input hidden): ")
        else:
            key = sys.stdin.readline()
        keychain.set_key(key, account)
        print(f"agent-app: {what} saved in the OS keychain ({where})", file=sys.stderr)
        return 0
    if args.key_command == "delete":
        removed = keychain.delete_key(account)
        message = f"{what} removed from the keychain" if removed else f"no {what} was saved"
        print(f"agent-app: {message}", file=sys.stderr)
        return 0
    print("\n".join(key_status([args.provider] if args.provider else [keychain.DEFAULT_ACCOUNT, *KEY_PROVIDERS])))
    if not keychain.keychain_available():
        print("note: " + keychain.NO_BACKEND)
    return 0


def key_status(accounts: list[str]) -> list[str]:
    """Where each account's key for runs would come from, one line each; never the key itself."""
    from agent_app.core.settings import keychain
    from agent_app.core.settings.providers import PROVIDERS

    lines = []
    for account in accounts:
        found = keychain.find_api_key(account)
        if account == keychain.DEFAULT_ACCOUNT:
            lines.append(f"runs will use the API key from {found.where}" if found
                         else "no API key set: runs go keyless (fine for local servers)")
            continue
        name = keychain.PROVIDER_NAMES[account]
        family = next(p.family for p in PROVIDERS if p.key_account == account)
        if found is None:
            env = " or ".join(keychain.PROVIDER_ENV[account])
            lines.append(f"{family} ({name}): no key set; save one with `agent-app key set --provider {account}` "
                         f"or set {env}")
            continue
        shadowed = found.where == keychain.OVERRIDE_ENV and keychain.get_key(account)
        lines.append(f"{family} ({name}): runs will use the API key from {found.where}"
                     + (" (it overrides the key saved in the OS keychain)" if shadowed else ""))
    return lines


# ---- doctor ----
DOCTOR_TIMEOUT_S = 30.0


def doctor_config(args: argparse.Namespace, settings: Settings) -> RunConfig | None:
    """The endpoint as `run` would use it (Settings, then the environment, then flags); None: no model check."""
    from agent_app.core.doctor.model_check import TASK
    from agent_app.core.settings.keychain import resolve_api_key

    if args.no_model:
        return None
    env = {"base_url": os.environ.get("AGENT_APP_BASE_URL"), "model": os.environ.get("AGENT_APP_MODEL")}
    cli = {"base_url": args.base_url, "model": args.model, "model_family": args.model_family,
           "max_pixels": args.max_pixels, "timeout": args.timeout or DOCTOR_TIMEOUT_S, "retries": 0}
    layers = {k: v for layer in (env, cli) for k, v in layer.items() if v is not None and v != ""}
    config = RunConfig.from_settings(TASK, for_family(settings, layers), api_key=resolve_api_key(), **layers)
    return config if config.base_url or _api_family(config.model_family) else None


def cmd_doctor(args: argparse.Namespace, out: TextIO) -> int:
    from agent_app.core.doctor.runner import DoctorOptions, run_doctor

    if not args.json:
        out = _json_stdout()  # the report's lines alone on stdout, here too (python-xlib prints warnings there)
    settings, problems = Settings.load_for_command_line()  # as `run` reads them
    for problem in problems:
        _err(f"warning: {problem}")
    monitor = settings.monitor if args.monitor is None else args.monitor  # --monitor 0 is no monitor, not 'default'
    options = DoctorOptions(monitor=monitor, run_config=doctor_config(args, settings))
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        report = run_doctor(options, None)  # no display: no window; the report says so
    else:
        from agent_app.ui.calibration import check_this_computer

        report = check_this_computer(options)
    if args.json:
        _print_json(out, report.to_json())
    else:
        out.write("\n".join(report.lines()) + "\n")
        out.flush()
    return report.exit_code
