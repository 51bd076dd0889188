"""The provider SDKs import whole in a process where Qt is up (the app, doctor's calibration window, the tests).

PySide6's import hook asks every module imported after Qt for `__wrapped__`; pydantic's modules answer through a
__getattr__ that imports pydantic._internal._validators, which is half-made while it imports pydantic.errors. The
hook does not ask every time, so the failure came and went (doctor's model check: "cannot import name
'import_string' from partially initialized module"). Here a hook that always asks, as PySide6's may, makes it
certain: the SDKs must import all the same once agent_app.ui is imported, as every Qt entry point does first.
"""

from __future__ import annotations

import subprocess
import sys

ALWAYS_ASKS = '''
import builtins
_import = builtins.__import__

def asking(name, globals=None, locals=None, fromlist=(), level=0):
    module = _import(name, globals, locals, fromlist, level)
    hasattr(module, "__wrapped__")  # what PySide6's hook asks of a new module (inspect.getsource -> unwrap)
    return module

builtins.__import__ = asking
'''


def imports_after_qt(first: str) -> subprocess.CompletedProcess:
    script = first + ALWAYS_ASKS + (
        "import PySide6.QtWidgets\n"
        "import openai, anthropic\n"
        "from google import genai\n"
        "from openai.types.chat import ChatCompletion\n"
        "print('imported')\n"
    )
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)


def test_the_sdks_import_under_a_hook_that_asks_every_module():
    proc = imports_after_qt("import agent_app.ui\n")
    assert proc.returncode == 0 and proc.stdout.strip() == "imported", proc.stderr[-2000:]


def test_the_cli_and_the_core_do_not_load_pydantic_early():
    """The early import is the UI's: a headless `parse` or `runs list` does not pay for pydantic."""
    proc = subprocess.run([sys.executable, "-c", "import sys, agent_app.cli, agent_app.core.loop; "
                           "print(any(m.startswith('pydantic') for m in sys.modules))"],
                          capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "False", proc.stderr
