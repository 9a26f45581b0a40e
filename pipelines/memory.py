"""How much memory this process holds, and keeping it from creeping up under many sessions.

glibc gives each thread that contends for the heap its own arena (up to 8 per core), and memory freed in
one arena is not reused by another. A Streamlit server runs every session's script in its own thread, so
under load the resident size crept up by ~30% in 45 seconds (`python -m benchmarks.load`); two arenas
held it to ~4%. And a model dropped from the loader is freed by Python, but glibc keeps the pages for
reuse, so the resident size would not move; `malloc_trim` returns them, which is what an operator
unloading a model from the home page expects to see. Each model's owner also returns them whenever its
queue runs empty, so a batch's working memory does not stay resident after the batch (README, "Load and
memory": the mixed load run ended 494 MB lower).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import os
from pathlib import Path


def resident_mb(pid: int | None = None) -> float:
    """The resident set size (RSS) in MB of this process (or of `pid`), as `top` shows it; 0 without /proc."""
    status = Path(f"/proc/{pid or 'self'}/status")
    if not status.is_file():
        return 0.0
    for line in status.read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def family_resident_mb(pid: int | None = None) -> float:
    """The RSS of this process (or `pid`) and of every process it started, with theirs: what the server
    costs the machine, whatever helper processes a library starts."""
    pid = pid or os.getpid()
    children = Path(f"/proc/{pid}/task/{pid}/children")
    started = [int(child) for child in children.read_text().split()] if children.is_file() else []
    return resident_mb(pid) + sum(family_resident_mb(child) for child in started)


_M_ARENA_MAX = -8  # mallopt's parameter number for the arena limit, from glibc's malloc.h
_ARENAS = 2


@functools.cache  # find_library runs ldconfig: once per process is enough
def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


def limit_heap_arenas() -> None:
    """Cap glibc's arenas (as MALLOC_ARENA_MAX would) unless the operator set MALLOC_ARENA_MAX."""
    libc = _glibc()
    if libc is not None and "MALLOC_ARENA_MAX" not in os.environ:
        libc.mallopt(_M_ARENA_MAX, _ARENAS)


def release_freed_memory() -> None:
    """Collect unreachable objects, then give glibc's free heap pages back."""
    gc.collect()
    return_free_heap()


def return_free_heap() -> None:
    """Give glibc's free heap pages back to the system (a no-op on other C libraries). ctypes releases
    the GIL for the call, so other threads run while it walks the heap."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
