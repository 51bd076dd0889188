"""`agent-app doctor`'s verdicts, without a display: target layout, finding targets in a grab, the click and scale
verdict (exact, offset, HiDPI factor, missing), typing and clipboard, session, permissions, keychain, the model's
coordinate convention over every family and several screens, and the report. The model call itself runs against
the scripted server on 127.0.0.1."""

from __future__ import annotations

import json
import math

import pytest
from grounding import clicks_ok_in, image_of
from PIL import Image, ImageDraw

from agent_app.core.actions import Action
from agent_app.core.desktop.permissions import MacProbes, WindowsProbes
from agent_app.core.doctor.calibration import (
    INSET,
    MARKER,
    PALETTE,
    Calibration,
    calibration_targets,
    click_check,
    find_marker,
    find_markers,
    fit_line,
)
from agent_app.core.doctor.model_check import (
    BUTTON_FILL,
    CONVENTION_WORDS,
    button_rect,
    draw_screen,
    model_check,
    model_verdict,
)
from agent_app.core.doctor.report import DoctorReport, failed, passed, skipped
from agent_app.core.doctor.system import keychain_check, permissions_check, session_check
from agent_app.core.doctor.typing_check import TYPING_TEXT, clipboard_check, missing_parts, typing_check
from agent_app.core.families.registry import FAMILIES
from agent_app.core.geometry import Monitor
from agent_app.core.settings.config import RunConfig

SIZES = [(1366, 768), (1920, 1080), (3840, 2160), (1280, 800), (1281, 721), (800, 600)]


# ---------------------------------------------------------------- targets
@pytest.mark.parametrize("w, h", SIZES)
def test_targets_sit_three_pixels_in_from_each_corner_the_centre_and_odd_spots(w, h):
    targets = calibration_targets(w, h)
    assert targets[:5] == [(3, 3), (w - 4, 3), (3, h - 4), (w - 4, h - 4), (w // 2, h // 2)]
    assert INSET == 3
    odd = targets[5:]
    assert len(odd) == 4 and all(x % 2 == 1 and y % 2 == 1 for x, y in odd)
    assert len(set(targets)) == len(targets) <= len(PALETTE)
    # Every square fits inside the window, and no two squares touch.
    half = MARKER // 2
    assert all(half <= x <= w - 1 - half and half <= y <= h - 1 - half for x, y in targets)
    assert all(max(abs(a[0] - b[0]), abs(a[1] - b[1])) > MARKER for i, a in enumerate(targets) for b in targets[i + 1:])


def _grab(w: int, h: int, targets, scale: int = 1, shift: int = 0) -> Image.Image:
    """What the calibration window looks like in a capture: squares of the palette on a dark background."""
    image = Image.new("RGB", (w * scale, h * scale), (30, 34, 42))
    draw = ImageDraw.Draw(image)
    draw.text((w * scale // 3, 40), "agent-app is checking this computer", fill=(240, 240, 240))
    half = MARKER // 2
    for (x, y), colour in zip(targets, PALETTE, strict=False):
        c = tuple(min(255, max(0, v + shift)) for v in colour)
        draw.rectangle(((x - half) * scale, (y - half) * scale, (x + half + 1) * scale - 1, (y + half + 1) * scale - 1),
                       fill=c)
    return image


@pytest.mark.parametrize("scale", [1, 2], ids=["1x", "retina-2x"])
@pytest.mark.parametrize("w, h", [(1366, 768), (1920, 1080)])
def test_every_target_is_found_at_its_centre(w, h, scale):
    targets = calibration_targets(w, h)
    found = find_markers(_grab(w, h, targets, scale), len(targets))
    for (x, y), f in zip(targets, found, strict=True):
        assert f is not None
        assert (f.x, f.y) == (x * scale + (scale - 1) / 2, y * scale + (scale - 1) / 2)
        assert f.width == f.height == MARKER * scale


def test_a_colour_shifted_by_colour_management_is_still_found():
    targets = calibration_targets(800, 600)
    assert all(find_markers(_grab(800, 600, targets, shift=-25), len(targets)))


def test_missing_and_scattered_colours_are_not_mistaken_for_a_target():
    targets = calibration_targets(800, 600)
    image = _grab(800, 600, targets[:3])
    assert find_marker(image, PALETTE[5]) is None  # not drawn
    image.putpixel((700, 500), PALETTE[0])  # a stray pixel of a target's colour far from its square
    assert find_marker(image, PALETTE[0]) is None
    assert find_marker(Image.new("RGB", (50, 50), PALETTE[1]).crop((0, 0, 50, 2)), PALETTE[1]) is None  # a line


def test_fit_line():
    fit = fit_line([0, 10, 20], [5, 25, 45])
    assert (fit.scale, fit.offset, fit.residual) == (2, 5, 0)
    assert fit(7) == 19
    assert fit_line([3], [4]) is None and fit_line([3, 3], [4, 5]) is None and fit_line([], []) is None


# ---------------------------------------------------------------- the click verdict
def _calibration(monitor: Monitor, grab_scale: int = 1, land=lambda aimed, cal: None) -> Calibration:
    """A calibration on a full-screen window, the window's pixels = the monitor's; `land` says where each click
    arrives in the window (default: where a correct desktop puts it)."""
    w, h = monitor.width, monitor.height
    targets = calibration_targets(w, h)
    grab = (w * grab_scale, h * grab_scale)
    found = find_markers(_grab(w, h, targets, grab_scale), len(targets))
    cal = Calibration(monitor, grab, (w, h), targets, found, [], [])
    for f in found:
        aimed = cal.aim(f)
        cal.aimed.append(aimed)
        landed = land(aimed, cal)
        cal.landed.append(landed if landed is not None else (aimed[0] - monitor.left, aimed[1] - monitor.top))
    return cal


@pytest.mark.parametrize("monitor", [Monitor(0, 0, 1366, 768), Monitor(0, 0, 1920, 1080), Monitor(1920, 0, 1366, 768),
                                     Monitor(-1280, 200, 1280, 800), Monitor(0, 0, 3840, 2160)])
def test_clicks_on_target_everywhere_pass_with_zero_error(monitor):
    check = click_check(_calibration(monitor), "linux")
    assert check.ok, check.summary
    assert check.figures["max_error_px"] == 0 and check.figures["clicks_landed"] == 9
    assert check.figures["capture_per_input"] == [1.0, 1.0] == check.figures["capture_per_input_assumed"]
    assert "9 of 9 clicks on target, max error 0 px" in check.summary and check.advice is None


def test_a_retina_capture_twice_the_input_space_is_measured_and_fine():
    monitor = Monitor(0, 0, 1440, 900)  # points; the grab is 2880x1800 pixels
    check = click_check(_calibration(monitor, grab_scale=2), "darwin")
    assert check.ok, check.summary
    assert check.figures["capture_per_input"] == [2.0, 2.0] == check.figures["capture_per_input_assumed"]
    assert check.figures["max_error_px"] <= 1


@pytest.mark.parametrize("factor", [0.8, 1.25, 0.5])
def test_input_at_another_scale_than_capture_is_named_a_hidpi_mismatch(factor):
    monitor = Monitor(0, 0, 1920, 1080)

    def off(aimed, cal):  # input lands at `factor` times the aimed point (clamped to the window, as X does)
        return min(aimed[0] * factor, 1919), min(aimed[1] * factor, 1079)

    check = click_check(_calibration(monitor, land=off), "linux")
    assert not check.ok
    assert "HiDPI mismatch" in check.summary and f"{factor:.2f}×" in check.summary
    assert check.advice and "scal" in check.advice
    assert check.figures["capture_per_input"] == [factor, factor]  # clicks held at the edge are left out


def test_windows_and_macos_get_their_own_advice_for_a_scale_mismatch():
    cal = _calibration(Monitor(0, 0, 1920, 1080), land=lambda a, c: (a[0] * 0.8, a[1] * 0.8))
    assert "DPI" in click_check(cal, "win32").advice
    assert "System Settings" in click_check(cal, "darwin").advice


def test_a_constant_offset_is_reported_with_its_size():
    cal = _calibration(Monitor(0, 0, 1366, 768), land=lambda a, c: (a[0] + 5, a[1]))
    check = click_check(cal, "linux")
    assert not check.ok and "up to 5 px off target" in check.summary
    assert check.figures["capture_per_input"] == [1.0, 1.0]  # the scale is right: it is an offset


def test_clicks_that_never_arrive_and_targets_not_seen():
    monitor = Monitor(0, 0, 1366, 768)
    cal = _calibration(monitor)
    cal.landed = [None] * len(cal.landed)
    check = click_check(cal, "linux")
    assert not check.ok and "none of the 9 clicks reached" in check.summary and "--monitor" in check.advice
    cal = _calibration(monitor)
    cal.landed[2] = None
    check = click_check(cal, "linux")
    assert not check.ok and "1 of 9 clicks never arrived" in check.summary
    cal = _calibration(monitor)
    cal.found[4] = None
    check = click_check(cal, "darwin")
    assert not check.ok and "8 of 9 targets seen" in check.summary and "Screen Recording" in check.advice


# ---------------------------------------------------------------- typing and the clipboard
def test_typing_text_covers_every_path_and_ends_with_one_newline():
    from agent_app.core.desktop.executor import split_for_typing
    from agent_app.core.doctor.typing_check import PARTS

    for name, part in PARTS.items():
        assert all(ch in TYPING_TEXT for ch in part), name
    for ch in ("é", "中", "한", "🙂", '"', "'", "<", ">", "\\", "«"):
        assert ch in TYPING_TEXT
    assert TYPING_TEXT.endswith("\n") and not TYPING_TEXT.endswith("\n\n")
    runs = split_for_typing(TYPING_TEXT)
    assert [keyed for keyed, _ in runs] == [True, False, True, False, True]  # keyed and pasted, in turn


def test_typing_verdicts():
    assert typing_check(TYPING_TEXT, TYPING_TEXT, True, "linux").ok
    ascii_only = "".join(c for c in TYPING_TEXT if ord(c) < 128)  # what pyautogui.write alone makes of it
    check = typing_check(TYPING_TEXT, ascii_only, False, "linux")
    assert not check.ok and "xclip" in check.advice
    assert check.figures["missing"] == ["quotes", "accents", "CJK", "emoji"]
    check = typing_check(TYPING_TEXT, TYPING_TEXT[:-1], True, "linux")
    assert not check.ok and check.figures["missing"] == ["newline"] and "Enter" in check.advice
    assert typing_check(TYPING_TEXT, TYPING_TEXT + "\n", True, "linux").figures["missing"] == ["newline"]
    check = typing_check(TYPING_TEXT, TYPING_TEXT[:20], True, "darwin")
    assert not check.ok and check.figures["first_difference_at"] == 20
    assert not typing_check(TYPING_TEXT, None, True, "linux").ok
    swapped = TYPING_TEXT.replace("Hello", "Hlelo")
    check = typing_check(TYPING_TEXT, swapped, True, "linux")
    assert not check.ok and check.figures["missing"] == ["order"] and check.figures["first_difference_at"] == 1


def test_missing_parts_names_each_kind():
    assert missing_parts(TYPING_TEXT, TYPING_TEXT) == []
    assert missing_parts(TYPING_TEXT, TYPING_TEXT.replace("🙂", "")) == ["emoji"]
    assert missing_parts(TYPING_TEXT, "") == ["ASCII", "quotes", "accents", "CJK", "emoji", "newline"]


@pytest.mark.parametrize("before, after, ok", [
    (None, None, True), (None, "", True), ("mine", "mine", True), ("", "", True),
    (None, "中文 日本語", False), ("mine", "🙂👍🏽", False), ("mine", None, False),
])
def test_clipboard_verdicts(before, after, ok):
    check = clipboard_check(before, after, pasted=True)
    assert check.ok is ok
    assert (check.advice is None) is ok


def test_a_copied_image_must_come_back_as_that_image():
    from agent_app.core.desktop.clipboard import Held

    image = Held(target="image/png", data=b"\x89PNG...")
    back = clipboard_check(image, Held(target="image/png", data=b"\x89PNG..."), pasted=True)
    assert back.ok and "image (image/png) is back" in back.summary
    for after in (Held(), Held(text=""), Held(text="\ufffdPNG..."), Held(target="image/png", data=b"other")):
        lost = clipboard_check(image, after, pasted=True)
        assert not lost.ok and "it held an image (image/png)" in lost.summary and lost.advice


def test_clipboard_without_a_paste_tool_cannot_be_checked():
    check = clipboard_check(None, None, pasted=False)
    assert not check.ok and "xclip" in check.advice


# ---------------------------------------------------------------- session, permissions, keychain
@pytest.mark.parametrize("env, ok, words", [
    ({"DISPLAY": ":0"}, True, "X11 session on :0"),
    ({"DISPLAY": ":0", "XDG_SESSION_TYPE": "x11"}, True, "X11"),
    ({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, False, "Wayland session (XWayland on :0)"),
    ({"XDG_SESSION_TYPE": "wayland"}, False, "Wayland"),
    ({}, False, "no display"),
])
def test_session_check_on_linux(env, ok, words):
    check = session_check(env, "linux")
    assert check.ok is ok and words in check.summary
    if not ok:
        assert check.advice.endswith(".")


def test_session_check_on_macos_and_windows():
    assert session_check({}, "darwin").ok and session_check({}, "win32").ok


def test_permissions_check_uses_the_platform_probes():
    assert permissions_check("linux").skipped
    missing = MacProbes(accessibility=lambda: False, screen_recording=lambda: False, holder="Terminal")
    check = permissions_check("darwin", missing)
    assert not check.ok and check.figures["missing"] == ["accessibility", "screen-recording"]
    assert "Accessibility" in check.advice and "Screen Recording" in check.advice
    granted = MacProbes(accessibility=lambda: True, screen_recording=lambda: True)
    assert permissions_check("darwin", granted).ok
    elevated = WindowsProbes(self_elevated=lambda: False, foreground_window=lambda: 7, window_pid=lambda w: 99,
                             window_title=lambda w: "Admin tool", process_elevated=lambda pid: True)
    check = permissions_check("win32", elevated)
    assert not check.ok and "Admin tool" in check.advice
    calm = WindowsProbes(self_elevated=lambda: False, foreground_window=lambda: 7, window_pid=lambda w: 99,
                         window_title=lambda w: "Editor", process_elevated=lambda pid: False)
    assert permissions_check("win32", calm).ok


def _backend(module: str, name: str = "Keyring"):
    return type(name, (), {"__module__": module})()


def test_keychain_check_names_the_backend_and_refuses_plain_text():
    check = keychain_check({}, _backend("keyring.backends.SecretService"))
    assert check.ok and "Secret Service" in check.summary
    assert "macOS Keychain" in keychain_check({}, _backend("keyring.backends.macOS")).summary
    assert "Credential Manager" in keychain_check({}, _backend("keyring.backends.Windows", "WinVaultKeyring")).summary
    none = keychain_check({}, _backend("keyring.backends.fail"))
    assert not none.ok and "AGENT_APP_API_KEY" in none.advice and none.advice.endswith(".")
    assert keychain_check({"AGENT_APP_API_KEY": "x"}, _backend("keyring.backends.fail")).ok
    plain = keychain_check({}, _backend("keyrings.alt.file", "PlaintextKeyring"))
    assert not plain.ok and "keyrings.alt" in plain.advice
    chain = type("ChainerBackend", (), {"backends": [_backend("keyring.backends.kwallet", "DBusKeyring")]})()
    assert "KWallet" in keychain_check({}, chain).summary


# ---------------------------------------------------------------- the model's convention
def _answer(convention: str, monitor: Monitor, model_size: tuple[int, int]) -> Action:
    """A perfect click on the OK button, in `convention`'s units."""
    cx, cy = button_rect(monitor.width, monitor.height).centre
    span = {"image": model_size, "thousandths": (1000, 1000), "unit": (1, 1)}[convention]
    return Action("click", x=round(cx / monitor.width * span[0], 4), y=round(cy / monitor.height * span[1], 4))


@pytest.mark.parametrize("w, h", [(1366, 768), (1920, 1080), (3840, 2160), (2560, 1440), (1280, 800)])
@pytest.mark.parametrize("name", list(FAMILIES))
def test_every_convention_is_told_apart_for_every_family(name, w, h):
    family, monitor = FAMILIES[name], Monitor(0, 0, w, h)
    model_size = family.model_image_size(w, h)
    for convention in ("image", "thousandths", "unit"):
        action = _answer(convention, monitor, model_size)
        if convention == "image":
            action = Action("click", x=round(action.x), y=round(action.y))  # pixel models answer in integers
        check = model_verdict(name, family, FAMILIES, action, monitor, model_size, "reply")
        if convention == family.coordinates:
            assert check.ok, (convention, check.summary)
            limit = max(w / model_size[0], 1)
            if family.truncate:  # cut to the pixel (Gemini), not rounded: up to a pixel off on each axis
                limit = max(limit, math.sqrt(2))
            assert check.figures["error_px"] <= limit
        else:
            assert not check.ok, (convention, check.summary)
            assert f"answered in {CONVENTION_WORDS[convention]}" in check.summary
            assert f"but {name} says {CONVENTION_WORDS[family.coordinates]}" in check.summary
            assert convention in check.figures["conventions_that_hit"]
            suggested = [n for n, f in FAMILIES.items() if f.coordinates == convention]
            assert any(f"--model-family {n}" in check.advice for n in suggested), check.advice


def test_a_click_far_from_the_button_or_no_click_at_all():
    family, monitor = FAMILIES["uitars-1.5"], Monitor(1920, 0, 1366, 768)
    size = family.model_image_size(1366, 768)
    check = model_verdict("uitars-1.5", family, FAMILIES, Action("click", x=10, y=700), monitor, size, "r")
    assert not check.ok and "no convention puts it there" in check.summary and check.figures["click"][0] >= 1920
    for action in (None, Action("hotkey", keys=("enter",)), Action("finished", content="done")):
        check = model_verdict("uitars-1.5", family, FAMILIES, action, monitor, size, "Thought: hm")
        assert not check.ok and "did not click" in check.summary and check.advice


def test_the_picture_has_one_ok_button_where_the_verdict_expects_it():
    for w, h in SIZES:
        image = draw_screen(w, h)
        r = button_rect(w, h)
        assert image.size == (w, h)
        assert image.getpixel((r.left + 2, r.top + r.height // 4)) == BUTTON_FILL
        # the button's colour appears nowhere outside the button
        outside = image.copy()
        ImageDraw.Draw(outside).rectangle((r.left, r.top, r.left + r.width - 1, r.top + r.height - 1), fill=(0, 0, 0))
        assert BUTTON_FILL not in {c for _, c in outside.getcolors(maxcolors=1 << 20)}


# ---------------------------------------------------------------- the model call, against a real HTTP server
def _config(server, family: str = "uitars-1.5", **kw) -> RunConfig:
    settings = {"base_url": server.base_url, "model": server.model, "model_family": family, "retries": 0,
                "timeout": 10, **kw}
    return RunConfig("Click the OK button.", **settings)


def test_model_check_sends_the_familys_screenshot_and_finds_the_click(server):
    monitor = Monitor(0, 0, 1920, 1080)
    server.add(clicks_ok_in("image"))
    check = model_check(_config(server), monitor)
    assert check.ok, check.summary
    assert image_of(server.chat_requests()[0]["body"]).size == (1920, 1080)  # sent as a run sends it: native
    assert check.figures["model"] == server.model and check.figures["error_px"] <= 2


def test_model_check_says_which_convention_the_model_used(server):
    server.add(clicks_ok_in("thousandths"))
    check = model_check(_config(server), Monitor(0, 0, 1366, 768))
    assert not check.ok
    assert "answered in 0–1000 but uitars-1.5 says pixels of the screenshot" in check.summary
    assert "--model-family uitars-1.0" in check.advice and "--model-family doubao" in check.advice
    server.add(clicks_ok_in("thousandths"))
    assert model_check(_config(server, "doubao"), Monitor(0, 0, 1366, 768)).ok
    server.add(clicks_ok_in("image"))
    check = model_check(_config(server, "uitars-1.0"), Monitor(0, 0, 1366, 768))
    assert not check.ok and "answered in pixels" in check.summary and "uitars-1.5" in check.advice


def test_model_check_failures_are_verdicts_not_crashes(server):
    monitor = Monitor(0, 0, 1920, 1080)
    server.add("I do not know what to do.")
    check = model_check(_config(server), monitor)
    assert not check.ok and "not uitars-1.5 output" in check.summary and "family" in check.advice
    server.add({"status": 500, "message": "boom"})
    check = model_check(_config(server), monitor)
    assert not check.ok and "no answer from" in check.summary and "Test connection" in check.advice
    check = model_check(_config(server, base_url="localhost:8000"), monitor)
    assert not check.ok and "http://" in check.advice
    server.add(clicks_ok_in("image"))
    check = model_check(_config(server, model=""), monitor)  # no name: the endpoint's first model, as run does
    assert check.ok and check.figures["model"] == server.model


def test_an_endpoint_refusing_webp_gets_png_and_it_is_remembered_as_a_run_does(app_dirs):
    from agent_app.core.settings import endpoints
    from agent_app.testing.scripted_server import ScriptedServer, image_formats

    monitor = Monitor(0, 0, 1920, 1080)
    with ScriptedServer(image_formats=("png", "jpeg")) as srv:  # refuses WebP as vLLM without WebP support does
        srv.add(clicks_ok_in("image"), clicks_ok_in("image"))
        check = model_check(_config(srv), monitor)
        assert check.ok, check.summary
        assert "refused WebP" in check.summary and check.figures["image_format"] == "png"
        assert [image_formats(r["body"]) for r in srv.chat_requests()] == [["webp"], ["png"]]
        assert endpoints.refuses_webp(srv.base_url)
        check = model_check(_config(srv), monitor)  # the next check (and run) sends PNG at once
        assert check.ok and "refused" not in check.summary
        assert [image_formats(r["body"]) for r in srv.chat_requests()][2:] == [["png"]]


def test_a_model_check_that_breaks_is_a_verdict_and_its_traceback_is_in_the_log(server, monkeypatch, caplog):
    """Its advice says to report it with the log file, so the log file must hold what went wrong."""
    import agent_app.core.doctor.model_check as model_check_module
    from agent_app.core.doctor.runner import DoctorOptions, _start_model_check

    def broken(*args, **kwargs):
        raise ImportError("cannot import name 'x' from partially initialized module 'y'")

    monkeypatch.setattr(model_check_module, "model_check", broken)
    found: list = []  # the model check alone: the whole doctor would load this process's keyring backend for good
    thread = _start_model_check(DoctorOptions(run_config=_config(server), platform="linux", env={}),
                                Monitor(0, 0, 1920, 1080), found, lambda: False)
    thread.join(10)
    [model] = found
    assert not model.ok and "the model check failed: ImportError" in model.summary and "log file" in model.advice
    logged = [r for r in caplog.records if r.message == "the model check failed"]
    assert logged and logged[0].exc_info and logged[0].exc_info[0] is ImportError


# ---------------------------------------------------------------- the report
def test_report_json_exit_code_and_lines():
    report = DoctorReport([passed("clicks", "9 of 9", max_error_px=0), skipped("model", "no endpoint")], 2.5,
                          {"left": 0, "top": 0, "width": 1920, "height": 1080}, 1)
    assert report.ok and report.exit_code == 0
    data = json.loads(json.dumps(report.to_json()))
    assert data["ok"] is True and data["seconds"] == 2.5 and data["monitor"] == 1
    assert data["checks"][0] == {"name": "clicks", "ok": True, "summary": "9 of 9", "figures": {"max_error_px": 0}}
    assert data["checks"][1]["skipped"] is True and "advice" not in data["checks"][1]
    report.checks.append(failed("typing", "changed", "Install xclip."))
    assert not report.ok and report.exit_code == 1
    assert report.to_json()["checks"][2]["advice"] == "Install xclip."
    lines = report.lines()
    assert len(lines) == 4 and lines[0].startswith("✔ clicks") and lines[1].startswith("– model")
    assert lines[2] == "✖ typing       changed — Install xclip." and "1 problem(s)" in lines[3]


def test_model_check_with_auto_takes_the_family_from_the_model_name_as_a_run_does():
    from agent_app.testing.scripted_server import ScriptedServer

    monitor = Monitor(0, 0, 1920, 1080)
    with ScriptedServer([clicks_ok_in("thousandths")], model="doubao-1-5-ui-tars-250428") as srv:
        check = model_check(_config(srv, "auto"), monitor)
    assert check.ok, check.summary
    assert check.figures["family"] == "doubao" and check.figures["family_chosen"] == "auto"
    with ScriptedServer([clicks_ok_in("thousandths")], model="ByteDance-Seed/UI-TARS-1.5-7B") as srv:
        check = model_check(_config(srv, "auto"), monitor)  # a 1.5 model answering in thousandths: still named
    assert not check.ok and "but uitars-1.5 says pixels" in check.summary
    with ScriptedServer(model="mystery-model") as srv:
        check = model_check(_config(srv, "auto"), monitor)
        assert srv.chat_requests() == []  # nothing is asked of a model whose conventions are unknown
    assert not check.ok and "no model family is known for the model name 'mystery-model'" in check.summary
    assert "Settings → Model family" in check.advice


def test_model_check_without_the_providers_sdk_is_a_verdict_with_the_install_command(monkeypatch):
    """An API family whose SDK is missing: the check fails with the one line that says how to install it."""
    import sys

    import google

    monkeypatch.setitem(sys.modules, "google.genai", None)  # as if it were not installed
    monkeypatch.delattr(google, "genai", raising=False)
    monkeypatch.setenv("AGENT_APP_API_KEY", "test-key-1234567890")
    config = RunConfig("Click the OK button.", base_url="http://127.0.0.1:9", model_family="gemini", retries=0)
    check = model_check(config, Monitor(0, 0, 1440, 900))
    assert not check.ok and "pip install 'agent-app[gemini]'" in check.summary
    assert check.advice.endswith("run the check again.")
