"""Measure candidate sentiment recipes: validation and test scores, whole build time, and time-span readings each.

    python -m benchmarks.bench_sentiment_recipes [--neutral-within 1.0] [--seeds 0,1,2] [PLAN_NAME ...]

Each plan runs the real recipe (fetch from the download cache, train, evaluate) in a temporary
folder, one after another, so the build times are comparable on this machine. The default is chosen on
the validation parts: the plan whose validation scores meet every floor of the sentiment card (tweets,
the UCI review sets, VADER product reviews). The held-out figures are what the model's report quotes, so
they are printed but not chosen on. With `--seeds`, each plan runs once per seed (`TrainingPlan.seed`: the
batches' order and torch's seed), since a seed alone moves the held-out scores about as much as a change of plan,
and then prints each plan's mean over its seeds.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import pipelines  # noqa: F401  (quiets transformers before it is imported)
from benchmarks.report import markdown_table, save
from benchmarks.sentiment_time_spans import folder_readings
from pipelines.provisioning.catalog import find_model
from pipelines.provisioning.fetch import model_sources
from pipelines.provisioning.recipes import review_corpus
from pipelines.provisioning.recipes.minilm_sentiment import PLAN, train_and_save
from pipelines.provisioning.recipes.sentiment_training import TrainingPlan
from pipelines.settings import load_settings

UCI_TWICE = (("UCI", 2),)
VADER_PRODUCT = "product reviews (VADER)"
VADER_MOVIE = "movie reviews (VADER)"


def with_reviews(name: str, tweets: int, copies=(), per_domain: int | None = None, **options) -> TrainingPlan:
    """A plan on the surest tweets in bfloat16, with review sentences: the domains `copies` names, as often as it
    says (every sentence of each), or else up to `per_domain` sentences of every domain."""
    return TrainingPlan(
        name, tweets, bfloat16=True, surest_first=True, per_domain=per_domain, review_copies=copies, **options
    )


def mean_pooled(name: str, **changes) -> TrainingPlan:
    """The default plan (mean-pooled, UCI twice, VADER product three times) with `changes`."""
    return replace(PLAN, name=f"fine-tune mean-pooled, {name}", **changes)


PLANS = (
    TrainingPlan("fine-tune, 10,000 tweets, 1 epoch", 10_000),
    TrainingPlan("fine-tune, 10,000 tweets, bfloat16", 10_000, bfloat16=True),
    TrainingPlan("fine-tune, 16,000 tweets, bfloat16", 16_000, bfloat16=True),
    TrainingPlan("fine-tune, 16,000 tweets, bfloat16, class-weighted loss", 16_000, bfloat16=True, balanced=True),
    TrainingPlan("fine-tune, 16,000 surest tweets, bfloat16", 16_000, bfloat16=True, surest_first=True),
    TrainingPlan("fine-tune, 14,000 surest tweets, bfloat16", 14_000, bfloat16=True, surest_first=True),
    with_reviews(
        "fine-tune, 14,000 surest tweets + 3,000 sentences per review domain, bfloat16", 14_000, per_domain=3_000
    ),
    with_reviews("fine-tune, 16,000 surest tweets + every review sentence, bfloat16", 16_000),
    with_reviews(
        "fine-tune, 16,000 surest tweets + UCI and VADER product reviews, bfloat16",
        16_000,
        (("UCI", 1), (VADER_PRODUCT, 1)),
    ),
    with_reviews(
        "fine-tune, 16,000 surest tweets + UCI twice and VADER product reviews, bfloat16",
        16_000,
        (*UCI_TWICE, (VADER_PRODUCT, 1)),
    ),
    with_reviews(
        "fine-tune, 16,000 surest tweets + UCI and VADER product reviews twice, bfloat16",
        16_000,
        (*UCI_TWICE, (VADER_PRODUCT, 2)),
    ),
    with_reviews(
        "fine-tune, 18,000 surest tweets + UCI and VADER product reviews, each twice, bfloat16",
        18_000,
        (*UCI_TWICE, (VADER_PRODUCT, 2)),
    ),
    with_reviews(
        "fine-tune, 18,000 surest tweets + UCI twice and VADER product reviews three times, bfloat16",
        18_000,
        PLAN.review_copies,
    ),
    with_reviews(
        "fine-tune, 18,000 surest tweets + UCI twice and VADER product reviews four times, bfloat16",
        18_000,
        (*UCI_TWICE, (VADER_PRODUCT, 4)),
    ),
    with_reviews(
        "fine-tune, 18,000 surest tweets + UCI twice, VADER product reviews three times and news editorials, bfloat16",
        18_000,
        (*PLAN.review_copies, ("news", 1)),
    ),
    with_reviews(
        "fine-tune, 18,000 surest tweets + UCI twice and VADER product reviews three times, bfloat16, class-weighted",
        18_000,
        PLAN.review_copies,
        balanced=True,
    ),
    PLAN,
    *(
        mean_pooled(
            "18,000 surest tweets + UCI twice, VADER product reviews three times and the project's time-span "
            f"sentences {times}, bfloat16",
            time_spans=copies,
        )
        for copies, times in ((1, "once"), (2, "twice"), (3, "three times"))
    ),
    mean_pooled(
        "18,000 surest tweets + UCI twice, VADER product reviews three times and news editorials, bfloat16",
        review_copies=(*PLAN.review_copies, ("news", 1)),
    ),
    mean_pooled(
        "18,000 surest tweets + UCI twice and VADER product reviews four times, bfloat16",
        review_copies=(*UCI_TWICE, (VADER_PRODUCT, 4)),
    ),
    replace(
        PLAN,
        name="fine-tune mean-pooled at 1e-4, 18,000 surest tweets + UCI twice and VADER product reviews three "
        "times, bfloat16",
        learning_rate=1e-4,
    ),
    mean_pooled(
        "1.5 epochs, 18,000 surest tweets + UCI twice and VADER product reviews three times, bfloat16", epochs=1.5
    ),
    mean_pooled(
        "1.5 epochs, 18,000 surest tweets + UCI twice, VADER product reviews three times and the project's "
        "time-span sentences twice, bfloat16",
        epochs=1.5,
        time_spans=2,
    ),
    with_reviews(
        "fine-tune, 10,000 surest tweets + 2,000 sentences per review domain, bfloat16", 10_000, per_domain=2_000
    ),
    mean_pooled(
        "18,000 surest tweets + UCI twice, VADER product reviews three times and VADER movie reviews, bfloat16",
        review_copies=(*PLAN.review_copies, (VADER_MOVIE, 1)),
    ),
    *(
        mean_pooled(
            "18,000 surest tweets + UCI twice, VADER product reviews three times, VADER movie reviews and the "
            f"project's time-span sentences {times}, bfloat16",
            review_copies=(*PLAN.review_copies, (VADER_MOVIE, 1)),
            time_spans=copies,
        )
        for copies, times in ((2, "twice"), (3, "three times"))
    ),
    *(
        mean_pooled(
            f"18,000 surest tweets + UCI twice, VADER product reviews three times{spans}, bfloat16, two seeds' "
            "weights averaged",
            time_spans=copies,
            soup=2,
        )
        for copies, spans in ((0, ""), (2, " and the project's time-span sentences twice"))
    ),
    mean_pooled(
        "18,000 surest tweets + UCI twice and VADER product reviews three times, bfloat16, refit with the review "
        "validation parts",
        refit=True,
    ),
)


def measure(plan: TrainingPlan) -> dict:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as work:
        spec = find_model("minilm-sentiment")
        sources = model_sources(spec, load_settings().downloads_dir, Path(work) / "sources", lambda line: None)
        fetch_seconds = time.perf_counter() - started
        report = train_and_save(sources, Path(work), plan, validate=True)
        readings = folder_readings(Path(work))
    return {
        "recipe": plan.name,
        "seed": plan.seed,
        "training_examples": report["training_examples"],
        "validation_macro_f1": report["validation"]["macro_f1"],
        "accuracy": report["accuracy"],
        "macro_f1": report["macro_f1"],
        "build_seconds": report["build_seconds"] + fetch_seconds,
        "validation_domains": {line["domain"]: round(line["value"], 3) for line in report["validation_domains"]},
        "test_domains": {line["domain"]: round(line["value"], 3) for line in report["domains"]},
        "time_span_readings": readings,  # benchmarks/sentiment_time_spans.py's sentences
    }


def seed_means(rows: list[dict]) -> list[dict]:
    """Each plan run with several seeds: the mean of every domain's validation and held-out score over its seeds,
    which is what a plan is judged on when one seed's luck is larger than a floor's margin."""
    means = []
    for recipe in dict.fromkeys(row["recipe"] for row in rows):
        runs = [row for row in rows if row["recipe"] == recipe]
        if len(runs) < 2:
            continue
        mean = {"recipe": recipe, "seeds": [row["seed"] for row in runs]}
        for part in ("validation_domains", "test_domains"):
            mean[f"mean_{part}"] = {
                domain: round(statistics.fmean(row[part][domain] for row in runs), 3) for domain in runs[0][part]
            }
        means.append(mean)
    return means


def main() -> int:
    names = sys.argv[1:]
    if names[:1] == ["--neutral-within"]:  # the VADER ratings' neutral band, to compare definitions
        review_corpus.NEUTRAL_WITHIN = float(names[1])
        names = names[2:]
    seeds = [0]
    if names[:1] == ["--seeds"]:
        seeds = [int(seed) for seed in names[1].split(",")]
        names = names[2:]
    chosen = [replace(plan, seed=seed) for plan in PLANS if not names or plan.name in names for seed in seeds]
    rows = []
    for plan in chosen:
        rows.append(measure(plan))
        print(json.dumps(rows[-1]), flush=True)
    for mean in seed_means(rows):
        print(json.dumps(mean), flush=True)
    save(
        "sentiment_recipes.md",
        markdown_table(
            ["recipe", "seed", "training tweets", "validation macro-F1", "test accuracy", "test macro-F1", "build"],
            [
                [
                    r["recipe"],
                    r["seed"],
                    f"{r['training_examples']:,}",
                    f"{r['validation_macro_f1']:.3f}",
                    f"{r['accuracy']:.3f}",
                    f"{r['macro_f1']:.3f}",
                    f"{r['build_seconds'] / 60:.1f} min",
                ]
                for r in rows
            ],
        ),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
