"""Run one task on this desktop with the real parts: mss capture, pyautogui input, the OpenAI client.

Call it on the thread that should own the screen connection (the CLI's main thread, the app's worker).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from agent_app.core.client import ModelClient, NotAChatCompletionError, describe_endpoint_error
from agent_app.core.control import RunControl
from agent_app.core.desktop.capture import MSSCapture
from agent_app.core.desktop.executor import PyAutoGUIExecutor
from agent_app.core.desktop.input_listener import AgentActivity
from agent_app.core.desktop.person import PersonRecorder
from agent_app.core.errors import ConfigError, EndpointError, Interrupt, UnplacedModelError
from agent_app.core.events import Event, RunResult
from agent_app.core.families.base import Family
from agent_app.core.families.registry import AUTO, CHOICES, FAMILIES, detect, get_family
from agent_app.core.loop import Agent
from agent_app.core.protocols import WindowGuard
from agent_app.core.runs.recorder import check_runs_dir
from agent_app.core.settings.config import RunConfig, base_url_problem, default_runs_dir
from agent_app.core.settings.keychain import resolve_api_key


def validate(config: RunConfig) -> None:
    """Raise ConfigError for anything that would make the run fail before it starts: checked before the model is
    listed or asked anything, and before a run folder is made."""
    if not config.task.strip():
        raise ConfigError("the task is empty: say what the agent should do")
    api = getattr(FAMILIES.get(config.model_family), "provider", None) is not None  # its SDK knows the endpoint
    if not config.base_url and not api:
        raise ConfigError(
            "no model endpoint configured: pass --base-url URL or set AGENT_APP_BASE_URL "
            "(e.g. http://localhost:8000/v1 for a local vLLM server)"
        )
    if config.base_url and (problem := base_url_problem(config.base_url)):
        raise ConfigError(problem)
    if config.model_family not in CHOICES:
        raise ConfigError(f"unknown model family {config.model_family!r} (choose from {', '.join(CHOICES)})")
    if problem := config.problem():
        raise ConfigError(problem)
    check_runs_dir(Path(config.runs_dir) if config.runs_dir else default_runs_dir())


def resolve_model(client: ModelClient, check: Callable[[], None]) -> str:
    """With no model name given, use the endpoint's only (or first) model, as its /models lists them."""
    try:
        models = client.list_models(check)
    except Interrupt:
        raise
    except Exception as e:  # noqa: BLE001 - any listing failure becomes a config error, in plain words
        if getattr(e, "status_code", None) == 404 or isinstance(e, NotAChatCompletionError):
            raise ConfigError(
                f"no model name given and {client.base_url} does not list its models; pass --model NAME"
            ) from None
        # Unreachable, a web page, a key it wants: the same words as any request to it gets.
        raise ConfigError(describe_endpoint_error(e, client.base_url, "", client.have_key)) from None
    if not models:
        raise ConfigError("no model name given and the endpoint lists no models; pass --model")
    return models[0]


def choose_family(config: RunConfig) -> Family:
    """The family the run speaks: the configured one, or for `auto` the one the model name belongs to (then
    `model_family` becomes it and `model_family_chosen` says "auto", as the run header records)."""
    if config.model_family != AUTO:
        return get_family(config.model_family, config.model)
    family = detect(config.model)
    if family is None:
        raise UnplacedModelError(config.model, tuple(FAMILIES))
    config.model_family, config.model_family_chosen = family.name, AUTO
    return get_family(family.name, config.model)


def run_task(
    config: RunConfig,
    control: RunControl | None = None,
    observers: list[Callable[[Event], None]] | None = None,
    guard: WindowGuard | None = None,
    activity: AgentActivity | None = None,
    person: PersonRecorder | None = None,
) -> RunResult:
    """Validate, open the screen and input devices, run the loop. Raises ConfigError before the run starts."""
    validate(config)
    control = control or RunControl()
    named = FAMILIES.get(config.model_family)
    if not config.model and named is not None and named.default_model:
        config.model = named.default_model  # an API family names its own default model
    if not config.model:
        lister = ModelClient.for_run(config)
        try:
            config.model = resolve_model(lister, control.check)
        except EndpointError as e:
            raise ConfigError(str(e)) from None
        finally:
            lister.close()
    family = choose_family(config)
    if family.provider is not None:  # the provider's own key (AGENT_APP_API_KEY first)
        config.api_key = resolve_api_key(family.provider)
    client = family.client(config)  # the family known, so are its transport and sampling
    try:
        screen = MSSCapture(config.monitor)
        try:
            executor = PyAutoGUIExecutor(screen.monitor, activity=activity)
            agent = Agent(
                config, screen=screen, executor=executor, client=client, control=control, observers=observers,
                guard=guard, person=person,
            )
            return agent.run()
        finally:
            screen.close()
    finally:
        client.close()
