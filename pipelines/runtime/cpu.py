"""What this machine's CPU can do, for the choice that depends on it: the sentiment fine-tuning trains
with bfloat16 autocast where the CPU has bfloat16 instructions (serving never switches precision by
itself: `pipelines.serving.loader.serving_dtype`)."""

from __future__ import annotations

import functools
import re
from pathlib import Path


@functools.cache
def cpu_has_bfloat16() -> bool:
    """Whether this CPU multiplies bfloat16 natively (AVX512-BF16 or AMX-BF16); read from Linux's cpuinfo."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return bool(re.search(r"\b(?:avx512_bf16|amx_bf16)\b", flags))
