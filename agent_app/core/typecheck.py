"""Does a value read from JSON fit a type hint? One check for everything the app reads back from disk:
settings, saved tasks and the lines of a run folder.

JSON has no tuples and no int/float/bool distinction worth trusting, so: `bool` is never a number, `int` is a
whole number, `float` is any finite number, `tuple[X, Y]` is a JSON list of exactly those items.
"""

from __future__ import annotations

import functools
import json
import sys
import types
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints


def fits(value: Any, hint: Any) -> bool:
    """True when `value` (as `json.loads` returns it) is of type `hint`."""
    if hint is Any:
        return True
    if hint is None or hint is type(None):
        return value is None
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        return any(fits(value, arg) for arg in get_args(hint))
    if origin is Literal:
        return any(value == arg and type(value) is type(arg) for arg in get_args(hint))
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        # abs() compared exactly: an int past any float (10**400) does not fit, where math.isfinite would overflow
        return isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) <= sys.float_info.max
    if hint is str:
        return isinstance(value, str)
    if origin is list:
        (item,) = get_args(hint) or (Any,)
        return isinstance(value, list) and all(fits(v, item) for v in value)
    if origin is tuple:
        items = get_args(hint)
        return isinstance(value, list) and len(value) == len(items) and all(map(fits, value, items))
    if origin is dict:
        key, item = get_args(hint) or (Any, Any)
        return isinstance(value, dict) and all(fits(k, key) and fits(v, item) for k, v in value.items())
    raise TypeError(f"unsupported type hint {hint!r}")


def describe(hint: Any) -> str:
    """The hint in words, for a person: 'a whole number', 'a list of text', …"""
    if hint is None or hint is type(None):
        return "null"
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        return " or ".join(describe(arg) for arg in get_args(hint))
    if origin is Literal:
        return "one of " + ", ".join(repr(arg) for arg in get_args(hint))
    words = {bool: "true or false", int: "a whole number", float: "a finite number", str: "text", Any: "any value"}
    if hint in words:
        return words[hint]
    if origin is list:
        return f"a list of {_plural(describe((get_args(hint) or (Any,))[0]))}"
    if origin is tuple:
        return f"a list of {len(get_args(hint))} {_plural(describe(get_args(hint)[0]))}"
    if origin is dict:
        return "an object"
    return str(hint)


def _plural(words: str) -> str:
    for one, many in (("a whole number", "whole numbers"), ("a finite number", "finite numbers"),
                      ("an object", "objects")):
        words = words.replace(one, many)
    return words


def json_kind(value: Any) -> str:
    """What a JSON value is, in words: 'a list', 'null', 'a number', …"""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    return {dict: "an object", list: "a list", str: "a string"}.get(type(value), "a number")


def shown(value: Any, limit: int = 40) -> str:
    """A value as it appears in a warning: as JSON writes it (the files are JSON), short, one line."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@functools.cache
def field_types(cls: type) -> dict[str, Any]:
    """A dataclass's (or TypedDict's) field types, resolved from its annotations."""
    return get_type_hints(cls)
