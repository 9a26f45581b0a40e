"""MovieLens 100K from the recbole wheel → ratings, item texts, their MiniLM embeddings and the method report.

The embeddings are computed here, once, through the shared loader's feature-extraction pipeline (so the
encoder must be provisioned first: it comes earlier in the catalog), and every method is evaluated with
leave-latest-out over all users; the report names the best method, which the app uses by default.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.catalog import ModelSpec
from pipelines.embeddings import ENCODER, embed
from pipelines.recommender_methods import evaluate, leave_latest_out

RATINGS_FILE = "ratings.npz"
ITEMS_FILE = "items.json"
EMBEDDINGS_FILE = f"embeddings-{ENCODER}.npy"
REPORT_FILE = "evaluation.json"


def item_text(title: str, year: str, genres: list[str]) -> str:
    """What the encoder reads for a movie: its title, year and genres."""
    return f"{title} ({year}). Genres: {', '.join(genres)}."


def build(sources: dict[str, Path], out_dir: Path, spec: ModelSpec) -> None:
    started = time.perf_counter()
    (inter,) = (path for path in sources.values() if path.suffix == ".inter")
    (item,) = (path for path in sources.values() if path.suffix == ".item")
    ratings = pd.read_csv(inter, sep="\t")
    ratings.columns = [column.split(":")[0] for column in ratings.columns]
    movies = pd.read_csv(item, sep="\t", dtype=str, keep_default_na=False)
    movies.columns = [column.split(":")[0] for column in movies.columns]
    movies["item_id"] = movies["item_id"].astype(int)
    movies = movies.sort_values("item_id").reset_index(drop=True)
    index = {item_id: position for position, item_id in enumerate(movies["item_id"])}
    users = ratings["user_id"].to_numpy() - 1
    items = ratings["item_id"].map(index).to_numpy()
    out_dir.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out_dir / RATINGS_FILE,
        user=users,
        item=items,
        rating=ratings["rating"].to_numpy(np.float32),
        timestamp=ratings["timestamp"].to_numpy(np.int64),
    )
    catalog = [
        {"item_id": int(row.item_id), "title": title, "year": year, "genres": genres.split()}
        for row, title, year, genres in zip(
            movies.itertuples(), movies["movie_title"], movies["release_year"], movies["class"], strict=True
        )
    ]
    (out_dir / ITEMS_FILE).write_text(json.dumps(catalog, ensure_ascii=False))
    vectors = embed([item_text(movie["title"], movie["year"], movie["genres"]) for movie in catalog])
    np.save(out_dir / EMBEDDINGS_FILE, vectors)
    shape = (int(users.max()) + 1, len(catalog))
    split = leave_latest_out(users, items, ratings["timestamp"].to_numpy(), shape)
    methods = evaluate(split, vectors)
    best = max(methods, key=lambda name: methods[name]["hit_rate_at_10"])
    report = {
        "protocol": "leave the latest rating of each user out; rank every item the user has not rated",
        "users": int((split.held_out >= 0).sum()),
        "methods": methods,
        "default": best,
        "build_seconds": time.perf_counter() - started,
    }
    (out_dir / REPORT_FILE).write_text(json.dumps(report, indent=2))
