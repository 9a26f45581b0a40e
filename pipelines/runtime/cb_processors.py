"""Per-request decoding settings that transformers' continuous batching lacks: a repetition penalty and
exact greedy decoding.

`ContinuousBatchingManager` samples (or takes the argmax) for the whole batch, and drops
`RepetitionPenaltyLogitsProcessor`, which needs each request's own tokens. Without the penalty SmolLM2
loops: on the free-form preset's "What is the capital of France?" greedy decoding repeats one line for
all 256 tokens (93% of its 4-grams repeated) where a penalty of 1.15 answers in 20 tokens. So the
manager samples, and two processors run on every request's logits with that request's own values:
first the penalty, exactly as `generate()` applies it (every token of the prompt and of the answer so
far: negative logits multiplied, positive ones divided); then the sampling settings. A greedy request
keeps only its first highest logit, so sampling picks the argmax exactly as `generate()` does, ties
included (top-k 1 would leave ties to chance, and bfloat16 logits tie often).
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from transformers.generation.continuous_batching.cb_logits_processors import ContinuousBatchingLogitsProcessor


def _as_int32(values: list[float]) -> torch.Tensor:
    """The manager stores every per-request argument in one int32 tensor: floats travel as their bits."""
    return torch.tensor(values, dtype=torch.float32).view(dtype=torch.int32)


class PerRequestRepetitionPenalty(ContinuousBatchingLogitsProcessor):
    supported_kwargs: ClassVar[dict[str, type]] = {"repetition_penalty": float}
    ignored_kwargs: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        self._seen: list[torch.Tensor] = []  # per logits row: the request's distinct token ids so far

    def fill_defaults(self, int32_tensor: torch.Tensor) -> None:
        int32_tensor.copy_(torch.ones_like(int32_tensor, dtype=torch.float32).view(dtype=torch.int32))

    def prepare_tensor_args(self, requests_with_new_token: list[Any]) -> torch.Tensor:
        """Called before each forward pass with the requests whose logits it will see, in row order."""
        penalties, self._seen = [], []
        for request in requests_with_new_token:
            state = request.state
            penalty = float(state.logit_processor_kwargs.get("repetition_penalty", 1.0))
            penalties.append(penalty)
            tokens = state.initial_tokens + state.generated_tokens if penalty != 1.0 else []
            self._seen.append(torch.tensor(sorted(set(tokens)), dtype=torch.long))
        return _as_int32(penalties)

    def __call__(self, scores: torch.Tensor, tensor_arg: torch.Tensor) -> torch.Tensor:
        penalties = tensor_arg[: scores.size(0)].view(dtype=torch.float32).tolist()
        for row, (penalty, seen) in enumerate(zip(penalties, self._seen, strict=False)):
            if penalty != 1.0 and len(seen):
                picked = scores[row, seen]
                scores[row, seen] = torch.where(picked < 0, picked * penalty, picked / penalty)
        return scores


class PerRequestSampling(ContinuousBatchingLogitsProcessor):
    """Greedy rows keep only their (first) highest logit; sampled rows get their temperature, top-k 50
    and top-p, in `generate()`'s order. Only sampled rows are sorted, and only their top 50: the
    manager's own warpers sort the whole 49,152-token vocabulary of every row at every step, which on
    one thread took longer than the model's decoding step for 16 rows."""

    supported_kwargs: ClassVar[dict[str, type]] = {"greedy": bool, "temperature": float, "top_p": float}
    ignored_kwargs: ClassVar[tuple[str, ...]] = ()

    def __init__(self, top_k: int) -> None:
        self.top_k = top_k
        self._rows: list[tuple[bool, float, float]] = []

    def fill_defaults(self, int32_tensor: torch.Tensor) -> None:
        int32_tensor.fill_(0)

    def prepare_tensor_args(self, requests_with_new_token: list[Any]) -> torch.Tensor:
        self._rows = []
        for request in requests_with_new_token:
            settings = request.state.logit_processor_kwargs
            self._rows.append(
                (bool(settings.get("greedy", True)), settings.get("temperature", 1.0), settings.get("top_p", 1.0))
            )
        return torch.zeros(len(self._rows), dtype=torch.int32)  # the settings stay here, with the rows

    def __call__(self, scores: torch.Tensor, tensor_arg: torch.Tensor) -> torch.Tensor:
        for row, (greedy, temperature, top_p) in enumerate(self._rows[: scores.size(0)]):
            logits = scores[row]
            kept = torch.full_like(logits, float("-inf"))
            if greedy:
                best = logits.argmax()
                kept[best] = logits[best]
            else:
                values, indices = (logits / temperature).topk(min(self.top_k, logits.numel()))
                ascending = values.flip(0)
                removed = ascending.softmax(0).cumsum(0) <= 1 - top_p
                removed[-1] = False  # the most likely token always stays
                kept[indices.flip(0)[~removed]] = ascending[~removed]
            scores[row] = kept
        return scores


def install(manager: Any, top_k: int) -> None:
    """Give a manager created without warpers these two processors, before it starts: the penalty first,
    then the sampling settings, as `generate()` orders them."""
    processors = manager.logit_processor
    for processor in (PerRequestRepetitionPenalty(), PerRequestSampling(top_k)):
        processors.logits_processor.append(processor)
        processors.tensors_required += 1
        processors.supported_keys.update(processor.supported_kwargs)
    processors.do_processing = True
