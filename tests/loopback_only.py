"""Run a command with this network namespace's loopback interface up: `unshare --net` makes a namespace whose
only interface, `lo`, starts down, and no `ip` command is needed to raise it (iproute2 may be absent).

    unshare --net python -m tests.loopback_only COMMAND [ARGUMENT ...]
"""

from __future__ import annotations

import fcntl
import os
import socket
import struct
import sys

_GET_FLAGS, _SET_FLAGS = 0x8913, 0x8914  # SIOCGIFFLAGS, SIOCSIFFLAGS (linux/sockios.h)
_UP = 0x1  # IFF_UP
_REQUEST = "16sH14x"  # struct ifreq: the interface's name, then its flags


def raise_loopback() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        flags = struct.unpack(_REQUEST, fcntl.ioctl(probe, _GET_FLAGS, struct.pack(_REQUEST, b"lo", 0)))[1]
        fcntl.ioctl(probe, _SET_FLAGS, struct.pack(_REQUEST, b"lo", flags | _UP))


if __name__ == "__main__":
    raise_loopback()
    os.execvp(sys.argv[1], sys.argv[1:])
