"""Sentence embeddings through the shared loader's feature-extraction pipeline, mean-pooled.

all-MiniLM-L6-v2 was trained with mean pooling over its token vectors; the pipeline returns those
token vectors, so pooling here reproduces sentence-transformers' embedding (then L2-normalised).
"""

from __future__ import annotations

import numpy as np

from pipelines.loader import get_server

TASK = "feature-extraction"
ENCODER = "minilm-l6"


def embed(texts: list[str], encoder: str = ENCODER) -> np.ndarray:
    """One unit-length vector per text, [len(texts), dimensions], float32."""
    matrix = np.stack(get_server(encoder, TASK).run(texts))
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
