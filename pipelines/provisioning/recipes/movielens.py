"""MovieLens 100K from the recbole wheel → ratings, item texts, their MiniLM embeddings and the method report.

The embeddings are computed here, once, with the encoder's folder (provisioning builds it first: the
catalog lists it as a need) pooled as the serving layer pools a visitor's query, and every method is evaluated with
leave-latest-out over all users; the report names the best method, which the app uses by default.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.provisioning.catalog import ModelSpec
from pipelines.provisioning.movielens_files import EMBEDDINGS_FILE, ITEMS_FILE, RATINGS_FILE, REPORT_FILE
from pipelines.vectors.recommender_methods import evaluate, leave_latest_out
from pipelines.vectors.sentence_vectors import ENCODER, TASK, mean_pooled, unit_length

CHUNK = 64  # movies per encoder call: ~1,700 titles padded into one batch would only waste memory


def item_text(title: str, year: str, genres: list[str]) -> str:
    """What the encoder reads for a movie: its title, year and genres."""
    return f"{title} ({year}). Genres: {', '.join(genres)}."


def embed_items(texts: list[str], sources: dict[str, Path]) -> np.ndarray:
    from transformers import pipeline

    encoder = pipeline(TASK, model=str(sources[ENCODER]), device="cpu")
    chunks = (texts[start : start + CHUNK] for start in range(0, len(texts), CHUNK))
    return unit_length([vector for chunk in chunks for vector in mean_pooled(encoder, chunk)])


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
    vectors = embed_items([item_text(movie["title"], movie["year"], movie["genres"]) for movie in catalog], sources)
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
