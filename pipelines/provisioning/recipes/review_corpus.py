"""Review sentences, labelled by people, that teach the sentiment models what visitors type: not only tweets.

Two packaged sources, each kept for a reason:
- npm `sentiment@5.0.2` ships the UCI "Sentiment Labelled Sentences" (Kotzias et al., KDD 2015) as its test
  fixtures: 1,000 product (Amazon), 1,000 restaurant (Yelp) and 1,000 movie (IMDb) review sentences, half
  negative, half positive. Short, plain review language, the kind a visitor types to try the demo.
  Binary: they teach negative and positive only.
- PyPI `vadersentiment==3.3.2` (its source distribution) holds the ground truth of Hutto & Gilbert, "VADER"
  (ICWSM 2014): sentences rated by at least 20 people each on -4..+4, from product reviews, movie reviews
  and New York Times editorials. The mean rating gives a neutral class (within half a point of zero), which
  the binary sets lack; the editorials are the most neutral source there is in a package.

Each domain is split with a fixed seed into a training part and a held-out part the training never sees;
the report card quotes each domain's held-out part.
"""

from __future__ import annotations

import json
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from pipelines.provisioning.recipes.sentiment_corpus import LABELS

NEGATIVE, NEUTRAL, POSITIVE = (LABELS.index(name) for name in ("negative", "neutral", "positive"))
NEUTRAL_WITHIN = 0.5  # a mean rating closer to zero than this, on -4..+4, is neutral
HELD_OUT = 0.2  # of each review domain: what its report card line quotes
VALIDATION = 0.1  # of each review domain: what recipes are chosen on
SEED = 20261206


@dataclass(frozen=True)
class Domain:
    """One source of review sentences, and how its held-out part is scored."""

    name: str  # as the report card shows it
    source: str  # the packaged file it is read from
    member: str | None  # the file inside that archive (the VADER sentences are in a tarball in the sdist)
    scoring: Literal["accuracy", "macro-F1"]  # binary domains: accuracy, a neutral answer counted wrong


UCI = "package/test/fixtures/{}.json"
VADER = "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz"
DOMAINS = (
    Domain("product reviews (UCI)", UCI.format("amazon"), None, "accuracy"),
    Domain("restaurant reviews (UCI)", UCI.format("yelp"), None, "accuracy"),
    Domain("movie reviews (UCI)", UCI.format("imdb"), None, "accuracy"),
    Domain("product reviews (VADER)", VADER, "hutto_ICWSM_2014/amazonReviewSnippets_GroundTruth.txt", "macro-F1"),
    Domain("movie reviews (VADER)", VADER, "hutto_ICWSM_2014/movieReviewSnippets_GroundTruth.txt", "macro-F1"),
    Domain("news editorials (VADER)", VADER, "hutto_ICWSM_2014/nytEditorialSnippets_GroundTruth.txt", "macro-F1"),
)


@dataclass(frozen=True)
class Sentences:
    texts: list[str]
    labels: np.ndarray


def labelled_sentences(path: Path) -> Sentences:
    """A UCI fixture: `[{"text", "class": 0 | 1}, ...]`; the empty record each file ends with is dropped."""
    records = [
        record for record in json.loads(path.read_text(encoding="utf-8")) if str(record.get("text") or "").strip()
    ]
    labels = [POSITIVE if record["class"] == 1 else NEGATIVE for record in records]
    return Sentences([record["text"].strip() for record in records], np.asarray(labels))


def rated_sentences(text: str) -> Sentences:
    """A VADER ground-truth file: `id<TAB>mean rating<TAB>sentence` per line; the rating gives the class."""
    texts, labels = [], []
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) != 3 or not parts[2].strip():
            continue
        rating = float(parts[1])
        texts.append(parts[2].strip())
        labels.append(NEUTRAL if abs(rating) < NEUTRAL_WITHIN else POSITIVE if rating > 0 else NEGATIVE)
    return Sentences(texts, np.asarray(labels))


def read_domain(domain: Domain, sources: dict[str, Path]) -> Sentences:
    if domain.member is None:
        return labelled_sentences(sources[domain.source])
    with tarfile.open(sources[domain.source]) as bundle:
        stream = bundle.extractfile(domain.member)
        assert stream is not None, domain.member
        return rated_sentences(stream.read().decode("utf-8", errors="replace"))


def split(sentences: Sentences, seed: int) -> tuple[Sentences, Sentences, Sentences]:
    """(training, validation, held out), stratified by class; a sentence that occurs twice (by its lower-cased
    text) is kept once, so no sentence is on two sides."""
    first: dict[str, int] = {}
    for index, text in enumerate(sentences.texts):
        first.setdefault(text.lower(), index)
    unique = np.asarray(sorted(first.values()))
    rng = np.random.default_rng(seed)
    side = np.zeros(len(sentences.texts), dtype=int)  # 0 training, 1 validation, 2 held out
    for label in np.unique(sentences.labels[unique]):
        members = rng.permutation(unique[sentences.labels[unique] == label])
        held, validation = round(len(members) * HELD_OUT), round(len(members) * VALIDATION)
        side[members[:held]] = 2
        side[members[held : held + validation]] = 1
    return tuple(
        Sentences([sentences.texts[i] for i in chosen], sentences.labels[chosen])
        for chosen in (unique[side[unique] == part] for part in range(3))
    )


def domain_splits(sources: dict[str, Path]) -> dict[str, tuple[Sentences, Sentences, Sentences]]:
    """Every review domain's (training, validation, held-out) parts, each with its own fixed seed."""
    return {domain.name: split(read_domain(domain, sources), SEED + n) for n, domain in enumerate(DOMAINS)}
