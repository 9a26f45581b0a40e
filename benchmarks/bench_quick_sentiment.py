"""Choose the quick sentiment model's tweet count and regularisation on the validation split.

    python -m benchmarks.bench_quick_sentiment

Encodes the surest training tweets once (the most asked for), then fits the logistic regression for each
count and C; prints validation and test macro-F1 and the seconds each count costs (encoding and fit), the
quick model's whole budget being about a minute on a 2-core machine.
"""

from __future__ import annotations

import json
import tempfile
import time
from functools import partial
from pathlib import Path

from tqdm.auto import tqdm

import pipelines  # noqa: F401  (quiets transformers before it is imported)
from pipelines.metrics.classification import classification_report
from pipelines.provisioning.catalog import find_model
from pipelines.provisioning.fetch import model_sources
from pipelines.provisioning.provision import model_dir
from pipelines.provisioning.recipes.quick_sentiment import fit_into, sentence_vectors
from pipelines.provisioning.recipes.sentiment_corpus import LABELS, load_split, stratified_subset
from pipelines.provisioning.recipes.sentiment_training import mean_pooled_classifier, predict_probabilities
from pipelines.settings import load_settings

COUNTS = (4_000, 8_000, 16_000)
CHOICES = ((1.0, None), (3.0, None), (10.0, None), (3.0, "balanced"))
quiet = partial(tqdm, disable=True)


def main() -> None:
    spec = find_model("minilm-sentiment-quick")
    with tempfile.TemporaryDirectory() as work:
        sources = model_sources(spec, load_settings().downloads_dir, Path(work), lambda line: None)
        split = load_split(next(iter(sources.values())))
    tokenizer, model = mean_pooled_classifier(model_dir(find_model("minilm-l6")))
    for count in COUNTS:
        started = time.perf_counter()
        texts, labels = stratified_subset(split, count, surest_first=True)
        vectors = sentence_vectors(model, tokenizer, texts, quiet)
        encoded = time.perf_counter() - started
        for regularisation, class_weight in CHOICES:
            started = time.perf_counter()
            fit_into(model, vectors, labels, regularisation, class_weight)
            fitted = time.perf_counter() - started
            scores = {
                name: classification_report(LABELS, truth, predict_probabilities(model, tokenizer, texts_, quiet))
                for name, texts_, truth in (
                    ("validation", split.validation_texts, split.validation_labels),
                    ("test", split.test_texts, split.test_labels),
                )
            }
            row = {
                "tweets": count,
                "C": regularisation,
                "class_weight": class_weight,
                "validation_macro_f1": round(scores["validation"]["macro_f1"], 3),
                "test_macro_f1": round(scores["test"]["macro_f1"], 3),
                "seconds": round(encoded + fitted, 1),
            }
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
