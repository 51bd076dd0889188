"""A scripted 'model' that really looks at the screenshot it is sent: it finds the doctor's OK button and clicks it,
answering in the coordinate convention a test chooses (right or wrong for the family under test)."""

from __future__ import annotations

import base64
import io

from PIL import Image, ImageChops

from agent_app.core.doctor.model_check import BUTTON_FILL
from agent_app.core.geometry import smart_resize


def image_of(body: dict) -> Image.Image:
    """The newest screenshot in a chat-completions request body."""
    parts = [p for m in body["messages"] if isinstance(m["content"], list) for p in m["content"]]
    url = [p for p in parts if p.get("type") == "image_url"][-1]["image_url"]["url"]
    return Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB")


def locate_ok(body: dict) -> tuple[float, float, int, int]:
    """Where the OK button is in the image as the model sees it — after the server's processor has resized what it
    was sent to smart_resize (as vLLM does): (centre x, centre y, image width, height)."""
    image = image_of(body)
    r, g, b = ImageChops.difference(image, Image.new("RGB", image.size, BUTTON_FILL)).split()
    box = ImageChops.lighter(ImageChops.lighter(r, g), b).point(lambda v: 255 if v <= 12 else 0).getbbox()
    assert box is not None, "no OK button in the screenshot"
    h, w = smart_resize(image.height, image.width)
    sx, sy = w / image.width, h / image.height
    return (box[0] + box[2]) / 2 * sx, (box[1] + box[3]) / 2 * sy, w, h


def clicks_ok_in(convention: str):
    """A script item answering a UI-TARS click on the button: in image pixels or in thousandths."""

    def reply(body: dict) -> str:
        x, y, w, h = locate_ok(body)
        if convention == "thousandths":
            x, y = x / w * 1000, y / h * 1000
        return f"Thought: The OK button.\nAction: click(start_box='({round(x)},{round(y)})')"

    return reply
