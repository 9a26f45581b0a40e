"""The first run: the order models are prepared in, what a page reads of their progress, the quick sentiment
model and the swap to the fine-tuned one while visitors are being answered."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from pipelines.provisioning import prepare as preparing
from pipelines.provisioning.catalog import CATALOG, find_model
from pipelines.provisioning.prepare import first_run_order, prepare
from pipelines.provisioning.progress import (
    REPORTS,
    PreparationRecord,
    TrainingRecord,
    live_training_path,
    log_path,
    log_tail,
    read_preparation,
    read_training,
    readiness,
    status_path,
)
from pipelines.provisioning.provision import PullResult, model_dir
from pipelines.serving.loader import serving_choice
from pipelines.settings import Settings, load_settings
from pipelines.tasks.sentiment import analyse_sentiment, load_report, training_run

DEFAULT_SET = [spec for spec in CATALOG if spec.pulled_by_default]


@pytest.fixture
def empty_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("SHOWROOM_HOME", str(tmp_path / "home"))
    return load_settings()


def test_the_first_run_builds_the_cheapest_first_each_after_its_needs_and_the_fine_tuning_last() -> None:
    order = [spec.name for spec in first_run_order(DEFAULT_SET)]
    assert sorted(order) == sorted(spec.name for spec in DEFAULT_SET)
    assert order[-1] == "minilm-sentiment" and order[-2] == "minilm-sentiment-quick"
    for position, name in enumerate(order):
        assert set(find_model(name).needs) <= set(order[:position]), name
    chat, image = order.index("smollm2-135m-instruct"), order.index("mobilenet-v2")
    assert image < chat < order.index("minilm-sentiment-quick")


def test_a_model_nothing_prepares_names_the_command_that_would(empty_home: Settings) -> None:
    state = readiness(find_model("mobilenet-v2"))
    assert state.stage == "absent"
    assert "`python -m pipelines models pull mobilenet-v2`" in state.said


def started_record(settings: Settings, *names: str) -> PreparationRecord:
    """A preparation written by this very process, so readers see it running."""
    record = PreparationRecord(settings)
    record.begin([find_model(name) for name in names], reports_estimate=60)
    return record


def test_a_page_reads_the_step_the_estimate_and_the_queue(empty_home: Settings) -> None:
    record = started_record(empty_home, "mobilenet-v2", "whisper-base", "smollm2-135m-instruct")
    record.update(
        "mobilenet-v2", stage="building", started_at=time.time(), step="converting with recipe 'mobilenet_v2'"
    )
    building = readiness(find_model("mobilenet-v2"))
    assert building.stage == "building"
    assert building.said.startswith("Being prepared: converting with recipe 'mobilenet_v2'; about ")
    assert 0 <= building.fraction < 1
    queued = readiness(find_model("smollm2-135m-instruct"))
    assert queued.stage == "waiting" and queued.said.startswith("Queued behind 2 other step(s); about ")
    whole = read_preparation()
    assert whole.running and whole.ahead_of(REPORTS) == 3
    assert whole.seconds_left() >= whole.seconds_left("smollm2-135m-instruct") > whole.seconds_left("mobilenet-v2")


def test_a_failed_model_says_why_and_how_to_retry(empty_home: Settings) -> None:
    record = started_record(empty_home, "mobilenet-v2")
    record.update("mobilenet-v2", stage="failed", error="The disk holding /x is full.")
    state = readiness(find_model("mobilenet-v2"))
    assert state.stage == "failed"
    assert state.said == (
        "MobileNetV2 (ImageNet) could not be prepared: The disk holding /x is full. "
        "Retry with `python -m pipelines models pull mobilenet-v2`."
    )


def test_a_killed_preparation_is_not_waited_on(empty_home: Settings) -> None:
    started_record(empty_home, "mobilenet-v2")
    written = json.loads(status_path(empty_home).read_text())
    status_path(empty_home).write_text(json.dumps(written | {"process_started": written["process_started"] - 1}))
    assert not read_preparation().running  # same pid, another start: not the process that wrote it
    assert readiness(find_model("mobilenet-v2")).stage == "absent"


def test_a_torn_or_missing_status_file_reads_as_no_preparation(empty_home: Settings) -> None:
    assert read_preparation() is None
    status_path(empty_home).parent.mkdir(parents=True)
    status_path(empty_home).write_text('{"pid": 1, "steps": [')
    assert read_preparation() is None


def test_training_progress_gives_the_step_and_the_estimate_from_its_own_pace(empty_home: Settings) -> None:
    record = started_record(empty_home, "minilm-sentiment")
    record.update("minilm-sentiment", stage="building", started_at=time.time() - 20)
    training = TrainingRecord(live_training_path("minilm-sentiment"), steps=400, started_at=time.time() - 10)
    training.step(100, 0.8)
    training.evaluation(100, 0.61)
    state = readiness(find_model("minilm-sentiment"))
    assert state.stage == "building" and state.fraction == 0.25
    assert state.said.startswith("Training: step 100 of 400; about ")
    assert state.seconds_left == pytest.approx(30, abs=2)  # 3x the 10 s the first quarter took
    assert read_training(training.path)["evaluations"] == [[100, 0.61]]
    assert training_run("minilm-sentiment")["losses"] == [[100, 0.8]]


def test_the_log_tail_shows_a_progress_bar_once_at_its_last_redraw(empty_home: Settings) -> None:
    log_path(empty_home).parent.mkdir(parents=True)
    log_path(empty_home).write_text("[1/2] a: built in 1.0 s\nfine-tuning: 1%\rfine-tuning: 50%\rfine-tuning: 99%\n\n")
    assert log_tail() == ["[1/2] a: built in 1.0 s", "fine-tuning: 99%"]


def test_prepare_records_every_step_and_a_failure_stops_nothing(
    empty_home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pull itself is a stand-in here (each model's real pull is tested in test_provisioning.py): this
    drives an exact sequence, one model failing, to check what the status file says at each step."""
    seen = []

    def stand_in_pull(spec, settings, report, say) -> PullResult:
        seen.append([(step.name, step.stage) for step in read_preparation().steps if step.stage != "waiting"])
        say("converting")
        if spec.name == "whisper-base":
            return PullResult(spec.name, "failed", 0.1, "The archive was refused.")
        return PullResult(spec.name, "built", 0.1)

    monkeypatch.setattr(preparing, "pull_one", stand_in_pull)
    monkeypatch.setattr(preparing, "REPORT_MODULES", ())
    results = prepare(report=lambda line: None)
    assert len(results) == len(DEFAULT_SET)
    assert seen[1] == [
        (first_run_order(DEFAULT_SET)[0].name, "ready"),
        (first_run_order(DEFAULT_SET)[1].name, "building"),
    ]
    finished = read_preparation()
    assert finished.finished_at and not finished.running
    stages = {step.name: step.stage for step in finished.steps}
    assert stages.pop("whisper-base") == "failed" and set(stages.values()) == {"ready"}
    assert finished.step("whisper-base").error == "The archive was refused."


def test_a_second_preparation_leaves_the_first_to_finish(empty_home: Settings) -> None:
    from filelock import FileLock

    lines = []
    with FileLock(empty_home.home / "locks" / "prepare.lock"):
        assert preparing.prepare_once(empty_home, lines.append) is None
    assert lines == ["Another process is preparing the models already; this one leaves it to finish."]


def test_the_quick_sentiment_model_is_a_standard_folder_with_its_own_report(provisioned: Path) -> None:
    from transformers import pipeline

    import pipelines.architectures  # noqa: F401  (registers the mean-pooled classifier)

    folder = model_dir(find_model("minilm-sentiment-quick"))
    classify = pipeline("text-classification", model=str(folder), top_k=None)
    scores = {item["label"]: item["score"] for item in classify(["I absolutely love this bike!"])[0]}
    assert max(scores, key=scores.get) == "positive" and sum(scores.values()) == pytest.approx(1)
    quick, fine_tuned = load_report("minilm-sentiment-quick"), load_report("minilm-sentiment")
    assert quick["examples"] == fine_tuned["examples"]  # the same held-out tweets
    assert 0.68 <= quick["macro_f1"] < fine_tuned["macro_f1"]


def test_the_fine_tuned_model_keeps_its_training_curves(provisioned: Path) -> None:
    run = training_run("minilm-sentiment")
    assert run["finished_at"] and run["losses"][-1][0] == run["steps"]
    f1 = [score for _, score in run["evaluations"]]
    # It kept learning after its first evaluation (an eighth of the way in, where the head, learning fast on the
    # encoder's sentence vectors, already reads most tweets right), and the curve shows it.
    assert len(f1) >= 8 and f1[-1] > f1[0] + 0.05 and f1[-1] >= 0.78


def test_a_sentiment_request_in_flight_during_the_swap_gets_an_answer_from_one_model_or_the_other(
    fresh_home: Settings, provisioned: Path
) -> None:
    """Visitors keep asking while the fine-tuned model's folder lands (installed as the build installs it,
    with one rename): every request is answered, by the quick model until the swap and by the fine-tuned
    one after it, and no visitor goes back to the quick model once the better one has answered."""
    for name in ("minilm-l6", "minilm-sentiment-quick"):
        shutil.copytree(provisioned / "models" / name, fresh_home.models_dir / name)
    assert serving_choice("minilm-sentiment") == "minilm-sentiment-quick"
    answered: list[list[str]] = [[] for _ in range(4)]
    errors: list[BaseException] = []
    stop = threading.Event()

    def visitor(seen: list[str]) -> None:
        while not stop.is_set():
            try:
                batch = analyse_sentiment(["The delivery was late again and nobody answered my emails."] * 3)
                assert [result.label for result in batch.results] == ["negative"] * 3
                seen.append(batch.model)
            except BaseException as error:
                errors.append(error)
                return

    visitors = [threading.Thread(target=visitor, args=(seen,)) for seen in answered]
    for thread in visitors:
        thread.start()
    time.sleep(3)
    staging = fresh_home.models_dir / ".building-minilm-sentiment-test"
    shutil.copytree(provisioned / "models" / "minilm-sentiment", staging)
    os.replace(staging, fresh_home.models_dir / "minilm-sentiment")
    time.sleep(3)
    stop.set()
    for thread in visitors:
        thread.join(timeout=60)
    assert not errors, errors
    for seen in answered:
        assert seen[0] == "minilm-sentiment-quick" and seen[-1] == "minilm-sentiment"
        assert seen == sorted(seen, key=lambda name: name == "minilm-sentiment")  # never back to the quick one
