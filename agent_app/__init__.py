"""agent-app: let a vision-language model operate a real computer, with a person in the loop."""

__version__ = "0.1.0"
