"""The files of a provisioned MovieLens folder: its recipe writes them, the recommender reads them."""

from __future__ import annotations

from pipelines.vectors.sentence_vectors import ENCODER

RATINGS_FILE = "ratings.npz"
ITEMS_FILE = "items.json"
EMBEDDINGS_FILE = f"embeddings-{ENCODER}.npy"
REPORT_FILE = "evaluation.json"
