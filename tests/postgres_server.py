"""A real PostgreSQL for the tests: a throwaway cluster in a temporary folder, listening on 127.0.0.1 only, started
from Debian's server binaries (`make test` installs `postgresql` when it runs as root) and stopped by its process
id. PostgreSQL refuses to run as root, so as root it runs as the `postgres` user the package creates."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.server import free_port

START_SECONDS = 30


def server_binaries() -> Path | None:
    """The newest installed server's bin folder (Debian keeps them off the PATH), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda path: int(path.split("/")[4]))
    return Path(found[-1]).parent if found else None


def _as_owner() -> dict:
    """Popen's options to run as `postgres` when this process is root; none otherwise."""
    if os.geteuid() != 0:
        return {}
    owner = pwd.getpwnam("postgres")
    return {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}


@contextmanager
def postgres(folder: Path) -> Iterator[str]:
    """A running cluster in `folder` (which it creates), as the SQLAlchemy URL of its `postgres` database."""
    binaries = server_binaries()
    assert binaries is not None, "no PostgreSQL server binaries"
    data, owner = folder / "data", _as_owner()
    folder.mkdir(parents=True, exist_ok=True)
    if owner:
        shutil.chown(folder, owner["user"], owner["group"])
    subprocess.run(
        [binaries / "initdb", "-D", data, "-U", "showroom", "--auth=trust", "--no-sync"],
        check=True,
        capture_output=True,
        **owner,
    )
    port = free_port()
    server = subprocess.Popen(
        [binaries / "postgres", "-D", data, "-c", "listen_addresses=127.0.0.1", "-p", str(port), "-k", folder],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        **owner,
    )
    try:
        deadline = time.monotonic() + START_SECONDS
        while not _accepting(binaries, folder, port):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not start in {folder} (exit {server.poll()})")
            time.sleep(0.2)
        yield f"postgresql+psycopg://showroom@127.0.0.1:{port}/postgres"
    finally:
        server.send_signal(signal.SIGINT)  # PostgreSQL's fast shutdown: clients cut, then a clean stop
        server.wait(timeout=30)


def _accepting(binaries: Path, folder: Path, port: int) -> bool:
    ready = subprocess.run(
        [binaries / "pg_isready", "-h", "127.0.0.1", "-p", str(port), "-q"], capture_output=True, check=False
    )
    return ready.returncode == 0 and (folder / f".s.PGSQL.{port}").exists()
