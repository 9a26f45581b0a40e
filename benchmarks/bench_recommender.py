"""Recommender methods and latency per view on MovieLens 100K, and how the content operations grow.

    python -m benchmarks.bench_recommender

First the build's evaluation of every method (hit rate and NDCG at 10), as the README quotes it.

Each view's engine call is timed warm (median of 20). Then the two operations that scan the whole
catalogue, similar-by-content and text search, run on a synthetic 100,000-item catalogue of random
unit vectors with MiniLM's 384 dimensions: an exact scan, to show how the cost grows before any
approximate index is needed.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

import pipelines  # noqa: F401  (quiets transformers before it is imported)
from benchmarks.report import markdown_table, save
from pipelines.tasks import recommender
from pipelines.tasks.embeddings import embed

CALLS = 20
SYNTHETIC_ITEMS = 100_000


def median_ms(call) -> float:
    call()  # warm: loads, lazily built matrices
    times = []
    for _ in range(CALLS):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def top_k(scores: np.ndarray, k: int = 10) -> np.ndarray:
    best = np.argpartition(-scores, k)[:k]
    return best[np.argsort(-scores[best])]


def methods_table() -> str:
    """The build's own evaluation (leave-latest-out over every user), as the README quotes it."""
    report = recommender.catalogue().report
    rows = [
        [
            name + (" (default)" if name == report["default"] else ""),
            f"{scores['hit_rate_at_10']:.3f}",
            f"{scores['ndcg_at_10']:.3f}",
        ]
        for name, scores in report["methods"].items()
    ]
    return markdown_table(["method", "hit rate @10", "NDCG @10"], rows)


def main() -> int:
    import torch

    save("recommender_methods.md", methods_table())

    torch.set_num_threads(1)
    views = {
        "similar movies, by content": lambda: recommender.similar_movies("Toy Story (1995)", "content"),
        "similar movies, by co-ratings": lambda: recommender.similar_movies("Toy Story (1995)", "co-ratings"),
        "describe what you want (text search)": lambda: recommender.search("a funny animated movie for kids"),
        f"for a user ({recommender.default_method()})": lambda: recommender.for_user(42),
        "start from scratch (3 likes)": lambda: recommender.from_likes(
            ["Fargo (1996)", "Pulp Fiction (1994)", "Toy Story (1995)"]
        ),
    }
    rows = [[view, f"{median_ms(call):.1f} ms"] for view, call in views.items()]
    real = recommender.catalogue().embeddings
    synthetic = np.random.default_rng(0).standard_normal((SYNTHETIC_ITEMS, real.shape[1])).astype(np.float32)
    synthetic /= np.linalg.norm(synthetic, axis=1, keepdims=True)
    for name, items in ((f"{len(real):,} movies", real), (f"{SYNTHETIC_ITEMS:,} synthetic items", synthetic)):
        rows.append([f"similar by content, scan of {name}", f"{median_ms(lambda m=items: top_k(m @ m[0])):.2f} ms"])
        rows.append(
            [
                f"text search, scan of {name}",
                f"{median_ms(lambda m=items: top_k(m @ embed(['a funny animated movie for kids'])[0])):.2f} ms",
            ]
        )
    save("recommender.md", markdown_table(["operation", "median latency"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
