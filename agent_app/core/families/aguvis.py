"""Aguvis (xlang-ai/aguvis): its prompt, its `<|recipient|>` layout, and its replies (pyautogui code, read as data
by `pycode`, never run). Coordinates are 0..1 of the screen.

Layout (enforced planning, as desktop agents drive Aguvis over an OpenAI-compatible API): system → one user
message (the screenshot, then the instruction with "Previous actions" = the `Action:` lines of earlier steps)
→ an assistant prefill `<|recipient|>all\\nObservation: ` that the model continues. Aguvis was trained on one
screenshot per request, so only the current one is sent. A person's note is written into "Previous actions"
at the point it was given: Aguvis knows a single user turn, and there it is read in order with the steps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agent_app.core.actions import Action
from agent_app.core.errors import FormatError
from agent_app.core.families.base import (
    ChatFamily,
    Context,
    ParsedReply,
    image_part,
    previous_actions,
    quote,
    text_part,
)
from agent_app.core.families.pycode import MAX_REPLY_CHARS, read_code
from agent_app.core.geometry import FACTOR
from agent_app.core.text import one_line

if TYPE_CHECKING:
    from agent_app.core.history import Turn

SYSTEM_PROMPT = (
    "You are a GUI agent. You are given a task and a screenshot of the screen. "
    "You need to perform a series of pyautogui actions to complete the task."
)
USER_TEMPLATE = (
    "Please generate the next move according to the ui screenshot, instruction and previous actions.\n"
    "\nInstruction: {instruction}\n\nPrevious actions:\n{previous_actions}\n"
)
PREFILL = "<|recipient|>all\nObservation: "


# ---- the request ----


_ACTION_LINE = re.compile(r"^[ \t*#>-]*Action[ \t]*\**[ \t]*[:：][ \t]*(.*\S)", re.IGNORECASE | re.MULTILINE)


def low_level_action(reply: str) -> str:
    """What a reply did, in one line: its last `Action:` line, else its code, else its first line."""
    monologue, code = split_reply(reply)
    found = _ACTION_LINE.findall(monologue)
    if found:
        return one_line(found[-1], 300)
    statements = [s.strip() for s in code.splitlines() if s.strip() and not s.strip().startswith("#")]
    if statements:
        return one_line("; ".join(statements), 300)
    return one_line(next((s for s in monologue.splitlines() if s.strip()), ""), 300) or "(no action)"


_KEPT_OS = "<|im_end|>\n<|im_start|>assistant<|recipient|>os"
_STRIPPED_OS = re.compile(r"\n[ \t]*assistant[ \t]*os[ \t]*(?=\n|$)")


def restore_tokens(reply: str) -> str:
    """A reply with the recipient switch a server stripped (`assistantos`) spelled in tokens again."""
    text = reply.split("<|diff_marker|>", 1)[0]
    if "<|recipient|>" in text:
        return text
    return _STRIPPED_OS.sub(_KEPT_OS, text)


# ---- splitting a reply into the inner monologue and the code ----
_RECIPIENT = re.compile(r"(?:<\|im_start\|>[ \t]*)?(?:assistant[ \t]*)?<\|recipient\|>[ \t]*(all|os)?")
_TOKENS = re.compile(r"<\|(?:im_start|im_end|endoftext|recipient|end|eot_id)\|>")
_MARKER = re.compile(r"^(?:assistant)?[ \t]*(all|os)?$")
_FENCED = re.compile(r"```[ \t]*(?:[\w+-]*[ \t]*\n)?(.*?)```", re.DOTALL)
_LEADING_BLANK = re.compile(r"\A(?:[ \t]*\n)+")
_FENCE_LINE = re.compile(r"^[ \t]*```[\w+-]*[ \t]*$", re.MULTILINE)
_CODE_START = re.compile(
    r"^[ \t]*(?:(?:pyautogui|computer|mobile)[ \t]*\.[ \t]*\w+[ \t]*\(|(?:answer|terminate|wait)[ \t]*\("
    r"|(?i:wait|done|fail)[ \t]*$)",
    re.MULTILINE,
)


def split_reply(text: str) -> tuple[str, str]:
    """(inner monologue, code). Handles recipient lines (`all`/`os`, `assistantos`, tokens kept or stripped),
    code fences, ```WAIT``` specials and bare `pyautogui.` lines. Never raises."""
    text = text.replace("\r\n", "\n").split("<|diff_marker|>", 1)[0]
    text = _RECIPIENT.sub(lambda m: f"\n{m[1] or ''}\n", text)
    text = _TOKENS.sub("", text)
    lines = text.split("\n")
    kinds = [_marker_kind(line) for line in lines]
    if "os" in kinds:  # the recipient layout: lines after an `os` switch are code
        monologue: list[str] = []
        code: list[str] = []
        section = "all"
        for line, kind in zip(lines, kinds, strict=True):
            if kind is not None:
                section = kind if kind in ("all", "os") else section
                continue
            (code if section == "os" else monologue).append(line)
        return "\n".join(monologue).strip(), _trim(_unfence("\n".join(code)))
    body = "\n".join(line for line, kind in zip(lines, kinds, strict=True) if kind is None)
    if _FENCED.search(body):
        blocks = [m.group(1) for m in _FENCED.finditer(body)]
        return _FENCED.sub("\n", body).strip(), _trim("\n".join(blocks))
    start = _CODE_START.search(body)
    if start is None:
        return body.strip(), ""
    return body[: start.start()].strip(), _trim(_FENCE_LINE.sub("", body[start.start() :]))


def _marker_kind(line: str) -> str | None:
    """"all" / "os" for a recipient line, "skip" for a bare `assistant` line, None for content."""
    stripped = line.strip()
    if not stripped:
        return None
    m = _MARKER.match(stripped)
    if not m:
        return None
    return m.group(1) or "skip"


def _trim(code: str) -> str:
    """Without blank lines around it; indentation kept (dedented later as a whole)."""
    return _LEADING_BLANK.sub("", code).rstrip()


def _unfence(code: str) -> str:
    if _FENCED.search(code):
        return "\n".join(m.group(1) for m in _FENCED.finditer(code))
    return _FENCE_LINE.sub("", code)


def parse_aguvis(text: str) -> ParsedReply:
    """Parse an Aguvis reply into actions (coordinates 0..1). Raises FormatError with a one-line reason."""
    if not isinstance(text, str) or not text.strip():
        raise FormatError("the model returned an empty reply")
    if len(text) > MAX_REPLY_CHARS:
        raise FormatError("the model's reply is too long")
    monologue, code = split_reply(text)
    if not code.strip():
        raise FormatError("no pyautogui code found in the model's reply")
    return ParsedReply(thought=monologue, actions=read_code(code))


_NAMES = {"click": "click", "double_click": "doubleClick", "right_click": "rightClick", "move": "moveTo"}


@dataclass(frozen=True)
class Aguvis(ChatFamily):
    def messages(self, context: Context, turns: list[Turn], current_image_url: str) -> list[dict[str, Any]]:
        """The language does not apply (Aguvis thinks in English); it sees only the current image."""
        previous = previous_actions(turns, low_level_action)
        text = USER_TEMPLATE.format(instruction=context.task.strip(), previous_actions=previous)
        return [
            {"role": "system", "content": [text_part(SYSTEM_PROMPT)]},
            {"role": "user", "content": [image_part(current_image_url), text_part(text)]},
            {"role": "assistant", "content": [text_part(PREFILL)]},
        ]

    def parse(self, reply: str) -> ParsedReply:
        return parse_aguvis(reply)

    def history_text(self, reply: str) -> str:
        return restore_tokens(reply)

    def format_reply(self, actions: list[Action], thought: str, summary: str = "") -> str:
        thought = " ".join(thought.split())
        code = [c for c in (_aguvis_call(a) for a in actions) if c]
        return f"Thought: {thought}\nAction: {summary or thought}\nassistantos\n" + "\n".join(code)


def _aguvis_call(a: Action) -> str | None:
    def xy(x: float, y: float) -> str:
        return f"x={x:.4f}, y={y:.4f}"

    if a.type in _NAMES:
        return f"pyautogui.{_NAMES[a.type]}({xy(a.x, a.y)})"
    if a.type == "drag":
        return f"pyautogui.dragTo(from_coord=[{a.x:.4f}, {a.y:.4f}], to_coord=[{a.x2:.4f}, {a.y2:.4f}])"
    if a.type == "hotkey":
        return f"pyautogui.hotkey({', '.join(quote(k) for k in a.keys)})"
    if a.type == "type":
        return f"pyautogui.write(message={quote(a.text or '')})"
    if a.type == "scroll":
        where = f", {xy(a.x, a.y)}" if a.x is not None else ""
        name, amount = ("hscroll", 5 if a.direction == "right" else -5) if a.direction in ("left", "right") else (
            "scroll", 5 if a.direction == "up" else -5)
        return f"pyautogui.{name}({amount}{where})"
    if a.type == "wait":
        return "computer.wait()"
    if a.type == "finished":
        return f"answer({quote(a.content)})" if a.content else "computer.terminate(status='success')"
    if a.type == "call_user":
        return "computer.terminate(status='failure')"
    return None


# Trained around 1280x720: 1280 patches of 28x28 keep a 720p screen at 1288x728 (as in training) and bring 1080p
# down to 1316x728. Coordinates are 0..1, so the size affects accuracy only.
AGUVIS = Aguvis("aguvis", "Aguvis", "unit", 1280 * FACTOR * FACTOR, max_images=1, model_names=(r"aguvis",))
