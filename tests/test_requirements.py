"""The three parts of the requirements and their locks agree: every pin in a part is in its lock at the
same version, every package in a lock has its hashes, and each part's lock holds the parts it builds on.
A pin changed without `make lock` fails here, before a fresh machine installs the old one."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT

PARTS = ["requirements", "requirements-serve", "requirements-dev"]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;\\]+)", re.M)


def pins(text: str) -> dict[str, str]:
    return {name.lower().replace("_", "-"): version for name, version in PIN.findall(text)}


def wanted(part: str) -> dict[str, str]:
    """A part's own pins and those of the parts it includes (`-r`)."""
    text = (ROOT / f"{part}.txt").read_text(encoding="utf-8")
    found = pins(text)
    for included in re.findall(r"^-r (\S+)\.txt$", text, re.M):
        found |= wanted(included)
    return found


@pytest.mark.parametrize("part", PARTS)
def test_every_pin_is_in_its_lock_at_the_same_version(part: str) -> None:
    locked = pins((ROOT / f"{part}.lock").read_text(encoding="utf-8"))
    missing = {name: version for name, version in wanted(part).items() if locked.get(name, "").split("+")[0] != version}
    assert missing == {}, "run `make lock`"


@pytest.mark.parametrize("part", PARTS)
def test_every_locked_package_has_its_hashes(part: str) -> None:
    entries = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / f"{part}.lock").read_text(encoding="utf-8"))
    unhashed = [entry.split()[0] for entry in entries if PIN.match(entry) and "--hash=sha256:" not in entry]
    assert unhashed == []
