"""A real two-node Ray cluster on this machine, run as docs/scaling-out.md runs one on several: tests/on_two_nodes.py
in a network namespace that has only loopback (Ray keeps two nodes on one machine off the machine's address only
there). Every task answers through SHOWROOM_SERVE_URL with the chat's replica on the second node; its raylet killed
while visitors ask, each gets its answer or one sentence, the light group serves on, and the operator's status says
the chat cannot run and why. Both nodes are stopped by process id."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from pipelines.scaleout.cluster import ray_processes
from tests.conftest import ROOT
from tests.loopback_only import every_test_passed, in_namespace, require_a_network_namespace
from tests.on_two_nodes import TEMP_DIR

pytestmark = pytest.mark.serve

_SECONDS = 900


def test_two_nodes_serve_every_task_and_the_chat_nodes_death_is_told(provisioned: Path) -> None:
    require_a_network_namespace()
    temp_dir = tempfile.mkdtemp(prefix="sr2n-")  # short: Ray's socket paths must fit 107 bytes
    run = subprocess.Popen(
        in_namespace("tests/on_two_nodes.py"),
        cwd=ROOT,
        env=os.environ | {TEMP_DIR: temp_dir},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output, _ = run.communicate(timeout=_SECONDS)
    finally:  # a run that overran stopped nothing: what it started under its temp dir is stopped here, by id
        run.kill()
        for pid in ray_processes(Path(temp_dir)):
            os.kill(pid, signal.SIGKILL)
    every_test_passed(run.returncode, output)
