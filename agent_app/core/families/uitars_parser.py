"""Turn what a UI-TARS-family model writes into `Action`s — a small scanner, never eval/exec.

Tolerates what real models and servers produce: Reflection/Action_Summary sections, code fences, special
tokens kept or stripped, `(x,y)` / `(x1,y1,x2,y2)` / `[x1, y1, x2, y2]` / `<point>x y</point>` /
`<bbox>…</bbox>` coordinates, decimals, escaped or real newlines and quotes inside `content`, and several
actions in one reply. Anything it cannot understand raises `FormatError`; nothing else escapes.

Never a part of an action: an unterminated string, an unclosed call or an unclosed coordinate group (a reply
cut off mid-action) rejects the whole reply. A reply cut at any point therefore gives a FormatError or exactly
the actions of a prefix that is itself a whole reply (cut right after a call's `)`); the model client makes
sure only whole replies get here at all.
"""

from __future__ import annotations

import math
import re

from agent_app.core.actions import DIRECTIONS, Action
from agent_app.core.errors import FormatError
from agent_app.core.families.base import ParsedReply
from agent_app.core.keys import normalize_combo

_NAMES = {
    "click": "click", "left_single": "click", "left_click": "click", "single_click": "click", "tap": "click",
    "left_double": "double_click", "double_click": "double_click", "doubleclick": "double_click",
    "left_double_click": "double_click", "dbl_click": "double_click",
    "right_single": "right_click", "right_click": "right_click", "rightclick": "right_click",
    "hover": "move", "move": "move", "mouse_move": "move", "move_to": "move", "moveto": "move",
    "drag": "drag", "select": "drag", "left_drag": "drag", "drag_to": "drag",
    "hotkey": "hotkey", "press": "hotkey", "key": "hotkey", "keypress": "hotkey", "press_key": "hotkey",
    "type": "type", "input": "type", "write": "type", "typing": "type", "type_text": "type",
    "scroll": "scroll",
    "wait": "wait", "sleep": "wait",
    "finished": "finished", "finish": "finished", "done": "finished",
    "call_user": "call_user", "calluser": "call_user", "ask_user": "call_user",
}
_PARAMS = {  # positional argument order per action type
    "click": ("start_box",), "double_click": ("start_box",), "right_click": ("start_box",),
    "move": ("start_box",), "drag": ("start_box", "end_box"), "hotkey": ("key",), "type": ("content",),
    "scroll": ("start_box", "direction"), "wait": (), "finished": ("content",), "call_user": (),
}
_POINT_KEYS = ("start_box", "point", "start_point", "box", "position", "coordinate", "coordinates", "start")
_END_KEYS = ("end_box", "end_point", "end")
_KEY_KEYS = ("key", "keys", "hotkey", "combo", "combination")
_TEXT_KEYS = ("content", "text", "string", "value", "message", "answer")

_SPECIAL_TOKENS = re.compile(r"<\|(?:im_end|im_start|endoftext|end|eot_id|diff_marker)\|>|<\|im_start\|>assistant")
_FENCE = re.compile(r"^[ \t]*```[\w-]*[ \t]*$", re.MULTILINE)
_THINK = re.compile(r"</?think(?:_never_used_[0-9a-f]+)?>", re.IGNORECASE)
_ACTION_LINE = re.compile(r"^[ \t>*_#-]*Action[ \t]*\**[ \t]*[:：]", re.IGNORECASE | re.MULTILINE)
_ACTION_ANY = re.compile(r"\bAction[ \t]*[:：]")
_THOUGHT_LABEL = re.compile(r"^[ \t*]*Thought[ \t]*\**[ \t]*[:：][ \t]*", re.IGNORECASE | re.MULTILINE)
_REFLECTION = re.compile(r"^[ \t*]*Reflection[ \t]*\**[ \t]*[:：]", re.IGNORECASE | re.MULTILINE)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
# A number as written, exponent included: "1e999" is one (infinite) number, never the 1 before its "e".
_NUMBER = re.compile(r"(?<![A-Za-z_\d.])-?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?")
_BOX_TOKENS = re.compile(r"<\|box_(?:start|end)\|>|</?(?:point|bbox)>")
MAX_COORDINATE = 1e6


def clean_response(text: str) -> str:
    """Remove chat special tokens, code fences and think tags; keep everything else."""
    text = _SPECIAL_TOKENS.sub("", text)
    text = _FENCE.sub("", text)
    return _THINK.sub("", text).strip()


def parse_uitars(text: str) -> ParsedReply:
    """Parse a UI-TARS 1.0/1.5 or Doubao reply. Raises FormatError with a one-line reason."""
    if not isinstance(text, str) or not text.strip():
        raise FormatError("the model returned an empty reply")
    text = clean_response(text)
    marker = _ACTION_LINE.search(text) or _ACTION_ANY.search(text)
    if marker:
        thought, action_part = text[: marker.start()], text[marker.end() :]
    else:
        thought, action_part = "", text
    calls = _Scanner(action_part).calls()
    if not calls:
        raise FormatError("no action found in the model's reply")
    if not marker:
        thought = text[: calls[0][2]]
    return ParsedReply(thought=_thought(thought), actions=[_build(name, args) for name, args, _ in calls])


def _thought(text: str) -> str:
    """The reasoning to show: from the `Thought:` label on (a Reflection before it kept), else all of it."""
    label = _THOUGHT_LABEL.search(text)
    if not label:
        return text.strip()
    reflection = _REFLECTION.search(text, 0, label.start())
    lead = text[reflection.start() : label.start()].strip() + "\n" if reflection else ""
    return lead + text[label.end() :].strip()


class _Scanner:
    """Finds `name(arg=value, ...)` calls in text, with quote-aware argument splitting."""

    def __init__(self, text: str) -> None:
        self.s = text
        self.n = len(text)

    def calls(self) -> list[tuple[str, dict[str, str], int]]:
        s, out, i = self.s, [], 0
        unknown = None
        while i < self.n:
            c = s[i]
            if c == "#":  # a comment runs to the end of the line
                nl = s.find("\n", i)
                i = self.n if nl < 0 else nl + 1
                continue
            m = _IDENT.match(s, i)
            if not m or (i > 0 and (s[i - 1].isalnum() or s[i - 1] == "_")):
                i += 1
                continue
            word = m.group(0)
            name = word.rsplit(".", 1)[-1].lower()
            j = m.end()
            while j < self.n and s[j] in " \t":
                j += 1
            if j < self.n and s[j] == "(":
                if name in _NAMES:
                    args, i = self._args(j + 1)
                    out.append((_NAMES[name], args, m.start()))
                    continue
                if j == m.end() and unknown is None:
                    unknown = word
            i = m.end()
        if not out and unknown is not None:
            raise FormatError(f"unknown action '{unknown[:40]}'")
        return out

    def _args(self, i: int) -> tuple[dict[str, str], int]:
        s, n = self.s, self.n
        args: dict[str, str] = {}
        pos = 0
        while i < n:
            while i < n and s[i] in " \t\r\n,":
                i += 1
            if i >= n:
                break
            if s[i] == ")":
                return args, i + 1
            key = None
            m = _IDENT.match(s, i)
            if m:
                k = m.end()
                while k < n and s[k] in " \t":
                    k += 1
                if k < n and s[k] == "=":
                    key, i = m.group(0).lower(), k + 1
                    while i < n and s[i] in " \t":
                        i += 1
            if i < n and s[i] in "'\"":
                value, i = self._quoted(i)
            else:
                value, i = self._bare(i)
            args[key if key is not None else f"#{pos}"] = value
            pos += key is None
            while i < n and s[i] not in ",)":  # junk after a value: skip to the next separator
                i += 1
        raise FormatError("an action call is not closed: the reply ends inside it (was it cut off?)")

    def _quoted(self, i: int) -> tuple[str, int]:
        s, n, q = self.s, self.n, self.s[i]
        buf: list[str] = []
        j = i + 1
        while j < n:
            c = s[j]
            if c == "\\" and j + 1 < n:
                nxt = s[j + 1]
                if nxt in "'\"\\":
                    buf.append(nxt)
                elif nxt == "n":
                    buf.append("\n")
                else:
                    buf.append(c + nxt)
                j += 2
                continue
            if c == q and self._closes(j + 1):
                return "".join(buf), j + 1
            buf.append(c)
            j += 1
        raise FormatError("an unterminated string in an action: the reply ends inside it (was it cut off?)")

    def _closes(self, k: int) -> bool:
        """Is a quote just before `k` the end of the value? Unescaped quotes inside content are common."""
        s, n = self.s, self.n
        while k < n and s[k] in " \t":
            k += 1
        if k >= n or s[k] in ")\r\n":
            return True
        if s[k] != ",":
            return False
        k += 1
        while k < n and s[k] in " \t":
            k += 1
        if k >= n or s[k] in "'\"([<)":
            return True
        m = _IDENT.match(s, k)
        if not m:
            return False
        k = m.end()
        while k < n and s[k] in " \t":
            k += 1
        return k < n and s[k] == "="

    def _bare(self, i: int) -> tuple[str, int]:
        s, n = self.s, self.n
        depth, j = 0, i
        while j < n:
            c = s[j]
            if c in "([{":
                depth += 1
            elif c in ")]}":
                if depth == 0:
                    break
                depth -= 1
            elif (c == "," and depth == 0) or (c == "\n" and depth == 0):
                break
            j += 1
        return s[i:j].strip(), j


def _get(args: dict[str, str], keys: tuple[str, ...], position: int | None) -> str | None:
    for k in keys:
        if k in args:
            return args[k]
    if position is not None:
        return args.get(f"#{position}")
    return None


def parse_point(value: str) -> tuple[float, float]:
    """'(x,y)', '<|box_start|>(x1,y1,x2,y2)<|box_end|>', '[x1, y1, x2, y2]', '<point>x y</point>' → a point."""
    if not _closed_groups(value):
        raise FormatError(f"an unclosed coordinate group in {value[:60]!r} (was the reply cut off?)")
    nums = [float(v) for v in _NUMBER.findall(_BOX_TOKENS.sub(" ", value))]
    if len(nums) == 4:
        nums = [(nums[0] + nums[2]) / 2, (nums[1] + nums[3]) / 2]
    if len(nums) != 2:
        raise FormatError(f"cannot read coordinates from {value[:60]!r}")
    if not all(math.isfinite(v) and abs(v) <= MAX_COORDINATE for v in nums):
        raise FormatError(f"coordinates out of range in {value[:60]!r}")
    return nums[0], nums[1]


def point_tag(x: float, y: float) -> str:
    """A point as the `<point>` families write it (the inverse of `parse_point` for whole numbers)."""
    return f"<point>{round(x)} {round(y)}</point>"


_GROUP_TAGS = (("<|box_start|>", "<|box_end|>"), ("<point>", "</point>"), ("<bbox>", "</bbox>"))


def _closed_groups(value: str) -> bool:
    """Is every bracket and box tag opened in a coordinate value closed after it? (A surplus closer is a
    slip, not a cut: tolerated.)"""
    for opening, closing in (*_GROUP_TAGS, ("(", ")"), ("[", "]")):
        if value.rfind(opening) > value.rfind(closing) or value.count(opening) > value.count(closing):
            return False
    return True


def _point(args: dict[str, str], keys: tuple[str, ...], position: int | None) -> tuple[float, float] | None:
    value = _get(args, keys, position)
    if value is None and position == 0 and "x" in args and "y" in args:
        value = f"({args['x']},{args['y']})"
    return parse_point(value) if value is not None and value.strip() else None


def _build(kind: str, args: dict[str, str]) -> Action:
    if kind in ("click", "double_click", "right_click", "move"):
        p = _point(args, _POINT_KEYS, 0)
        if p is None:
            raise FormatError(f"{kind} without coordinates")
        return Action(kind, x=p[0], y=p[1])
    if kind == "drag":
        start, end = _point(args, _POINT_KEYS, 0), _point(args, _END_KEYS, 1)
        if start is None or end is None:
            raise FormatError("drag needs a start and an end point")
        return Action("drag", x=start[0], y=start[1], x2=end[0], y2=end[1])
    if kind == "hotkey":
        spec = _get(args, _KEY_KEYS, 0) or ""
        spec = re.sub(r"[\[\]'\",]", " ", spec)
        return Action("hotkey", keys=normalize_combo(spec))
    if kind == "type":
        return Action("type", text=_get(args, _TEXT_KEYS, 0) or "")
    if kind == "scroll":
        if "direction" not in args and not re.search(r"\d", args.get("#0", "0")):
            args = {"direction": args["#0"]}  # scroll('down')
        direction_raw = (_get(args, ("direction", "dir"), 1) or "down").strip().lower()
        direction = next((w for w in re.findall(r"[a-z]+", direction_raw) if w in DIRECTIONS), None)
        if direction is None:
            raise FormatError(f"unknown scroll direction {direction_raw[:20]!r}")
        p = _point(args, _POINT_KEYS, 0) if _get(args, _POINT_KEYS, 0) is not None else None
        return Action("scroll", x=p[0] if p else None, y=p[1] if p else None, direction=direction)
    if kind == "finished":
        return Action("finished", content=_get(args, _TEXT_KEYS, 0) or "")
    return Action(kind)


_BOX_VALUE = re.compile(r"\b(start_box|end_box)(\s*=\s*)(['\"])(?!<\|box_start\|>)(.*?)\3")


def add_box_tokens(response: str) -> str:
    """Wrap start_box/end_box values in <|box_start|>…<|box_end|>, as UI-TARS was trained (history turns)."""
    return _BOX_VALUE.sub(lambda m: f"{m[1]}{m[2]}{m[3]}<|box_start|>{m[4]}<|box_end|>{m[3]}", response)
