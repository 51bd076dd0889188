"""A real HTTP server on 127.0.0.1 speaking OpenAI's Responses API (`POST {base}/responses`), scripted by a test.

The official `openai` SDK talks to it through its base-URL override (`OpenAI(base_url=server.base_url)`). It keeps
what the real API enforces, so a request the real API would refuse is refused here too:

  * `Authorization: Bearer <key>` when `api_key` is set (401 `invalid_api_key`, echoing the key masked as OpenAI
    does); the served model only (404 `model_not_found`); parameters in `reject_params` (400, as reasoning models
    refuse `temperature`);
  * the tool of the model: `computer_use_preview` with `display_width`, `display_height`, `environment` and
    `truncation: "auto"` for computer-use-preview, `{"type": "computer"}` for the others;
  * the conversation: `previous_response_id` must name a response this server gave, and the input must carry a
    `computer_call_output` for every `computer_call` of it, acknowledging every pending safety check
    ("Computer tool has unacknowledged safety check for [...]"), and none for a call it does not have.

Each request takes the next item of the script (when the script runs out, `default` answers):
  * a dict with any of: "reasoning" (summary text), "text" (a message's output_text), "refusal", "actions" (one GA
    `computer_call` with that batch), "action" (one preview `computer_call`), "calls" (several calls: each a list of
    actions, or a dict with "action"/"actions"/"checks"), "checks" (pending safety checks of the first call, e.g.
    [{"code": "malicious_instructions", "message": "…"}]), "output" (output items as they are), "usage";
    "response_status" ("incomplete" with "reason" such as "max_output_tokens", or "failed" with "message");
  * the faults: "status" (an HTTP error: "message", "type", "code", "retry_after" seconds → the retry-after header,
    "headers"), "delay" (seconds before answering), "hang" (never answer), "drop_after" (N bytes of the body, or N
    events of a stream, then the connection drops);
  * a callable taking the request body and returning one of the above.
Streamed requests (`stream: true`) get the API's server-sent events (output items, reasoning-summary and text
deltas, then `response.completed` / `response.incomplete` / `response.failed` with the whole response).
Every request is recorded (path, headers, body) and every response served is kept by id.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from typing import Any

from agent_app.testing.scripted_server import ScriptedServer, _Handler

PREVIEW = re.compile(r"computer-use-preview", re.IGNORECASE)
DONE_TEXT = "The task is done."


class ScriptedResponses(ScriptedServer):
    """The Responses API of one model, scripted. `responses` holds every response served, by id."""

    def __init__(self, script: list[Any] | None = None, *, model: str = "gpt-5.4", default: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(script, default=default or {"text": DONE_TEXT}, model=model, **kwargs)
        self._httpd.RequestHandlerClass = _ResponsesHandler
        self.responses: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)

    def response_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"].rstrip("/").endswith("/responses")]

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):04d}"

    # ---- what a request is answered with ----
    def build(self, item: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
        """The whole response body for a script item."""
        output: list[dict[str, Any]] = []
        if item.get("reasoning") is not None:
            output.append({"type": "reasoning", "id": self.new_id("rs"), "summary": [
                {"type": "summary_text", "text": item["reasoning"]}]})
        calls = item.get("calls")
        if calls is None and ("actions" in item or "action" in item):
            calls = [{k: item[k] for k in ("action", "actions", "checks") if k in item}]
        for n, spec in enumerate(calls or []):
            spec = spec if isinstance(spec, dict) else {"actions": spec}
            checks = spec.get("checks", item.get("checks") if n == 0 and "checks" not in spec else None) or []
            output.append(self.call(spec, checks))
        if item.get("text") is not None or item.get("refusal") is not None:
            content = []
            if item.get("text") is not None:
                content.append({"type": "output_text", "text": item["text"], "annotations": []})
            if item.get("refusal") is not None:
                content.append({"type": "refusal", "refusal": item["refusal"]})
            output.append({"type": "message", "id": self.new_id("msg"), "role": "assistant",
                           "status": "completed", "content": content})
        output += item.get("output") or []
        status = item.get("response_status", "completed")
        reason = item.get("reason", "max_output_tokens") if status == "incomplete" else None
        error = {"code": "server_error", "message": item.get("message", "The model failed.")} if (
            status == "failed") else None
        served_text = json.dumps(output)
        return {
            "id": self.new_id("resp"), "object": "response", "created_at": int(time.time()), "status": status,
            "error": error, "incomplete_details": {"reason": reason} if reason else None,
            "model": self.model, "output": output, "previous_response_id": request.get("previous_response_id"),
            "max_output_tokens": request.get("max_output_tokens"), "parallel_tool_calls": True,
            "reasoning": request.get("reasoning"), "store": True, "tools": request.get("tools", []),
            "tool_choice": "auto", "truncation": request.get("truncation", "disabled"), "metadata": {},
            "usage": item.get("usage") or {
                "input_tokens": 1000 * max(1, count_images(request)), "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": max(1, len(served_text) // 8), "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": 1000 * max(1, count_images(request)) + max(1, len(served_text) // 8)},
        }

    def call(self, spec: dict[str, Any], checks: list[dict[str, Any]]) -> dict[str, Any]:
        n = self.new_id("call")
        item: dict[str, Any] = {
            "type": "computer_call", "id": "cu_" + n.split("_")[1], "call_id": n, "status": "completed",
            "pending_safety_checks": [{"id": c.get("id") or self.new_id("cu_sc"), "code": c.get("code"),
                                       "message": c.get("message")} for c in checks],
        }
        if "action" in spec:
            item.update(action=spec["action"])
        else:
            item.update(actions=list(spec.get("actions") or []))
        return item

    # ---- what the real API refuses ----
    def refusal(self, request: dict[str, Any]) -> tuple[int, str, str | None] | None:
        """(status, message, param) for a request the real API would refuse, else None."""
        tools = request.get("tools") or []
        if PREVIEW.search(self.model):
            tool = next((t for t in tools if t.get("type") == "computer_use_preview"), None)
            if tool is None or any(not isinstance(tool.get(k), int) or tool[k] < 1
                                   for k in ("display_width", "display_height")):
                return 400, "computer-use-preview needs the computer_use_preview tool with its display size", "tools"
            if tool.get("environment") not in ("windows", "mac", "linux", "ubuntu", "browser"):
                return 400, f"Invalid value: {tool.get('environment')!r}.", "tools[0].environment"
            if request.get("truncation") != "auto":
                return 400, "The computer-use-preview model requires truncation to be set to 'auto'.", "truncation"
        elif not any(t.get("type") == "computer" for t in tools):
            return 400, f"The model {self.model} needs the computer tool ({{\"type\": \"computer\"}}).", "tools"
        elif any(t.get("type") == "computer_use_preview" for t in tools):
            return 400, f"The computer_use_preview tool is not supported with {self.model}.", "tools"
        items = request.get("input")
        if not isinstance(items, list) or not items:
            return 400, "Missing required parameter: 'input'.", "input"
        outputs = {i.get("call_id"): i for i in items
                   if isinstance(i, dict) and i.get("type") == "computer_call_output"}
        previous_id = request.get("previous_response_id")
        previous = self.responses.get(previous_id) if previous_id else None
        if previous_id and previous is None:
            return 400, f"Previous response with id '{previous_id}' not found.", "previous_response_id"
        calls = {c["call_id"]: c for c in (previous or {}).get("output", []) if c.get("type") == "computer_call"}
        for call_id in outputs:
            if call_id not in calls:
                return 400, f"No tool call found for computer call output with call_id {call_id}.", "input"
        for call_id, call in calls.items():
            if call_id not in outputs:
                return 400, f"No tool output found for computer call {call_id}.", "input"
            acknowledged = {c.get("id") for c in outputs[call_id].get("acknowledged_safety_checks") or []}
            missing = [c["id"] for c in call["pending_safety_checks"] if c["id"] not in acknowledged]
            if missing:
                return 400, f"Computer tool has unacknowledged safety check for {missing}", "input"
        return None


def count_images(request: dict[str, Any]) -> int:
    """Screenshots a Responses request carries (input images and computer_call_output screenshots)."""
    return len(images(request))


def images(request: dict[str, Any]) -> list[str]:
    """The image URLs of a Responses request, in order."""
    found = []
    for item in request.get("input") or []:
        if not isinstance(item, dict):
            continue
        if item.get("type") == "computer_call_output":
            found.append((item.get("output") or {}).get("image_url"))
        for part in item.get("content") or [] if isinstance(item.get("content"), list) else []:
            if isinstance(part, dict) and part.get("type") == "input_image":
                found.append(part.get("image_url"))
    return [u for u in found if isinstance(u, str)]


class _ResponsesHandler(_Handler):
    server: Any

    def _openai_error(self, status: int, message: str, kind: str = "invalid_request_error", code: str | None = None,
                      param: str | None = None, headers: dict[str, str] | None = None) -> None:
        data = json.dumps({"error": {"message": message, "type": kind, "param": param, "code": code}}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        owner: ScriptedResponses = self.server.owner
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            request = json.loads(raw or b"{}")
        except ValueError:
            self._openai_error(400, "We could not parse the JSON body of your request.")
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        owner.requests.append({"path": self.path, "method": "POST", "headers": headers,
                               "body": request if owner.keep_bodies else {}, "bytes": len(raw),
                               "time": time.monotonic()})
        if not self.path.rstrip("/").endswith("/responses"):
            self._openai_error(404, f"Invalid URL (POST {self.path})")
            return
        sent_key = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        if owner.api_key is not None and sent_key != owner.api_key:
            self._openai_error(401, f"Incorrect API key provided: {_masked(sent_key)}. You can find your API key at "
                               "https://platform.openai.com/account/api-keys.", code="invalid_api_key")
            return
        if request.get("model") != owner.model:
            self._openai_error(404, f"The model `{request.get('model')}` does not exist or you do not have access "
                               "to it.", code="model_not_found")
            return
        for name in owner.reject_params:
            if name in request:
                self._openai_error(400, f"Unsupported parameter: '{name}' is not supported with this model.",
                                   code="unsupported_parameter", param=name)
                return
        refused = owner.refusal(request)
        if refused is not None:
            status, message, param = refused
            self._openai_error(status, message, param=param)
            return
        item = owner.next_item(request)
        if isinstance(item, str):
            item = {"text": item}
        if owner.held(item):
            return
        if item.get("status"):
            headers = dict(item.get("headers") or {})
            if item.get("retry_after") is not None:
                headers["retry-after"] = str(item["retry_after"])
            self._openai_error(int(item["status"]), item.get("message", "scripted error"),
                               item.get("type", "server_error"), item.get("code"), headers=headers)
            return
        response = owner.build(item, request)
        owner.responses[response["id"]] = response
        if request.get("stream"):
            self._stream(response, item.get("drop_after"))
        else:
            self._whole(response, item.get("drop_after"))

    def _whole(self, response: dict[str, Any], drop_after: int | None) -> None:
        data = json.dumps(response).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if drop_after is None:
            self.wfile.write(data)
            return
        self.wfile.write(data[: int(drop_after)])
        self.wfile.flush()
        self._hang_up()

    def _stream(self, response: dict[str, Any], drop_after: int | None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for n, event in enumerate(stream_events(response)):
            if drop_after is not None and n >= int(drop_after):
                self._hang_up()  # mid-body: the chunked body never ends
                return
            data = f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def stream_events(response: dict[str, Any]) -> list[dict[str, Any]]:
    """The server-sent events of a response, as the API streams them (the text in small deltas)."""
    events: list[dict[str, Any]] = []
    start = {**response, "status": "in_progress", "output": [], "usage": None}
    events += [{"type": "response.created", "response": start}, {"type": "response.in_progress", "response": start}]
    for index, item in enumerate(response["output"]):
        events.append({"type": "response.output_item.added", "output_index": index,
                       "item": {**item, **({"summary": []} if item["type"] == "reasoning" else {}),
                                **({"content": []} if item["type"] == "message" else {})}})
        if item["type"] == "reasoning":
            for s, part in enumerate(item["summary"]):
                events += _deltas("response.reasoning_summary_text", part["text"], item_id=item["id"],
                                  output_index=index, summary_index=s)
        if item["type"] == "message":
            for c, part in enumerate(item["content"]):
                if part["type"] == "output_text":
                    events += _deltas("response.output_text", part["text"], item_id=item["id"], output_index=index,
                                      content_index=c, logprobs=[])
        events.append({"type": "response.output_item.done", "output_index": index, "item": item})
    events.append({"type": f"response.{response['status']}", "response": response})
    return [{**e, "sequence_number": n} for n, e in enumerate(events)]


def _deltas(kind: str, text: str, **where: Any) -> list[dict[str, Any]]:
    pieces = [text[i: i + 16] for i in range(0, len(text), 16)] or [""]
    return [*({"type": f"{kind}.delta", "delta": p, **where} for p in pieces),
            {"type": f"{kind}.done", "text": text, **where}]


def _masked(key: str) -> str:
    """An API key as OpenAI's error messages show it."""
    return key[:3] + "*" * max(0, len(key) - 7) + key[-4:] if len(key) > 7 else "*" * len(key)
