"""Sentence vectors from a feature-extraction pipeline, pooled the way all-MiniLM-L6-v2 was trained.

The pipeline returns token vectors; averaging them (then L2-normalising) reproduces sentence-transformers'
embedding. The serving layer pools a visitor's query with these functions and the MovieLens build pools
every movie with them, so both land in one vector space.
"""

from __future__ import annotations

from typing import Any

import numpy as np

TASK = "feature-extraction"
ENCODER = "minilm-l6"


def mean_pooled(pipe: Any, texts: list[str]) -> list[np.ndarray]:
    """Each text's token vectors averaged over its own tokens only, never over another text's padding."""
    lengths = [len(ids) for ids in pipe.tokenizer(texts, truncation=True)["input_ids"]]
    outputs = pipe(texts, truncation=True, batch_size=len(texts))
    return [
        np.asarray(tokens, dtype=np.float32)[0][:length].mean(axis=0)
        for tokens, length in zip(outputs, lengths, strict=True)
    ]


def unit_length(vectors: list[np.ndarray]) -> np.ndarray:
    """[len(vectors), dimensions], each row scaled to length 1 (cosine similarity becomes a dot product)."""
    matrix = np.stack(vectors)
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
