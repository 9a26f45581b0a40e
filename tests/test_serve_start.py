"""`serve start` on its own (no application of the module's running beside it, as in tests/test_serve.py): a
deployer that dies while it starts leaves no Ray process behind."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from benchmarks.server import free_port
from pipelines.errors import ModelNotAvailable
from pipelines.runtime import processes
from pipelines.scaleout import cluster


@pytest.mark.serve
def test_a_deployer_that_dies_while_starting_leaves_no_ray_process(provisioned: Path) -> None:
    """Ray's processes (`ray start`) outlive the deployer: `start` stops what it left, by its temp dir."""
    started: dict[str, BaseException] = {}

    def start() -> None:
        try:
            cluster.start(port=free_port())
        except ModelNotAvailable as error:
            started["error"] = error

    starting = threading.Thread(target=start)
    starting.start()
    deadline = time.monotonic() + 120
    while not (found := _starting_deployer()) or not cluster.ray_processes(found[1]):
        assert time.monotonic() < deadline, "Ray did not start within 120 s"
        time.sleep(0.2)
    deployer, temp_dir = found
    os.kill(deployer, signal.SIGKILL)
    starting.join(120)
    assert str(started["error"]).startswith("The model server did not start (")
    assert not cluster.ray_processes(temp_dir)


def _starting_deployer() -> tuple[int, Path] | None:
    """The pid of the deployer `start` launched, and the temp dir it was given."""
    for pid, (parent, command) in processes.process_table().items():
        if parent == os.getpid() and "-m pipelines.scaleout.cluster " in command:
            return pid, Path(command.split()[-1])
    return None
