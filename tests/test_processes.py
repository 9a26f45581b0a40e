"""Processes told apart by id, start time and command line; one liveness check and one atomic writer in
the engine; the allocator's limits in the environment of every process the Makefile starts."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from pipelines.runtime import processes
from pipelines.runtime.memory import ALLOCATOR_ENVIRONMENT
from tests.conftest import ROOT


def test_a_running_process_is_known_by_its_start_and_command_and_a_reused_id_is_not_it() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    deadline = time.monotonic() + 10
    while "time.sleep(30)" not in processes.command_line(child.pid) and time.monotonic() < deadline:
        time.sleep(0.01)  # forked, not yet the new program: it has its parent's command line for a moment
    identity = processes.ProcessIdentity.of(child.pid)
    try:
        assert identity is not None and identity.is_running() and "time.sleep(30)" in identity.command
        assert not processes.ProcessIdentity(child.pid, identity.started + 1, identity.command).is_running()
        assert not processes.ProcessIdentity(child.pid, identity.started, "python -m other").is_running()
    finally:
        child.kill()
    deadline = time.monotonic() + 10
    while processes.running(child.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert Path(f"/proc/{child.pid}").exists()  # killed but not waited for: a zombie, which is not running
    assert not processes.running(child.pid) and not identity.is_running()
    child.wait()
    assert processes.ProcessIdentity.of(child.pid) is None


def test_a_process_tree_is_read_from_one_table_down_to_the_grandchildren() -> None:
    grandchild = "import time; time.sleep(30)"
    spawn = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {grandchild!r}])"
    child = subprocess.Popen([sys.executable, "-c", spawn])
    tree = {child.pid}
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            table = processes.process_table()
            tree = processes.with_descendants({child.pid}, table)
            if any(grandchild in table[pid][1] for pid in tree - {child.pid}):
                break
            time.sleep(0.05)
        (below,) = tree - {child.pid}
        assert table[below] == (child.pid, f"{sys.executable} -c {grandchild}")
        assert table[child.pid] == (os.getpid(), f"{sys.executable} -c {spawn}")
        assert os.getpid() not in tree  # what is below the roots, never above
    finally:
        for pid in tree:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        child.wait()


def test_the_engine_and_its_tests_have_one_liveness_check_one_process_table_and_one_atomic_writer() -> None:
    sources = {path: path.read_text(encoding="utf-8") for path in (ROOT / "pipelines").rglob("*.py")}
    zombie_checks = [path.name for path, text in sources.items() if "STATUS_ZOMBIE" in text]
    kill_probes = [path.name for path, text in sources.items() if re.search(r"os\.kill\(\w+, 0\)", text)]
    temporaries = [path.name for path, text in sources.items() if re.search(r"\.(partial|tmp)\b(?!\()", text)]
    assert (zombie_checks, kill_probes, temporaries) == (["processes.py"], [], ["staging.py"])
    everything = [*sources.items(), *((path, path.read_text()) for path in (ROOT / "tests").glob("*.py"))]
    assert [path.name for path, text in everything if re.search(r"\[\"ps\"", text)] == []  # `process_table` reads them


def test_make_starts_the_dashboard_and_the_model_server_with_the_allocators_limits() -> None:
    for target, command in (("run", "streamlit run app.py"), ("serve", "pipelines serve start")):
        planned = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True, check=True).stdout
        [line] = [line for line in planned.splitlines() if command in line]
        assert all(f"{name}={value}" in line.split(command)[0] for name, value in ALLOCATOR_ENVIRONMENT.items())


def test_security_md_names_every_page_element_that_runs_javascript() -> None:
    """SECURITY.md says which element runs a script and why it is safe; a new one must be added there."""
    scripts = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
    uses = [
        path.relative_to(ROOT).as_posix()
        for path in scripts
        for _ in range(path.read_text().count("unsafe_allow_javascript=True"))
    ]
    assert uses == ["pages/ui.py"]
    assert "`pages/ui.py`, `_into_view_once`" in (ROOT / "SECURITY.md").read_text(encoding="utf-8")
