"""The small family of errors the core raises. Each carries a one-line message meant for a person."""


class AgentAppError(Exception):
    """Base class: anything the app reports to the user as a one-line message."""


class ConfigError(AgentAppError):
    """The run cannot start: missing endpoint, bad option, no key store. Exit code 2."""


class UnplacedModelError(ConfigError):
    """`--model-family auto` cannot tell the family from the model name: the person must choose one."""

    def __init__(self, model: str, families: tuple[str, ...]) -> None:
        self.model, self.families = model, families
        super().__init__(self.saying("with --model-family"))

    def saying(self, where: str) -> str:
        """The message, naming where the family is chosen (a flag on the command line, a field in the app)."""
        return (f"no model family is known for the model name {self.model!r}: choose one {where} "
                f"({', '.join(self.families)})")


class FormatError(AgentAppError):
    """A model reply the parser cannot turn into actions."""


class EndpointError(AgentAppError):
    """The model endpoint failed (after retries): connection, HTTP status, timeout."""


class RecordingError(AgentAppError):
    """The run folder cannot be written (disk full, an I/O error, no permission): the run cannot go on."""


class ExecutionError(AgentAppError):
    """An action could not be carried out on this desktop."""


class Interrupt(Exception):
    """The person interrupted the run. Not an error: a step it cuts short is marked interrupted, not failed."""


class TakenOver(Interrupt):
    """The person took the controls: whatever the agent was about to do is dropped until they hand back."""


class ScreenChanged(Interrupt):
    """The screen changed while the model was thinking (a late reaction to the last action): ask again."""


class Stopped(Interrupt):
    """The run was stopped by the user (stop button, SIGINT, emergency stop, fail-safe corner)."""
