"""Telling processes apart by their id, their start and their command line, from Linux's /proc.

A process id is reused once its process ends, so a file that names a pid (an abandoned staging folder,
the model server's state) proves nothing alone: before a process is signalled, its start time and
command line must match what was written down when it started.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ProcessIdentity:
    """What names one process for good: its id, when it started (clock ticks after boot), its command."""

    pid: int
    started: int
    command: str

    @classmethod
    def of(cls, pid: int) -> ProcessIdentity | None:
        """The identity of the running process `pid`, or None when there is none."""
        started = start_ticks(pid)
        return cls(pid, started, command_line(pid)) if started is not None and running(pid) else None

    def is_running(self) -> bool:
        """Whether this very process still runs: same id, same start, same command line."""
        return ProcessIdentity.of(self.pid) == self


def running(pid: int) -> bool:
    """Running, not merely a zombie waiting for its parent to read its exit status."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status


def start_ticks(pid: int) -> int | None:
    """When `pid` started, in clock ticks after boot (field 22 of /proc/<pid>/stat), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: count fields after its end.
    return int(stat[stat.rindex(")") + 2 :].split()[19])


def command_line(pid: int) -> str:
    """The process's command line, its arguments joined by spaces ("" when it cannot be read)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""
