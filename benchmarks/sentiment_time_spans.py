"""How the sentiment model reads a span of time: "Checkout took ten seconds and the parcel came the next morning."

    python -m benchmarks.sentiment_time_spans [--model NAME]

Three measurements, printed as JSON lines (docs/models.md, "Teaching that a short wait is praise"):
- the sentiment model's reading (the default, or `--model`, through the engine) of sentences that differ only
  in the span of time or in how it is said, and of services the project's own sentences never name;
- how close the untrained encoder puts a span of seconds and one of weeks to "fast" and to "forever" (cosine
  of the mean-pooled, unit-length sentence vectors, as the quick model reads them);
- how the packaged sentences the default plan learns from that pair "take" with a span of time are labelled
  (the project's own sentences about waits, `time_spans`, left out: they are what answers this).
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from functools import partial
from pathlib import Path

from tqdm.auto import tqdm

import pipelines  # noqa: F401  (quiets transformers before it is imported)
from pipelines.provisioning.catalog import find_model
from pipelines.provisioning.fetch import model_sources
from pipelines.provisioning.provision import model_dir
from pipelines.provisioning.recipes.minilm_sentiment import PLAN
from pipelines.provisioning.recipes.quick_sentiment import sentence_vectors
from pipelines.provisioning.recipes.sentiment_corpus import LABELS
from pipelines.provisioning.recipes.sentiment_domains import read_corpora, training_data
from pipelines.provisioning.recipes.sentiment_training import mean_pooled_classifier, predict_probabilities
from pipelines.settings import load_settings
from pipelines.tasks.sentiment import analyse_sentiment

READ = (
    "Checkout took ten seconds and the parcel came the next morning.",
    "Checkout took only ten seconds and the parcel came the next morning.",
    "Checkout took ten seconds.",
    "Checkout took ten minutes.",
    "Checkout took three weeks.",
    "Checkout was fast and the parcel came the next morning.",
    "The parcel came the next morning.",
    "Delivery took two days.",
    "The delivery took four weeks.",
    "I took the train to work.",
    "It does exactly what it says, no fuss.",
)
SPANS = ("Checkout took ten seconds.", "Checkout took three weeks.")
ANCHORS = ("Checkout was fast.", "Checkout took forever.")
TAKE_WITH_SPAN = re.compile(r"\b(take|takes|took|taking)\b.*\b(second|minute|hour|day|week|month)s?\b", re.I)
quiet = partial(tqdm, disable=True)


def readings(model: str | None) -> list[dict]:
    batch = analyse_sentiment(list(READ), model)
    return [
        {"model": batch.model, "text": text, "label": result.label, "score": round(result.score, 2)}
        for text, result in zip(READ, batch.results, strict=True)
    ]


def folder_readings(folder: Path) -> dict[str, str]:
    """The same sentences read by a model folder built outside the catalog (a benchmark plan's), as "label score"."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    import pipelines.architectures  # noqa: F401  (registers the mean-pooled classifier)

    model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
    probabilities = predict_probabilities(model, AutoTokenizer.from_pretrained(folder), list(READ), quiet)
    return {text: f"{LABELS[row.argmax()]} {row.max():.2f}" for text, row in zip(READ, probabilities, strict=True)}


def closeness() -> list[dict]:
    tokenizer, encoder = mean_pooled_classifier(model_dir(find_model("minilm-l6")))
    spans, anchors = (sentence_vectors(encoder, tokenizer, list(texts), quiet) for texts in (SPANS, ANCHORS))
    cosines = spans @ anchors.T  # both unit length
    return [
        {"text": text}
        | {f"cosine to {anchor!r}": round(float(cosine), 3) for anchor, cosine in zip(ANCHORS, row, strict=True)}
        for text, row in zip(SPANS, cosines.tolist(), strict=True)
    ]


def learned_spans() -> dict:
    with tempfile.TemporaryDirectory() as work:
        spec, downloads = find_model("minilm-sentiment"), load_settings().downloads_dir
        sources = model_sources(spec, downloads, Path(work), lambda line: None)
        corpora = read_corpora(sources)
    texts, labels = training_data(
        corpora, PLAN.examples, PLAN.per_domain, surest_first=PLAN.surest_first, copies=PLAN.review_copies
    )
    distinct = dict(zip(texts, labels.tolist(), strict=True))
    matched = [label for text, label in distinct.items() if TAKE_WITH_SPAN.search(text)]
    return {
        "distinct training sentences": len(distinct),
        "pairing take with a span of time": len(matched),
        **{label: matched.count(index) for index, label in enumerate(LABELS)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a sentiment model's catalog name (default: the task's default)")
    arguments = parser.parse_args()
    for row in [*readings(arguments.model), *closeness(), learned_spans()]:
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
