"""How much memory this process holds, and handing freed model memory back to the operating system.

A model dropped from the loader is freed by Python, but glibc keeps the pages in its heap for reuse, so
the process's resident size would not move; `malloc_trim` returns them, which is what an operator
unloading a model from the home page expects to see.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from pathlib import Path


def resident_mb() -> float:
    """This process's resident set size (RSS) in MB, as `top` shows it; 0 where /proc is missing."""
    status = Path("/proc/self/status")
    if not status.is_file():
        return 0.0
    for line in status.read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def release_freed_memory() -> None:
    """Collect unreachable objects, then give glibc's free heap pages back (a no-op on other C libraries)."""
    gc.collect()
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)
