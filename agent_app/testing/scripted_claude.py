"""A real HTTP server on 127.0.0.1 speaking Anthropic's Messages API (`POST /v1/messages`), scripted by a test.

The official `anthropic` SDK talks to it through its base-URL override (`Anthropic(base_url=server.base_url)`).
It checks what a computer-use request must get right (a real API answers 400 or 401 to each): the key (when one is
set: `x-api-key`, or `Authorization: Bearer` as newer SDKs send it), the `anthropic-version` header, the model,
the computer tool's type against the `anthropic-beta` header, and that every
`tool_use` of an assistant turn is answered by exactly one `tool_result` at the start of the next user turn.

Each request takes the next item of the script:
  * a string: the model's text (a reply with no tool call);
  * a list of content blocks (see `text`, `thinking`, `tool_use`);
  * a dict with any of: "content" (the blocks), "stop_reason" (default: "tool_use" when a block calls a tool, else
    "end_turn"), "usage" ({"input_tokens", "output_tokens"}), and the faults of a real service:
      - "status" with "error_type" and "message": an error answer with Anthropic's error body (`overloaded_error`
        with 529, `rate_limit_error` with 429, …), "headers" added to it (such as {"retry-after": "2"});
      - "delay": seconds before answering; "hang": True — never answer;
      - "cut_after": N — send the first N bytes of the body (or of the event stream), then close the connection;
      - "stream_error": an error event in the middle of a stream (after the first block);
      - "body": a raw text to answer 200 with, as it is;
  * a callable taking the request body and returning one of the above.
A request with `"stream": true` gets the reply as server-sent events (message_start, content_block_start /
_delta / _stop, message_delta, message_stop), in small pieces. When the script runs out, `default` answers.
Every request is recorded (path, headers, body) for assertions.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from agent_app.testing.scripted_server import ScriptedHandler, ScriptedHTTP, serve

Item = Any
BETAS = {"computer_20251124": "computer-use-2025-11-24", "computer_20250124": "computer-use-2025-01-24"}
_ids = itertools.count(1)


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def thinking(value: str, signature: str = "c2lnbmF0dXJl") -> dict[str, Any]:
    return {"type": "thinking", "thinking": value, "signature": signature}


def tool_use(action: str, name: str = "computer", **fields: Any) -> dict[str, Any]:
    """A `tool_use` block calling the computer tool (a fresh id each time)."""
    return {"type": "tool_use", "id": f"toolu_{next(_ids):04d}", "name": name, "input": {"action": action, **fields}}


def message(content: list[dict[str, Any]], stop_reason: str | None = None, model: str = "claude-scripted",
            usage: dict[str, int] | None = None) -> dict[str, Any]:
    """A whole Messages response body."""
    if stop_reason is None:
        stop_reason = "tool_use" if any(b.get("type") == "tool_use" for b in content) else "end_turn"
    return {"id": f"msg_{next(_ids):04d}", "type": "message", "role": "assistant", "model": model,
            "content": content, "stop_reason": stop_reason, "stop_sequence": None,
            "usage": usage or {"input_tokens": 1000, "output_tokens": 50}}


def count_images(body: dict[str, Any]) -> int:
    """Images in a request, those inside tool results included."""
    def walk(blocks: Any) -> int:
        if not isinstance(blocks, list):
            return 0
        return sum(1 if isinstance(b, dict) and b.get("type") == "image" else walk(b.get("content"))
                   if isinstance(b, dict) else 0 for b in blocks)
    return sum(walk(m.get("content")) for m in body.get("messages", []) if isinstance(m, dict))


def request_problem(body: dict[str, Any], headers: dict[str, str]) -> str | None:
    """What the real API would answer 400 to in a computer-use request, or None."""
    betas = {b.strip() for b in headers.get("anthropic-beta", "").split(",") if b.strip()}
    for tool in body.get("tools") or []:
        kind = tool.get("type")
        if kind in BETAS and BETAS[kind] not in betas:
            return f"tools.0: the tool type {kind} needs the beta header {BETAS[kind]}"
        if kind in BETAS and not (tool.get("display_width_px") and tool.get("display_height_px")):
            return "tools.0: display_width_px and display_height_px are required"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    if not isinstance(body.get("max_tokens"), int):
        return "max_tokens: Field required"
    if messages[0].get("role") != "user":
        return "messages.0: the first message must use the user role"
    for n, m in enumerate(messages):
        if m.get("role") not in ("user", "assistant"):
            return f"messages.{n}.role: must be user or assistant"
        if n and m.get("role") == messages[n - 1].get("role"):
            return f"messages.{n}: roles must alternate between user and assistant"
        content = m.get("content")
        if isinstance(content, list) and not content:
            return f"messages.{n}: content must not be empty"
        calls = [b["id"] for b in content or [] if isinstance(b, dict) and b.get("type") == "tool_use"] \
            if m.get("role") == "assistant" and isinstance(content, list) else []
        if calls:
            nxt = messages[n + 1] if n + 1 < len(messages) else None
            blocks = nxt.get("content") if nxt and isinstance(nxt.get("content"), list) else []
            answered = []
            for b in blocks:
                if not (isinstance(b, dict) and b.get("type") == "tool_result"):
                    break
                answered.append(b.get("tool_use_id"))
            if answered != calls:
                return (f"messages.{n + 1}: `tool_use` ids were found without `tool_result` blocks immediately "
                        f"after: each tool_use must be answered, in order, at the start of the next user message")
    return None


class ScriptedClaude(ScriptedHTTP):
    def __init__(self, script: list[Item] | None = None, *, default: Item = "script exhausted",
                 model: str = "claude-scripted", api_key: str | None = None, port: int = 0) -> None:
        super().__init__(_Handler, script, default, model, api_key, port, "scripted-claude")  # base_url: no /v1

    def message_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"].rstrip("/").endswith("/v1/messages")]


class _Handler(ScriptedHandler):

    def _send(self, status: int, data: bytes, headers: dict[str, str] | None = None,
              content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("request-id", f"req_scripted_{next(_ids):04d}")
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> None:
        body = {"type": "error", "error": {"type": kind, "message": message}}
        self._send(status, json.dumps(body).encode(), headers)

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        owner = self.server.owner
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._error(400, "invalid_request_error", "the request body is not JSON")
            return
        owner.requests.append({"path": self.path, "method": "POST", "headers": headers, "body": body,
                               "bytes": len(raw), "time": time.monotonic()})
        if self.path.split("?")[0].rstrip("/") != "/v1/messages":
            self._error(404, "not_found_error", f"no route {self.path}")
            return
        if owner.api_key is not None and owner.api_key not in (headers.get("x-api-key"),
                                                               headers.get("authorization", "")[len("Bearer "):]):
            self._error(401, "authentication_error", "invalid x-api-key")
            return
        if not headers.get("anthropic-version"):
            self._error(400, "invalid_request_error", "anthropic-version: header is required")
            return
        if body.get("model") != owner.model:
            self._error(404, "not_found_error", f"model: {body.get('model')}")
            return
        problem = request_problem(body, headers)
        if problem:
            self._error(400, "invalid_request_error", problem)
            return
        item = owner.next_item(body)
        if isinstance(item, str):
            item = {"content": [text(item)]}
        elif isinstance(item, list):
            item = {"content": item}
        if owner.held(item):
            return
        if item.get("status"):
            self._error(int(item["status"]), item.get("error_type", "api_error"), item.get("message", "scripted"),
                        item.get("headers"))
            return
        if "body" in item:
            self._send(200, str(item["body"]).encode())
            return
        usage = item.get("usage") or {"input_tokens": 1000 * max(1, count_images(body)), "output_tokens": 50}
        reply = message(item.get("content", []), item.get("stop_reason"), owner.model, usage)
        if body.get("stream"):
            self._stream(item, reply)
            return
        data = json.dumps(reply, ensure_ascii=False).encode()
        cut = item.get("cut_after")
        if cut is None:
            self._send(200, data)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: int(cut)])
        self.wfile.flush()
        self._hang_up()

    def _stream(self, item: dict[str, Any], reply: dict[str, Any]) -> None:
        events: list[tuple[str, dict[str, Any]]] = []
        head = {**reply, "content": [], "stop_reason": None,
                "usage": {**reply["usage"], "output_tokens": 1}}
        events.append(("message_start", {"type": "message_start", "message": head}))
        for i, block in enumerate(reply["content"]):
            events += _block_events(i, block)
            if i == 0 and item.get("stream_error"):
                error = {"type": "error", "error": {"type": "overloaded_error", "message": str(item["stream_error"])}}
                events.append(("error", error))
                break
        else:
            events.append(("message_delta", {"type": "message_delta", "delta": {
                "stop_reason": reply["stop_reason"], "stop_sequence": None},
                "usage": {"output_tokens": reply["usage"]["output_tokens"]}}))
            events.append(("message_stop", {"type": "message_stop"}))
        data = b"".join(f"event: {e}\ndata: {json.dumps(d, ensure_ascii=False)}\n\n".encode() for e, d in events)
        cut = item.get("cut_after")
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()  # no length: the stream ends when the connection closes
        self.close_connection = True
        sent = data if cut is None else data[: int(cut)]
        for i in range(0, len(sent), 512):
            self.wfile.write(sent[i: i + 512])
            self.wfile.flush()
        self._hang_up()


def _block_events(index: int, block: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """A content block as the stream sends it: its start (empty), its deltas in pieces, its stop."""
    kind = block.get("type")
    pieces: list[dict[str, Any]] = []
    if kind == "text":
        start = {"type": "text", "text": ""}
        pieces = [{"type": "text_delta", "text": p} for p in _chunks(block["text"])]
    elif kind == "thinking":
        start = {"type": "thinking", "thinking": ""}
        pieces = [{"type": "thinking_delta", "thinking": p} for p in _chunks(block["thinking"])]
        pieces.append({"type": "signature_delta", "signature": block.get("signature", "")})
    elif kind == "tool_use":
        start = {**block, "input": {}}
        pieces = [{"type": "input_json_delta", "partial_json": p}
                  for p in _chunks(json.dumps(block["input"], ensure_ascii=False))]
    else:
        start = block
    events = [("content_block_start", {"type": "content_block_start", "index": index, "content_block": start})]
    events += [("content_block_delta", {"type": "content_block_delta", "index": index, "delta": p}) for p in pieces]
    events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    return events


def _chunks(value: str, size: int = 16) -> list[str]:
    return [value[i: i + size] for i in range(0, len(value), size)] or [""]


def main(argv: list[str] | None = None) -> None:
    serve(ScriptedClaude, "Serve scripted Anthropic Messages replies on 127.0.0.1.", argv)


if __name__ == "__main__":
    main()
