"""A cache for Whisper's beam search that does not copy the audio's keys and values at every step.

At each step of a beam search transformers reorders every cached tensor after the surviving beams, the
cross-attention keys and values of the encoded audio included (`EncoderDecoderCache.reorder_cache`).
Those are the same for every beam of a window (copies of one encoding, and beams never move between
windows), so reordering them changes no value, yet it copied ~92 MB per window per decoded token in
float32: 37% of tiny.en's decoding time went into that copy (torch's profiler, `index_select`).
Keeping them in place gives the same transcripts (tests/test_serving.py compares batched with single
calls; `python -m benchmarks.bench_memory` times both).
"""

from __future__ import annotations

from typing import Any


def beam_search_cache() -> Any:
    """A fresh cache for one `generate` call of an encoder-decoder model: reorders only what the
    decoder wrote itself."""
    from transformers.cache_utils import DynamicCache, EncoderDecoderCache

    class SameForEveryBeam(DynamicCache):
        def reorder_cache(self, beam_idx: Any) -> None:
            """Nothing to reorder: every beam of an item holds the same encoded audio."""

    return EncoderDecoderCache(DynamicCache(), SameForEveryBeam())
