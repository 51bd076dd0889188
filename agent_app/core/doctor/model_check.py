"""One real model call: a screenshot we draw (a dialog with an OK button), sized as the family sizes screenshots,
laid out, parsed and mapped exactly as a run does. Where the model's click lands against the button says whether
the endpoint works and whether the model family's coordinate convention is the model's. A wrong convention gives a
large, telling error: the doctor tries the other conventions on the same answer and names the one that hits."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from agent_app.core.actions import Action
from agent_app.core.doctor.report import Check, failed, passed
from agent_app.core.families.base import Context, Family, coordinate_space
from agent_app.core.geometry import CoordinateSpace, Monitor

TASK = "Click the OK button."
BUTTON_FILL = (31, 136, 61)  # a green found nowhere else in the picture
HIT_MARGIN_PX = 4  # a click this close outside the button still counts (its border is part of it)
CONVENTION_WORDS = {
    "image": "pixels of the screenshot",
    "screen": "pixels of the full-size screen",
    "thousandths": "0–1000",
    "unit": "0–1",
}


@dataclass(frozen=True)
class Rect:
    left: int
    top: int
    width: int
    height: int

    @property
    def centre(self) -> tuple[float, float]:
        return self.left + (self.width - 1) / 2, self.top + (self.height - 1) / 2

    def contains(self, x: float, y: float, margin: float = 0) -> bool:
        return (self.left - margin <= x <= self.left + self.width - 1 + margin
                and self.top - margin <= y <= self.top + self.height - 1 + margin)


def button_rect(width: int, height: int) -> Rect:
    """The OK button on a `width`×`height` screen: off-centre, so every convention puts a wrong answer far off."""
    bw, bh = max(24, width * 7 // 100), max(14, height * 4 // 100)
    return Rect(width * 71 // 100 - bw // 2, height * 47 // 100 - bh // 2, bw, bh)


def draw_screen(width: int, height: int):  # returns a PIL image
    """A plain desktop with one dialog: 'Save changes?' with Cancel and OK."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), (54, 92, 140))
    draw = ImageDraw.Draw(image)
    ok = button_rect(width, height)
    dialog = Rect(ok.left - ok.width * 3, ok.top - ok.height * 4, ok.width * 5, ok.height * 6)
    draw.rectangle(_box(dialog), fill=(246, 246, 246), outline=(120, 120, 120))
    draw.rectangle(_box(Rect(dialog.left, dialog.top, dialog.width, ok.height)), fill=(220, 222, 226))
    cancel = Rect(ok.left - ok.width * 3 // 2, ok.top, ok.width, ok.height)
    draw.rectangle(_box(cancel), fill=(230, 230, 230), outline=(140, 140, 140))
    draw.rectangle(_box(ok), fill=BUTTON_FILL, outline=(20, 90, 40))
    font = _font(max(10, ok.height // 2))
    title = _font(max(10, ok.height * 2 // 5))
    draw.text((dialog.left + 8, dialog.top + 3), "Document", fill=(40, 40, 40), font=title)
    draw.text((dialog.left + ok.width // 2, dialog.top + ok.height * 2), "Save changes before closing?",
              fill=(20, 20, 20), font=font)
    draw.text(cancel.centre, "Cancel", fill=(20, 20, 20), font=font, anchor="mm")
    draw.text(ok.centre, "OK", fill=(255, 255, 255), font=font, anchor="mm")
    return image


def _box(r: Rect) -> tuple[int, int, int, int]:
    return r.left, r.top, r.left + r.width - 1, r.top + r.height - 1


def _font(size: int):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: one small bitmap font
        return ImageFont.load_default()


def screenshot_url(image, model_size: tuple[int, int], monitor: Monitor, base_url: str = "",
                   png: bool = False) -> str:
    """The picture sized and encoded as a run's capture is (`png`: as a run's after the endpoint refused WebP)."""
    from agent_app.core import images
    from agent_app.core.desktop.capture import screenshot
    from agent_app.core.settings import endpoints

    size = images.send_size(image.size, (monitor.width, monitor.height), model_size)
    refuses = png or endpoints.refuses_webp(base_url)
    encoding = images.encoding_for(base_url, refuses) if base_url else images.PNG
    return screenshot(image, size, encoding, monitor).data_url


def spans(family: Family, model_size: tuple[int, int], monitor: Monitor) -> dict[str, tuple[float, float]]:
    """How many units cover the screen under each convention a model might use."""
    return {
        "image": (float(model_size[0]), float(model_size[1])),
        "screen": (float(monitor.width), float(monitor.height)),
        "thousandths": (1000.0, 1000.0),
        "unit": (1.0, 1.0),
    }


def families_using(convention: str, families: dict[str, Family]) -> list[str]:
    key = "image" if convention == "screen" else convention
    return [name for name, f in families.items() if getattr(f, "coordinates", None) == key]


def model_verdict(family_name: str, family: Family, families: dict[str, Family], action: Action | None,
                  monitor: Monitor, model_size: tuple[int, int], reply: str) -> Check:
    """Where the model's click lands (mapped as a run maps it) against the button, and which convention hits."""
    target = button_rect(monitor.width, monitor.height)
    tx, ty = target.centre
    figures: dict = {"family": family_name, "model_image": list(model_size),
                     "button": [target.left, target.top, target.width, target.height]}
    if action is None or not action.has_point:
        said = action.describe() if action else "no action"
        figures["reply"] = reply[:300]
        return failed("model", f"the model did not click the button (it answered: {said})", (
            f"Check that the model is a GUI agent model and that the model family ({family_name}) matches it "
            "(Settings → Model family, or --model-family)."), **figures)
    space = coordinate_space(family, monitor, model_size)  # exactly as a run maps it
    sx, sy = space.to_screen(action.x, action.y)
    local = (sx - monitor.left, sy - monitor.top)
    error = math.dist(local, (tx, ty))
    figures.update(answer=[action.x, action.y], click=[sx, sy], error_px=round(error, 1))
    if target.contains(*local, HIT_MARGIN_PX):
        return passed("model", f"the model clicked the button, {error:.0f} px from its centre: it answers in "
                               f"{CONVENTION_WORDS[family.coordinates]}, as {family_name} says", **figures)
    hits = []
    for name, span in spans(family, model_size, monitor).items():
        x, y = CoordinateSpace(monitor, *span).to_screen(action.x, action.y)
        if target.contains(x - monitor.left, y - monitor.top, HIT_MARGIN_PX):
            hits.append(name)
    figures["conventions_that_hit"] = hits
    own = CONVENTION_WORDS[family.coordinates]
    if hits:
        convention = hits[0]
        names = [n for n in families_using(convention, families) if n != family_name]
        choose = " or ".join(f"--model-family {n}" for n in names[:3]) or "a family of that convention"
        return failed("model", (
            f"the model answered in {CONVENTION_WORDS[convention]} but {family_name} says {own}: its click "
            f"landed {error:.0f} px from the button"), (
            f"Choose a model family that answers in {CONVENTION_WORDS[convention]}: Settings → Model family, or "
            f"{choose}."), **figures)
    return failed("model", f"the model's click landed {error:.0f} px from the button (no convention puts it there)", (
        "Check that --model names a GUI agent model that sees images, and that the model family matches it."),
        **figures)


def model_check(run_config, monitor: Monitor, check: Callable[[], None] = lambda: None) -> Check:
    """Ask the configured model to click the button on our picture; never raises (failures become verdicts)."""
    from agent_app.core.client import ImageFormatError, ModelClient
    from agent_app.core.errors import AgentAppError, ConfigError, FormatError, UnplacedModelError
    from agent_app.core.families.registry import FAMILIES
    from agent_app.core.history import History
    from agent_app.core.runner import choose_family, resolve_model
    from agent_app.core.settings import endpoints

    if problem := settings_problem(run_config):
        return failed("model", "the endpoint settings are not usable", problem[0].upper() + problem[1:] + ".")
    try:
        named = FAMILIES.get(run_config.model_family)
        if not run_config.model and named is not None and named.default_model:
            run_config.model = named.default_model  # an API family names its own default model
        if not run_config.model:  # as a run does: the endpoint's first model
            lister = ModelClient.for_run(run_config)
            try:
                run_config.model = resolve_model(lister, check)
            finally:
                lister.close()
        family = choose_family(run_config)  # `auto`: the family the model's name belongs to
    except UnplacedModelError as e:
        return failed("model", e.saying("in Settings → Model family or with --model-family"),
                      "Choose the model family that matches the model: Settings → Model family, or --model-family.")
    except ConfigError as e:
        return failed("model", f"the model cannot be asked: {e}",
                      "Fix the endpoint (Settings → Test connection says what is wrong), then run the check again.")
    model_size = family.model_image_size(monitor.width, monitor.height, run_config.max_pixels)
    picture = draw_screen(monitor.width, monitor.height)
    url = screenshot_url(picture, model_size, monitor, run_config.base_url)
    if family.provider is not None:  # the provider's own key, as a run takes it
        from agent_app.core.settings.keychain import resolve_api_key

        run_config.api_key = resolve_api_key(family.provider)
    try:
        client = family.client(run_config)
    except ConfigError as e:  # e.g. the provider's SDK is not installed: its one line says how to install it
        return failed("model", f"the model cannot be asked: {e}", "Do what the message says, then run the check again.")
    reply_text = ""
    webp_refused = False
    try:
        history = History.for_family(family, 1)
        context = Context(TASK, run_config.language, model_size)
        try:
            reply = client.complete(history.messages(family, context, url), check)
        except ImageFormatError:
            if url.startswith("data:image/png"):
                raise
            webp_refused = True  # as a run does: PNG for this endpoint from now on, and ask again
            endpoints.remember_refuses_webp(run_config.base_url)
            url = screenshot_url(picture, model_size, monitor, run_config.base_url, png=True)
            reply = client.complete(history.messages(family, context, url), check)
        reply_text = reply.text
        parsed = family.parse(reply.text)
    except FormatError as e:
        return failed("model", f"the model's reply is not {run_config.model_family} output ({e})", (
            "Choose the model family that matches the model: Settings → Model family, or --model-family."),
            family=run_config.model_family, reply=reply_text[:300])
    except AgentAppError as e:
        return failed("model", f"no answer from {run_config.base_url}: {e}",
                      "Fix the endpoint (Settings → Test connection says what is wrong), then run the check again.",
                      family=run_config.model_family)
    finally:
        client.close()
    action = next((a for a in parsed.actions if a.has_point), parsed.actions[0] if parsed.actions else None)
    check_result = model_verdict(run_config.model_family, family, FAMILIES, action, monitor, model_size, reply_text)
    check_result.figures["model"] = run_config.model
    check_result.figures["request_ms"] = round(reply.request_ms)
    check_result.figures["image_format"] = url[len("data:image/"):url.index(";")]
    if webp_refused:
        check_result.figures["webp_refused"] = True
        check_result.summary += " (the endpoint refused WebP: it gets PNG from now on)"
    if run_config.model_family_chosen:
        check_result.figures["family_chosen"] = run_config.model_family_chosen
    return check_result


def settings_problem(run_config) -> str | None:
    """What makes the endpoint settings unusable, as a run would refuse them (the runs folder aside)."""
    from agent_app.core.families.registry import CHOICES, FAMILIES
    from agent_app.core.settings.config import base_url_problem

    api = getattr(FAMILIES.get(run_config.model_family), "provider", None) is not None  # its SDK knows the endpoint
    if (run_config.base_url or not api) and (problem := base_url_problem(run_config.base_url)):
        return problem
    if run_config.model_family not in CHOICES:
        return f"unknown model family {run_config.model_family!r} (choose from {', '.join(CHOICES)})"
    return run_config.problem()

