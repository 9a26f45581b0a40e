"""The chat model's weights held in 16 bits: the same logits as float32 copies, bit for bit, in half the memory."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from pipelines.provisioning.catalog import find_model
from pipelines.provisioning.provision import model_dir
from pipelines.runtime.half_stored import HalfStoredEmbedding, HalfStoredLinear, store_weights_in_16_bits
from pipelines.settings import load_settings


@pytest.fixture(scope="module")
def smollm2(provisioned: Path) -> tuple[nn.Module, torch.Tensor]:
    """The provisioned chat model in float32, as the engine serves it, and a question's token ids."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = model_dir(find_model("smollm2-135m-instruct"), load_settings())
    ids = AutoTokenizer.from_pretrained(folder)("When are you open on Saturdays?", return_tensors="pt").input_ids
    return AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval(), ids


def test_16_bit_weights_give_the_float32_logits_bit_for_bit(smollm2: tuple[nn.Module, torch.Tensor]) -> None:
    smollm2, ids = smollm2
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the engine serves (SHOWROOM_TORCH_THREADS): two threads split slices otherwise
    try:
        with torch.inference_mode():
            expected = smollm2(ids).logits
            parameters = sum(p.numel() for p in smollm2.parameters())
            saved = store_weights_in_16_bits(smollm2)
            logits = smollm2(ids).logits
    finally:
        torch.set_num_threads(threads)
    assert torch.equal(logits, expected)
    assert saved > 0.95 * parameters * 2  # every matrix, the tied embedding once: ~270 MB
    assert isinstance(smollm2.lm_head, HalfStoredLinear) and isinstance(smollm2.model.embed_tokens, HalfStoredEmbedding)
    assert smollm2.lm_head.stored_weight is smollm2.model.embed_tokens.stored_weight  # still tied, stored once
    assert smollm2.lm_head.stored_weight.dtype == torch.float16
    assert smollm2.lm_head.slice_rows < smollm2.lm_head.out_features  # the output matrix is widened in slices
    assert smollm2.dtype == torch.float32  # what the continuous-batching cache is allocated in


def test_a_weight_16_bits_cannot_hold_exactly_stays_float32() -> None:
    holder = nn.Sequential(nn.Linear(2, 2, bias=False))
    with torch.no_grad():
        holder[0].weight.fill_(1 / 3)  # neither float16 nor bfloat16 holds float32's 1/3
    assert store_weights_in_16_bits(holder) == 0
    assert type(holder[0]) is nn.Linear and holder[0].weight.dtype == torch.float32
