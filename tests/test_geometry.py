"""smart_resize against the published figures, and the one mapping from model coordinates to the screen."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent_app.core.families.registry import FAMILIES
from agent_app.core.geometry import MAX_PIXELS, CoordinateSpace, Monitor, smart_resize

# (screen W, H, max_pixels) → model image (W', H'), from the model facts table (UI-TARS / Qwen2.5-VL).
TABLE = [
    (1366, 768, MAX_PIXELS, (1372, 756)),
    (1440, 900, MAX_PIXELS, (1428, 896)),
    (1512, 982, MAX_PIXELS, (1512, 980)),
    (1920, 1080, MAX_PIXELS, (1932, 1092)),
    (1920, 1200, MAX_PIXELS, (1932, 1204)),
    (2560, 1440, MAX_PIXELS, (2548, 1428)),
    (3024, 1964, MAX_PIXELS, (3024, 1960)),
    (3840, 2160, MAX_PIXELS, (3836, 2156)),
    (5120, 2880, MAX_PIXELS, (4760, 2688)),
    (3840, 2160, 2700 * 28 * 28, (1932, 1064)),
    (3840, 2160, 1280 * 28 * 28, (1316, 728)),
]


@pytest.mark.parametrize("w, h, max_pixels, expected", TABLE)
def test_smart_resize_matches_published_sizes(w, h, max_pixels, expected):
    rh, rw = smart_resize(h, w, max_pixels=max_pixels)
    assert (rw, rh) == expected


@given(st.integers(1, 10000), st.integers(1, 10000))
def test_smart_resize_invariants(h, w):
    rh, rw = smart_resize(h, w)
    assert rh % 28 == 0 and rw % 28 == 0
    assert rh * rw <= MAX_PIXELS
    assert smart_resize(rh, rw) == (rh, rw)  # what we send is already what the model sees


def test_family_image_budgets():
    assert FAMILIES["uitars-1.5"].model_image_size(1920, 1080) == (1932, 1092)
    assert FAMILIES["uitars-1.0"].model_image_size(3840, 2160) == (1932, 1064)
    assert FAMILIES["uitars-1.5"].model_image_size(3840, 2160, max_pixels=1280 * 28 * 28) == (1316, 728)


def test_uitars15_absolute_pixels_of_the_resized_image():
    # README_coordinates: click(start_box='(197,525)') on W×H → (197/new_w*W, 525/new_h*H)
    space = CoordinateSpace(Monitor(0, 0, 1920, 1080), 1932, 1092)
    assert space.to_screen(197, 525) == (round(197 / 1932 * 1920), round(525 / 1092 * 1080))
    assert space.to_screen(1932, 1092) == (1919, 1079)  # clamped inside the monitor
    assert space.to_screen(-50, -1) == (0, 0)


def test_relative_thousandths_and_monitor_offset():
    space = CoordinateSpace(Monitor(1920, 0, 2560, 1440), 1000, 1000)
    assert space.to_screen(500, 500) == (1920 + 1280, 720)
    assert space.to_screen(0, 0) == (1920, 0)
    x, y = space.to_model(1920 + 1280, 720)
    assert (x, y) == (500, 500)


@given(st.integers(0, 1919), st.integers(0, 1079))
def test_integer_model_pixels_reach_every_screen_pixel(x, y):
    """Where the model's image is at least as large as the screen (1080p → 1932×1092), a model naming the
    nearest integer pixel of its image hits the intended screen pixel exactly."""
    space = CoordinateSpace(Monitor(0, 0, 1920, 1080), 1932, 1092)
    mx, my = round(x * 1932 / 1920), round(y * 1092 / 1080)
    assert space.to_screen(mx, my) == (x, y)


@given(st.integers(0, 1365), st.integers(0, 767))
def test_mapping_error_is_below_one_model_pixel(x, y):
    """Where the image is smaller (768 → 756 rows), the error stays under one model pixel's height."""
    space = CoordinateSpace(Monitor(0, 0, 1366, 768), 1372, 756)
    mx, my = round(x * 1372 / 1366), round(y * 756 / 768)
    sx, sy = space.to_screen(mx, my)
    assert abs(sx - x) <= 1 and abs(sy - y) <= 768 / 756
