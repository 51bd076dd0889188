"""'Test connection': one real call that says plainly what is wrong with an endpoint setting."""

from __future__ import annotations

import base64
import io
import time
from dataclasses import dataclass, field

from agent_app.core.client import ModelClient, Sampling, describe_endpoint_error
from agent_app.core.families.registry import AUTO, FAMILIES, detect, get_family
from agent_app.core.settings.config import base_url_problem


@dataclass
class ConnectionReport:
    ok: bool
    message: str
    models: list[str] = field(default_factory=list)
    model: str = ""
    family: str = ""  # the family `auto` would choose for `model` ("" when the name says none)

    def family_note(self, chosen: str) -> str:
        """What the model's name says about the family choice `chosen` ("" when there is nothing to say)."""
        if not self.ok:
            return ""
        if chosen == AUTO:
            if not self.family:
                return f"Automatic cannot tell the model family from the name {self.model!r}: choose one."
            return f"Automatic model family: {FAMILIES[self.family].label}."
        if self.family and self.family != chosen and chosen in FAMILIES:
            return f"Its name says {FAMILIES[self.family].label}, not {FAMILIES[chosen].label}."
        return ""


def _tiny_png() -> str:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (56, 56), (240, 240, 240)).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def check_connection(base_url: str, model: str, api_key: str | None, timeout: float = 20.0,
                     family: str = "") -> ConnectionReport:
    """List the endpoint's models, then send one tiny image: the app's real request, shrunk. For a computer-use
    API family (`family` names a provider), the family's own request through its own client instead."""
    import openai

    api_family = FAMILIES.get(family)
    if api_family is not None and api_family.provider is not None:
        return _check_api(api_family, base_url, model, api_key, timeout)

    base_url = base_url.strip()
    if problem := base_url_problem(base_url):
        return ConnectionReport(False, problem[0].upper() + problem[1:])
    client = ModelClient(base_url, model or "", api_key, timeout=timeout, retries=0, stream=False,
                         sampling=Sampling(max_tokens=8, frequency_penalty=None, top_p=None))
    try:
        models: list[str] = []
        try:
            models = client.list_models()
        except openai.NotFoundError:
            pass  # some hosted endpoints have no /models; the chat call below decides
        except Exception as e:  # noqa: BLE001 - reported in plain words
            hint = ""
            if isinstance(e, openai.APIConnectionError) and not base_url.rstrip("/").endswith("/v1"):
                hint = " (most servers want the base URL to end in /v1)"
            return ConnectionReport(False, describe_endpoint_error(e, base_url, model, bool(api_key)) + hint)
        if not model:
            if not models:
                return ConnectionReport(False, "Enter a model name: the endpoint does not list its models.")
            model = client.model = models[0]
        elif models and model not in models:
            return ConnectionReport(
                False, f"Model {model!r} is not served here. The endpoint offers: {', '.join(models[:8])}.", models
            )
        messages = [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": _tiny_png()}},
            {"type": "text", "text": "Reply with OK."},
        ]}]
        started = time.perf_counter()
        try:
            client.complete(messages, lambda: None, cut_ok=True)  # any answer proves the connection
        except Exception as e:  # noqa: BLE001
            text = str(e).lower()
            if "image" in text and any(w in text for w in ("not support", "multimodal", "does not", "at most 0")):
                return ConnectionReport(False, f"Model {model!r} does not accept images; choose a vision model.",
                                        models, model)
            return ConnectionReport(False, str(e)[:300], models, model)
        took = time.perf_counter() - started
        family = detect(model)
        return ConnectionReport(True, f"Connected: {model} answered in {took:.1f} s.", models, model,
                                family.name if family else "")
    finally:
        client.close()


def _check_api(family, base_url: str, model: str, api_key: str | None, timeout: float) -> ConnectionReport:
    """One tiny request of the family's own kind (its tool, a small screenshot) through its own client: any answer
    proves the key, the model and the endpoint."""
    from agent_app.core.errors import AgentAppError
    from agent_app.core.families.base import Context
    from agent_app.core.history import History
    from agent_app.core.settings.config import RunConfig

    model = model or family.default_model
    family = get_family(family.name, model)  # as a run serves that model (OpenAI's preview model: its own tool)
    config = RunConfig(task="Reply with OK.", base_url=base_url.strip(), model=model, api_key=api_key,
                       model_family=family.name, timeout=timeout, retries=0)
    started = time.perf_counter()
    try:
        client = family.client(config)
    except AgentAppError as e:  # e.g. the provider's SDK is not installed: the one line says how
        return ConnectionReport(False, str(e), [], model)
    try:
        size = family.model_image_size(56, 56, None)
        messages = History.for_family(family, 1).messages(family, Context(config.task, "en", size), _tiny_png())
        client.complete(messages, lambda: None, cut_ok=True)
    except AgentAppError as e:
        return ConnectionReport(False, str(e)[:300], [], model)
    finally:
        client.close()
    took = time.perf_counter() - started
    return ConnectionReport(True, f"Connected: {model} answered in {took:.1f} s.", [], model, family.name)
