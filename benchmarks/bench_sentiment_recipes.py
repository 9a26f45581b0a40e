"""Measure candidate sentiment recipes: held-out accuracy, macro-F1 and whole build time each.

    python -m benchmarks.bench_sentiment_recipes [PLAN_NAME ...]

Each plan runs the real recipe (fetch from the download cache, train, evaluate) in a temporary
folder, one after another, so the build times are comparable on this machine.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import pipelines  # noqa: F401  (quiets transformers before it is imported)
from benchmarks.report import markdown_table, save
from pipelines.catalog import find_model
from pipelines.fetch import model_sources
from pipelines.recipes.minilm_sentiment import train_and_save
from pipelines.recipes.sentiment_training import TrainingPlan
from pipelines.settings import load_settings

PLANS = (
    TrainingPlan("frozen encoder, pooler + linear head, all tweets, 30 epochs", None, 30, freeze_encoder=True),
    TrainingPlan("fine-tune, 4,000 tweets, 1 epoch", 4_000),
    TrainingPlan("fine-tune, 7,000 tweets, 1 epoch", 7_000),
    TrainingPlan("fine-tune, 10,000 tweets, 1 epoch", 10_000),
    TrainingPlan("fine-tune, 12,000 tweets, 1 epoch", 12_000),
    TrainingPlan("fine-tune the top 3 of 6 layers, 12,000 tweets, 1 epoch", 12_000, frozen_layers=3),
)


def measure(plan: TrainingPlan) -> dict:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as work:
        spec = find_model("minilm-sentiment")
        sources = model_sources(spec, load_settings().downloads_dir, Path(work) / "sources", lambda line: None)
        report = train_and_save(sources, Path(work), plan)
    return {
        "recipe": plan.name,
        "training_examples": report["training_examples"],
        "accuracy": report["accuracy"],
        "macro_f1": report["macro_f1"],
        "build_seconds": time.perf_counter() - started,
    }


def main() -> int:
    chosen = [plan for plan in PLANS if not sys.argv[1:] or plan.name in sys.argv[1:]]
    rows = []
    for plan in chosen:
        rows.append(measure(plan))
        print(json.dumps(rows[-1]), flush=True)
    save(
        "sentiment_recipes.md",
        markdown_table(
            ["recipe", "training tweets", "accuracy", "macro-F1", "build time"],
            [
                [
                    r["recipe"],
                    f"{r['training_examples']:,}",
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
