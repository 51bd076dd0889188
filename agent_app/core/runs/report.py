"""`report.html`: a self-contained page (inline CSS and SVG, images next to it) that replays a run offline.

Each step shows the screenshot the model saw with the executed action drawn at the exact pixel the executor
used, the thought, the actions in words, per-phase timings, tokens and (where the run recorded a list price) the
estimated cost; the header sums them for the run. Text keeps a contrast of at least 4.5:1 in the light and the
dark scheme (tests/test_report_legibility.py measures it).
"""

from __future__ import annotations

import datetime as _dt
import html
import json
from typing import Any

from agent_app.core.actions import Action
from agent_app.core.costs import Price, Tally, Usage, run_price, tokens_text, usd
from agent_app.core.geometry import Monitor

_CSS = """
:root{color-scheme:light dark;--fg:#1d2330;--muted:#5d6677;--bg:#f6f7f9;--card:#fff;--line:#e4e7ec;
--ok:#24773a;--warn:#9a4a00;--err:#b42318;--badge-ok:#2b7a3f;--badge-warn:#a34f00;--badge-err:#b42318;
--badge-muted:#5d6677}
@media (prefers-color-scheme:dark){:root{--fg:#e6e8ee;--muted:#a3adbb;--bg:#14161b;--card:#1c1f26;--line:#2c313c;
--ok:#69db7c;--warn:#ffc078;--err:#ff8787}}
*{box-sizing:border-box}body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:var(--fg);background:var(--bg)}
header{padding:24px 32px;border-bottom:1px solid var(--line);background:var(--card)}
h1{margin:0 0 6px;font-size:20px}.meta{color:var(--muted);display:flex;gap:18px;flex-wrap:wrap}
.status{font-weight:600;padding:1px 8px;border-radius:10px;color:#fff;background:var(--badge-muted)}
.status.finished{background:var(--badge-ok)}.status.error,.status.stopped{background:var(--badge-err)}
.status.max_steps,.status.call_user{background:var(--badge-warn)}
.answer{margin-top:12px;padding:10px 14px;border-left:4px solid var(--ok);background:var(--bg);white-space:pre-wrap}
.answer.error{border-color:var(--err)}
main{padding:24px 32px;display:flex;flex-direction:column;gap:20px;max-width:1500px}
.step{background:var(--card);border:1px solid var(--line);border-radius:10px;display:grid;
grid-template-columns:minmax(0,3fr) minmax(280px,2fr);overflow:hidden}
.shot{position:relative;background:#000;align-self:start}.shot img{display:block;width:100%;height:auto}
.shot svg{position:absolute;inset:0;width:100%;height:100%;pointer-events:none}
.info{padding:14px 18px;display:flex;flex-direction:column;gap:10px;min-width:0}
.info h2{margin:0;font-size:15px}.thought{white-space:pre-wrap}
ul.actions{margin:0;padding:0;list-style:none}ul.actions li{padding:4px 8px;margin:2px 0;background:var(--bg);
border-radius:6px;white-space:pre-wrap;word-break:break-word;font-weight:600}
details pre{white-space:pre-wrap;word-break:break-word;background:var(--bg);padding:8px;border-radius:6px;
margin:6px 0 0}
table{border-collapse:collapse;font-size:12px;color:var(--muted)}td{padding:1px 10px 1px 0}
.event{background:var(--card);border:1px dashed var(--line);border-radius:10px;padding:10px 18px}
.event.note{border-color:var(--ok)}.event.format_error{border-color:var(--warn)}
.err{color:var(--err)}.warn{color:var(--warn)}
"""
# The marks on a screenshot: red rings with a white halo read on any picture; typed text sits on a dark label.
MARK, HALO, LABEL = "#e5484d", "#ffffff", "#1f2233"
STATUS_WORDS = {"finished": "finished", "max_steps": "step budget used up", "call_user": "asked for help",
                "stopped": "stopped", "error": "failed", "running": "running or cut short"}


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _time(ts: Any) -> str:
    try:
        return _dt.datetime.fromtimestamp(float(ts)).strftime("%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError, OSError, OverflowError):
        return ""


def _to_image(line: dict[str, Any], x: float, y: float) -> tuple[float, float]:
    w, h = (line.get("image_size") or [1, 1])[:2]
    return Monitor.from_json(line.get("monitor"), (w, h)).to_picture(x, y, w, h)


def _overlay(line: dict[str, Any]) -> str:
    """SVG marks in the screenshot's own pixel space, from the executed screen coordinates."""
    w, h = (line.get("image_size") or [1, 1])[:2]
    r = max(w, h) / 90
    marks: list[str] = []
    for a in line.get("actions") or []:
        if not isinstance(a, dict):  # a damaged line: its words say so, nothing to draw
            continue
        t = a.get("type")
        if a.get("x") is None or a.get("y") is None:
            if t in ("type", "hotkey"):
                label = "⌨ " + (str(a.get("text")) if t == "type" else "+".join(map(str, a.get("keys") or [])))
                label = label.replace("\n", "⏎")[:80]
                size = r * 1.6
                marks.append(
                    f'<rect x="{w * 0.02:.0f}" y="{h * 0.02:.0f}" width="{size * 0.62 * len(label) + size:.0f}" '
                    f'height="{size * 1.6:.0f}" rx="{size / 3:.0f}" fill="{LABEL}" fill-opacity="0.88"/>'
                    f'<text x="{w * 0.02 + size / 2:.0f}" y="{h * 0.02 + size * 1.15:.0f}" font-size="{size:.0f}" '
                    f'fill="{HALO}" font-family="sans-serif">{_e(label)}</text>'
                )
            continue
        x, y = _to_image(line, a["x"], a["y"])
        if t == "drag" and a.get("x2") is not None:
            x2, y2 = _to_image(line, a["x2"], a["y2"])
            marks.append(
                f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{MARK}" '
                f'stroke-width="{r / 3:.1f}" marker-end="url(#arrow)"/>'
            )
        if t == "scroll":
            dy = {"up": -1, "down": 1}.get(a.get("direction"), 0) * r * 3
            dx = {"left": -1, "right": 1}.get(a.get("direction"), 0) * r * 3
            marks.append(
                f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{x + dx:.1f}" y2="{y + dy:.1f}" stroke="{MARK}" '
                f'stroke-width="{r / 3:.1f}" marker-end="url(#arrow)"/>'
            )
        marks.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="none" stroke="{HALO}" stroke-width="{r / 2:.1f}" '
            f'stroke-opacity="0.8"/>'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="none" stroke="{MARK}" stroke-width="{r / 3:.1f}"/>'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r / 5:.1f}" fill="{MARK}"/>'
        )
    defs = (
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="4" markerHeight="4" '
        f'orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="{MARK}"/></marker></defs>'
    )
    return f'<svg viewBox="0 0 {w} {h}" preserveAspectRatio="none">{defs}{"".join(marks)}</svg>'


def describe_action(a: Any) -> str:
    """An action line's ACTION object in words ("click (812, 345)", "type 'hi'"), as Action.describe says it.
    A damaged one (from a cut or edited trajectory) is shown as it is rather than breaking the page."""
    try:
        return Action.from_json(a).describe()
    except (KeyError, TypeError, ValueError, AttributeError):
        return json.dumps(a, ensure_ascii=False, default=str)


# What each recorded phase is called where a person reads it. `encode_cpu` (the encoder's own time, mostly spent
# while the screen was still being checked) is for the benchmarks: the person waited only for `encode`.
PHASE_NAMES = {"capture": "screenshot", "encode": "encode", "guard": "our windows aside", "model": "model",
               "cancelled": "dropped requests", "parse": "parse", "record": "record", "execute": "act"}
_UNSHOWN_PHASES = {"encode_cpu"}


def phase_times(timings: Any) -> list[tuple[str, float]]:
    """A step's `timings_ms` as (name, ms) pairs in the words a person reads, in the order the step went through
    them (a phase this version does not know last); an odd value is left out."""
    if not isinstance(timings, dict):
        return []
    order = list(PHASE_NAMES)
    known = sorted((k for k in timings if k in PHASE_NAMES), key=order.index)
    return [(PHASE_NAMES.get(k, str(k)), float(timings[k])) for k in [*known, *(k for k in timings if k not in order)]
            if k not in _UNSHOWN_PHASES and isinstance(timings[k], int | float) and not isinstance(timings[k], bool)]


def _step_html(line: dict[str, Any], price: Price | None = None) -> str:
    rows = "".join(f"<tr><td>{_e(name)}</td><td>{ms:.0f} ms</td></tr>"
                   for name, ms in phase_times(line.get("timings_ms")))
    usage = Usage.from_json(line.get("usage"))
    if usage is not None:
        rows += f"<tr><td>tokens</td><td>{_e(tokens_text(usage.prompt, usage.completion, usage.cached))}</td></tr>"
        if price is not None:
            rows += f"<tr><td>cost</td><td>≈ {_e(usd(usage.cost(price)))} (list price)</td></tr>"
    actions = "".join(f"<li>{_e(describe_action(a))}</li>" for a in line.get("actions") or [])
    if line.get("skipped") is True or str(line.get("error") or "").startswith("skipped"):
        error = '<div class="warn">Skipped: the person did not allow this action; nothing was done.</div>'
    elif line.get("interrupted"):
        error = f'<div class="warn">Interrupted while acting ({_e(line["interrupted"])}).</div>'
    else:
        error = f'<div class="err">{_e(line["error"])}</div>' if line.get("error") else ""
    return (
        f'<section class="step" id="step-{_e(line.get("step"))}">'
        f'<div class="shot"><img src="{_e(line.get("screenshot", ""))}" alt="screenshot of step '
        f'{_e(line.get("step"))}" loading="lazy">{_overlay(line)}</div>'
        f'<div class="info"><h2>Step {_e(line.get("step"))} <small class="meta">{_time(line.get("time"))}</small></h2>'
        f'<div class="thought">{_e(line.get("thought") or "")}</div>'
        f'<ul class="actions">{actions}</ul>{error}'
        f"<table>{rows}</table>"
        f'<details><summary>Raw model response</summary><pre>{_e(line.get("response") or "")}</pre></details>'
        f"</div></section>"
    )


def _event_html(line: dict[str, Any]) -> str:
    kind = line.get("kind", "")
    if kind == "note":
        who = ("The person declined the action" if line.get("declined")
               else "The person took over, then handed back" if line.get("intervened") else "The person replied")
        text = line.get("note") or "(no note)"
        return f'<div class="event note"><strong>{who}:</strong> {_e(text)}</div>'
    if kind == "person_actions":
        acts = "; ".join(describe_action(a) for a in line.get("actions") or [])
        return (f'<div class="event note"><strong>What the person did:</strong> {_e(acts)}'
                f'<details><summary>In the model\'s words</summary><pre>{_e(line.get("response") or "")}</pre>'
                "</details></div>")
    if kind == "takeover":
        return '<div class="event note"><strong>The person took the controls</strong> (the agent paused)</div>'
    if kind == "format_error":
        return (
            f'<div class="event format_error"><strong>Unusable reply</strong> ({_e(line.get("error"))})'
            f'<details><summary>Raw response</summary><pre>{_e(line.get("response") or "")}</pre></details></div>'
        )
    return f'<div class="event"><strong>{_e(kind)}</strong> {_e(line.get("message", ""))}</div>'


class Report:
    """Builds the page incrementally: each line is rendered once, so rewriting it per step stays cheap."""

    def __init__(self) -> None:
        self.header: dict[str, Any] = {}
        self.end: dict[str, Any] | None = None
        self.steps = 0
        self.fragments: list[str] = []
        self.tally = Tally()  # the run's tokens and cost, at the price its header recorded

    def add(self, line: dict[str, Any]) -> None:
        kind = line.get("kind")
        if kind == "header":
            self.header = line
            self.tally = Tally(run_price(line.get("settings")))
        elif kind == "end":
            self.end = line
        elif kind == "step":
            self.steps += 1
            self.tally.add(line.get("usage"))
            self.fragments.append(_step_html(line, self.tally.price))
        else:
            self.fragments.append(_event_html(line))

    def html(self) -> str:
        return _page(self.header, self.end, self.steps, self.fragments, self.tally)


def render_report(lines: list[dict[str, Any]]) -> str:
    report = Report()
    for line in lines:
        report.add(line)
    return report.html()


def _totals(tally: Tally) -> str:
    """The run's tokens and estimated cost, for the header ("" when the endpoint reported no usage)."""
    text = tally.describe()
    if not text:
        return ""
    price = tally.price
    basis = (f"Estimated at the list price the run recorded: {usd(price.input)} per million input tokens, "
             f"{usd(price.output)} per million output tokens" if price else "No list price known for this model")
    return f'<span class="tokens" title="{_e(basis)}">{_e(text)}</span>'


def _page(header: dict[str, Any], end: dict[str, Any] | None, steps: int, body: list[str],
          tally: Tally | None = None) -> str:
    status = end.get("status") if end else "running"
    settings = header.get("settings") or {}
    summary = ""
    if end and end.get("final_answer"):
        summary = f'<div class="answer">{_e(end["final_answer"])}</div>'
    elif end and end.get("error"):
        summary = f'<div class="answer error">{_e(end["error"])}</div>'
    duration = ""
    if end and header.get("started") and end.get("time"):
        duration = f"<span>{float(end['time']) - float(header['started']):.1f} s</span>"
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{_e(header.get('task', 'run'))}"
        f" — agent-app</title><style>{_CSS}</style></head><body><header>"
        f"<h1>{_e(header.get('task', ''))}</h1><div class=\"meta\">"
        f'<span class="status {_e(status)}">{_e(STATUS_WORDS.get(str(status), status))}</span>'
        f"<span>{steps} step(s)</span>{duration}{_totals(tally) if tally else ''}"
        f"<span>{_time(header.get('started'))}</span>"
        f"<span>{_e(settings.get('model') or '')} · {_e(settings.get('model_family') or '')}</span>"
        f"</div>{summary}</header><main>{''.join(body)}</main></body></html>"
    )
