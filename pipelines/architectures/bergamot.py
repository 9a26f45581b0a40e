"""Bergamot's "tiny" Marian translation models as a transformers seq2seq model, registered with the Auto classes.

A port of what Marian's CPU engine computes for these models, not of transformers' Marian class, which
differs in ways that change outputs: decoder layers replace self-attention with an SSRU cell, the first
decoder input is a zero vector, sinusoid frequencies divide by d/2 - 1, and each sentence may only
produce the target ids its lexical shortlist allows. The shortlist is also what makes the port fast:
the output layer scores a few hundred rows instead of 32,000.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import nn
from torch.nn import functional
from transformers import AutoConfig, AutoModelForSeq2SeqLM, GenerationMixin, PretrainedConfig, PreTrainedModel
from transformers.modeling_outputs import ModelOutput, Seq2SeqLMOutput


class BergamotConfig(PretrainedConfig):
    """Dimensions of a Marian "transformer-ssru" model; the defaults are Bergamot's tiny size."""

    model_type = "bergamot_marian"

    def __init__(
        self,
        vocab_size: int = 32000,
        d_model: int = 256,
        encoder_layers: int = 6,
        decoder_layers: int = 2,
        attention_heads: int = 8,
        ffn_dim: int = 1536,
        layer_norm_eps: float = 1e-6,
        max_length_factor: float = 2.5,
        shortlist_always_kept: int = 50,
        shortlist_multiple: int = 8,
        shortlist_size: int = 0,
        **kwargs,
    ) -> None:
        self.vocab_size = vocab_size
        self.d_model = d_model
        self.encoder_layers = encoder_layers
        self.decoder_layers = decoder_layers
        self.attention_heads = attention_heads
        self.ffn_dim = ffn_dim
        self.layer_norm_eps = layer_norm_eps
        self.max_length_factor = max_length_factor
        self.shortlist_always_kept = shortlist_always_kept
        self.shortlist_multiple = shortlist_multiple
        self.shortlist_size = shortlist_size  # number of target ids in the lexical shortlist
        for token in ("pad_token_id", "eos_token_id", "decoder_start_token_id"):
            kwargs.setdefault(token, 0)  # `</s>` is id 0 and there is no pad or BOS piece
        kwargs["is_encoder_decoder"] = True
        super().__init__(**kwargs)


def sinusoids(positions: torch.Tensor, dim: int) -> torch.Tensor:
    """Marian's position signal: sines then cosines, with frequencies spread over d/2 - 1 steps."""
    half = dim // 2
    frequencies = torch.exp(torch.arange(half, dtype=torch.float32) * -(math.log(10000.0) / (half - 1)))
    angles = positions.to(torch.float32)[..., None] * frequencies
    return torch.cat([angles.sin(), angles.cos()], dim=-1)


class Attention(nn.Module):
    def __init__(self, config: BergamotConfig) -> None:
        super().__init__()
        self.heads = config.attention_heads
        self.query, self.key, self.value, self.output = (nn.Linear(config.d_model, config.d_model) for _ in range(4))
        self.norm = nn.LayerNorm(config.d_model, eps=config.layer_norm_eps)

    def project(self, states: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Keys and values of the attended states; the decoder computes them once per sentence."""
        return self._split(self.key(states)), self._split(self.value(states))

    def forward(self, states: torch.Tensor, keys_values: tuple[torch.Tensor, torch.Tensor], mask: torch.Tensor):
        keys, values = keys_values
        attended = functional.scaled_dot_product_attention(self._split(self.query(states)), keys, values, mask)
        merged = attended.transpose(1, 2).flatten(2)
        return self.norm(states + self.output(merged))

    def _split(self, states: torch.Tensor) -> torch.Tensor:
        batch, length, _ = states.shape
        return states.view(batch, length, self.heads, -1).transpose(1, 2)


class FeedForward(nn.Module):
    def __init__(self, config: BergamotConfig) -> None:
        super().__init__()
        self.inner = nn.Linear(config.d_model, config.ffn_dim)
        self.outer = nn.Linear(config.ffn_dim, config.d_model)
        self.norm = nn.LayerNorm(config.d_model, eps=config.layer_norm_eps)

    def forward(self, states: torch.Tensor) -> torch.Tensor:
        return self.norm(states + self.outer(functional.relu(self.inner(states))))


class SSRU(nn.Module):
    """Simpler Simple Recurrent Unit: a gated running sum that stands in for decoder self-attention."""

    def __init__(self, config: BergamotConfig) -> None:
        super().__init__()
        self.candidate = nn.Linear(config.d_model, config.d_model, bias=False)
        self.forget = nn.Linear(config.d_model, config.d_model)
        self.norm = nn.LayerNorm(config.d_model, eps=config.layer_norm_eps)

    def forward(self, states: torch.Tensor, cell: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        gates = torch.sigmoid(self.forget(states))
        candidates = (1 - gates) * self.candidate(states)
        cells = []
        for step in range(states.shape[1]):
            cell = candidates[:, step] if cell is None else gates[:, step] * cell + candidates[:, step]
            cells.append(cell)
        return self.norm(states + functional.relu(torch.stack(cells, dim=1))), cell


class EncoderLayer(nn.Module):
    def __init__(self, config: BergamotConfig) -> None:
        super().__init__()
        self.attention = Attention(config)
        self.feed_forward = FeedForward(config)

    def forward(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.feed_forward(self.attention(states, self.attention.project(states), mask))


class DecoderLayer(nn.Module):
    def __init__(self, config: BergamotConfig) -> None:
        super().__init__()
        self.recurrence = SSRU(config)
        self.context = Attention(config)
        self.feed_forward = FeedForward(config)


@dataclass
class BergamotEncoderOutput(ModelOutput):
    """Encoder states plus what each sentence allows the decoder to produce."""

    last_hidden_state: torch.Tensor | None = None
    allowed_ids: torch.Tensor | None = None  # bool [batch, vocab]: the sentence's shortlist
    max_target_length: torch.Tensor | None = None  # long [batch]: most tokens before the forced </s>


@dataclass
class DecoderState:
    """What one generate() call carries between steps: SSRU cells and the encoder's keys and values."""

    steps: int
    cells: list[torch.Tensor]
    context: list[tuple[torch.Tensor, torch.Tensor]]


class BergamotEncoder(nn.Module):
    main_input_name = "input_ids"

    def __init__(self, config: BergamotConfig, embeddings: nn.Embedding) -> None:
        super().__init__()
        self.config = config
        self.embeddings = embeddings
        self.layers = nn.ModuleList(EncoderLayer(config) for _ in range(config.encoder_layers))
        # The lexical shortlist: target ids for source id i are shortlist_ids[shortlist_offsets[i]:[i + 1]].
        self.register_buffer("shortlist_offsets", torch.zeros(config.vocab_size + 1, dtype=torch.long))
        self.register_buffer("shortlist_ids", torch.zeros(config.shortlist_size, dtype=torch.long))

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None, **kwargs
    ) -> BergamotEncoderOutput:
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        keep = attention_mask.bool()
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)
        states = self.embeddings(input_ids) * math.sqrt(self.config.d_model) + sinusoids(positions, self.config.d_model)
        mask = keep[:, None, None, :]
        for layer in self.layers:
            states = layer(states, mask)
        lengths = keep.sum(dim=1)
        return BergamotEncoderOutput(
            last_hidden_state=states,
            allowed_ids=torch.stack(
                [self._allowed(row[row_keep]) for row, row_keep in zip(input_ids, keep, strict=True)]
            ),
            max_target_length=torch.ceil(lengths * self.config.max_length_factor).long(),
        )

    def _allowed(self, source_ids: torch.Tensor) -> torch.Tensor:
        """One sentence's shortlist as Marian builds it, padded with the lowest unused ids to a multiple of 8."""
        allowed = torch.zeros(self.config.vocab_size, dtype=torch.bool, device=source_ids.device)
        allowed[: self.config.shortlist_always_kept] = True
        for source_id in source_ids.unique().tolist():
            start, end = self.shortlist_offsets[source_id : source_id + 2].tolist()
            allowed[self.shortlist_ids[start:end]] = True
        missing = -int(allowed.sum()) % self.config.shortlist_multiple
        allowed[(~allowed).nonzero()[:missing, 0]] = True
        return allowed


class BergamotPreTrainedModel(PreTrainedModel):
    config_class = BergamotConfig
    base_model_prefix = "model"
    main_input_name = "input_ids"


class BergamotForConditionalGeneration(BergamotPreTrainedModel, GenerationMixin):
    """Encoder-decoder with one embedding matrix tied across source, target and output."""

    _tied_weights_keys: ClassVar[dict[str, str]] = {"encoder.embeddings.weight": "embeddings.weight"}

    def __init__(self, config: BergamotConfig) -> None:
        super().__init__(config)
        self.embeddings = nn.Embedding(config.vocab_size, config.d_model)
        self.encoder = BergamotEncoder(config, self.embeddings)
        self.decoder_layers = nn.ModuleList(DecoderLayer(config) for _ in range(config.decoder_layers))
        self.output_bias = nn.Parameter(torch.zeros(config.vocab_size))
        self.post_init()

    @classmethod
    def _supports_default_dynamic_cache(cls) -> bool:
        return False  # SSRU cells are a recurrent state, not keys and values; DecoderState carries them

    def get_encoder(self) -> BergamotEncoder:
        return self.encoder

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embeddings

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        decoder_input_ids: torch.Tensor | None = None,
        encoder_outputs: BergamotEncoderOutput | None = None,
        cache: DecoderState | None = None,
        use_cache: bool | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> Seq2SeqLMOutput:
        if encoder_outputs is None:
            encoder_outputs = self.encoder(input_ids, attention_mask)
        encoded = encoder_outputs.last_hidden_state
        if attention_mask is None:
            attention_mask = torch.ones(encoded.shape[:2], dtype=torch.long, device=encoded.device)
        if cache is None:
            cache = DecoderState(
                steps=0,
                cells=[None] * len(self.decoder_layers),
                context=[layer.context.project(encoded) for layer in self.decoder_layers],
            )
        states = self._embed_target(decoder_input_ids, cache.steps)
        mask = attention_mask.bool()[:, None, None, :]
        for index, layer in enumerate(self.decoder_layers):
            states, cache.cells[index] = layer.recurrence(states, cache.cells[index])
            states = layer.feed_forward(layer.context(states, cache.context[index], mask))
        logits = self._logits(states, encoder_outputs, cache.steps)
        cache.steps += decoder_input_ids.shape[1]
        return Seq2SeqLMOutput(
            logits=logits, cache=cache if use_cache is not False else None, encoder_last_hidden_state=encoded
        )

    def _embed_target(self, ids: torch.Tensor, start: int) -> torch.Tensor:
        """Scaled embeddings plus positions; Marian feeds a zero vector, not `</s>`, at the first position."""
        embedded = self.embeddings(ids) * math.sqrt(self.config.d_model)
        if start == 0:
            embedded[:, 0] = 0
        positions = torch.arange(start, start + ids.shape[1], device=ids.device)
        return embedded + sinusoids(positions, self.config.d_model)

    def _logits(self, states: torch.Tensor, encoder_outputs: BergamotEncoderOutput, start: int) -> torch.Tensor:
        """Score only the shortlisted rows, and force `</s>` once a sentence has Marian's most tokens."""
        allowed = encoder_outputs.allowed_ids
        rows = allowed.any(dim=0).nonzero()[:, 0]
        scores = states @ self.embeddings.weight[rows].T + self.output_bias[rows]
        scores = scores.masked_fill(~allowed[:, None, rows], -math.inf)
        logits = scores.new_full((*states.shape[:2], self.config.vocab_size), -math.inf)
        logits[..., rows] = scores
        produced = torch.arange(start + 1, start + 1 + states.shape[1], device=states.device)
        capped = produced[None, :] > encoder_outputs.max_target_length[:, None]
        only_eos = torch.full_like(logits[:1, :1], -math.inf)
        only_eos[..., self.config.eos_token_id] = 0
        return torch.where(capped[..., None], only_eos, logits)


AutoConfig.register(BergamotConfig.model_type, BergamotConfig)
AutoModelForSeq2SeqLM.register(BergamotConfig, BergamotForConditionalGeneration)
