"""Writing a file whole: a reader sees the old content or the new one, never half, and a failed write leaves
no temporary file behind."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def replace_file(path: Path, data: bytes | str) -> None:
    """Write `data` (text as UTF-8) to `path` through `path.tmp` and one rename. Raises OSError, cleaned up."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_bytes(data.encode("utf-8", "backslashreplace") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
