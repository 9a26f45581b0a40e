"""The labelled tweets used to fine-tune the sentiment model, cleaned and split reproducibly."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

LABELS = ["negative", "neutral", "positive"]
# A classifier's config entries for these labels, so the pipeline's results are named, not LABEL_0.
LABEL_CONFIG = {
    "num_labels": len(LABELS),
    "id2label": dict(enumerate(LABELS)),
    "label2id": {name: index for index, name in enumerate(LABELS)},
}
MIN_CONFIDENCE = 0.5  # the annotators' agreement; below it a label is closer to a guess
HELD_OUT = 0.1  # of all tweets: the test split the report quotes
VALIDATION = 0.1  # of the rest: the split recipes are compared on (benchmarks/bench_sentiment_recipes.py)
SEED = 20261128


@dataclass(frozen=True)
class Split:
    train_texts: list[str]
    train_labels: np.ndarray
    train_confidence: np.ndarray  # the annotators' agreement on each training label
    validation_texts: list[str]
    validation_labels: np.ndarray
    test_texts: list[str]
    test_labels: np.ndarray


def load_split(csv: Path) -> Split:
    """Drop low-confidence and duplicate tweets, then stratified test, validation and training splits with
    fixed seeds.

    Duplicates are dropped by text, so no tweet is in two splits. The test split is drawn first, as it
    was before there was a validation split, so its tweets (and the figures quoted on them) stay the same.
    """
    import pandas as pd

    frame = pd.read_csv(csv, encoding="utf-8", encoding_errors="replace")
    frame = frame[(frame["confidence"] >= MIN_CONFIDENCE) & frame["sentiment"].isin(LABELS)]
    frame = frame.assign(text=frame["text"].astype(str).str.strip())
    frame = frame[frame["text"] != ""].drop_duplicates("text").reset_index(drop=True)
    labels = frame["sentiment"].map(LABELS.index).to_numpy()
    rng = np.random.default_rng(SEED)
    test = np.zeros(len(frame), dtype=bool)
    for label in range(len(LABELS)):
        members = rng.permutation(np.flatnonzero(labels == label))
        test[members[: round(len(members) * HELD_OUT)]] = True
    texts, confidence = frame["text"].tolist(), frame["confidence"].to_numpy()
    rest, test_index = rng.permutation(np.flatnonzero(~test)), np.flatnonzero(test)
    validation = np.zeros(len(rest), dtype=bool)
    rng = np.random.default_rng(SEED + 1)
    for label in range(len(LABELS)):
        members = rng.permutation(np.flatnonzero(labels[rest] == label))
        validation[members[: round(len(members) * VALIDATION)]] = True
    train_index, validation_index = rest[~validation], rest[validation]
    return Split(
        [texts[i] for i in train_index],
        labels[train_index],
        confidence[train_index],
        [texts[i] for i in validation_index],
        labels[validation_index],
        [texts[i] for i in test_index],
        labels[test_index],
    )


def stratified_subset(split: Split, size: int | None, *, surest_first: bool = False) -> tuple[list[str], np.ndarray]:
    """The first `size` training examples with the corpus's class balance (all of them for None); with
    `surest_first`, the tweets whose annotators agreed most come first (fewer wrong labels to learn)."""
    if size is None or size >= len(split.train_texts):
        return split.train_texts, split.train_labels
    chosen = []
    for label in range(len(LABELS)):
        members = np.flatnonzero(split.train_labels == label)
        if surest_first:
            members = members[np.argsort(-split.train_confidence[members], kind="stable")]
        chosen.extend(members[: round(size * len(members) / len(split.train_labels))])
    chosen = np.sort(chosen)  # keep the shuffled order of the split
    return [split.train_texts[i] for i in chosen], split.train_labels[chosen]
