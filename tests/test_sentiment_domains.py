"""The review sentences the sentiment models learn from, read, labelled and split as their sources mean them,
and the per-domain report card the sentiment page shows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pipelines.provisioning.catalog import find_model
from pipelines.provisioning.fetch import model_sources
from pipelines.provisioning.recipes.review_corpus import (
    DOMAINS,
    NEGATIVE,
    NEUTRAL,
    POSITIVE,
    labelled_sentences,
    rated_sentences,
)
from pipelines.provisioning.recipes.sentiment_calibration import FLOORS
from pipelines.provisioning.recipes.sentiment_domains import (
    HAND_WRITTEN,
    TWEETS,
    hand_written,
    read_corpora,
    training_data,
)
from pipelines.provisioning.recipes.time_spans import time_span_sentences
from pipelines.settings import load_settings
from pipelines.tasks.sentiment import analyse_sentiment, load_report


def test_a_labelled_sentence_file_drops_its_empty_last_record(tmp_path: Path) -> None:
    fixture = tmp_path / "amazon.json"
    records = [{"text": "Great for the jawbone.", "class": 1}, {"text": "Broke in a day.", "class": 0}]
    fixture.write_text(json.dumps([*records, {"text": "", "class": None}]))
    read = labelled_sentences(fixture)
    assert read.texts == ["Great for the jawbone.", "Broke in a day."]
    assert read.labels.tolist() == [POSITIVE, NEGATIVE]


def test_a_rated_sentence_is_neutral_within_half_a_point_of_zero() -> None:
    rows = [("-0.6", "awful."), ("-0.4", "meh."), ("0.49", "it is a dvd player."), ("0.5", "nice."), ("2.0", "superb!")]
    lines = "".join(f"1_{n}\t{rating}\t{text}\r\n" for n, (rating, text) in enumerate(rows))
    read = rated_sentences(lines + "broken line without tabs\n")
    assert read.texts == ["awful.", "meh.", "it is a dvd player.", "nice.", "superb!"]
    assert read.labels.tolist() == [NEGATIVE, NEUTRAL, NEUTRAL, POSITIVE, POSITIVE]


@pytest.fixture(scope="module")
def corpora(provisioned: Path, tmp_path_factory: pytest.TempPathFactory):
    spec = find_model("minilm-sentiment")
    sources = model_sources(spec, load_settings().downloads_dir, tmp_path_factory.mktemp("sources"), lambda _: None)
    return read_corpora(sources)


def test_every_domain_is_split_three_ways_with_no_sentence_on_two_sides(corpora) -> None:
    assert set(corpora.reviews) == {domain.name for domain in DOMAINS}
    for name, parts in corpora.reviews.items():
        training, validation, held_out = ({text.lower() for text in part.texts} for part in parts)
        assert not (training & validation or training & held_out or validation & held_out), name
        assert len(held_out) >= 190, name
    uci = corpora.reviews["product reviews (UCI)"]
    assert sum(len(part.texts) for part in uci) <= 999  # 1,000 records, the empty one and repeats dropped
    assert np.bincount(uci[2].labels, minlength=3)[NEUTRAL] == 0  # binary: never neutral
    editorials = corpora.reviews["news editorials (VADER)"][0]
    assert np.bincount(editorials.labels, minlength=3)[NEUTRAL] > len(editorials.texts) / 3  # the most neutral


def test_the_hand_written_sentences_are_never_trained_on(corpora) -> None:
    texts, labels = hand_written()
    assert len(texts) >= 30 and set(labels) == {NEGATIVE, NEUTRAL, POSITIVE}
    trained = {text.lower() for parts in corpora.reviews.values() for text in parts[0].texts}
    assert not trained & {text.lower() for text in texts}


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "Checkout took ten seconds and the parcel came the next morning.",
            marks=pytest.mark.xfail(
                strict=True,
                reason="issue 35 is open: the default reads any span of time after 'took' as a complaint; the plans "
                "that learn the project's time-span sentences read it as praise (every seed at 1.5 epochs), but "
                "whether they also meet every floor on the held-out parts depends on the seed (python -m "
                "benchmarks.bench_sentiment_recipes --seeds, docs/models.md)",
            ),
        ),
        "It does exactly what it says, no fuss.",
    ],
)
def test_praise_in_review_language_reads_as_praise(provisioned: Path, text: str) -> None:
    (result,) = analyse_sentiment([text], "minilm-sentiment").results
    assert result.label == "positive", result.scores


def test_the_report_card_scores_every_domain_and_meets_its_floors(provisioned: Path) -> None:
    lines = {line["domain"]: line for line in load_report("minilm-sentiment")["domains"]}
    assert list(lines) == [TWEETS, *(domain.name for domain in DOMAINS), HAND_WRITTEN]
    for name, floor in FLOORS.items():
        assert lines[name]["value"] >= floor, (name, lines[name]["value"])
    assert {name: lines[name]["metric"] for name in FLOORS if "UCI" in name} == dict.fromkeys(
        ("product reviews (UCI)", "restaurant reviews (UCI)", "movie reviews (UCI)"), "accuracy"
    )
    for line in lines.values():
        assert all(item["expected"] != item["got"] for item in line["worst"])


def test_the_classes_balance_is_chosen_on_the_validation_parts_and_reported(provisioned: Path) -> None:
    """The report names the shift and each validation part's score with it; the chosen shift clears every floor
    on the validation parts (it is the widest margin the grid offers, and the unshifted model clears them)."""
    report = load_report("minilm-sentiment")
    assert report["class_shift"]["negative"] == 0.0 and any(report["class_shift"].values())
    validation = {line["domain"]: line["value"] for line in report["validation_domains"]}
    assert list(validation) == [TWEETS, *(domain.name for domain in DOMAINS)]  # no hand-written line: held out
    assert all(validation[name] >= floor for name, floor in FLOORS.items()), validation


def test_a_plan_learns_from_the_domains_it_names_as_often_as_it_says(corpora) -> None:
    tweets, _ = training_data(corpora, 1_000, 0)
    texts, labels = training_data(corpora, 1_000, None, copies=(("UCI", 2), ("product reviews (VADER)", 1)))
    uci = [name for name in corpora.reviews if "UCI" in name]
    expected = 2 * sum(len(corpora.reviews[name][0].texts) for name in uci)
    expected += len(corpora.reviews["product reviews (VADER)"][0].texts)
    assert len(texts) == len(labels) == len(tweets) + expected


def test_a_refit_learns_each_named_domains_validation_part_too_and_never_its_held_out_part(corpora) -> None:
    tweets, _ = training_data(corpora, 1_000, 0)
    copies = (("product reviews (VADER)", 2),)
    texts, labels = training_data(corpora, 1_000, None, copies=copies, with_validation=True)
    training, validation, held_out = corpora.reviews["product reviews (VADER)"]
    reviews, review_labels = texts[len(tweets) :], labels[len(tweets) :]
    assert reviews == (training.texts + validation.texts) * 2
    assert list(review_labels) == list(np.concatenate([training.labels, validation.labels])) * 2
    assert not set(reviews) & set(held_out.texts)


def _four_word_runs(text: str) -> set[tuple[str, ...]]:
    words = "".join(letter if letter.isalnum() or letter == "-" else " " for letter in text.lower()).split()
    return {tuple(words[start : start + 4]) for start in range(len(words) - 3)}


def test_the_time_span_sentences_never_name_what_they_are_tested_on_nor_echo_a_scored_sentence() -> None:
    """The checkout and parcel sentence is scored, and asked about in a test: what the model learns about waits
    must carry to it from other services, not be copied from it or from any hand-written sentence."""
    texts, labels = time_span_sentences()
    assert len(set(texts)) == len(texts) == len(labels) >= 150
    counts = np.bincount(labels, minlength=3)
    assert counts[NEUTRAL] >= 15 and abs(counts[POSITIVE] - counts[NEGATIVE]) <= counts[POSITIVE] / 5, counts
    for word in ("checkout", "check out", "pay", "parcel"):
        assert not [text for text in texts if word in text.lower()], word
    scored = set().union(*map(_four_word_runs, hand_written()[0]))
    assert not [text for text in texts if _four_word_runs(text) & scored]


def test_the_time_span_sentences_follow_everything_else_as_many_times_as_asked(corpora) -> None:
    texts, labels = training_data(corpora, 1_000, 0)
    with_spans, with_labels = training_data(corpora, 1_000, 0, time_spans=2)
    written, classes = time_span_sentences()
    assert with_spans == texts + written * 2
    assert with_labels.tolist() == labels.tolist() + classes.tolist() * 2
