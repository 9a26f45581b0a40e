"""A GGUF chat model → a saved transformers causal-LM folder (weights, tokenizer, chat template).

transformers reads GGUF directly, but dequantising at every start takes ~15-20 s; saved once as a
plain folder, the model loads in well under a second. transformers refuses to save a model it
loaded from GGUF ("quantized with gguf and is not serializable") until the quantizer is detached.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.provisioning.catalog import ModelSpec

# Measured by benchmarks/bench_text_generation.py: float16 gives the same greedy text as float32 at
# the same speed on this CPU (0.98x tokens/s), in half the disk and memory (269 MB instead of 538 MB).
SAVED_DTYPE = "float16"


def build(sources: dict[str, Path], out_dir: Path, spec: ModelSpec) -> None:
    (gguf,) = (path for path in sources.values() if path.suffix == ".gguf")
    convert_gguf(gguf, out_dir, SAVED_DTYPE)


def convert_gguf(gguf: Path, out_dir: Path, dtype: str) -> None:
    """Dequantise `gguf` and save it as a transformers folder in `dtype`."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.to(getattr(torch, dtype)).save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
