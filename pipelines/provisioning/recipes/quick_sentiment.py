"""all-MiniLM-L6-v2's frozen sentence vectors + a logistic regression → the sentiment model ready in a minute.

It serves the sentiment demo while the fine-tuned model (`minilm_sentiment`, minutes of training) is built,
and stays in the picker afterwards for comparison. One forward pass over 8,000 of the surest training
tweets, up to 1,000 sentences of each review domain and the project's own sentences to learn, and a
scikit-learn fit. The tweet count and C were
chosen on the validation split by `python -m benchmarks.bench_quick_sentiment` (docs/models.md, "The quick
sentiment model").
"""

from __future__ import annotations

import json
import time
from functools import partial
from pathlib import Path

from pipelines.metrics.classification import classification_report
from pipelines.provisioning.catalog import ModelSpec
from pipelines.provisioning.recipes.sentiment_corpus import LABELS
from pipelines.provisioning.recipes.sentiment_domains import domain_scores, read_corpora, training_data
from pipelines.provisioning.recipes.sentiment_training import (
    computed_per_batch,
    mean_pooled_classifier,
    predict_probabilities,
)

EXAMPLES = 8_000  # tweets
PER_DOMAIN = 1_000  # review sentences from each review domain
WRITTEN_COPIES = 3  # the project's own sentences to learn, as often as the fine-tuning takes them
REGULARISATION = 3.0  # scikit-learn's C
REPORT_FILE = "evaluation.json"
_ENCODER = "minilm-l6"


def build(sources: dict[str, Path], out_dir: Path, spec: ModelSpec) -> None:
    from tqdm.auto import tqdm

    started = time.perf_counter()
    tokenizer, model = mean_pooled_classifier(sources[_ENCODER])
    corpora = read_corpora(sources)
    split = corpora.tweets
    texts, labels = training_data(corpora, EXAMPLES, PER_DOMAIN, written_copies=WRITTEN_COPIES)
    fit_into(model, sentence_vectors(model, tokenizer, texts, tqdm), labels, REGULARISATION)
    predict = partial(predict_probabilities, model, tokenizer, progress=partial(tqdm, disable=True))
    report = classification_report(LABELS, split.test_labels, predict(split.test_texts)) | {
        "recipe": f"logistic regression (C={REGULARISATION:g}) on frozen MiniLM sentence vectors, "
        f"{EXAMPLES:,} surest tweets, up to {PER_DOMAIN:,} sentences from each review domain and the project's "
        f"sentences to learn ({WRITTEN_COPIES} times)",
        "training_examples": len(texts),
        "validation_examples": len(split.validation_texts),
        "trained_in": "float32",
        "domains": domain_scores(predict, corpora),
        "build_seconds": time.perf_counter() - started,
    }
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    (out_dir / REPORT_FILE).write_text(json.dumps(report, indent=2))


def sentence_vectors(model, tokenizer, texts: list[str], progress):
    return computed_per_batch(lambda encoded: model.sentence_vectors(**encoded), tokenizer, texts, progress, "encoding")


def fit_into(model, vectors, labels, regularisation: float, class_weight: str | None = None) -> None:
    """Fit the regression; it becomes the model's last layer, so the pipeline serves it as it is."""
    import torch
    from sklearn.linear_model import LogisticRegression

    fitted = LogisticRegression(C=regularisation, max_iter=2_000, class_weight=class_weight).fit(vectors, labels)
    with torch.no_grad():
        model.classifier.weight.copy_(torch.as_tensor(fitted.coef_, dtype=torch.float32))
        model.classifier.bias.copy_(torch.as_tensor(fitted.intercept_, dtype=torch.float32))
