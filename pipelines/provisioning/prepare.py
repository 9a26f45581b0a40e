"""The first run's preparation: the dashboard opens at once, and each demo goes live as its model lands.

`make run` starts this in the background (`python -m pipelines models prepare --background`) and the
dashboard beside it. It pulls the default models cheapest first, so most demos are live within a minute
and the fine-tuning, minutes long, runs last (the quick sentiment model serves meanwhile); then it draws
the reports, which no demo waits for. It is the same pull as `make models`, with the same lock per
model, so a `make test` or a second `make run` started meanwhile builds nothing twice.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

from filelock import FileLock, Timeout

from pipelines.provisioning.catalog import CATALOG, ModelSpec
from pipelines.provisioning.progress import REPORTS, PreparationRecord, log_path, read_preparation
from pipelines.provisioning.provision import PullResult, pull_one, with_needs
from pipelines.settings import PROJECT, Settings, load_settings

# Run as their own processes, as `make models` runs them, so the memory their models took goes back.
REPORT_MODULES = (
    "pipelines.reports.assistant_report",
    "pipelines.reports.report_cards",
    "pipelines.reports.card_pictures",
)
REPORTS_SECONDS = 125.0  # the reports' step in docs/first-run.json (123.6 s, 2-core Xeon with AMX)
_QUIET_PROGRESS = {"TQDM_MININTERVAL": "5"}  # a progress bar in the log redraws every 5 s, not 10 times a second


def first_run_order(specs: list[ModelSpec]) -> list[ModelSpec]:
    """Cheapest first, each after the models it is built from: every demo goes live as early as it can."""
    return with_needs(sorted(specs, key=lambda spec: spec.build_seconds))


def prepare(settings: Settings | None = None, report=print) -> list[PullResult]:
    """Pull the default models in first-run order, then draw the reports, recording each step as it goes."""
    settings = settings or load_settings()
    specs = first_run_order([spec for spec in CATALOG if spec.pulled_by_default])
    record = PreparationRecord(settings)
    record.begin(specs, REPORTS_SECONDS)
    results = []
    for index, spec in enumerate(specs, start=1):
        record.update(spec.name, stage="building", started_at=time.time())
        noted = partial(_noted, record, spec.name, report)
        result = pull_one(spec, settings, noted, partial(noted, prefix=f"[{index}/{len(specs)}] {spec.name}: "))
        stage = "failed" if result.outcome == "failed" else "ready"
        record.update(spec.name, stage=stage, finished_at=time.time(), error=result.error)
        results.append(result)
    record.update(REPORTS, stage="building", started_at=time.time())
    for module in REPORT_MODULES:
        record.update(REPORTS, step=f"python -m {module}")
        report(f"reports: python -m {module} --if-outdated")
        subprocess.run([sys.executable, "-m", module, "--if-outdated"], cwd=PROJECT, check=False)
    record.update(REPORTS, stage="ready", finished_at=time.time())
    record.finish()
    return results


def _noted(record: PreparationRecord, name: str, report, line: str, prefix: str = "") -> None:
    """A build's line, to the log and as the model's current step."""
    report(prefix + line)
    record.update(name, step=line.strip())


def start_in_background(settings: Settings | None = None) -> str:
    """Start `models prepare` as its own process, detached from this terminal, its output in the log; one
    sentence on what happened. A preparation already at work is left to finish."""
    settings = settings or load_settings()
    running = read_preparation(settings)
    if running is not None and running.running:
        return f"The models are already being prepared (process {running.pid}); its log: {log_path(settings)}."
    log = log_path(settings)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w", encoding="utf-8") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "pipelines", "models", "prepare"],
            cwd=PROJECT,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=os.environ | _QUIET_PROGRESS,
            start_new_session=True,  # Ctrl-C on the dashboard does not stop it half-way
        )
    return f"Preparing the models in the background (process {process.pid}); its log: {log}."


def prepare_once(settings: Settings | None = None, report=print) -> list[PullResult] | None:
    """`prepare`, unless another process is preparing already (None then: it says so and leaves)."""
    settings = settings or load_settings()
    lock = FileLock(_lock_path(settings))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        report("Another process is preparing the models already; this one leaves it to finish.")
        return None
    try:
        return prepare(settings, report)
    finally:
        lock.release()


def _lock_path(settings: Settings) -> Path:
    folder = settings.home / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "prepare.lock"
