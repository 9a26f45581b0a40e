"""How each task answers a batch of visitors' items with one call of its pipeline.

Only a model's owner (`pipelines.serving.model_server.ModelServer`) calls these, from its worker thread, with items
that share one set of options. Each returns one result per item, in order: exactly what the pipeline
would have answered for that item alone (the tests compare both).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np

from pipelines.serving.model_server import RunBatch
from pipelines.vectors.sentence_vectors import mean_pooled


def _sentiment(pipe: Any, texts: list[str], options: Hashable) -> list[tuple[list[dict], int, int]]:
    """(class scores, token count, the model's token limit) per text: the count says whether it was cut."""
    scores = pipe(texts, top_k=None, truncation=True, batch_size=len(texts))
    lengths = [len(ids) for ids in pipe.tokenizer(texts)["input_ids"]]
    return [(item, length, pipe.tokenizer.model_max_length) for item, length in zip(scores, lengths, strict=True)]


def _translation(pipe: Any, pieces: list[str], options: Hashable) -> list[str]:
    return [output["translation_text"] for output in pipe(pieces, batch_size=len(pieces))]


def _keyword_call(*names: str) -> RunBatch:
    """A pipeline call whose options tuple holds the values of these keyword arguments, in this order."""

    def run(pipe: Any, items: list[Any], options: Hashable) -> list[Any]:
        keywords = dict(zip(names, options, strict=True))  # type: ignore[call-overload]
        return list(pipe(items, batch_size=len(items), **keywords))

    return run


def _speech_windows(pipe: Any, windows: list[dict], options: Hashable) -> list[dict]:
    """Whisper over 30-second windows; options are (timestamps, generate_kwargs as sorted pairs)."""
    timestamps, generate_kwargs = options  # type: ignore[misc]
    fresh = [dict(window) for window in windows]  # the pipeline pops "raw" out of each dict it reads
    return list(pipe(fresh, batch_size=len(fresh), return_timestamps=timestamps, generate_kwargs=dict(generate_kwargs)))


def _mean_embeddings(pipe: Any, texts: list[str], options: Hashable) -> list[np.ndarray]:
    return mean_pooled(pipe, texts)


BATCH_CALLS: dict[str, RunBatch] = {
    "sentiment": _sentiment,
    "translation": _translation,
    "image-classification": _keyword_call("top_k"),
    "object-detection": _keyword_call("threshold"),
    "speech-to-text": _speech_windows,
    "feature-extraction": _mean_embeddings,
}


# Items per batch for tasks whose working memory grows with the batch and whose model gains little from
# it on a CPU: a CenterNet image holds ~75 MB of activations while it runs (the detectors' graphs run
# image by image anyway), a Whisper window its encoder's 1,500 frames. With batches of 16 of each allowed,
# the load test's server peaked at 2.7 GB. Whisper's beams share one copy of a window's audio
# (`pipelines.runtime.beam_cache`): four windows at once took as long as two (6.5 / 6.7 s for a 116-s recording)
# and peaked 80 MB higher. MobileNetV2's eight photos took twice as long in one batch of 8 as in batches
# of 2, and peaked twice as high (`python -m benchmarks.bench_memory`).
BATCH_CAPS: dict[str, int] = {"object-detection": 2, "image-classification": 2, "speech-to-text": 2}
