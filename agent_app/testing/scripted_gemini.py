"""A real HTTP server on 127.0.0.1 speaking the Gemini API's generateContent protocol, with scripted responses.

The real `google-genai` SDK talks to it through its base-URL override
(`genai.Client(api_key=…, http_options={"base_url": server.base_url})`): it answers
`POST /{version}/models/{model}:generateContent` (and `:streamGenerateContent?alt=sse`, the response cut into
chunks as Gemini streams them), `GET /{version}/models/{model}` and `GET /{version}/models`.

Each generateContent request takes the next item of the script:
  * a string: a response whose only part is that text (the model's final answer);
  * a dict with "candidates", "promptFeedback" or "error": that response body, as it is;
  * a dict with "parts" (a list of parts: `call("click_at", x=…, y=…)`, `{"text": …}`, `{"text": …, "thought":
    True}`), and optionally "finish_reason" (default "STOP"; None: none), "usage" (the usageMetadata);
  * any dict may also carry the faults of a real service: "status" (an HTTP error in Google's error body, with
    "message", "error_status" such as "RESOURCE_EXHAUSTED", "retry_after" seconds as a header), "delay" (seconds
    before answering), "hang": True (never answer), "cut_after": N (send N bytes of the body, then close the
    connection), "html": True (a web page), "echo_key": True (with "status": the message echoes the request's
    x-goog-api-key, as a careless proxy would);
  * a callable taking the request body and returning one of the above.
When the script runs out, `default` answers. A request with the wrong key gets Google's answer to a bad key (400
INVALID_ARGUMENT, reason API_KEY_INVALID); one for another model a 404. Every request is recorded (path, headers,
body, size) for assertions. `python -m agent_app.testing.scripted_gemini --help` to use it by hand.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any
from urllib.parse import urlsplit

from agent_app.core.families.gemini import call_part, response_body
from agent_app.testing.scripted_server import ScriptedHandler, ScriptedHTTP, serve

DEFAULT_MODEL = "gemini-2.5-computer-use-preview-10-2025"
STATUS_NAMES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}
_GENERATE = re.compile(r"^/(?P<version>v1[a-z0-9]*)/models/(?P<model>[^/:]+):(?P<method>generateContent|"
                       r"streamGenerateContent)$")
Item = Any


def call(name: str, **args: Any) -> dict[str, Any]:
    """A functionCall part, for scripts."""
    return call_part(name, **args)


class ScriptedGemini(ScriptedHTTP):
    def __init__(self, script: list[Item] | None = None, *, default: Item = "Nothing left to do.",
                 model: str = DEFAULT_MODEL, api_key: str | None = None, port: int = 0) -> None:
        super().__init__(_Handler, script, default, model, api_key, port, "scripted-gemini")

    def next_item(self, body: dict[str, Any]) -> dict[str, Any]:
        item = super().next_item(body)
        return {"parts": [{"text": item}]} if isinstance(item, str) else dict(item)

    def generate_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if "generateContent" in r["path"] or "GenerateContent" in r["path"]]


def count_images(body: dict[str, Any]) -> int:
    """Screenshots in a request: inline data in user parts and in function responses."""
    n = 0
    for content in body.get("contents", []):
        for part in content.get("parts", []):
            n += "inlineData" in part or "inline_data" in part
            response = part.get("functionResponse") or part.get("function_response") or {}
            n += sum(1 for p in response.get("parts") or [] if "inlineData" in p or "inline_data" in p)
    return n


def _body(item: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    if any(k in item for k in ("candidates", "promptFeedback", "error")):
        return {k: v for k, v in item.items() if k not in _FAULTS}
    text = json.dumps(item.get("parts", []), ensure_ascii=False)
    usage = item.get("usage") or {"promptTokenCount": 1000 * max(1, count_images(body)),
                                  "candidatesTokenCount": max(1, len(text) // 4)}
    usage.setdefault("totalTokenCount", usage.get("promptTokenCount", 0) + usage.get("candidatesTokenCount", 0))
    out = response_body(list(item.get("parts", [])), item.get("finish_reason", "STOP"), usage)
    if out["candidates"][0]["finishReason"] is None:
        del out["candidates"][0]["finishReason"]
    out["modelVersion"] = item.get("model_version", "scripted")
    return out


_FAULTS = ("status", "message", "error_status", "retry_after", "delay", "hang", "cut_after", "html", "echo_key")


class _Handler(ScriptedHandler):

    @property
    def owner(self) -> ScriptedGemini:
        return self.server.owner  # type: ignore[return-value]

    def _send(self, status: int, data: bytes, content_type: str = "application/json",
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str, error_status: str | None = None,
               headers: dict[str, str] | None = None, details: list[dict[str, Any]] | None = None) -> None:
        error: dict[str, Any] = {"code": status, "message": message,
                                 "status": error_status or STATUS_NAMES.get(status, "UNKNOWN")}
        if details:
            error["details"] = details
        self._send(status, json.dumps({"error": error}).encode(), headers=headers)

    def _record(self, method: str, body: Any = None, size: int = 0) -> None:
        self.owner.requests.append({"path": self.path, "method": method,
                                    "headers": {k.lower(): v for k, v in self.headers.items()},
                                    "body": body, "bytes": size, "time": time.monotonic()})

    def _key_ok(self) -> bool:
        key = self.headers.get("x-goog-api-key")
        if self.owner.api_key is None or key == self.owner.api_key:
            return True
        self._error(400, "API key not valid. Please pass a valid API key.", details=[{
            "@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
            "domain": "googleapis.com"}])
        return False

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self._record("GET")
        path = urlsplit(self.path).path
        if not self._key_ok():
            return
        model = self.owner.model
        info = {"name": f"models/{model}", "displayName": model, "supportedGenerationMethods": ["generateContent"]}
        if re.fullmatch(r"/v1[a-z0-9]*/models/?", path):
            self._send(200, json.dumps({"models": [info]}).encode())
        elif path.rstrip("/").endswith(f"/models/{model}"):
            self._send(200, json.dumps(info).encode())
        else:
            self._error(404, f"no route {path}")

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        owner = self.owner
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._record("POST", None, len(raw))
            self._error(400, "Invalid JSON payload received.")
            return
        self._record("POST", body, len(raw))
        m = _GENERATE.match(urlsplit(self.path).path)
        if m is None:
            self._error(404, f"no route {self.path}")
            return
        if not self._key_ok():
            return
        if m["model"] != owner.model:
            self._error(404, f"models/{m['model']} is not found for API version {m['version']}, or is not "
                             "supported for generateContent.")
            return
        item = owner.next_item(body)
        if owner.held(item):
            return
        if item.get("html"):
            page = b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Loading</body></html>\n"
            self._send(int(item.get("status") or 200), page, "text/html; charset=utf-8")
            return
        if item.get("status"):
            message = str(item.get("message", "scripted error"))
            if item.get("echo_key"):
                message += f" (x-goog-api-key: {self.headers.get('x-goog-api-key')})"
            headers = {"Retry-After": str(item["retry_after"])} if item.get("retry_after") is not None else None
            self._error(int(item["status"]), message, item.get("error_status"), headers)
            return
        out = _body(item, body)
        if m["method"] == "streamGenerateContent":
            self._stream(out, item)
            return
        data = json.dumps(out, ensure_ascii=False).encode()
        if item.get("cut_after") is None:
            self._send(200, data)
            return
        self.send_response(200)  # a body shorter than its Content-Length: the connection closed early
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: int(item["cut_after"])])
        self.wfile.flush()
        self._hang_up()

    def _stream(self, out: dict[str, Any], item: dict[str, Any]) -> None:
        """Server-sent events, one chunk per part (text cut in pieces), the finish reason and usage on the last."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunks: list[dict[str, Any]] = []
        candidates = out.get("candidates") or []
        if not candidates:
            chunks.append(out)
        else:
            candidate = candidates[0]
            for part in (candidate.get("content") or {}).get("parts", []):
                pieces = [part]
                if isinstance(part.get("text"), str) and len(part["text"]) > 24:
                    pieces = [{**part, "text": part["text"][i: i + 24]} for i in range(0, len(part["text"]), 24)]
                chunks += [{"candidates": [{"content": {"role": "model", "parts": [p]}, "index": 0}]}
                           for p in pieces]
            last: dict[str, Any] = {"candidates": [{"content": {"role": "model", "parts": []}, "index": 0}]}
            if "finishReason" in candidate:
                last["candidates"][0]["finishReason"] = candidate["finishReason"]
            if "usageMetadata" in out:
                last["usageMetadata"] = out["usageMetadata"]
            chunks.append(last)
        budget = item.get("cut_after")
        for chunk in chunks:
            data = f"data: {json.dumps(chunk, ensure_ascii=False)}\r\n\r\n".encode()
            if budget is not None:
                data, budget = data[: int(budget)], int(budget) - len(data)
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()
            if budget is not None and budget <= 0:
                self._hang_up()
                return
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def main(argv: list[str] | None = None) -> None:
    serve(ScriptedGemini, "Serve scripted Gemini generateContent responses on 127.0.0.1.", argv)


if __name__ == "__main__":
    main()
