"""Entry point of the PyInstaller bundle: the same `agent-app` command as the pip-installed one."""

import os
import sys


def restore_library_path() -> None:
    """PyInstaller's bootloader points LD_LIBRARY_PATH at the bundle's _internal/ folder. The loader has read it
    by now, so this process keeps its bundled libraries; programs it starts (xclip, xdg-open, a browser) get the
    person's own value back instead of our copies of libX11, libssl ...."""
    if not (getattr(sys, "frozen", False) and sys.platform.startswith("linux")):
        return
    original = os.environ.pop("LD_LIBRARY_PATH_ORIG", None)
    if original is None:
        os.environ.pop("LD_LIBRARY_PATH", None)
    else:
        os.environ["LD_LIBRARY_PATH"] = original


if __name__ == "__main__":
    restore_library_path()
    from agent_app.cli import main

    raise SystemExit(main())
