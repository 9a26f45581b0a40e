"""Sentence embeddings served by the shared loader's feature-extraction pipeline (a visitor's query)."""

from __future__ import annotations

import numpy as np

from pipelines.serving.loader import get_server
from pipelines.vectors.sentence_vectors import ENCODER, TASK, unit_length


def embed(texts: list[str], encoder: str = ENCODER) -> np.ndarray:
    """One unit-length vector per text, [len(texts), dimensions], float32."""
    return unit_length(get_server(encoder, TASK).run(texts))
