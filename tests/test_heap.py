"""The allocator cap agent-app sets at start (see agent_app/core/heap.py for the measurement behind it)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from agent_app.core.heap import limit_arenas


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_glibc_takes_the_arena_cap_and_the_program_still_runs():
    assert limit_arenas() is True
    assert limit_arenas() is True  # again: harmless
    out = subprocess.run([sys.executable, "-m", "agent_app", "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.startswith("agent-app ")



def test_trim_is_harmless():
    from agent_app.core import heap

    heap.trim()
    heap.trim()
    assert heap.TRIM_EVERY >= 1
