"""What the benchmarks print at the end of a long run: it must not fail on a cell's type, and a plan measured
over seeds is summed up by its mean."""

from __future__ import annotations

from benchmarks.bench_sentiment_recipes import seed_means
from benchmarks.report import markdown_table


def test_a_table_writes_numbers_and_text_alike() -> None:
    table = markdown_table(["recipe", "seed", "build"], [["twice", 2, "19.2 min"], ["default", 0, "14.4 min"]])
    assert table.splitlines() == [
        "| recipe | seed | build |",
        "|---|---|---|",
        "| twice | 2 | 19.2 min |",
        "| default | 0 | 14.4 min |",
    ]


def run(recipe: str, seed: int, movie: float, tweets: float) -> dict:
    scores = {"movie reviews (UCI)": movie, "tweets (CrowdFlower)": tweets}
    return {"recipe": recipe, "seed": seed, "validation_domains": scores, "test_domains": dict(scores)}


def test_a_plan_run_with_several_seeds_is_given_its_mean_and_a_plan_run_once_is_not() -> None:
    rows = [run("twice", 0, 0.900, 0.786), run("default", 0, 0.910, 0.783), run("twice", 1, 0.880, 0.778)]
    (mean,) = seed_means(rows)
    assert mean["recipe"] == "twice" and mean["seeds"] == [0, 1]
    assert mean["mean_test_domains"] == {"movie reviews (UCI)": 0.89, "tweets (CrowdFlower)": 0.782}
    assert mean["mean_validation_domains"] == mean["mean_test_domains"]
