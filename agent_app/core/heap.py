"""The process's memory allocator, set once at start.

Each screenshot passes through buffers of tens of megabytes (a 4K grab is 33 MB of BGRA) on several threads
(capture, encode, the run folder's writer). glibc gives each thread an arena of its own and keeps what is freed
there for reuse, so a 4K run grew from 411 to 609 MiB over 300 steps with nothing leaked. Two arenas hold it at
309 → 357 MiB at no cost in step time (benchmarks/step_overhead.py, MALLOC_ARENA_MAX=2).
"""

from __future__ import annotations

import sys

M_ARENA_MAX = -8  # glibc's mallopt parameter
ARENAS = 2


def limit_arenas() -> bool:
    """Cap glibc's malloc arenas (Linux; before the threads start). True when the allocator took it."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        return bool(libc.mallopt(M_ARENA_MAX, ARENAS))
    except (OSError, AttributeError):  # not glibc (musl has no mallopt): nothing to cap
        return False
