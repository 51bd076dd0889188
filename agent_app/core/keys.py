"""Key names: whatever spelling a model writes, turned into pyautogui's lower-case names for this platform."""

from __future__ import annotations

import re
import string
import sys

from agent_app.core.errors import FormatError

# pyautogui's named keys (its KEY_NAMES without the single characters), kept here so that parsing needs
# no display. Single printable ASCII characters are valid keys too.
NAMED_KEYS = frozenset(
    [
        "accept", "add", "alt", "altleft", "altright", "apps", "backspace", "browserback", "browserfavorites",
        "browserforward", "browserhome", "browserrefresh", "browsersearch", "browserstop", "capslock", "clear",
        "convert", "ctrl", "ctrlleft", "ctrlright", "decimal", "del", "delete", "divide", "down", "end", "enter",
        "esc", "escape", "execute", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "f11", "f12",
        "f13", "f14", "f15", "f16", "f17", "f18", "f19", "f20", "f21", "f22", "f23", "f24", "final", "fn",
        "hanguel", "hangul", "hanja", "help", "home", "insert", "junja", "kana", "kanji", "launchapp1",
        "launchapp2", "launchmail", "launchmediaselect", "left", "modechange", "multiply", "nexttrack",
        "nonconvert", "num0", "num1", "num2", "num3", "num4", "num5", "num6", "num7", "num8", "num9", "numlock",
        "pagedown", "pageup", "pause", "pgdn", "pgup", "playpause", "prevtrack", "print", "printscreen", "prntscrn",
        "prtsc", "prtscr", "return", "right", "scrolllock", "select", "separator", "shift", "shiftleft",
        "shiftright", "sleep", "space", "stop", "subtract", "tab", "up", "volumedown", "volumemute", "volumeup",
        "win", "winleft", "winright", "yen", "command", "option", "optionleft", "optionright"
    ]
)

MODIFIERS = ("ctrl", "shift", "alt", "win", "command", "option")

_ALIASES = {
    "control": "ctrl", "ctl": "ctrl", "ctrl_l": "ctrl", "control_l": "ctrl", "lctrl": "ctrl",
    "ctrl_r": "ctrlright", "rctrl": "ctrlright",
    "alt_l": "alt", "lalt": "alt", "alt_r": "altright", "ralt": "altright", "altgr": "altright",
    "shift_l": "shift", "lshift": "shift", "shift_r": "shiftright", "rshift": "shiftright",
    "return": "enter", "ret": "enter", "kp_enter": "enter",
    "escape": "esc",
    "del": "delete",
    "back_space": "backspace", "bksp": "backspace", "bs": "backspace",
    "spacebar": "space", "space_bar": "space",
    "arrowup": "up", "arrow_up": "up", "uparrow": "up", "up_arrow": "up",
    "arrowdown": "down", "arrow_down": "down", "downarrow": "down", "down_arrow": "down",
    "arrowleft": "left", "arrow_left": "left", "leftarrow": "left", "left_arrow": "left",
    "arrowright": "right", "arrow_right": "right", "rightarrow": "right", "right_arrow": "right",
    "pgup": "pageup", "page_up": "pageup", "prior": "pageup",
    "pgdn": "pagedown", "page_down": "pagedown", "pagedn": "pagedown", "next": "pagedown",
    "caps_lock": "capslock", "caps": "capslock",
    "num_lock": "numlock", "scroll_lock": "scrolllock",
    "prtsc": "printscreen", "print_screen": "printscreen", "prtscr": "printscreen", "prntscrn": "printscreen",
    "ins": "insert",
    "plus": "+", "minus": "-", "equal": "=", "equals": "=", "comma": ",", "period": ".", "dot": ".",
    "slash": "/", "backslash": "\\", "semicolon": ";", "quote": "'", "apostrophe": "'",
    "backquote": "`", "grave": "`", "bracketleft": "[", "bracketright": "]",
    "menu": "apps", "context_menu": "apps",
    # X keysym names (xdotool syntax, which Claude's computer tool speaks)
    "control_r": "ctrlright", "kp_add": "add", "kp_subtract": "subtract", "kp_multiply": "multiply",
    "kp_divide": "divide", "kp_decimal": "decimal", "kp_separator": "separator", "kp_equal": "=",
    "kp_home": "home", "kp_end": "end", "kp_insert": "insert", "kp_delete": "delete", "kp_up": "up",
    "kp_down": "down", "kp_left": "left", "kp_right": "right", "kp_prior": "pageup", "kp_page_up": "pageup",
    "kp_next": "pagedown", "kp_page_down": "pagedown", "kp_tab": "tab", "kp_space": "space",
    "exclam": "!", "at": "@", "numbersign": "#", "dollar": "$", "percent": "%", "asciicircum": "^",
    "ampersand": "&", "asterisk": "*", "parenleft": "(", "parenright": ")", "underscore": "_", "colon": ":",
    "less": "<", "greater": ">", "question": "?", "bar": "|", "braceleft": "{", "braceright": "}",
    "asciitilde": "~", "quotedbl": '"', "quoteleft": "`", "quoteright": "'",
    "xf86audioraisevolume": "volumeup", "xf86audiolowervolume": "volumedown", "xf86audiomute": "volumemute",
    "xf86audioplay": "playpause", "xf86audionext": "nexttrack", "xf86audioprev": "prevtrack",
    "xf86audiostop": "stop", "xf86back": "browserback", "xf86forward": "browserforward",
    "xf86refresh": "browserrefresh", "xf86search": "browsersearch", "xf86homepage": "browserhome",
    "xf86favorites": "browserfavorites", "xf86mail": "launchmail",
}
_KEYPAD_DIGIT = re.compile(r"kp_([0-9])")
# Names for the platform's "logo" key: Command on macOS, the Windows/Super key elsewhere.
_LOGO = ("cmd", "command", "super", "super_l", "super_r", "win", "windows", "meta", "meta_l", "meta_r", "logo", "os",
         "mod4", "hyper_l", "hyper_r")
_OPTION = ("option", "opt")

_JOIN = re.compile(r"(?<=\S)\s*\+\s*(?=\S)")


def split_combo(spec: str) -> list[str]:
    """'ctrl c', 'ctrl+c', 'Ctrl + Shift + T', 'ctrl++' → their key tokens (not yet normalised)."""
    spec = _JOIN.sub("+", spec)
    tokens: list[str] = []
    for chunk in spec.split():
        if chunk == "+" or chunk.endswith("++"):  # the '+' key itself
            tokens += [p for p in chunk[:-1].split("+") if p] + ["+"]
        else:
            tokens += [p for p in chunk.split("+") if p]
    return tokens


def normalize_key(name: str, platform: str | None = None) -> str:
    """One key name in pyautogui's spelling for `platform` (default: this one). Unknown → FormatError."""
    platform = platform or sys.platform
    raw = name
    if len(name) == 1:
        if name in string.printable and name not in "\x0b\x0c":
            return name.lower() if name.isalpha() else name
        raise FormatError(f"unknown key {raw!r}")
    key = name.strip().lower().replace("-", "_")
    if key in _LOGO:
        return "command" if platform == "darwin" else "win"
    if key in _OPTION:
        return "option" if platform == "darwin" else "alt"
    key = _ALIASES.get(key, key)
    if m := _KEYPAD_DIGIT.fullmatch(key):
        key = "num" + m.group(1)
    if len(key) == 1 or key in NAMED_KEYS:
        return key
    raise FormatError(f"unknown key {raw!r}")


def normalize_combo(spec: str | list[str] | tuple[str, ...], platform: str | None = None) -> tuple[str, ...]:
    """A hotkey as a model writes it → the tuple of keys to press together, modifiers first as given."""
    tokens = split_combo(spec) if isinstance(spec, str) else [t for t in spec if t]
    if not tokens:
        raise FormatError("hotkey without keys")
    return tuple(normalize_key(t, platform) for t in tokens)
