"""Provisioning: fetch → verify → convert → write the model folder atomically.

A model folder appears under its final name only once it is complete (built in a temporary
folder, then renamed), so an interrupted run never leaves half a model for the loader to find.
Each folder records the build key it was made with; a changed recipe or pin changes the key and
the model is rebuilt on the next pull. Two processes that pull at once (a second `make run`, `make test`,
the CLI) build each model once: each build holds that model's lock file, and the other waits, says so,
and finds the model ready.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import hashlib
import importlib
import json
import os
import shutil
import time
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from filelock import FileLock, Timeout

from pipelines.errors import ShowroomError
from pipelines.provisioning.build_inputs import build_sources
from pipelines.provisioning.catalog import CATALOG, ModelSpec, find_model
from pipelines.provisioning.fetch import Report, model_sources
from pipelines.provisioning.staging import remove_abandoned, staging_folder
from pipelines.settings import ASSETS, Settings, load_settings

MARKER = "showroom-build.json"
State = Literal["ready", "missing", "outdated"]


@dataclass(frozen=True)
class PullResult:
    """What one model's pull did; `error` is set only when it failed."""

    name: str
    outcome: Literal["built", "up to date", "failed"]
    seconds: float
    error: str | None = None


def build_key(spec: ModelSpec) -> str:
    """Hash of the pins, the recipe's source, the source of every Showroom module it imports, transitively
    (architectures, binary readers, a training loop), the project's files it learns from, and the keys of the
    models it builds from: a change to any of them forces a rebuild."""
    recipe_source = "\n".join(build_sources(f"pipelines.provisioning.recipes.{spec.recipe}"))
    recipe_source += "".join(f"\n{name}\n{(ASSETS / name).read_text(encoding='utf-8')}" for name in spec.learns_from)
    pins = json.dumps(dataclasses.asdict(spec)["packages"], sort_keys=True)
    needs = "".join(f"\n{name}: {build_key(find_model(name))}" for name in spec.needs)
    return hashlib.sha256(f"{spec.recipe}\n{pins}\n{recipe_source}{needs}".encode()).hexdigest()[:16]


def model_dir(spec: ModelSpec, settings: Settings | None = None) -> Path:
    return (settings or load_settings()).models_dir / spec.name


def model_state(spec: ModelSpec, settings: Settings | None = None) -> State:
    """Whether the model's folder exists and was built by the current recipe."""
    marker = model_dir(spec, settings) / MARKER
    if not marker.is_file():
        return "missing"
    recorded = json.loads(marker.read_text()).get("key")
    return "ready" if recorded == build_key(spec) else "outdated"


def folder_size_mb(folder: Path) -> float:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()) / 1e6


@dataclass(frozen=True)
class ModelStatus:
    """A catalog entry and where it stands on this machine."""

    spec: ModelSpec
    state: State
    size_mb: float  # measured when provisioned, the catalog's figure otherwise
    path: Path


def model_statuses(settings: Settings | None = None) -> list[ModelStatus]:
    """Every catalog model with its provisioning state, for `models list` and the home page."""
    settings = settings or load_settings()
    statuses = []
    for spec in CATALOG:
        state, folder = model_state(spec, settings), model_dir(spec, settings)
        size = folder_size_mb(folder) if state == "ready" else spec.size_mb
        statuses.append(ModelStatus(spec, state, round(size, 1), folder))
    return statuses


def _recipe_module(spec: ModelSpec):
    return importlib.import_module(f"pipelines.provisioning.recipes.{spec.recipe}")


def _install(staging: Path, target: Path) -> None:
    """Swap the finished folder into place; an older build is moved aside first, then deleted."""
    retired = None
    if target.exists():
        retired = target.with_name(f".retired-{target.name}-{os.getpid()}")
        os.replace(target, retired)
    os.replace(staging, target)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)


def build_model(spec: ModelSpec, settings: Settings, report: Report) -> None:
    """Fetch, verify and convert one model into its folder (always rebuilds)."""
    staging = staging_folder(settings.models_dir, "building", spec.name)
    try:
        sources = model_sources(spec, settings.downloads_dir, staging / ".sources", report)
        sources |= {name: model_dir(find_model(name), settings) for name in spec.needs}
        report(f"  converting with recipe '{spec.recipe}'")
        _recipe_module(spec).build(sources, staging, spec)
        shutil.rmtree(staging / ".sources")
        marker = {"name": spec.name, "key": build_key(spec), "source": spec.source, "built_at": time.time()}
        (staging / MARKER).write_text(json.dumps(marker, indent=2))
        staging.chmod(0o755)  # mkdtemp makes it private; the finished model is readable by all
        _install(staging, model_dir(spec, settings))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _disk_full(settings: Settings) -> str:
    return (
        f"The disk holding {settings.home} is full, so the model could not be written; nothing half-written "
        "was kept. Free some space (or point SHOWROOM_HOME at a larger disk) and pull again."
    )


def _failure_reason(spec: ModelSpec, error: Exception, settings: Settings) -> str:
    """One sentence for the summary: Showroom's own errors are sentences already; anything else is named
    with its type, since `str(KeyError('weights'))` alone says nothing."""
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return _disk_full(settings)
    if isinstance(error, ShowroomError):
        return str(error)
    return f"recipe '{spec.recipe}' raised {type(error).__name__}: {error}"


def with_needs(specs: list[ModelSpec]) -> list[ModelSpec]:
    """The models to pull, each preceded by the catalog models its recipe needs (once each)."""
    ordered: list[ModelSpec] = []
    for spec in specs:
        for needed in (*(find_model(name) for name in spec.needs), spec):
            if needed not in ordered:
                ordered.append(needed)
    return ordered


def model_lock(spec: ModelSpec, settings: Settings) -> FileLock:
    """The lock a build of `spec` holds; the kernel releases it when its process dies, however it dies."""
    locks = settings.home / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    return FileLock(locks / f"{spec.name}.lock")


@contextlib.contextmanager
def _held_for_build(spec: ModelSpec, settings: Settings, say: Report) -> Iterator[None]:
    """The model's lock, taken at once or, while another process builds it, after saying so and waiting."""
    lock = model_lock(spec, settings)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        say("another process is building it; waiting for it")
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


def pull(names: Iterable[str] = (), *, settings: Settings | None = None, report: Report = print) -> list[PullResult]:
    """Provision the named models (default: the default set); one failure does not stop the others."""
    settings = settings or load_settings()
    specs = [find_model(name) for name in names] or [spec for spec in CATALOG if spec.pulled_by_default]
    specs = with_needs(specs)
    remove_abandoned(settings.models_dir, "building")
    remove_abandoned(settings.downloads_dir, "fetch")
    results = []
    for index, spec in enumerate(specs, start=1):
        step = f"[{index}/{len(specs)}] {spec.name}"
        results.append(pull_one(spec, settings, report, lambda line, step=step: report(f"{step}: {line}")))
    return results


def pull_one(spec: ModelSpec, settings: Settings, report: Report, say: Report) -> PullResult:
    """One model: up to date, built under its lock, or failed with one sentence."""
    started = time.perf_counter()
    if model_state(spec, settings) == "ready":  # checked without the lock, so an up-to-date pull writes nothing
        say("up to date")
        return PullResult(spec.name, "up to date", time.perf_counter() - started)
    with _held_for_build(spec, settings, say):
        if model_state(spec, settings) == "ready":  # the process we waited for built it
            say("up to date (built by the other process)")
            return PullResult(spec.name, "up to date", time.perf_counter() - started)
        say(f"building from {spec.source}")
        try:
            build_model(spec, settings, report)
        except Exception as error:  # any recipe's failure is that model's, never the whole pull's
            reason = _failure_reason(spec, error, settings)
            if not isinstance(error, ShowroomError | OSError):  # a recipe's bug: its operator needs the trace
                report("".join(traceback.format_exception(error)).rstrip())
            say(f"FAILED: {reason}")
            return PullResult(spec.name, "failed", time.perf_counter() - started, reason)
    seconds = time.perf_counter() - started
    say(f"built in {seconds:.1f} s")
    return PullResult(spec.name, "built", seconds)
