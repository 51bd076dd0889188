"""Actions → a reply in a model family's own words: the inverse of the parsers.

Used to write down what a person did during a takeover as the model should have written it, so the run
yields training pairs (see export.py). Coordinates come in model units (`CoordinateSpace.to_model`).
`parse(format_reply(...))` gives the same actions back; the tests hold it to that.
"""

from __future__ import annotations

from agent_app.core.actions import Action

_UITARS_NAMES = {"click": "click", "double_click": "left_double", "right_click": "right_single"}
_AGUVIS_NAMES = {"click": "click", "double_click": "doubleClick", "right_click": "rightClick", "move": "moveTo"}


def _quote(text: str) -> str:
    """A single-quoted string with the escapes UI-TARS is taught (\\', \\", \\n) and a literal backslash."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'").replace('"', '\\"').replace("\n", "\\n") + "'"


def _point(family: str, x: float, y: float) -> str:
    if family == "doubao":
        return f"'<point>{round(x)} {round(y)}</point>'"
    if family == "uitars-1.0":
        return f"'<|box_start|>({round(x)},{round(y)})<|box_end|>'"
    return f"'({round(x)},{round(y)})'"


def _uitars_call(family: str, a: Action) -> str | None:
    point_key, drag_start_key = ("point", "start_point") if family == "doubao" else ("start_box", "start_box")
    if a.type in _UITARS_NAMES:
        return f"{_UITARS_NAMES[a.type]}({point_key}={_point(family, a.x, a.y)})"
    if a.type == "drag":
        end_key = "end_point" if family == "doubao" else "end_box"
        return f"drag({drag_start_key}={_point(family, a.x, a.y)}, {end_key}={_point(family, a.x2, a.y2)})"
    if a.type == "hotkey":
        return f"hotkey(key={_quote(' '.join(a.keys))})"
    if a.type == "type":
        return f"type(content={_quote(a.text or '')})"
    if a.type == "scroll":
        where = f"{point_key}={_point(family, a.x, a.y)}, " if a.x is not None else ""
        return f"scroll({where}direction='{a.direction}')"
    if a.type == "wait":
        return "wait()"
    if a.type == "finished":
        return f"finished(content={_quote(a.content or '')})"
    if a.type == "call_user":
        return "call_user()"
    return None  # "move" has no UI-TARS spelling


def _aguvis_call(a: Action) -> str | None:
    def xy(x: float, y: float) -> str:
        return f"x={x:.4f}, y={y:.4f}"

    if a.type in _AGUVIS_NAMES:
        return f"pyautogui.{_AGUVIS_NAMES[a.type]}({xy(a.x, a.y)})"
    if a.type == "drag":
        return f"pyautogui.dragTo(from_coord=[{a.x:.4f}, {a.y:.4f}], to_coord=[{a.x2:.4f}, {a.y2:.4f}])"
    if a.type == "hotkey":
        return f"pyautogui.hotkey({', '.join(_quote(k) for k in a.keys)})"
    if a.type == "type":
        return f"pyautogui.write(message={_quote(a.text or '')})"
    if a.type == "scroll":
        where = f", {xy(a.x, a.y)}" if a.x is not None else ""
        name, amount = ("hscroll", 5 if a.direction == "right" else -5) if a.direction in ("left", "right") else (
            "scroll", 5 if a.direction == "up" else -5)
        return f"pyautogui.{name}({amount}{where})"
    if a.type == "wait":
        return "computer.wait()"
    if a.type == "finished":
        return f"answer({_quote(a.content)})" if a.content else "computer.terminate(status='success')"
    if a.type == "call_user":
        return "computer.terminate(status='failure')"
    return None


def format_reply(family: str, actions: list[Action], thought: str, summary: str = "") -> str:
    """A reply in `family`'s format performing `actions` (model units); unrepresentable ones are left out."""
    thought = " ".join(thought.split())
    if family == "aguvis":
        code = [c for c in (_aguvis_call(a) for a in actions) if c]
        monologue = f"Thought: {thought}\nAction: {summary or thought}"
        return f"{monologue}\nassistantos\n" + "\n".join(code)
    calls = [c for c in (_uitars_call(family, a) for a in actions) if c]
    return f"Thought: {thought}\nAction: " + "\n\n".join(calls)
