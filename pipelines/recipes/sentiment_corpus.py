"""The labelled tweets used to fine-tune the sentiment model, cleaned and split reproducibly."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

LABELS = ["negative", "neutral", "positive"]
MIN_CONFIDENCE = 0.5  # the annotators' agreement; below it a label is closer to a guess
HELD_OUT = 0.1
SEED = 20261128


@dataclass(frozen=True)
class Split:
    train_texts: list[str]
    train_labels: np.ndarray
    test_texts: list[str]
    test_labels: np.ndarray


def load_split(csv: Path) -> Split:
    """Drop low-confidence and duplicate tweets, then a stratified 90/10 split with a fixed seed.

    Duplicates are dropped by text, so no tweet is both trained on and tested on.
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
    texts = frame["text"].tolist()
    train_index, test_index = rng.permutation(np.flatnonzero(~test)), np.flatnonzero(test)
    return Split(
        [texts[i] for i in train_index], labels[train_index], [texts[i] for i in test_index], labels[test_index]
    )


def stratified_subset(split: Split, size: int | None) -> tuple[list[str], np.ndarray]:
    """The first `size` training examples with the corpus's class balance (all of them for None)."""
    if size is None or size >= len(split.train_texts):
        return split.train_texts, split.train_labels
    chosen = []
    for label in range(len(LABELS)):
        members = np.flatnonzero(split.train_labels == label)
        chosen.extend(members[: round(size * len(members) / len(split.train_labels))])
    chosen = np.sort(chosen)  # keep the shuffled order of the split
    return [split.train_texts[i] for i in chosen], split.train_labels[chosen]
