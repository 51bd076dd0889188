"""The minimal reference loop agent-app is measured against (issue 13).

grab (mss) → PNG level 6 at native size → POST with the last 5 screenshots (UI-TARS layout, no streaming, one
kept-alive connection) → regex parse → click (pyautogui, no pause). No settle wait, no recording, no guard.
It is what a person could write in an afternoon; agent-app has to cost no more per step than this.
"""

from __future__ import annotations

import base64
import http.client
import io
import json
import re
import socket
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

PNG_LEVEL = 6
_POINT = re.compile(r"\((\d+)\s*,\s*(\d+)\)")


def run_reference(base_url: str, model: str, steps: int, model_size: tuple[int, int], history_images: int = 5,
                  on_step: Callable[[int, dict[str, float]], None] | None = None) -> list[dict[str, float]]:
    """`steps` steps against an OpenAI-compatible endpoint; returns each step's phase times (ms).

    The model answers in the pixels of `model_size` (UI-TARS-1.5: the smart_resize size); the click is mapped back
    to the screen by that ratio.
    """
    import mss
    import pyautogui
    from PIL import Image

    from agent_app.core.families.uitars import SYSTEM_PROMPT, UITARS_ACTION_SPACE, computer_use_prompt

    pyautogui.PAUSE, pyautogui.FAILSAFE = 0, False
    grabber = mss.MSS() if hasattr(mss, "MSS") else mss.mss()
    monitor = grabber.monitors[1]
    sx, sy = monitor["width"] / model_size[0], monitor["height"] / model_size[1]
    head = [{"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": computer_use_prompt("benchmark", "en", UITARS_ACTION_SPACE)}]
    turns: list[tuple[str, str]] = []  # (screenshot data URL, reply)
    timings: list[dict[str, float]] = []
    url_parts = urlsplit(base_url)
    client = http.client.HTTPConnection(url_parts.hostname, url_parts.port, timeout=120)  # kept alive
    client.connect()
    client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        for step in range(1, steps + 1):
            t0 = time.perf_counter()
            shot = grabber.grab(monitor)
            t1 = time.perf_counter()
            image = Image.frombuffer("RGB", shot.size, shot.bgra, "raw", "BGRX", 0, 1)
            buf = io.BytesIO()
            image.save(buf, format="PNG", compress_level=PNG_LEVEL)
            url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
            t2 = time.perf_counter()
            messages: list[dict[str, Any]] = list(head)
            recent = len(turns) - (history_images - 1)
            for i, (old_url, reply) in enumerate(turns):
                if i >= recent:
                    messages.append({"role": "user", "content": [{"type": "image_url", "image_url": {"url": old_url}}]})
                messages.append({"role": "assistant", "content": reply})
            messages.append({"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}}]})
            body = json.dumps({"model": model, "messages": messages, "max_tokens": 400}).encode()
            client.request("POST", url_parts.path.rstrip("/") + "/chat/completions", body,
                           {"Content-Type": "application/json"})
            response = client.getresponse()
            answer = response.read()
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}: {answer[:200]!r}")
            text = json.loads(answer)["choices"][0]["message"]["content"]
            t3 = time.perf_counter()
            match = _POINT.search(text)
            t4 = time.perf_counter()
            if match:
                pyautogui.click(round(int(match[1]) * sx), round(int(match[2]) * sy))
            t5 = time.perf_counter()
            turns.append((url, text))
            if len(turns) >= history_images:  # an image that will never be sent again: drop it (flat memory)
                old = len(turns) - history_images
                turns[old] = ("", turns[old][1])
            ms = {"capture": t1 - t0, "encode": t2 - t1, "request": t3 - t2, "parse": t4 - t3, "execute": t5 - t4}
            timings.append({k: v * 1000 for k, v in ms.items()})
            if on_step:
                on_step(step, timings[-1])
    finally:
        client.close()
        grabber.close()
    return timings
