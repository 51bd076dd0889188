"""A real OpenAI-compatible HTTP server on 127.0.0.1 whose replies a test (or benchmark) scripts.

Each request to /v1/chat/completions takes the next item of the script:
  * a string: the model's reply text (streamed as SSE when the request asks for a stream);
  * a dict with any of: "text", "status" (an HTTP error to return, with "message"), "delay" (seconds before
    answering), "hang": True (never answer), "stall_after_headers": True (send headers, then nothing), and
    the faults of a real network and real servers:
      - "cut_after": N — send the first N characters of the text, then end the body and close the connection
        with no finish reason and no [DONE] (the server closed early); not streamed: a body shorter than its
        Content-Length;
      - "drop_after": N — send the first N characters, then drop the connection mid-body (no end of the
        chunked body: the connection dropped);
      - "finish_reason": the reason to send instead of "stop" ("length", …; None: none at all, [DONE] still
        sent);
      - "no_done": True — send the finish chunk (and usage) but never [DONE], and keep the connection open;
        "no_done": "hang_up" — the same, then drop the connection;
      - "echo_auth": True — with "status": the error message echoes the request's Authorization and
        x-api-key headers (a careless proxy);
      - "html": True — answer with a web page (with "status", or 200), as a web UI at a wrong base URL does;
      - "tool_calls": [{"name": …, "arguments": {…} or "<JSON text>"}, …] — native tool calls after the content
        ("text", may be absent: content null), as vLLM's hermes tool-call parser returns them: whole in
        `message.tool_calls`, or streamed as `delta.tool_calls` (name first, then the arguments in pieces, by
        index); finish_reason "tool_calls". With tool calls, "cut_after"/"drop_after" N count the characters of
        the arguments (the content goes whole);
  * a callable taking the request body and returning one of the above.
When the script runs out, `default` answers. `web_ui=True` makes every route answer a web page;
`lists_models=False` makes GET /models a 404. Every request is recorded (headers, body, size) for assertions.
Run `python -m agent_app.testing.scripted_server --help` to use it by hand.
"""

from __future__ import annotations

import argparse
import json
import socket
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Item = Any


class ScriptedHTTP:
    """What every scripted server shares, whatever protocol it speaks: a script of items taken in order (then
    `default`; a callable item is called with the request body), every request recorded, and a thread serving
    127.0.0.1 that `stop` ends within 50 ms (a short poll, not 0.5 s)."""

    path_prefix = ""  # what base_url adds after host:port, as the protocol's SDK takes it

    def __init__(self, handler: type[BaseHTTPRequestHandler], script: list[Item] | None, default: Item, model: str,
                 api_key: str | None, port: int, name: str) -> None:
        self.script: deque[Item] = deque(script or [])
        self.default = default
        self.model = model
        self.api_key = api_key
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd = _Server(("127.0.0.1", port), handler)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name=name, daemon=True)

    # ---- lifecycle ----
    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}{self.path_prefix}"

    def start(self):  # -> the server itself (Self)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self):
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

    def held(self, item: dict[str, Any]) -> bool:
        """Wait out an item's "delay" (seconds) or "hang" (until the server stops). True: answer nothing."""
        if item.get("delay") and self._closing.wait(item["delay"]):
            return True
        if item.get("hang"):
            self._closing.wait()
            return True
        return False


class ScriptedServer(ScriptedHTTP):
    path_prefix = "/v1"

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
        web_ui: bool = False,
        lists_models: bool = True,
        image_formats: tuple[str, ...] | None = None,
    ) -> None:
        super().__init__(_Handler, script, default, model, api_key, port, "scripted-server")
        self.max_images = max_images
        self.reject_params = set(reject_params)
        self.keep_bodies = keep_bodies  # False: record sizes only (long benchmarks stay flat in memory)
        self.web_ui = web_ui
        self.lists_models = lists_models  # False: GET /models is a 404, as on some hosted endpoints
        self.image_formats = image_formats  # e.g. ("png", "jpeg"): other data URLs are refused as vLLM does

    def chat_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"].endswith("/chat/completions")]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: ScriptedHTTP

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


def image_formats(body: dict[str, Any]) -> list[str]:
    """The format of every data-URL image in a request, in order ("png", "webp", …)."""
    out = []
    for message in body.get("messages", []):
        content = message.get("content")
        for part in content if isinstance(content, list) else []:
            url = (part.get("image_url") or {}).get("url", "") if isinstance(part, dict) else ""
            if url.startswith("data:image/"):
                out.append(url[len("data:image/") :].split(";", 1)[0])
    return out


class ScriptedHandler(BaseHTTPRequestHandler):
    """What every scripted protocol's handler shares: HTTP/1.1, answers sent at once, no log lines, hanging up."""

    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Answer at once: no Nagle + delayed-ACK stall between header and body writes.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _hang_up(self) -> None:
        """Close the connection now, whatever state the body is in."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class _Handler(ScriptedHandler):

    def _json(self, status: int, obj: Any) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str) -> None:
        self._json(status, {"error": {"message": message, "type": "scripted", "code": status}})

    def _web_page(self, status: int = 200) -> None:
        data = (b"<!DOCTYPE html>\n<html><head><title>Chat UI</title></head>"
                b"<body><div id=\"app\">Loading&hellip;</div><script src=\"/assets/index.js\"></script>"
                b"</body></html>\n")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        owner = self.server.owner
        headers = {k.lower(): v for k, v in self.headers.items()}
        owner.requests.append({"path": self.path, "method": "GET", "headers": headers})
        if owner.web_ui:
            self._web_page()
        elif self.path.rstrip("/").endswith("/models") and owner.lists_models:
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
        if owner.web_ui:
            self._web_page()
            return
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
        if owner.image_formats is not None:
            refused = [f for f in image_formats(body) if f not in owner.image_formats]
            if refused:
                self._error(400, f"cannot identify image file <_io.BytesIO object> (format {refused[0]})")
                return
        if owner.max_images is not None and count_images(body) > owner.max_images:
            self._error(400, f"At most {owner.max_images} image(s) may be provided in one request.")
            return
        item = owner.next_item(body)
        if isinstance(item, str):
            item = {"text": item}
        if owner.held(item):
            return
        if item.get("html"):
            self._web_page(int(item.get("status") or 200))
            return
        if item.get("status"):
            message = item.get("message", "scripted error")
            if item.get("echo_auth"):
                echoed = {k: v for k, v in self.headers.items() if k.lower() in ("authorization", "x-api-key")}
                message += f" (request headers: {echoed})"
            self._error(int(item["status"]), message)
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
            self._stream(owner, item, text, usage, bool((body.get("stream_options") or {}).get("include_usage")))
        else:
            self._whole(owner, item, text, usage)

    def _whole(self, owner: ScriptedServer, item: dict[str, Any], text: str, usage: dict[str, int]) -> None:
        cut = item.get("cut_after", item.get("drop_after"))
        calls = _tool_calls(item)
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if calls:
            message = {"role": "assistant", "content": item.get("text"), "tool_calls": [
                {"id": f"call_{n}", "type": "function", "function": {"name": name, "arguments": arguments}}
                for n, (name, arguments) in enumerate(calls)]}
        data = json.dumps({
            "id": "chatcmpl-scripted", "object": "chat.completion", "created": int(time.time()),
            "model": owner.model, "usage": usage,
            "choices": [{"index": 0, "finish_reason": item.get("finish_reason", "tool_calls" if calls else "stop"),
                         "message": message}],
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if cut is None:
            self.wfile.write(data)
            return
        if calls:  # the body up to N characters into the first call's arguments, then the connection closes
            start = data.index(b'"arguments": ') + len(b'"arguments": ')
            self.wfile.write(data[: start + int(cut)])
        else:  # the body up to the first N characters of the content, then the connection closes
            head = json.dumps(text[: int(cut)])[:-1].encode()  # the content's JSON string, still open
            self.wfile.write(data[: data.index(b'"content": ') + len(b'"content": ')] + head)
        self.wfile.flush()
        self._hang_up()


    def _stream(
        self, owner: ScriptedServer, item: dict[str, Any], text: str, usage: dict[str, int], include_usage: bool,
    ) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def send(obj: Any) -> None:
            data = (f"data: {obj}\n\n" if isinstance(obj, str) else f"data: {json.dumps(obj)}\n\n").encode()
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        def end_body() -> None:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

        base = {"id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": int(time.time()),
                "model": owner.model}
        cut = item.get("cut_after", item.get("drop_after"))
        calls = _tool_calls(item)
        sent = text if cut is None or calls else text[: int(cut)]
        pieces = [sent[i : i + 24] for i in range(0, len(sent), 24)] or [""]
        for n, piece in enumerate(pieces):
            delta = {"content": piece} if n else {"role": "assistant", "content": piece}
            send({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
        budget = None if cut is None else int(cut)  # characters of arguments still to send
        for index, (name, arguments) in enumerate(calls):
            if budget is not None and budget <= 0:
                break
            head = {"index": index, "id": f"call_{index}", "type": "function",
                    "function": {"name": name, "arguments": ""}}
            send({**base, "choices": [{"index": 0, "delta": {"tool_calls": [head]}, "finish_reason": None}]})
            if budget is not None:
                arguments, budget = arguments[:budget], budget - len(arguments)
            for i in range(0, len(arguments), 7):
                piece = {"index": index, "function": {"arguments": arguments[i : i + 7]}}
                send({**base, "choices": [{"index": 0, "delta": {"tool_calls": [piece]}, "finish_reason": None}]})
        if "drop_after" in item:
            self._hang_up()  # mid-body: the chunked body never ends
            return
        if "cut_after" in item:
            end_body()  # the body ends cleanly, without a finish reason or [DONE]
            self._hang_up()
            return
        finish = item.get("finish_reason", "tool_calls" if calls else "stop")
        if finish is not None:
            send({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
        if include_usage:
            send({**base, "choices": [], "usage": usage})
        if item.get("no_done") == "hang_up":
            self._hang_up()
            return
        if item.get("no_done"):
            owner._closing.wait()  # the reply is complete, but neither [DONE] nor the end of the body comes
            return
        send("[DONE]")
        end_body()


def _tool_calls(item: dict[str, Any]) -> list[tuple[str, str]]:
    """An item's native tool calls as (name, arguments JSON text)."""
    return [(c["name"], c["arguments"] if isinstance(c["arguments"], str) else json.dumps(c["arguments"]))
            for c in item.get("tool_calls") or []]


def serve(server_class: type[ScriptedHTTP], description: str, argv: list[str] | None = None) -> None:
    """A scripted server from the command line: `--script FILE` (a JSON list of items), until Ctrl+C."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--script", help="JSON file: a list of reply items")
    p.add_argument("--default", default=None, help="reply once the script is used up")
    p.add_argument("--model", default=None, help="the model name the server answers to")
    args = p.parse_args(argv)
    script: list[Any] = []
    if args.script:
        with open(args.script, encoding="utf-8") as f:
            script = json.load(f)
    given = {k: v for k, v in (("default", args.default), ("model", args.model)) if v is not None}
    server = server_class(script, port=args.port, **given).start()
    print(server.base_url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


def main(argv: list[str] | None = None) -> None:
    serve(ScriptedServer, "Serve scripted model replies on 127.0.0.1.", argv)


if __name__ == "__main__":
    main()
