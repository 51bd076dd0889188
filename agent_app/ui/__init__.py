"""The desktop app: a thin Qt layer over agent_app.core."""

# Before any Qt import. PySide6 hooks every import made after it and asks each new module for `__wrapped__`
# (inspect.unwrap). pydantic — under the openai, anthropic and google-genai SDKs — answers through a module
# __getattr__ that imports pydantic._internal._validators; when that happens while _validators itself is being
# imported (it imports pydantic.errors), the module is half-made and the SDK's import fails with an ImportError.
# It struck doctor's model check about once in 13 runs (the SDK imported on a thread while Qt was up). Whole
# before Qt, the module answers. (tests/test_qt_import_order.py)
try:
    import pydantic._internal._validators  # noqa: F401
except ImportError:  # a pydantic without that module has nothing to break here
    pass
