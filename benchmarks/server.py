"""A real Showroom server on a free loopback port, for the browser tests and the load test."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pipelines.runtime.haproxy_loopback import free_port
from pipelines.runtime.memory import ALLOCATOR_ENVIRONMENT

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Server:
    url: str
    pid: int


@contextmanager
def serve(
    startup_seconds: float = 60,
    environment: dict[str, str] | None = None,
    runner: str = "streamlit",
    log: Path | None = None,
) -> Iterator[Server]:
    """`streamlit run app.py` on 127.0.0.1, yielded once its health check answers; stopped afterwards.

    `environment` adds to this process's variables (the load test's SHOWROOM_MAX_BATCH=1 baseline);
    `runner` is the module that takes streamlit's command line (a browser test's stand-in chat); `log`, a
    file for the server's output (discarded otherwise)."""
    port = free_port()
    output = log.open("w") if log else subprocess.DEVNULL
    command = [sys.executable, "-m", runner, "run", "app.py", "--server.address", "127.0.0.1"]
    process = subprocess.Popen(
        [*command, "--server.port", str(port), "--server.headless", "true"],
        cwd=ROOT,
        # Its visitors are this machine's own, so the home page's model controls are theirs (pages/operator.py),
        # unless `environment` sets a token.
        env={key: value for key, value in os.environ.items() if key != "SHOWROOM_OPERATOR_TOKEN"}
        | ALLOCATOR_ENVIRONMENT  # as `make run` starts it
        | (environment or {}),
        stdout=output,
        stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_seconds
        while not _healthy(url):
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"streamlit did not answer {url}/_stcore/health within {startup_seconds:.0f} s")
            time.sleep(0.3)
        yield Server(url, process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)
        if log:
            output.close()


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as answer:
            return answer.status == 200
    except OSError:
        return False
