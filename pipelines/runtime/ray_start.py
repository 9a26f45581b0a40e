"""Starting Ray for the Serve supervisor, with the one private argument it needs: Ray puts its sockets
under its temporary folder, and the default (/tmp/ray/session_<date>_<pid>...) can pass the 107 bytes a
Unix socket path may have; `_temp_dir` is the only way to shorten it that `ray.init` takes. Canary:
tests/test_canaries.py."""

from __future__ import annotations

from pathlib import Path


def start_ray(temp_dir: Path, cpus: int) -> None:
    """A local Ray with its sockets under `temp_dir`, no dashboard, and errors only in the log."""
    import ray

    ray.init(_temp_dir=str(temp_dir), include_dashboard=False, num_cpus=cpus, logging_level="ERROR")
