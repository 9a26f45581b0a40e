"""Whisper's beam search holding each window's encoded audio once, not once per beam.

transformers expands every encoded window into one copy per beam before decoding, so the cross-attention
keys and values (the audio, as each decoder layer reads it) are cached five times over: 37 MB a copy for
Whisper base in float32, so 185 MB a window, the largest share of the server's peak under load. The copies
never differ (beams never move between windows), so here the cache keeps the first copy of each window and
attention lets all of a window's beams read it: cross-attention has no mask and no causal order, so the
beams' queries can be stacked as more rows of one query over the same keys. Each `generate` call (each
temperature of a fallback too) gets its own such cache. Reordering after the surviving beams, which copied
~92 MB per window per decoded token, has nothing left to do for the audio either.

The transcripts are the same as with transformers' own cache (tests/test_serving.py);
`python -m benchmarks.bench_memory` measures the peak.
"""

from __future__ import annotations

from typing import Any

ATTENTION = "sdpa_beams_share_audio"


def share_audio_across_beams(model: Any) -> None:
    """Make every `generate` of this encoder-decoder model cache the encoded audio once per window."""
    from transformers import AttentionInterface
    from transformers.cache_utils import DynamicCache, EncoderDecoderCache

    AttentionInterface.register(ATTENTION, _attention)
    model.set_attn_implementation(ATTENTION)
    prepare = model._prepare_cache_for_generation

    class OneCopyPerWindow(DynamicCache):
        def __init__(self, windows: int) -> None:
            super().__init__()
            self.windows = windows

        def update(self, keys: Any, values: Any, layer_idx: int, *args: Any, **kwargs: Any) -> Any:
            copies = keys.shape[0] // self.windows
            if copies > 1:  # a strided view would keep every copy alive: take the first ones out
                keys, values = keys[::copies].contiguous(), values[::copies].contiguous()
            return super().update(keys, values, layer_idx, *args, **kwargs)

        def reorder_cache(self, beam_idx: Any) -> None:
            """Nothing to reorder: a window's beams all read its one copy."""

    def prepare_sharing_the_audio(
        generation_config: Any, model_kwargs: dict, generation_mode: Any, batch_size: int, max_cache_length: int
    ) -> Any:
        # `generate` builds its cache before it expands the windows into beams: batch_size counts windows.
        answer = prepare(generation_config, model_kwargs, generation_mode, batch_size, max_cache_length)
        cache = model_kwargs.get("cache")
        if isinstance(cache, EncoderDecoderCache) and not getattr(cache, "_is_user_defined", False):
            model_kwargs["cache"] = EncoderDecoderCache(cache.self_attention_cache, OneCopyPerWindow(batch_size))
        return answer

    model._prepare_cache_for_generation = prepare_sharing_the_audio


def _attention(module: Any, query: Any, key: Any, value: Any, attention_mask: Any, **kwargs: Any) -> tuple:
    """PyTorch's scaled dot-product attention, with a window's beams reading its one copy of the audio."""
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    copies = query.shape[0] // key.shape[0]
    if copies == 1:
        return sdpa_attention_forward(module, query, key, value, attention_mask, **kwargs)
    if attention_mask is not None:  # masked rows differ per beam: give each beam its copy back
        key, value = key.repeat_interleave(copies, 0), value.repeat_interleave(copies, 0)
        return sdpa_attention_forward(module, query, key, value, attention_mask, **kwargs)
    batch, heads, length, dim = query.shape
    windows = batch // copies
    stacked = query.view(windows, copies, heads, length, dim).transpose(1, 2).reshape(windows, heads, -1, dim)
    output, weights = sdpa_attention_forward(module, stacked, key, value, None, **kwargs)
    # sdpa answers (windows, copies * length, heads, dim): unstack the beams again.
    return output.reshape(windows, copies, length, heads, dim).reshape(batch, length, heads, dim), weights
