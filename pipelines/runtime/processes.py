"""Telling processes apart by their id, their start and their command line, read with psutil.

A process id is reused once its process ends, so a file that names a pid (an abandoned staging folder,
the model server's state) proves nothing alone: before a process is signalled, its start time and
command line must match what was written down when it started. A process tree (Ray's, a test's server) is
read from one picture of every process (`process_table`), so a child is never looked for under a parent
read at another moment.
"""

from __future__ import annotations

from dataclasses import dataclass

import psutil


@dataclass(frozen=True)
class ProcessIdentity:
    """What names one process for good: its id, when it started (seconds since the epoch), its command."""

    pid: int
    started: float
    command: str

    @classmethod
    def of(cls, pid: int) -> ProcessIdentity | None:
        """The identity of the running process `pid`, or None when there is none."""
        try:
            process = psutil.Process(pid)
            started = process.create_time()
        except psutil.Error:
            return None
        return cls(pid, started, command_line(pid)) if running(pid) else None

    def is_running(self) -> bool:
        """Whether this very process still runs: same id, same start, same command line."""
        return ProcessIdentity.of(self.pid) == self


def running(pid: int) -> bool:
    """Running, not merely a zombie waiting for its parent to read its exit status."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def command_line(pid: int) -> str:
    """The process's command line, its arguments joined by spaces ("" when it cannot be read)."""
    try:
        return " ".join(psutil.Process(pid).cmdline()).strip()
    except psutil.Error:
        return ""


def process_table() -> dict[int, tuple[int, str]]:
    """{pid: (parent pid, command line)} of every process this user can see, read in one pass. A process that
    hides its command line (another user's, a zombie) is listed with "", so its children are still found."""
    table = {}
    for process in psutil.process_iter(["ppid", "cmdline"]):
        parent, arguments = process.info["ppid"], process.info["cmdline"]
        table[process.pid] = (parent or 0, " ".join(arguments or ()).strip())
    return table


def with_descendants(roots: set[int], table: dict[int, tuple[int, str]]) -> set[int]:
    """`roots` and every process below them in `table` (a `process_table()`)."""
    found = set(roots)
    while children := {pid for pid, (parent, _) in table.items() if parent in found and pid not in found}:
        found |= children
    return found
