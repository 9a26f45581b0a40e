"""Where the first run's preparation stands, in one file the dashboard reads while it happens.

`python -m pipelines models prepare` (what `make run` starts in the background) pulls the models cheapest
first, then draws the reports. As it goes it rewrites `SHOWROOM_HOME/provisioning/status.json`, whole,
each time (a reader sees the old file or the new one, never half of one): each model's state, the step it
is at and an estimate of what is left. The pages read it to show a model's progress and to go live when
the model lands; the home page shows every model and the log's last lines. The file names the process
that writes it, so a reader can tell a preparation that runs from one that was killed half-way.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Literal

from pipelines.provisioning.catalog import ModelSpec
from pipelines.provisioning.provision import model_state
from pipelines.provisioning.staging import write_json
from pipelines.runtime.processes import ProcessIdentity
from pipelines.settings import Settings, load_settings

Stage = Literal["waiting", "building", "ready", "failed"]
REPORTS = "reports"  # the last step: assistant report, report cards, home-page pictures; it blocks no demo


def status_path(settings: Settings | None = None) -> Path:
    return (settings or load_settings()).home / "provisioning" / "status.json"


def log_path(settings: Settings | None = None) -> Path:
    return (settings or load_settings()).home / "provisioning" / "log.txt"


@dataclass(frozen=True)
class StepProgress:
    """One model (or the reports) in the preparation's queue."""

    name: str
    estimate_seconds: float  # the catalog's measurement on a 2-core machine
    stage: Stage = "waiting"
    step: str = ""  # the last line the build said, e.g. "converting with recipe 'whisper'"
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None  # one sentence, when it failed

    def seconds_left(self, now: float) -> float:
        if self.stage in ("ready", "failed"):
            return 0.0
        if self.stage == "waiting" or self.started_at is None:
            return self.estimate_seconds
        return max(self.estimate_seconds - (now - self.started_at), 5.0)  # running late: "a few seconds"


@dataclass(frozen=True)
class Preparation:
    """The whole preparation: who runs it, since when, and every step in the order they run."""

    pid: int
    process_started: float
    command: str
    started_at: float
    steps: tuple[StepProgress, ...]
    finished_at: float | None = None

    @property
    def running(self) -> bool:
        """Still at work: not finished, and its process alive (a killed preparation is not waited on)."""
        return self.finished_at is None and ProcessIdentity(self.pid, self.process_started, self.command).is_running()

    def step(self, name: str) -> StepProgress | None:
        return next((step for step in self.steps if step.name == name), None)

    def seconds_left(self, name: str | None = None, now: float | None = None) -> float:
        """Until `name` is ready (the steps before it included), or until everything is."""
        now = now or time.time()
        total = 0.0
        for step in self.steps:
            total += step.seconds_left(now)
            if step.name == name:
                break
        return total

    def ahead_of(self, name: str) -> int:
        """How many steps still run before `name` starts."""
        names = [step.name for step in self.steps]
        before = self.steps[: names.index(name)] if name in names else self.steps
        return sum(step.stage in ("waiting", "building") for step in before)


def read_preparation(settings: Settings | None = None) -> Preparation | None:
    """The last preparation on this machine, or None when none ever ran (or its file is unreadable)."""
    path = status_path(settings)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Preparation(**data | {"steps": tuple(StepProgress(**step) for step in data["steps"])})
    except (OSError, ValueError, TypeError, KeyError):
        return None


@dataclass
class PreparationRecord:
    """The writer's side: the preparing process updates its steps and the file follows each change."""

    settings: Settings
    preparation: Preparation = field(init=False)

    def begin(self, specs: Iterable[ModelSpec], reports_estimate: float) -> None:
        me = ProcessIdentity.of(os.getpid())
        assert me is not None  # this very process runs
        steps = tuple(StepProgress(spec.name, spec.build_seconds) for spec in specs)
        self.preparation = Preparation(
            me.pid, me.started, me.command, time.time(), (*steps, StepProgress(REPORTS, reports_estimate))
        )
        self._write()

    def update(self, name: str, **changes: object) -> None:
        steps = tuple(replace(step, **changes) if step.name == name else step for step in self.preparation.steps)
        self.preparation = replace(self.preparation, steps=steps)
        self._write()

    def finish(self) -> None:
        self.preparation = replace(self.preparation, finished_at=time.time())
        self._write()

    def _write(self) -> None:
        write_json(status_path(self.settings), asdict(self.preparation))


def log_tail(lines: int = 12, settings: Settings | None = None) -> list[str]:
    """The log's last lines as a terminal would show them (a progress bar's redraws collapsed to the last)."""
    path = log_path(settings)
    if not path.is_file():
        return []
    with path.open("rb") as log:
        log.seek(max(0, path.stat().st_size - 64_000))
        text = log.read().decode("utf-8", errors="replace")
    shown = [line.rsplit("\r", 1)[-1].rstrip() for line in text.split("\n")]  # not splitlines(): it splits at \r
    return [line for line in shown if line][-lines:]


TRAINING_FILE = "training.json"  # the finished run's curves, saved with the model


def live_training_path(model: str, settings: Settings | None = None) -> Path:
    return (settings or load_settings()).home / "provisioning" / f"training-{model}.json"


@dataclass
class TrainingRecord:
    """A training run's curves as it learns (the loss at every step, the validation macro-F1 at each
    evaluation), rewritten at most every `every_seconds` so a presenter can show the model improving."""

    path: Path
    steps: int
    started_at: float = field(default_factory=time.time)
    losses: list[tuple[int, float]] = field(default_factory=list)
    evaluations: list[tuple[int, float]] = field(default_factory=list)
    finished_at: float | None = None
    every_seconds: float = 2.0
    _written_at: float = 0.0

    def step(self, step: int, loss: float) -> None:
        self.losses.append((step, round(loss, 4)))
        if time.time() - self._written_at >= self.every_seconds:
            self.write()

    def evaluation(self, step: int, macro_f1: float) -> None:
        self.evaluations.append((step, round(macro_f1, 4)))
        self.write()

    def finish(self) -> None:
        self.finished_at = time.time()
        self.write()

    def seconds_left(self) -> float | None:
        """From the pace so far; None before the first step."""
        if not self.losses:
            return None
        done = self.losses[-1][0]
        return (time.time() - self.started_at) / done * (self.steps - done)

    def as_json(self) -> dict:
        return {
            "steps": self.steps,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "seconds_left": self.seconds_left() if self.finished_at is None else 0.0,
            "written_at": time.time(),
            "losses": self.losses,
            "evaluations": self.evaluations,
        }

    def write(self) -> None:
        self._written_at = time.time()
        write_json(self.path, self.as_json())


def read_training(path: Path) -> dict | None:
    """A training record (live or saved with its model), or None when there is none to read."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class Readiness:
    """Where one model stands, for a page: its stage, one sentence, and how far and how long when known."""

    stage: Literal["ready", "building", "waiting", "failed", "absent"]
    said: str
    fraction: float | None = None
    seconds_left: float | None = None


def readiness(spec: ModelSpec, settings: Settings | None = None) -> Readiness:
    """Ready; being built (the step, how far, an estimate); queued; failed (the sentence and the command to
    retry); or absent with nothing preparing it (the command that would)."""
    settings = settings or load_settings()
    if model_state(spec, settings) == "ready":
        return Readiness("ready", f"{spec.display_name} is ready.")
    retry = f"`python -m pipelines models pull {spec.name}`"
    preparation = read_preparation(settings)
    step = preparation.step(spec.name) if preparation else None
    if step is not None and step.stage == "failed":
        return Readiness("failed", f"{spec.display_name} could not be prepared: {step.error} Retry with {retry}.")
    if preparation is None or step is None or not preparation.running:
        return Readiness(
            "absent",
            f"{spec.display_name} is not on this machine yet and nothing is preparing it: run `make run` or {retry}.",
        )
    left = preparation.seconds_left(spec.name)
    if step.stage == "waiting":
        ahead = preparation.ahead_of(spec.name)
        return Readiness("waiting", f"Queued behind {ahead} other step(s); about {duration(left)} left.", 0.0, left)
    training = read_training(live_training_path(spec.name, settings))
    if training and training["losses"] and training["started_at"] >= step.started_at:
        done, steps = training["losses"][-1][0], training["steps"]
        left = left - step.seconds_left(time.time()) + training["seconds_left"]
        return Readiness(
            "building", f"Training: step {done} of {steps}; about {duration(left)} left.", done / steps, left
        )
    elapsed = time.time() - (step.started_at or time.time())
    fraction = min(elapsed / max(step.estimate_seconds, 1.0), 0.95)
    return Readiness(
        "building", f"Being prepared: {step.step or 'starting'}; about {duration(left)} left.", fraction, left
    )


def duration(seconds: float) -> str:
    """ "40 s", "3 min": how long a visitor will wait, to the precision that helps."""
    return f"{max(seconds, 1):.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"
