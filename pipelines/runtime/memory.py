"""How much memory this process holds, and keeping it from creeping up under many sessions.

glibc gives each thread that contends for the heap its own arena (up to 8 per core), and memory freed in
one arena is not reused by another. A Streamlit server runs every session's script in its own thread, so
under load the resident size crept up by ~30% in 45 seconds (`python -m benchmarks.load`); two arenas
held it to ~4%. And a model dropped from the loader is freed by Python, but glibc keeps the pages for
reuse, so the resident size would not move; `malloc_trim` returns them, which is what an operator
unloading a model from the home page expects to see. Each model's owner also returns them whenever its
queue runs empty, so a batch's working memory does not stay resident after the batch (docs/serving.md, "Load and
memory": the mixed load run ended 494 MB lower).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import os

import psutil


def resident_mb(pid: int | None = None) -> float:
    """The resident set size (RSS) in MB of this process (or of `pid`), as `top` shows it; 0 if it is gone."""
    try:
        return psutil.Process(pid or os.getpid()).memory_info().rss / 2**20
    except psutil.Error:
        return 0.0


def proportional_mb(pid: int) -> float:
    """The proportional set size (PSS) in MB of `pid`: its private pages, and each page it shares with other
    processes divided among them, so a set of processes' PSS adds up to what they hold together (their RSS
    counts a shared library once per process); 0 if it is gone."""
    try:
        return psutil.Process(pid).memory_full_info().pss / 2**20
    except psutil.Error:
        return 0.0


def family_resident_mb(pid: int | None = None) -> float:
    """The RSS of this process (or `pid`) and of every process it started, with theirs: what the server
    costs the machine, whatever helper processes a library starts."""
    try:
        root = psutil.Process(pid or os.getpid())
        family = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    return sum(resident_mb(member.pid) for member in family)


_M_ARENA_MAX = -8  # mallopt's parameter numbers, from glibc's malloc.h
_M_MMAP_THRESHOLD = -3
_ARENAS = 2
# Blocks this large or larger are mapped on their own and unmapped when freed. glibc's own threshold rises
# with every large block freed, up to 32 MB, after which the models' big activations stay in the heap as
# freed pages: in a mixed load run the server peaked at 1,970 MB with 8 MB against 2,119 MB without.
MMAP_BYTES = 8 * 1024 * 1024
# The same limits as environment variables, which glibc reads when a process starts, before any thread
# exists: the Makefile's run targets and the Serve deployer set them (`make -n run` shows them).
ALLOCATOR_ENVIRONMENT = {"MALLOC_ARENA_MAX": str(_ARENAS), "MALLOC_MMAP_THRESHOLD_": str(MMAP_BYTES)}


@functools.cache  # find_library runs ldconfig: once per process is enough
def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


def tune_heap() -> None:
    """Cap glibc's arenas and fix its mmap threshold (as MALLOC_ARENA_MAX and MALLOC_MMAP_THRESHOLD_
    would), each unless that variable is set. A fallback for a process started without them (a bare
    `streamlit run`, a test): arenas made by threads that ran before this call stay."""
    libc = _glibc()
    if libc is not None and "MALLOC_ARENA_MAX" not in os.environ:
        libc.mallopt(_M_ARENA_MAX, _ARENAS)
    if libc is not None and "MALLOC_MMAP_THRESHOLD_" not in os.environ:
        libc.mallopt(_M_MMAP_THRESHOLD, MMAP_BYTES)


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
