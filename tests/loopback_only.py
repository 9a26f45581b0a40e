"""Run a command with this network namespace's loopback interface up: `unshare --net` makes a namespace whose
only interface, `lo`, starts down, and no `ip` command is needed to raise it (iproute2 may be absent).

    unshare --net python -m tests.loopback_only COMMAND [ARGUMENT ...]

The tests that run other tests there (tests/test_offline.py, tests/test_two_nodes.py) use `in_namespace` and
`every_test_passed` from here.
"""

from __future__ import annotations

import fcntl
import os
import re
import socket
import struct
import subprocess
import sys

import pytest

_GET_FLAGS, _SET_FLAGS = 0x8913, 0x8914  # SIOCGIFFLAGS, SIOCSIFFLAGS (linux/sockios.h)
_UP = 0x1  # IFF_UP
_REQUEST = "16sH14x"  # struct ifreq: the interface's name, then its flags


def require_a_network_namespace() -> None:
    made = subprocess.run(["unshare", "--net", "true"], capture_output=True, text=True)
    if made.returncode == 0:
        return
    pytest.skip(f"a network namespace cannot be made here ({made.stderr.strip() or 'unshare failed'}); it needs root")


def in_namespace(*tests: str) -> list[str]:
    """The command that runs these pytest arguments in a namespace of their own, one test at a time."""
    pytest_command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", *tests]
    return ["unshare", "--net", sys.executable, "-m", "tests.loopback_only", *pytest_command]


def every_test_passed(returncode: int, output: str) -> None:
    """Fail unless pytest exited 0 and its summary counts passes and nothing skipped, failed or in error."""
    assert returncode == 0, output[-4000:]
    summary = output.strip().splitlines()[-1]
    assert re.search(r"\b\d+ passed", summary) and not re.search(r"skipped|failed|error", summary), summary


def raise_loopback() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        flags = struct.unpack(_REQUEST, fcntl.ioctl(probe, _GET_FLAGS, struct.pack(_REQUEST, b"lo", 0)))[1]
        fcntl.ioctl(probe, _SET_FLAGS, struct.pack(_REQUEST, b"lo", flags | _UP))


if __name__ == "__main__":
    raise_loopback()
    os.execvp(sys.argv[1], sys.argv[1:])
