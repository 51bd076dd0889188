"""The process's memory allocator, set once at start.

Each screenshot passes through buffers of tens of megabytes (a 4K grab is 33 MB of BGRA) on several threads
(capture, encode, the run folder's writer). glibc gives each thread an arena of its own and keeps what is freed
there for reuse, so a 4K run grew from 411 to 609 MiB over 300 steps with nothing leaked. Two arenas, and the
freed pages handed back every tenth step (off the loop's path, on the run folder's writer), bound the growth
(benchmarks/step_overhead.py prints RSS after 10 and 300 steps).
"""

from __future__ import annotations

import sys

M_ARENA_MAX = -8  # glibc's mallopt parameter
ARENAS = 2
# Steps between trims: each trim makes the next grabs fault their pages in afresh (≈30 ms at 4K when done every
# step); every tenth step bounds the growth at a tenth of the cost.
TRIM_EVERY = 10


_libc: object | None = None


def _glibc():
    global _libc
    if _libc is None:
        import ctypes

        try:
            _libc = ctypes.CDLL(None)
        except OSError:
            _libc = False
    return _libc or None


def trim() -> None:
    """Hand the freed pages of every arena back to the system (glibc's malloc_trim); a no-op elsewhere."""
    libc = _glibc() if sys.platform.startswith("linux") else None
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


def limit_arenas() -> bool:
    """Cap glibc's malloc arenas (Linux; before the threads start). True when the allocator took it."""
    if not sys.platform.startswith("linux"):
        return False
    libc = _glibc()
    if libc is None or not hasattr(libc, "mallopt"):  # not glibc (musl has no mallopt): nothing to cap
        return False
    return bool(libc.mallopt(M_ARENA_MAX, ARENAS))
