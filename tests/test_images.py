"""Screenshots as sent: the size rule over every screen size it meets, lossless encodings, endpoint locality, and
change detection that ignores a caret but not a menu."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from agent_app.core import images
from agent_app.core.families.registry import FAMILIES


def desktop_picture(w: int = 640, h: int = 360) -> Image.Image:
    image = Image.new("RGB", (w, h), (246, 246, 246))
    draw = ImageDraw.Draw(image)
    for y in range(20, h - 20, 18):
        draw.text((12, y), "agent-app 世界 — the quick brown fox 0123456789", fill=(20, 20, 20))
    draw.rectangle((w // 3, h // 3, w // 3 + 120, h // 3 + 60), outline=(0, 90, 200), width=2)
    return image


@pytest.mark.parametrize("encoding", [images.PNG, images.WEBP_FAST, images.WEBP_SMALL])
def test_every_encoding_gives_back_the_same_pixels(encoding):
    image = desktop_picture()
    data = encoding.encode(image)
    assert Image.open(io.BytesIO(data)).convert("RGB").tobytes() == image.tobytes()
    assert images.decode_data_url(images.data_url(data, encoding.mime)).tobytes() == image.tobytes()


def test_webp_is_much_smaller_than_png_on_a_desktop():
    image = desktop_picture(1280, 720)
    png, fast, small = (len(e.encode(image)) for e in (images.PNG, images.WEBP_FAST, images.WEBP_SMALL))
    assert fast < png / 2 and small <= fast


@pytest.mark.parametrize("url, near", [
    ("http://localhost:8000/v1", True), ("http://127.0.0.1:8000/v1", True), ("http://[::1]:8000/v1", True),
    ("http://192.168.1.20:8000/v1", True), ("http://10.0.0.5/v1", True), ("http://gpu-box:8000/v1", True),
    ("http://gpu.local:8000/v1", True), ("https://api.openai.com/v1", False),
    ("https://ark.cn-beijing.volces.com/api/v3", False), ("http://8.8.8.8/v1", False),
])
def test_effort_follows_where_the_endpoint_is(url, near):
    assert images.is_near(url) is near
    assert images.encoding_for(url) == (images.WEBP_FAST if near else images.WEBP_SMALL)
    assert images.encoding_for(url, refuses_webp=True) == images.PNG


@settings(max_examples=400, deadline=None)
@given(st.integers(28, 7680), st.integers(28, 4320), st.sampled_from(sorted(FAMILIES)))
def test_native_size_only_when_the_model_merely_rounds_it(w, h, family):
    model = FAMILIES[family].model_image_size(w, h)
    sent = images.send_size((w, h), (w, h), model)
    assert sent in ((w, h), model)
    if sent == (w, h) and sent != model:
        assert abs(model[0] - w) <= w * 0.05 and abs(model[1] - h) <= h * 0.05
    if sent == model and model != (w, h):
        assert abs(model[0] - w) > w * 0.05 or abs(model[1] - h) > h * 0.05


@pytest.mark.parametrize("screen, sent", [
    ((1366, 768), (1366, 768)), ((1920, 1080), (1920, 1080)), ((3840, 2160), (3840, 2160)),
    ((5120, 2880), (4760, 2688)),  # over the pixel budget: a real downscale, done here
])
def test_common_screens_for_uitars_15(screen, sent):
    model = FAMILIES["uitars-1.5"].model_image_size(*screen)
    assert images.send_size(screen, screen, model) == sent


def test_a_retina_capture_is_always_resized_to_the_model_size():
    model = FAMILIES["uitars-1.5"].model_image_size(1440, 900)
    assert images.send_size((2880, 1800), (1440, 900), model) == model


def test_a_caret_or_a_clock_is_no_change_a_menu_is():
    before = desktop_picture(1280, 720)
    caret = before.copy()
    ImageDraw.Draw(caret).line((400, 100, 400, 118), fill=(0, 0, 0), width=2)
    clock = before.copy()
    ImageDraw.Draw(clock).text((1200, 5), "12:01", fill=(0, 0, 0))
    menu = before.copy()
    ImageDraw.Draw(menu).rectangle((100, 40, 300, 260), fill=(255, 255, 255), outline=(0, 0, 0))
    sig = images.signature(before)
    assert images.changed_cells(sig, images.signature(caret)) < images.CHANGED_CELLS
    assert images.changed_cells(sig, images.signature(clock)) < images.CHANGED_CELLS
    assert images.changed_cells(sig, images.signature(menu)) >= images.CHANGED_CELLS
    # A change under our own window is not the desktop's
    assert images.changed_cells(sig, images.signature(menu), [(90, 30, 230, 240)]) == 0


@pytest.mark.parametrize(("before", "after"), [
    ((230, 60, 40), (40, 160, 60)),  # red to green of the same brightness (grey 109 vs 113)
    ((40, 90, 220), (150, 50, 190)),  # blue to purple, grey 90 vs 96
])
def test_a_colour_change_of_equal_brightness_is_a_change(before, after):
    """A status light or a button that changes colour, not brightness, is a reaction the model must see."""
    picture = desktop_picture(1280, 720)
    changed = picture.copy()
    ImageDraw.Draw(picture).rectangle((500, 300, 620, 380), fill=before)
    ImageDraw.Draw(changed).rectangle((500, 300, 620, 380), fill=after)
    # As grey the two are within CELL_LEVELS of each other: a grey signature missed this change.
    assert abs(round(sum(w * c for w, c in zip((0.299, 0.587, 0.114), before, strict=True)))
               - round(sum(w * c for w, c in zip((0.299, 0.587, 0.114), after, strict=True)))) <= images.CELL_LEVELS
    assert images.changed_cells(images.signature(picture), images.signature(changed)) >= images.CHANGED_CELLS
