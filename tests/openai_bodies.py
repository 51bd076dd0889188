"""Responses API bodies shaped as OpenAI returns them (ids, statuses, usage, the fields the SDK dumps as null)."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

_ids = itertools.count(1)


def reasoning(*texts: str) -> dict[str, Any]:
    return {"type": "reasoning", "id": f"rs_{next(_ids)}", "encrypted_content": None, "status": None,
            "summary": [{"type": "summary_text", "text": t} for t in texts]}


def message(*texts: str, refusal: str | None = None) -> dict[str, Any]:
    content: list[dict[str, Any]] = [{"type": "output_text", "text": t, "annotations": [], "logprobs": []}
                                     for t in texts]
    if refusal is not None:
        content.append({"type": "refusal", "refusal": refusal})
    return {"type": "message", "id": f"msg_{next(_ids)}", "role": "assistant", "status": "completed",
            "content": content}


def call(*actions: dict[str, Any], checks: list[dict[str, Any]] | None = None, preview: bool = False,
         call_id: str | None = None) -> dict[str, Any]:
    """A computer_call: the preview tool's one `action`, or the GA tool's `actions` batch."""
    n = next(_ids)
    item: dict[str, Any] = {"type": "computer_call", "id": f"cu_{n}", "call_id": call_id or f"call_{n}",
                            "status": "completed", "pending_safety_checks": checks or []}
    if preview:
        assert len(actions) == 1
        item.update(action=actions[0], actions=None)
    else:
        item.update(action=None, actions=list(actions))
    return item


def check(message: str | None = None, code: str | None = "malicious_instructions", check_id: str | None = None,
          ) -> dict[str, Any]:
    return {"id": check_id or f"cu_sc_{next(_ids)}", "code": code, "message": message}


def body(*output: dict[str, Any], status: str = "completed", reason: str | None = None, model: str = "gpt-5.4",
         response_id: str | None = None) -> dict[str, Any]:
    return {
        "id": response_id or f"resp_{next(_ids):04d}", "object": "response", "created_at": 1767225600,
        "status": status, "error": None,
        "incomplete_details": {"reason": reason} if reason else None,
        "instructions": None, "max_output_tokens": 4096, "model": model, "output": list(output),
        "parallel_tool_calls": True, "previous_response_id": None, "reasoning": {"effort": "medium",
                                                                                "summary": "concise"},
        "store": True, "temperature": 1.0, "tool_choice": "auto", "tools": [{"type": "computer"}], "top_p": 1.0,
        "truncation": "disabled",
        "usage": {"input_tokens": 1523, "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                  "output_tokens": 87,
                  "output_tokens_details": {"reasoning_tokens": 64}, "total_tokens": 1610},
        "user": None, "metadata": {},
    }


def text(*output: dict[str, Any], **kw: Any) -> str:
    return json.dumps(body(*output, **kw), ensure_ascii=False)


@dataclass(frozen=True)
class XTurn:
    """A history turn with the answers the app recorded for it (`extra`)."""

    kind: str
    text: str
    image_url: str | None = None
    extra: dict = field(default_factory=dict)
