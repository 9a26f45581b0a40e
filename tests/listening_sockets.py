"""The TCP sockets a set of processes listens on, as `ss -ltnp` shows them, and the table of them in
SECURITY.md, so a test can hold the one against the other."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

_SCRIPTS = {"dashboard/dashboard.py": "dashboard", "-m ray.util.client.server": "ray client server"}
_TABLE_ROW = re.compile(r"^\| `([^`]+)`[^|]*\| (loopback|all interfaces|the machine's address) \|", re.MULTILINE)


@dataclass(frozen=True)
class Listening:
    process: str  # Ray's title for it ("ray::ServeReplica", "gcs_server"), or its role for a plain Python one
    scope: str  # "loopback", "all interfaces" or "the machine's address"
    port: int


def listening_sockets(pids: set[int]) -> list[Listening]:
    """Every TCP socket listening in one of `pids`."""
    listing = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
    found = []
    for line in listing.splitlines():
        columns = line.split()
        owners = {int(pid) for pid in re.findall(r"pid=(\d+)", line)} & pids
        if owners:
            address, _, port = columns[3].rpartition(":")
            found.append(Listening(_process(min(owners)), _scope(address), int(port)))
    return found


def documented_sockets(security_md: Path) -> set[tuple[str, str]]:
    """(process, scope) of each row of SECURITY.md's table of Ray's sockets."""
    return set(_TABLE_ROW.findall(security_md.read_text(encoding="utf-8")))


def _process(pid: int) -> str:
    command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    for script, role in _SCRIPTS.items():
        if script in command:
            return role
    first = command.split()[0] if command.split() else ""
    if first.startswith("ray::"):  # "ray::Class" while idle, "ray::Class.method" while a call of it runs
        return ":".join(first.split(":")[:3]).split(".")[0]
    return Path(first).name


def _scope(address: str) -> str:
    if address in ("*", "0.0.0.0", "[::]"):
        return "all interfaces"
    if address.startswith(("127.", "[::ffff:127.", "[::1]")):
        return "loopback"
    return "the machine's address"
