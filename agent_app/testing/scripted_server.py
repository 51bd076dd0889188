"""A real OpenAI-compatible HTTP server on 127.0.0.1 whose replies a test (or benchmark) scripts.

Each request to /v1/chat/completions takes the next item of the script:
  * a string: the model's reply text (streamed as SSE when the request asks for a stream);
  * a dict with any of: "text", "status" (an HTTP error to return, with "message"), "delay" (seconds before
    answering), "hang": True (never answer), "stall_after_headers": True (send headers, then nothing);
  * a callable taking the request body and returning one of the above.
When the script runs out, `default` answers. Every request is recorded (headers, body, size) for assertions.
Run `python -m agent_app.testing.scripted_server --help` to use it by hand.
"""

from __future__ import annotations

import argparse
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Item = Any


class ScriptedServer:
    def __init__(
        self,
        script: list[Item] | None = None,
        *,
        default: Item = "Thought: Nothing left to do.\nAction: finished(content='script exhausted')",
        model: str = "scripted-ui-tars",
        api_key: str | None = None,
        max_images: int | None = None,
        reject_params: tuple[str, ...] = (),
        port: int = 0,
        keep_bodies: bool = True,
    ) -> None:
        self.script: deque[Item] = deque(script or [])
        self.default = default
        self.model = model
        self.api_key = api_key
        self.max_images = max_images
        self.reject_params = set(reject_params)
        self.keep_bodies = keep_bodies  # False: record sizes only (long benchmarks stay flat in memory)
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd = _Server(("127.0.0.1", port), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="scripted-server", daemon=True)

    # ---- lifecycle ----
    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> ScriptedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- scripting ----
    def add(self, *items: Item) -> None:
        with self._lock:
            self.script.extend(items)

    def next_item(self, body: dict[str, Any]) -> Item:
        with self._lock:
            item = self.script.popleft() if self.script else self.default
        return item(body) if callable(item) else item

    def chat_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"].endswith("/chat/completions")]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: ScriptedServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):  # clients hanging up is normal
            super().handle_error(request, client_address)


def count_images(body: dict[str, Any]) -> int:
    n = 0
    for message in body.get("messages", []):
        content = message.get("content")
        if isinstance(content, list):
            n += sum(1 for part in content if isinstance(part, dict) and part.get("type") == "image_url")
    return n


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Answer at once: no Nagle + delayed-ACK stall between header and body writes.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _json(self, status: int, obj: Any) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str) -> None:
        self._json(status, {"error": {"message": message, "type": "scripted", "code": status}})

    def do_GET(self) -> None:
        owner = self.server.owner
        headers = {k.lower(): v for k, v in self.headers.items()}
        owner.requests.append({"path": self.path, "method": "GET", "headers": headers})
        if self.path.rstrip("/").endswith("/models"):
            self._json(200, {"object": "list", "data": [{"id": owner.model, "object": "model", "owned_by": "test"}]})
        else:
            self._error(404, f"no route {self.path}")

    def do_POST(self) -> None:
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._error(400, "body is not JSON")
            return
        owner.requests.append(
            {"path": self.path, "method": "POST", "headers": {k.lower(): v for k, v in self.headers.items()},
             "body": body if owner.keep_bodies else {}, "bytes": len(raw), "time": time.monotonic()}
        )
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._error(404, f"no route {self.path}")
            return
        if owner.api_key is not None and self.headers.get("Authorization") != f"Bearer {owner.api_key}":
            self._error(401, "Incorrect API key provided")
            return
        if body.get("model") != owner.model:
            self._error(404, f"The model `{body.get('model')}` does not exist.")
            return
        for name in owner.reject_params:
            if name in body:
                self._error(400, f"Unsupported parameter: '{name}'")
                return
        if owner.max_images is not None and count_images(body) > owner.max_images:
            self._error(400, f"At most {owner.max_images} image(s) may be provided in one request.")
            return
        item = owner.next_item(body)
        if isinstance(item, str):
            item = {"text": item}
        if item.get("delay") and owner._closing.wait(item["delay"]):
            return
        if item.get("hang"):
            owner._closing.wait()
            return
        if item.get("status"):
            self._error(int(item["status"]), item.get("message", "scripted error"))
            return
        if item.get("stall_after_headers"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            self.wfile.flush()
            owner._closing.wait()
            return
        text = item.get("text", "")
        usage = {"prompt_tokens": 1000 * max(1, count_images(body)), "completion_tokens": max(1, len(text) // 4)}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        if body.get("stream"):
            self._stream(owner, text, usage, bool((body.get("stream_options") or {}).get("include_usage")))
        else:
            self._json(200, {
                "id": "chatcmpl-scripted", "object": "chat.completion", "created": int(time.time()),
                "model": owner.model, "usage": usage,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": text}}],
            })

    def _stream(self, owner: ScriptedServer, text: str, usage: dict[str, int], include_usage: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def send(obj: Any) -> None:
            data = (f"data: {obj}\n\n" if isinstance(obj, str) else f"data: {json.dumps(obj)}\n\n").encode()
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        base = {"id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": int(time.time()),
                "model": owner.model}
        pieces = [text[i : i + 24] for i in range(0, len(text), 24)] or [""]
        for n, piece in enumerate(pieces):
            delta = {"content": piece} if n else {"role": "assistant", "content": piece}
            send({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
        send({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        if include_usage:
            send({**base, "choices": [], "usage": usage})
        send("[DONE]")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Serve scripted model replies on 127.0.0.1.")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--script", help="JSON file: a list of reply items")
    p.add_argument("--default", default=None, help="reply once the script is used up")
    args = p.parse_args(argv)
    script: list[Callable[..., Any] | str | dict[str, Any]] = []
    if args.script:
        with open(args.script, encoding="utf-8") as f:
            script = json.load(f)
    server = ScriptedServer(script, **({"default": args.default} if args.default else {}), port=args.port).start()
    print(server.base_url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
