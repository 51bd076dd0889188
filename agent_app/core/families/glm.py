"""GLM-4.5V (zai-org/GLM-V, examples/gui-agent/glm-45v): its desktop prompt, its one-message request and its replies.
Coordinates are thousandths of the screenshot (0–999): screen_x = x / 1000 × screen width; a 4-number box means
its centre.

Request (the reference `get_pc_prompt`): ONE user message, no system message, no multi-turn. The prompt's head
(task, "Ubuntu", the action space), then `History:` with each earlier step as `step k: Screenshot:` followed by its
screenshot while History still sends one (else "(Omitted in context.)") and ` Thought: …\\nAction: …` (the reply's
text without the action and the box tokens, then the action call); a person's note on its own line where it was
given; then `Memory:` with the memory of the last reply, the output format and notes, and "Current Screenshot:"
with the current screenshot last. History decides how many screenshots travel (5: the last 4 steps and the current
one). Prompt texts are quoted word for word, without the two notes giving OSWorld's machine password and mail
account.

DEVIATION (decided by the lead): the history screenshots go at full size, not shrunk to 50 % as the reference
does (its note saying so is kept word for word). A run folder holds the screenshots as they were taken and the
export must reproduce exactly what was sent; a derived half-size image has no file.

Reply: optional `<think>…</think>`, a plain-text explanation with the action, `Memory:` and a JSON list. The
action is the call between `<|begin_of_box|>` and `<|end_of_box|>` (present only when the server keeps special
tokens: the family's sampling sends `skip_special_tokens: false`), else the last call of a known action after
`</think>` and before `Memory:`. Its arguments are Python literals, read with `ast` (never run). One action per
reply: `format_reply` writes the first of a person's actions (the next move).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agent_app.core.actions import DIRECTIONS, Action
from agent_app.core.errors import FormatError
from agent_app.core.families.base import ChatFamily, Context, ParsedReply, Sampling, image_part, text_part
from agent_app.core.families.pycode import MAX_REPLY_CHARS, MAX_WHEEL_CLICKS, literal, number, parse_source
from agent_app.core.keys import normalize_combo

if TYPE_CHECKING:
    from agent_app.core.history import Turn

ACTION_SPACE = """
### {left,right,middle}_click

Call rule: `{left,right,middle}_click(start_box='[x,y]', element_info='')`
{
    'name': ['left_click', 'right_click', 'middle_click'],
    'description': 'Perform a left/right/middle mouse click at the specified coordinates on the screen.',
    'parameters': {
        'type': 'object',
        'properties': {
            'start_box': {
                'type': 'array',
                'items': {
                    'type': 'integer'
                },
                'description': 'Coordinates [x,y] where to perform the click, normalized to 0-999 range.'
            },
            'element_info': {
                'type': 'string',
                'description': 'Optional text description of the UI element being clicked.'
            }
        },
        'required': ['start_box']
    }
}

### hover

Call rule: `hover(start_box='[x,y]', element_info='')`
{
    'name': 'hover',
    'description': 'Move the mouse pointer to the specified coordinates without performing any click action.',
    'parameters': {
        'type': 'object',
        'properties': {
            'start_box': {
                'type': 'array',
                'items': {
                    'type': 'integer'
                },
                'description': 'Coordinates [x,y] where to move the mouse pointer, normalized to 0-999 range.'
            },
            'element_info': {
                'type': 'string',
                'description': 'Optional text description of the UI element being hovered over.'
            }
        },
        'required': ['start_box']
    }
}

### left_double_click

Call rule: `left_double_click(start_box='[x,y]', element_info='')`
{
    'name': 'left_double_click',
    'description': 'Perform a left mouse double-click at the specified coordinates on the screen.',
    'parameters': {
        'type': 'object',
        'properties': {
            'start_box': {
                'type': 'array',
                'items': {
                    'type': 'integer'
                },
                'description': 'Coordinates [x,y] where to perform the double-click, normalized to 0-999 range.'
            },
            'element_info': {
                'type': 'string',
                'description': 'Optional text description of the UI element being double-clicked.'
            }
        },
        'required': ['start_box']
    }
}

### left_drag

Call rule: `left_drag(start_box='[x1,y1]', end_box='[x2,y2]', element_info='')`
{
    'name': 'left_drag',
    'description': 'Drag the mouse from starting coordinates to ending coordinates while holding the left mouse button.',
    'parameters': {
        'type': 'object',
        'properties': {
            'start_box': {
                'type': 'array',
                'items': {
                    'type': 'integer'
                },
                'description': 'Starting coordinates [x1,y1] for the drag operation, normalized to 0-999 range.'
            },
            'end_box': {
                'type': 'array',
                'items': {
                    'type': 'integer'
                },
                'description': 'Ending coordinates [x2,y2] for the drag operation, normalized to 0-999 range.'
            },
            'element_info': {
                'type': 'string',
                'description': 'Optional text description of the UI element being dragged.'
            }
        },
        'required': ['start_box', 'end_box']
    }
}

### key

Call rule: `key(keys='')`
{
    'name': 'key',
    'description': 'Simulate pressing a single key or combination of keys on the keyboard.',
    'parameters': {
        'type': 'object',
        'properties': {
            'keys': {
                'type': 'string',
                'description': 'The key or key combination to press. Use '+' to separate keys in combinations (e.g., 'ctrl+c', 'alt+tab').'
            }
        },
        'required': ['keys']
    }
}

### type

Call rule: `type(content='')`
{
    'name': 'type',
    'description': 'Type text content into the currently focused text input field. This action only performs typing and does not handle field activation or clearing.',
    'parameters': {
        'type': 'object',
        'properties': {
            'content': {
                'type': 'string',
                'description': 'The text content to be typed into the active text field.'
            }
        },
        'required': ['content']
    }
}

### scroll

Call rule: `scroll(start_box='[x,y]', direction='', step=5, element_info='')`
{
    'name': 'scroll',
    'description': 'Scroll an element at the specified coordinates in the specified direction by a given number of wheel steps.',
    'parameters': {
        'type': 'object',
        'properties': {
            'start_box': {
                'type': 'array',
                'items': {
                    'type': 'integer'
                },
                'description': 'Coordinates [x,y] of the element or area to scroll, normalized to 0-999 range.'
            },
            'direction': {
                'type': 'string',
                'enum': ['down', 'up'],
                'description': 'The direction to scroll: 'down' or 'up'.'
            },
            'step': {
                'type': 'integer',
                'default': 5,
                'description': 'Number of wheel steps to scroll, default is 5.'
            },
            'element_info': {
                'type': 'string',
                'description': 'Optional text description of the UI element being scrolled.'
            }
        },
        'required': ['start_box', 'direction']
    }
}

### WAIT

Call rule: `WAIT()`
{
    'name': 'WAIT',
    'description': 'Wait for 5 seconds before proceeding to the next action.',
    'parameters': {
        'type': 'object',
        'properties': {},
        'required': []
    }
}

### DONE

Call rule: `DONE()`
{
    'name': 'DONE',
    'description': 'Indicate that the current task has been completed successfully and no further actions are needed.',
    'parameters': {
        'type': 'object',
        'properties': {},
        'required': []
    }
}

### FAIL

Call rule: `FAIL()`
{
    'name': 'FAIL',
    'description': 'Indicate that the current task cannot be completed or is impossible to accomplish.',
    'parameters': {
        'type': 'object',
        'properties': {},
        'required': []
    }
}"""

HEAD = """You are a GUI Agent, and your primary task is to respond accurately to user requests or questions. In addition to directly answering the user's queries, you can also use tools or perform GUI operations directly until you fulfill the user's request or provide a correct answer. You should carefully read and understand the images and questions provided by the user, and engage in thinking and reflection when appropriate. The coordinates involved are all represented in thousandths (0-999).

# Task:
{task}

# Task Platform
Ubuntu

# Action Space
{action_space}

# Historical Actions and Current Memory
History:"""

TAIL = """
Memory:
{memory}
# Output Format
Plain text explanation with action(param='...')
Memory:
[{{"key": "value"}}, ...]

# Some Additional Notes
- I'll give you the most recent 4 history screenshots(shrunked to 50%*50%) along with the historical action steps.
- You should put the key information you *have to remember* in a seperated memory part and I'll give it to you in the next round. The content in this part should be a dict list. If you no longer need some given information, you should remove it from the memory. Even if you don't need to remember anything, you should also output an empty list.

Current Screenshot:
"""
OMITTED = "(Omitted in context.)"
NO_MEMORY = "[]"
BEGIN_BOX, END_BOX = "<|begin_of_box|>", "<|end_of_box|>"

# name → (action type, its parameters in positional order)
_POINT_PARAMS = ("start_box", "element_info")
_ACTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "left_click": ("click", _POINT_PARAMS), "right_click": ("right_click", _POINT_PARAMS),
    "middle_click": ("middle_click", _POINT_PARAMS), "hover": ("move", _POINT_PARAMS),
    "left_double_click": ("double_click", _POINT_PARAMS),
    "left_drag": ("drag", ("start_box", "end_box", "element_info")),
    "key": ("hotkey", ("keys",)), "type": ("type", ("content",)),
    "scroll": ("scroll", ("start_box", "direction", "step", "element_info")),
    "WAIT": ("wait", ()), "DONE": ("finished", ()), "FAIL": ("call_user", ()),
}
_NAMES = {kind: name for name, (kind, _) in _ACTIONS.items()}
_BARE = ("WAIT", "DONE", "FAIL")  # any case

_BOX = re.compile(re.escape(BEGIN_BOX) + r"(.*?)" + re.escape(END_BOX), re.DOTALL)
_BOX_TOKENS = re.compile(re.escape(BEGIN_BOX) + "|" + re.escape(END_BOX))
_SPECIAL = re.compile(r"<\|(?:user|assistant|system|observation|endoftext)\|>")
_CALL_START = re.compile(r"\A\s*[A-Za-z_]\w*\s*\(")
_KNOWN_CALL = re.compile(
    r"(?<![\w.])(?:" + "|".join(n for n in _ACTIONS if n not in _BARE) + r"|(?i:WAIT|DONE|FAIL))\s*\(")
MEMORY = "Memory:"


@dataclass(frozen=True)
class Located:
    """Where the parts of a reply are: the answer after the thinking, the memory, the action call."""

    answer: int  # where the text after `</think>` starts
    memory: int  # where `Memory:` starts (the end of the text when there is none)
    span: tuple[int, int]  # the action: its box with the tokens, or the bare call
    call: str  # the call's source


def locate(text: str) -> Located:
    """Find the action of a reply (see the module docstring). Raises FormatError."""
    if not isinstance(text, str) or not text.strip():
        raise FormatError("the model returned an empty reply")
    if len(text) > MAX_REPLY_CHARS:
        raise FormatError("the model's reply is too long")
    end_think = text.find("</think>")
    if end_think < 0 and "<think>" in text:
        raise FormatError("the reply ends inside its thinking (was it cut off?)")
    answer = 0 if end_think < 0 else end_think + len("</think>")
    memory = text.find(MEMORY, answer)
    memory = len(text) if memory < 0 else memory
    if text.count(BEGIN_BOX, answer) != text.count(END_BOX, answer):
        raise FormatError("an action box is not closed (was the reply cut off?)")
    boxed = [m for m in _BOX.finditer(text, answer) if _CALL_START.match(m.group(1))]
    if len(boxed) > 1:
        raise FormatError(f"the reply has {len(boxed)} action boxes; GLM-4.5V gives one action a step")
    if boxed:
        return Located(answer, memory, boxed[0].span(), boxed[0].group(1).strip())
    found = _last_call(text, answer, memory)
    if found is None:
        raise FormatError("no action found in the model's reply")
    return Located(answer, memory, found, text[found[0] : found[1]])


def _last_call(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The span of the last call of a known action in text[start:end]; a cut one is a FormatError."""
    starts = [m.start() for m in _KNOWN_CALL.finditer(text, start, end)]
    if not starts:
        return None
    begin = starts[-1]
    close = _close(text, text.index("(", begin), end)
    if close is None:
        raise FormatError("an action call is not closed: the reply ends inside it (was it cut off?)")
    return begin, close


def _close(text: str, i: int, end: int) -> int | None:
    """The index after the parenthesis that closes the one at i (quotes and brackets respected), or None."""
    depth, quote = 0, ""
    while i < end:
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


def read_call(source: str) -> Action:
    """One call `name(key=value, …)` → its action (thousandths as written). Arguments are literals read with
    `ast`; nothing is run. Raises FormatError."""
    tree = parse_source(source.strip(), mode="eval")
    if isinstance(tree, str):
        raise FormatError(f"the action is not a valid call ({tree})")
    call = tree.body if isinstance(tree, ast.Expression) else None
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
        raise FormatError("the action must be one call such as left_click(start_box='[x,y]')")
    name = call.func.id.upper() if call.func.id.upper() in _BARE else call.func.id
    if name not in _ACTIONS:
        raise FormatError(f"unknown action {call.func.id[:40]!r}")
    kind, params = _ACTIONS[name]
    return _build(name, kind, _bind(name, params, call))


def _bind(name: str, params: tuple[str, ...], call: ast.Call) -> dict[str, Any]:
    if any(isinstance(a, ast.Starred) for a in call.args):
        raise FormatError("starred arguments are not allowed")
    if len(call.args) > len(params):
        raise FormatError(f"too many arguments for {name}()")
    values = {p: literal(a) for p, a in zip(params, call.args, strict=False)}
    for kw in call.keywords:
        if kw.arg is None:
            raise FormatError("** arguments are not allowed")
        if kw.arg not in params:
            raise FormatError(f"{name}() has no argument {kw.arg[:30]!r}")
        if kw.arg in values:
            raise FormatError(f"{name}() got {kw.arg!r} twice")
        values[kw.arg] = literal(kw.value)
    return values


def _box(args: dict[str, Any], key: str, name: str) -> tuple[float, float]:
    """'[x,y]' (or a list) → the point; a 4-number box → its centre."""
    value = args.get(key)
    if value is None or value == "":
        raise FormatError(f"{name} without {key}")
    if isinstance(value, str):
        tree = parse_source(_BOX_TOKENS.sub("", value).strip(), mode="eval")
        node = tree.body if isinstance(tree, ast.Expression) else None
        if not isinstance(node, (ast.List, ast.Tuple)):
            raise FormatError(f"{key} must be '[x,y]', got {value[:30]!r}")
        value = literal(node)
    if not isinstance(value, list) or len(value) not in (2, 4):
        raise FormatError(f"{key} must be '[x,y]', got {str(value)[:30]!r}")
    nums = [number(v, key) for v in value]
    if len(nums) == 4:
        return (nums[0] + nums[2]) / 2, (nums[1] + nums[3]) / 2
    return nums[0], nums[1]


def _build(name: str, kind: str, args: dict[str, Any]) -> Action:
    if kind in ("click", "right_click", "middle_click", "move", "double_click"):
        x, y = _box(args, "start_box", name)
        return Action(kind, x=x, y=y)
    if kind == "drag":
        (x, y), (x2, y2) = _box(args, "start_box", name), _box(args, "end_box", name)
        return Action("drag", x=x, y=y, x2=x2, y2=y2)
    if kind == "hotkey":
        keys = args.get("keys")
        if not isinstance(keys, str) and not (isinstance(keys, list) and all(isinstance(k, str) for k in keys)):
            raise FormatError("key needs keys='ctrl+c'")
        return Action("hotkey", keys=normalize_combo(keys))
    if kind == "type":
        if not isinstance(args.get("content"), str):
            raise FormatError("type needs content='…'")
        return Action("type", text=args["content"])
    if kind == "scroll":
        x, y = _box(args, "start_box", name)
        direction = args.get("direction")
        if not isinstance(direction, str) or direction.strip().lower() not in DIRECTIONS:
            raise FormatError(f"scroll needs direction='down' or 'up', got {str(direction)[:20]!r}")
        return Action("scroll", x=x, y=y, direction=direction.strip().lower(), amount=_steps(args.get("step")))
    if kind == "finished":
        return Action("finished", content="")
    return Action(kind)


def _steps(value: Any) -> int | None:
    if value is None:
        return None
    steps = number(value, "step")
    if steps != int(steps) or not 1 <= steps <= MAX_WHEEL_CLICKS:
        raise FormatError(f"step must be a whole number of wheel steps (1 to {MAX_WHEEL_CLICKS}), got {value!r}")
    return int(steps)


def _clean(text: str) -> str:
    return _SPECIAL.sub("", _BOX_TOKENS.sub("", text)).strip()


def parse_glm(text: str) -> ParsedReply:
    """Parse a GLM-4.5V reply: its one action (thousandths) and its explanation. Raises FormatError."""
    found = locate(text)
    action = read_call(found.call)
    return ParsedReply(thought=_thought(text, found), actions=[action])


def _thought(text: str, found: Located) -> str:
    """The explanation: the answer before `Memory:` without the action and the box tokens."""
    start, end = found.span
    region = text[found.answer : found.memory]
    if start >= found.answer and end <= found.memory:
        region = text[found.answer : start] + text[end : found.memory]
    return _clean(region)


def history_parts(reply: str) -> tuple[str, str, str]:
    """(thought, action, memory) of an earlier reply, as the reference fills the history. Never raises."""
    try:
        found = locate(reply)
    except FormatError:
        return _clean(reply.split("</think>")[-1]), "", NO_MEMORY
    memory = _clean(reply[found.memory + len(MEMORY) :]) if found.memory < len(reply) else ""
    return _thought(reply, found), found.call, memory or NO_MEMORY


def restore_box(reply: str) -> str:
    """The reply with its action between the box tokens, as GLM-4.5V writes it (a server that skips special
    tokens drops them). Unchanged when they are there or no action is found."""
    if BEGIN_BOX in reply:
        return reply
    try:
        start, end = locate(reply).span
    except FormatError:
        return reply
    return f"{reply[:start]}{BEGIN_BOX}{reply[start:end]}{END_BOX}{reply[end:]}"


# ---- the person's actions in GLM-4.5V's words ----
def _point(x: float | None, y: float | None) -> str:
    return repr(f"[{round(x or 0)}, {round(y or 0)}]")


_KEY_WORDS = {"+": "plus", " ": "space"}  # keys the "+"-joined spelling cannot hold as themselves


def glm_call(a: Action) -> str | None:
    """The call performing `a` (thousandths rounded to whole numbers); None for what GLM-4.5V cannot say."""
    if a.type in ("click", "right_click", "middle_click", "move", "double_click"):
        return f"{_NAMES[a.type]}(start_box={_point(a.x, a.y)})" if a.has_point else None
    if a.type == "drag":
        if not a.has_point:
            return None
        return f"left_drag(start_box={_point(a.x, a.y)}, end_box={_point(a.x2, a.y2)})"
    if a.type == "hotkey":
        return f"key(keys={'+'.join(_KEY_WORDS.get(k, k) for k in a.keys)!r})"
    if a.type == "type":
        return f"type(content={a.text or ''!r})"
    if a.type == "scroll":
        if not a.has_point:
            return None
        step = f", step={a.amount}" if a.amount else ""
        return f"scroll(start_box={_point(a.x, a.y)}, direction={a.direction!r}{step})"
    if a.type in ("wait", "finished", "call_user"):
        return f"{_NAMES[a.type]}()"
    return None


@dataclass(frozen=True)
class GLM45V(ChatFamily):
    def messages(self, context: Context, turns: list[Turn], current_image_url: str) -> list[dict[str, Any]]:
        content: list[dict[str, Any]] = []
        text = HEAD.format(task=context.task.strip(), action_space=ACTION_SPACE)
        memory, step = NO_MEMORY, 0
        for turn in turns:
            if turn.kind == "note":
                text += "\n" + turn.text.strip()
                continue
            step += 1
            thought, action, memory = history_parts(turn.text)
            if turn.image_url is None:
                text += f"\nstep {step}: Screenshot:{OMITTED} Thought: {thought}\nAction: {action}"
                continue
            content += [text_part(text + f"\nstep {step}: Screenshot:"), image_part(turn.image_url)]
            text = f" Thought: {thought}\nAction: {action}"
        content += [text_part(text + TAIL.format(memory=memory)), image_part(current_image_url)]
        return [{"role": "user", "content": content}]

    def parse(self, reply: str) -> ParsedReply:
        return parse_glm(reply)

    def history_text(self, reply: str) -> str:
        return restore_box(reply)

    def format_reply(self, actions: list[Action], thought: str, summary: str = "") -> str:
        call = next((c for c in map(glm_call, actions) if c), None)
        box = f" {BEGIN_BOX}{call}{END_BOX}" if call else ""
        return f"{' '.join(thought.split())}{box}\n{MEMORY}\n{NO_MEMORY}"


# Sized as GLM-4.5V's processor sizes an image (patch 14 × merge 2; 112×112 to 28×28×15000 pixels over its two
# temporal frames, i.e. half of that per image), so the model sees exactly what is sent.
# Sampling: the reference call (max_tokens 8192, temperature 0.001, special tokens kept for the action box).
GLM_45V = GLM45V(
    "glm-4.5v", "GLM-4.5V", "thousandths", 28 * 28 * 15000 // 2, min_pixels=112 * 112 // 2, max_images=5,
    sampling=Sampling(temperature=0.001, top_p=None, max_tokens=8192, frequency_penalty=None,
                      extra_body={"skip_special_tokens": False}),
    model_names=(r"glm[-_ ]?4(?:\.|p|_)?5[-_ ]?v(?![a-z\d])",),
)
