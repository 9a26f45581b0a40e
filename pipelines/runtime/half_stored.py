"""The chat model's weights held in 16 bits and computed in float32: half the memory, the same answers.

The chat is served in float32 because bfloat16 answers change with the batch (`pipelines.serving.chat_server`),
but its weights come from a float16 folder, so every float32 weight is a float16 number written in 32
bits. Held as float16 and widened to float32 just before each matrix product, they give the very same
products (the widening is exact; bit for bit on one torch thread, as the engine serves, where two may
split a sliced product differently), for 284 MB less with SmolLM2 (`python -m benchmarks.bench_memory`).

The widened copy lives only for one product, and a large matrix is widened in slices: glibc serves an
allocation over its mmap threshold (`pipelines.runtime.memory.MMAP_BYTES`) with a fresh mapping that the kernel
zeroes each time, and widening the whole 49,152-word output matrix at every decoding step made the
batched chat 50% slower; in slices of at most `SLICE_BYTES` the heap reuses the same pages and the chat
runs as fast as with float32 weights.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

SLICE_BYTES = 4 * 1024 * 1024  # under the mmap threshold (8 MB): bigger ones are mapped afresh


class HalfStoredLinear(nn.Module):
    """nn.Linear with its weight kept in 16 bits, multiplied in float32 a slice of output rows at a time."""

    def __init__(self, linear: nn.Linear, weight: torch.Tensor) -> None:
        super().__init__()
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.register_buffer("stored_weight", weight, persistent=False)
        self.bias = linear.bias
        self.slice_rows = max(1, SLICE_BYTES // (4 * linear.in_features))

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.out_features <= self.slice_rows:
            return F.linear(inputs, self.stored_weight.to(inputs.dtype), self.bias)
        slices = [slice(start, start + self.slice_rows) for start in range(0, self.out_features, self.slice_rows)]
        bias = self.bias
        parts = [
            F.linear(inputs, self.stored_weight[rows].to(inputs.dtype), None if bias is None else bias[rows])
            for rows in slices
        ]
        return torch.cat(parts, dim=-1)


class HalfStoredEmbedding(nn.Module):
    """nn.Embedding with its table kept in 16 bits: only the looked-up rows are widened."""

    def __init__(self, embedding: nn.Embedding, weight: torch.Tensor) -> None:
        super().__init__()
        self.num_embeddings, self.embedding_dim = embedding.num_embeddings, embedding.embedding_dim
        self.padding_idx = embedding.padding_idx
        self.register_buffer("stored_weight", weight, persistent=False)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return F.embedding(ids, self.stored_weight, self.padding_idx).float()


def store_weights_in_16_bits(model: nn.Module) -> int:
    """Swap the float32 model's linear layers and embeddings for 16-bit-stored ones wherever that is
    lossless (float16, else bfloat16); tied matrices stay one tensor. Returns the bytes given up."""
    narrowed: dict[int, torch.Tensor | None] = {}  # by the float32 tensor's address: tied weights share it
    saved = 0

    def narrow(weight: torch.Tensor) -> torch.Tensor | None:
        nonlocal saved
        key = weight.data_ptr()
        if key not in narrowed:
            narrowed[key] = _lossless_16_bits(weight.detach())
            saved += 0 if narrowed[key] is None else weight.numel() * 2
        return narrowed[key]

    for module in list(model.modules()):
        for name, child in list(module.named_children()):
            swap = _half_stored(child, narrow)
            if swap is not None:
                setattr(module, name, swap)
    return saved


def _half_stored(child: nn.Module, narrow: Any) -> nn.Module | None:
    # Exact types only: a subclass (Whisper's positional embedding) has a forward of its own.
    if type(child) is nn.Linear and child.weight.dtype == torch.float32:
        weight = narrow(child.weight)
        return None if weight is None else HalfStoredLinear(child, weight)
    if type(child) is nn.Embedding and child.weight.dtype == torch.float32:
        weight = narrow(child.weight)
        return None if weight is None else HalfStoredEmbedding(child, weight)
    return None


def _lossless_16_bits(weight: torch.Tensor) -> torch.Tensor | None:
    for dtype in (torch.float16, torch.bfloat16):
        narrow = weight.to(dtype)
        if torch.equal(narrow.float(), weight):
            return narrow
    return None
