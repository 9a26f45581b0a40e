"""Offline, proven: the browser tests run again in a network namespace that has only loopback, and every
request the browser made, and every connection any process there held, stayed on this machine.

The namespace (`unshare --net`, root only) has no route anywhere, so a request for a font, a script or an
analytics call would fail there and the tests that need it with it; the request log shows that none was
even tried. A machine where the namespace cannot be made (no root, or a container without the right to
make one) skips this test and says why.
"""

from __future__ import annotations

import ipaddress
import os
import subprocess
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from benchmarks.chromium import CHROMIUM
from tests.conftest import ROOT
from tests.loopback_only import every_test_passed, in_namespace, require_a_network_namespace
from tests.test_e2e import REQUEST_LOG, require_chromium

pytestmark = pytest.mark.e2e

# The tour, and one input per demo: a photo, a CSV, a recording, a chat question, an example image, a
# translation and a movie search; a branded dashboard, whose tab icon is its logo; and a visitor's handout and
# feedback, with the operator's Audience page.
VISIT = (
    "tour or uploading_a_photo or sentiment_csv_upload or speech_upload or chat_answer_streams "
    "or object_detection_example or translation_example or recommender_text_query or branding_file "
    "or handout or feedback"
)
_SAMPLE_SECONDS = 0.2


def remote_addresses(pid: int) -> set[str]:
    """Every remote address in the socket tables of `pid`'s network namespace (its /proc/PID/net)."""
    found = set()
    for table in ("tcp", "tcp6", "udp", "udp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            found.add(_address(line.split()[2].split(":")[0]))
    return found


def _address(hexadecimal: str) -> str:
    """/proc/net's address: 4 bytes (IPv4) or 16 (IPv6), each 32-bit word in the kernel's little-endian order."""
    raw = bytes.fromhex(hexadecimal)
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return str(ipaddress.ip_address(words))


def test_the_address_reader_reads_proc_net() -> None:
    assert _address("0100007F") == "127.0.0.1"
    assert _address("00000000000000000000000001000000") == "::1"
    assert _address("0000000000000000FFFF00000100007F") == str(ipaddress.ip_address("::ffff:127.0.0.1"))
    assert all(map(stays_here, ["127.0.0.1", "::1", "::ffff:127.0.0.1", "0.0.0.0", "::"]))
    assert not any(map(stays_here, ["142.250.185.3", "2a00:1450:4001::5f", "::ffff:8.8.8.8", "192.168.1.2"]))


def stays_here(address: str) -> bool:
    """Loopback, or no remote end at all (a listening socket's); an IPv4 address inside IPv6 read as IPv4."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_unspecified


def test_a_visit_asks_nothing_of_any_server_but_the_dashboard(provisioned: Path, tmp_path: Path) -> None:
    require_chromium(CHROMIUM)
    require_a_network_namespace()
    requests = tmp_path / "requests.txt"
    visit = subprocess.Popen(
        in_namespace("tests/test_e2e.py", "tests/test_e2e_room.py", "-k", VISIT),
        cwd=ROOT,
        env={**os.environ, REQUEST_LOG: str(requests)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen: set[str] = set()
    sampling = threading.Thread(target=_sample, args=(visit, seen), daemon=True)
    sampling.start()
    output, _ = visit.communicate(timeout=900)
    sampling.join()
    every_test_passed(visit.returncode, output)
    asked = requests.read_text().splitlines()
    assert len(asked) > 100  # the pages, their scripts, media and uploads were all recorded
    elsewhere = sorted({url for url in asked if not _same_machine(url)})
    assert not elsewhere, f"the browser asked outside the dashboard: {elsewhere[:10]}"
    assert seen and all(stays_here(address) for address in seen), sorted(seen)


def _sample(visit: subprocess.Popen, seen: set[str]) -> None:
    """Every remote address in the visit's namespace, read while the visit runs (from the moment `unshare` has
    made it: before that, its tables are this machine's)."""
    own = os.readlink("/proc/self/ns/net")
    while visit.poll() is None:
        try:
            if os.readlink(f"/proc/{visit.pid}/ns/net") != own:
                seen |= remote_addresses(visit.pid)
        except OSError:
            pass  # between the namespace's exit and poll() noticing
        threading.Event().wait(_SAMPLE_SECONDS)


def _same_machine(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in {"data", "blob", "file"}:  # inline, or a file on this disk (the handout, opened from it)
        return True
    return parts.scheme in {"http", "https", "ws", "wss"} and parts.hostname in {"127.0.0.1", "localhost"}
