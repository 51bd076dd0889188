"""pyautogui-style code read as data, never run: the replies of Aguvis (and code-writing families like it).

The reference agents `exec` what the model writes. We never run it: the code is parsed with `ast`, every
statement must be a bare call of an allow-listed function (`pyautogui.click`, `terminate`, …) whose arguments
are literals (constants, negative numbers, flat lists/tuples of those), and the calls are mapped onto our
`Action`s. Anything else — imports, attributes beyond `module.function`, names, nested calls, f-strings,
starred or `**` arguments, assignments — rejects the whole reply with `FormatError`.

Families that write code differ a little in what their code may say; a `Dialect` names those differences
(Aguvis's rules are the default): the calls beyond Aguvis's subset, what a pointer call without a point means, and
whether a scroll amount counts wheel clicks.
"""

from __future__ import annotations

import ast
import textwrap
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agent_app.core.actions import Action
from agent_app.core.errors import FormatError
from agent_app.core.keys import normalize_combo

MAX_REPLY_CHARS = 100_000
MAX_CODE_CHARS = 10_000
MAX_ACTIONS = 100
MAX_COORDINATE = 1e6
MAX_WHEEL_CLICKS = 1000


@dataclass(frozen=True)
class Dialect:
    """What a family's code may say beyond Aguvis's pyautogui subset (all False: Aguvis's rules).

    more_calls: middleClick, tripleClick, mouseDown, mouseUp, computer.triple_click; click(button='middle'),
        click(clicks=3).
    at_pointer: a pointer call with no point and none set earlier in the reply acts at the pointer (Aguvis: refused).
    wheel_clicks: scroll(n) is n whole wheel clicks, kept as the action's amount (Aguvis: a direction only).
    """

    more_calls: bool = False
    at_pointer: bool = False
    wheel_clicks: bool = False


AGUVIS_CODE = Dialect()


def read_code(code: str, dialect: Dialect = AGUVIS_CODE) -> list[Action]:
    """The actions of a block of pyautogui-style code (coordinates as written). Raises FormatError."""
    mapper = _Mapper(dialect)
    for node in _statements(code):
        mapper.statement(node)
    if not mapper.actions:
        raise FormatError("the model's code contains no action")
    return mapper.actions


def _statements(code: str) -> list[ast.stmt]:
    if len(code) > MAX_CODE_CHARS:
        raise FormatError("the model's code is too long")
    source = textwrap.dedent(code).strip("\n")
    tree = parse_source(source)
    if isinstance(tree, str):  # indented oddly (a list item, a quote)? try once with every line stripped
        retry = parse_source("\n".join(line.strip() for line in source.splitlines()))
        if isinstance(retry, str):
            raise FormatError(f"the model's code is not valid Python ({tree})")
        tree = retry
    return tree.body if isinstance(tree, ast.Module) else []


def parse_source(source: str, mode: str = "exec") -> ast.AST | str:
    """The syntax tree, or why there is none. Parsing only: nothing is compiled or run."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. SyntaxWarning for "\d" in a string
            return ast.parse(source, mode=mode)
    except SyntaxError as e:
        return f"{e.msg}, line {e.lineno}"
    except (ValueError, RecursionError, MemoryError, OverflowError) as e:
        return type(e).__name__


_SPECIALS = {"WAIT": Action("wait"), "DONE": Action("finished", content=""), "FAIL": Action("call_user")}

# (module, function) → handler. `module` None: a bare name.
_AGENT_FUNCS = ("wait", "terminate", "answer")
_ALLOWED: dict[tuple[str | None, str], str] = {
    **{("pyautogui", f): f for f in ("click", "doubleClick", "rightClick", "moveTo", "dragTo", "press", "hotkey")},
    ("pyautogui", "write"): "write", ("pyautogui", "typewrite"): "write",
    ("pyautogui", "scroll"): "scroll", ("pyautogui", "hscroll"): "hscroll", ("pyautogui", "wait"): "wait",
    **{(m, f): f for m in (None, "computer", "mobile") for f in _AGENT_FUNCS},
}
_MORE_CALLS: dict[tuple[str | None, str], str] = {  # Dialect.more_calls
    **{("pyautogui", f): f for f in ("middleClick", "tripleClick", "mouseDown", "mouseUp")},
    ("computer", "triple_click"): "tripleClick", ("computer", "tripleClick"): "tripleClick",
}
# handler → (positional parameters in order, further keywords accepted)
_SIGNATURES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "click": (("x", "y", "clicks", "interval", "button", "duration", "tween"), ("logScreenshot",)),
    "doubleClick": (("x", "y", "interval", "button", "duration", "tween"), ("logScreenshot",)),
    "rightClick": (("x", "y", "interval", "duration", "tween"), ("logScreenshot",)),
    "middleClick": (("x", "y", "duration", "tween"), ("logScreenshot",)),
    "tripleClick": (("x", "y", "interval", "button", "duration", "tween"), ("logScreenshot",)),
    "mouseDown": (("x", "y", "button", "duration", "tween"), ("logScreenshot",)),
    "mouseUp": (("x", "y", "button", "duration", "tween"), ("logScreenshot",)),
    "moveTo": (("x", "y", "duration", "tween"), ("logScreenshot",)),
    "dragTo": (("x", "y", "duration", "tween", "button", "mouseDownUp"), ("from_coord", "to_coord", "logScreenshot")),
    "write": (("message", "interval"), ("text", "content", "logScreenshot")),
    "press": (("keys", "presses", "interval"), ("key", "logScreenshot")),
    "hotkey": ((), ("keys", "key", "interval", "logScreenshot")),  # keys are *args
    "scroll": (("clicks", "x", "y"), ("page", "logScreenshot")),
    "hscroll": (("clicks", "x", "y"), ("page", "logScreenshot")),
    "wait": (("seconds",), ()),
    "terminate": (("status",), ("answer",)),
    "answer": (("text",), ("answer", "content")),
}
_ALIASES = {"text": "message", "content": "message", "key": "keys", "page": "clicks"}
_ANSWER_ALIASES = {"answer": "text", "content": "text"}


def _callee(func: ast.expr, dialect: Dialect) -> str:
    """The handler for `name(...)` or `module.name(...)`; anything else is refused."""
    if isinstance(func, ast.Name):
        module, name = None, func.id
    elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        module, name = func.value.id, func.attr
    else:
        raise FormatError("only direct calls such as pyautogui.click(...) are allowed")
    dotted = f"{module}.{name}" if module else name
    if "__" in dotted:
        raise FormatError(f"dunder names are not allowed ({dotted[:40]})")
    handler = _ALLOWED.get((module, name)) or (_MORE_CALLS.get((module, name)) if dialect.more_calls else None)
    if handler is None:
        raise FormatError(f"{dotted[:40]}() is not an allowed action")
    return handler


def literal(node: ast.expr, nested: bool = False) -> Any:
    """A constant, a signed number, or a flat list/tuple of those; anything else is refused."""
    if isinstance(node, ast.Constant) and (node.value is None or type(node.value) in (str, int, float, bool)):
        return node.value
    if (
        isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd))
        and isinstance(node.operand, ast.Constant) and type(node.operand.value) in (int, float)
    ):
        return -node.operand.value if isinstance(node.op, ast.USub) else node.operand.value
    if not nested and isinstance(node, (ast.List, ast.Tuple)):
        return [literal(e, nested=True) for e in node.elts]
    raise FormatError(f"arguments must be literal values, not {type(node).__name__}")


def _bind(handler: str, call: ast.Call) -> dict[str, Any]:
    """The call's arguments by parameter name (aliases folded), each a literal."""
    params, extra = _SIGNATURES[handler]
    if any(isinstance(a, ast.Starred) for a in call.args):
        raise FormatError("starred arguments are not allowed")
    values: dict[str, Any] = {}
    if handler == "hotkey":
        if call.args:
            keys = [literal(a) for a in call.args]
            values["keys"] = keys[0] if len(keys) == 1 else keys
    else:
        if len(call.args) > len(params):
            raise FormatError(f"too many arguments for {handler}()")
        values.update((name, literal(a)) for name, a in zip(params, call.args, strict=False))
    aliases = _ANSWER_ALIASES if handler == "answer" else _ALIASES if handler != "terminate" else {}
    for kw in call.keywords:
        if kw.arg is None:
            raise FormatError("** arguments are not allowed")
        if kw.arg not in params and kw.arg not in extra:
            raise FormatError(f"{handler}() has no argument {kw.arg[:30]!r}")
        name = aliases.get(kw.arg, kw.arg) if kw.arg not in params else kw.arg
        if name in values:
            raise FormatError(f"{handler}() got {name!r} twice")
        values[name] = literal(kw.value)
    return values


def number(value: Any, what: str) -> float:
    # abs() first: a huge int (hundreds of digits) is compared exactly, where isfinite() would overflow.
    if type(value) not in (int, float) or not abs(value) <= MAX_COORDINATE:
        raise FormatError(f"{what} must be a number of at most {MAX_COORDINATE:g}, got {_clip(value)}")
    return float(value)

def _clip(value: Any) -> str:
    """A bad value, shown short (a huge int is never turned into digits)."""
    if type(value) is int and abs(value) > MAX_COORDINATE:
        digits = max(1, int((abs(value).bit_length() - 1) * 0.30103))  # a lower bound, made exact below
        while 10**digits <= abs(value):
            digits += 1
        return f"a number of {digits} digits"
    return repr(str(value)[:30])



def _pair(value: Any, what: str) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise FormatError(f"{what} must be [x, y]")
    return number(value[0], what), number(value[1], what)


def _point(args: dict[str, Any]) -> tuple[float, float] | None:
    """x=, y= (or x=[x, y]); None when the call names no point."""
    x, y = args.get("x"), args.get("y")
    if x is None and y is None:
        return None
    if isinstance(x, list) and y is None:
        return _pair(x, "the point")
    if x is None or y is None:
        raise FormatError("a point needs both x and y")
    return number(x, "x"), number(y, "y")


def _button(args: dict[str, Any], dialect: Dialect) -> str:
    button = args.get("button", "left")
    if button == "middle" and dialect.more_calls:
        return "middle"
    if button not in ("left", "right", "primary", "secondary"):
        raise FormatError(f"unsupported mouse button {str(button)[:20]!r}")
    return "right" if button in ("right", "secondary") else "left"


def _keys(value: Any) -> tuple[str, ...]:
    """One key or combo: 'enter', 'ctrl+c', ['ctrl', 'c']."""
    if isinstance(value, str):
        return normalize_combo([value] if len(value) == 1 else value)
    if isinstance(value, list) and all(isinstance(k, str) for k in value):
        return normalize_combo(value)
    raise FormatError("keys must be strings")


class _Mapper:
    """Turns allowed calls into actions, tracking where the pointer was last sent in this reply."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.actions: list[Action] = []
        self.pointer: tuple[float, float] | None = None
        self._handlers: dict[str, Callable[[dict[str, Any]], None]] = {
            "click": self._click, "doubleClick": self._double_click, "rightClick": self._right_click,
            "middleClick": self._middle_click, "tripleClick": self._triple_click, "mouseDown": self._mouse_down,
            "mouseUp": self._mouse_up, "moveTo": self._move, "dragTo": self._drag, "write": self._write,
            "press": self._press, "hotkey": self._hotkey, "scroll": self._scroll, "hscroll": self._hscroll,
            "wait": self._wait, "terminate": self._terminate, "answer": self._answer,
        }

    def statement(self, node: ast.stmt) -> None:
        if not isinstance(node, ast.Expr):
            raise FormatError(f"only calls are allowed, not {type(node).__name__} statements")
        value = node.value
        if isinstance(value, ast.Name) and value.id.upper() in _SPECIALS:
            self._add(_SPECIALS[value.id.upper()])
            return
        if not isinstance(value, ast.Call):
            raise FormatError(f"only calls are allowed, not {type(value).__name__} expressions")
        handler = _callee(value.func, self.dialect)
        self._handlers[handler](_bind(handler, value))

    def _add(self, action: Action) -> None:
        if len(self.actions) >= MAX_ACTIONS:
            raise FormatError(f"more than {MAX_ACTIONS} actions in one reply")
        self.actions.append(action)

    def _at(self, args: dict[str, Any], what: str) -> tuple[float, float] | None:
        """The call's point, else the last one set earlier in this reply (pyautogui: the current position),
        else None where the dialect lets a call act at the pointer."""
        point = _point(args)
        if point is None:
            if self.pointer is None:
                if self.dialect.at_pointer:
                    return None
                raise FormatError(f"{what} without coordinates and no earlier pointer position in the reply")
            point = self.pointer
        self.pointer = point
        return point

    def _pointer_action(self, kind: str, args: dict[str, Any], what: str) -> None:
        point = self._at(args, what)
        self._add(Action(kind) if point is None else Action(kind, x=point[0], y=point[1]))

    def _click(self, args: dict[str, Any]) -> None:
        clicks = args.get("clicks", 1)
        if clicks not in ((1, 2, 3) if self.dialect.more_calls else (1, 2)) or isinstance(clicks, bool):
            raise FormatError(f"unsupported click count {str(clicks)[:10]!r}")
        button = _button(args, self.dialect)
        if button != "left" and clicks != 1:
            raise FormatError(f"multiple {button}-clicks are not supported")
        kind = {"right": "right_click", "middle": "middle_click"}.get(button) or (
            {1: "click", 2: "double_click", 3: "triple_click"}[clicks])
        self._pointer_action(kind, args, "click")

    def _left_only(self, args: dict[str, Any], what: str) -> None:
        if _button(args, self.dialect) != "left":
            raise FormatError(f"{what} supports only the left button")

    def _double_click(self, args: dict[str, Any]) -> None:
        self._left_only(args, "doubleClick")
        self._pointer_action("double_click", args, "doubleClick")

    def _triple_click(self, args: dict[str, Any]) -> None:
        self._left_only(args, "tripleClick")
        self._pointer_action("triple_click", args, "tripleClick")

    def _right_click(self, args: dict[str, Any]) -> None:
        self._pointer_action("right_click", args, "rightClick")

    def _middle_click(self, args: dict[str, Any]) -> None:
        self._pointer_action("middle_click", args, "middleClick")

    def _mouse_down(self, args: dict[str, Any]) -> None:
        self._left_only(args, "mouseDown")
        self._pointer_action("mouse_down", args, "mouseDown")

    def _mouse_up(self, args: dict[str, Any]) -> None:
        self._left_only(args, "mouseUp")
        self._pointer_action("mouse_up", args, "mouseUp")

    def _move(self, args: dict[str, Any]) -> None:
        self._pointer_action("move", args, "moveTo")

    def _drag(self, args: dict[str, Any]) -> None:
        self._left_only(args, "dragTo")
        if "from_coord" in args or "to_coord" in args:
            if _point(args) is not None:
                raise FormatError("dragTo takes either x, y or from_coord, to_coord")
            start: tuple[float, float] | None = _pair(args.get("from_coord"), "from_coord")
            end = _pair(args.get("to_coord"), "to_coord")
        else:
            end = _point(args)
            if end is None:
                raise FormatError("dragTo without a target point")
            if self.pointer is None and not self.dialect.at_pointer:
                raise FormatError("dragTo(x, y) needs an earlier pointer position in the same reply")
            start = self.pointer  # None: from wherever the pointer is
        self.pointer = end
        if start is None:
            self._add(Action("drag", x2=end[0], y2=end[1]))
        else:
            self._add(Action("drag", x=start[0], y=start[1], x2=end[0], y2=end[1]))

    def _write(self, args: dict[str, Any]) -> None:
        message = args.get("message")
        if isinstance(message, str):
            self._add(Action("type", text=message))
            return
        if not isinstance(message, list) or not all(isinstance(k, str) for k in message):
            raise FormatError("write needs a string")
        text = ""  # typewrite(['a', 'b', 'enter']): characters are typed, key names pressed
        for key in message:
            if len(key) == 1:
                text += key
                continue
            if text:
                self._add(Action("type", text=text))
                text = ""
            self._add(Action("hotkey", keys=_keys([key])))
        if text:
            self._add(Action("type", text=text))

    def _press(self, args: dict[str, Any]) -> None:
        keys = args.get("keys")
        presses = args.get("presses", 1)
        if type(presses) is not int or not 1 <= presses <= MAX_ACTIONS:
            raise FormatError(f"unsupported number of presses {str(presses)[:10]!r}")
        names = keys if isinstance(keys, list) else [keys]
        combos = [_keys(k) for k in names]
        for _ in range(presses):
            for combo in combos:
                self._add(Action("hotkey", keys=combo))

    def _hotkey(self, args: dict[str, Any]) -> None:
        if "keys" not in args:
            raise FormatError("hotkey without keys")
        self._add(Action("hotkey", keys=_keys(args["keys"])))

    def _scroll_by(self, args: dict[str, Any], positive: str, negative: str) -> None:
        if "clicks" not in args:
            raise FormatError("scroll without an amount")
        amount = number(args["clicks"], "the scroll amount")
        if amount == 0:
            raise FormatError("scroll by 0")
        clicks = None
        if self.dialect.wheel_clicks:  # whole clicks, as pyautogui truncates them
            clicks = int(abs(amount))
            if not 1 <= clicks <= MAX_WHEEL_CLICKS:
                raise FormatError(f"scroll by {str(args['clicks'])[:20]} wheel clicks (1 to {MAX_WHEEL_CLICKS})")
        point = _point(args)
        if point is not None:
            self.pointer = point
        x, y = point if point is not None else (None, None)
        self._add(Action("scroll", x=x, y=y, direction=positive if amount > 0 else negative, amount=clicks))

    def _scroll(self, args: dict[str, Any]) -> None:
        self._scroll_by(args, "up", "down")

    def _hscroll(self, args: dict[str, Any]) -> None:
        self._scroll_by(args, "right", "left")

    def _wait(self, args: dict[str, Any]) -> None:
        self._add(Action("wait"))

    def _terminate(self, args: dict[str, Any]) -> None:
        status = args.get("status")
        answer = args.get("answer", "")
        if not isinstance(answer, str):
            raise FormatError("terminate(answer=...) must be a string")
        if status == "success":
            self._add(Action("finished", content=answer))
        elif status in ("failure", "fail"):
            self._add(Action("call_user"))
        else:
            raise FormatError(f"terminate needs status='success' or 'failure', got {str(status)[:20]!r}")

    def _answer(self, args: dict[str, Any]) -> None:
        text = args.get("text")
        if not isinstance(text, str):
            raise FormatError("answer needs a string")
        self._add(Action("finished", content=text))
