"""Whisper in CTranslate2 format (faster-whisper's packages) → a transformers WhisperForConditionalGeneration folder.

CTranslate2 fuses attention projections (query/key/value in one matrix; key/value in one for
cross-attention), so they are split back; the key projection has no bias in transformers (CTranslate2
stores zeros there). The shipped tokenizer.json stops at `<|notimestamps|>`, so the 1,501 timestamp
tokens are appended (checked against vocabulary.txt), and the generation config is assembled from the
package's config.json: suppressed tokens, alignment heads for word timing, language ids.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from pipelines.errors import ProvisioningError
from pipelines.provisioning.catalog import ModelSpec
from pipelines.provisioning.recipes.ctranslate2 import Ctranslate2Model, read_model

# Measured by benchmarks/bench_speech_to_text.py on four clips: float16 gives float32's text on all four
# at 0.69x (tiny.en) and 0.70x (base) of its time; bfloat16 is faster still but changes 2 of 4 texts.
SAVED_DTYPE = "float16"
TIMESTAMPS = 1501  # <|0.00|> … <|30.00|> in steps of 0.02 s
_LAYER = re.compile(r"(encoder|decoder)/layer_(\d+)/(.+)")
_NORM = {"gamma": "weight", "beta": "bias"}


def build(sources: dict[str, Path], out_dir: Path, spec: ModelSpec) -> None:
    parts = sorted(path for path in sources.values() if path.name.startswith("model.bin"))
    folder = {path.name: path for path in sources.values()}
    ct2_config = json.loads(folder["config.json"].read_text())
    tokenizer = write_tokenizer(folder["tokenizer.json"], folder["vocabulary.txt"], out_dir)
    model = convert(read_model(parts), tokenizer)
    model.generation_config = generation_config(ct2_config, tokenizer, model.config)
    model.save_pretrained(out_dir)
    from transformers import WhisperFeatureExtractor

    WhisperFeatureExtractor(feature_size=model.config.num_mel_bins).save_pretrained(out_dir)


def write_tokenizer(tokenizer_json: Path, vocabulary: Path, out_dir: Path):
    """The shipped tokenizer plus the timestamp tokens, saved and reloaded as transformers' WhisperTokenizer."""
    from transformers import WhisperTokenizer

    data = json.loads(tokenizer_json.read_text())
    special = sorted(data["added_tokens"], key=lambda token: token["id"])
    first = special[-1]["id"] + 1
    expected = vocabulary.read_text(encoding="utf-8").split("\n")
    for index in range(TIMESTAMPS):
        content = f"<|{index * 0.02:.2f}|>"
        if expected[first + index] != content:
            raise ProvisioningError(
                f"vocabulary.txt has {expected[first + index]!r} at id {first + index}, not {content}."
            )
        data["added_tokens"].append(
            {
                "id": first + index,
                "content": content,
                "single_word": False,
                "lstrip": False,
                "rstrip": False,
                "normalized": False,
                "special": False,
            }
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "tokenizer.json").write_text(json.dumps(data, ensure_ascii=False))
    endoftext = "<|endoftext|>"
    (out_dir / "tokenizer_config.json").write_text(
        json.dumps(
            {
                "tokenizer_class": "WhisperTokenizer",
                "model_max_length": 1024,
                "errors": "replace",
                **dict.fromkeys(("unk_token", "bos_token", "eos_token", "pad_token"), endoftext),
                # Every special token counts as one, so timestamp decoding starts right after the last.
                "additional_special_tokens": [token["content"] for token in special if token["content"] != endoftext],
            }
        )
    )
    tokenizer = WhisperTokenizer.from_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return tokenizer


def convert(ct2: Ctranslate2Model, tokenizer):
    import torch
    from transformers import WhisperConfig, WhisperForConditionalGeneration

    if ct2.spec != "WhisperSpec":
        raise ProvisioningError(f"This CTranslate2 model is a {ct2.spec}, not Whisper.")
    weights = ct2.variables
    conv = weights["encoder/conv1/weight"]
    feed_forward = weights["encoder/layer_0/ffn/linear_0/weight"]
    endoftext = tokenizer.convert_tokens_to_ids("<|endoftext|>")

    def count(side: str) -> int:
        return 1 + max(int(match[2]) for name in weights if (match := _LAYER.fullmatch(name)) and match[1] == side)

    config = WhisperConfig(
        vocab_size=weights["decoder/embeddings/weight"].shape[0],
        num_mel_bins=conv.shape[1],
        d_model=conv.shape[0],
        encoder_layers=count("encoder"),
        decoder_layers=count("decoder"),
        encoder_attention_heads=int(weights["encoder/num_heads"]),
        decoder_attention_heads=int(weights["decoder/num_heads"]),
        encoder_ffn_dim=feed_forward.shape[0],
        decoder_ffn_dim=feed_forward.shape[0],
        max_source_positions=weights["encoder/position_encodings/encodings"].shape[0],
        max_target_positions=weights["decoder/position_encodings/encodings"].shape[0],
        pad_token_id=endoftext,
        bos_token_id=endoftext,
        eos_token_id=endoftext,
        decoder_start_token_id=tokenizer.convert_tokens_to_ids("<|startoftranscript|>"),
    )
    model = WhisperForConditionalGeneration(config).eval()
    state = {}
    for name, array in weights.items():
        state.update(transformers_names(name, np.asarray(array, dtype=np.float32)))
    tensors = {key: torch.from_numpy(value.copy()) for key, value in state.items()}
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    if unexpected or set(missing) - {"proj_out.weight"}:
        raise ProvisioningError(f"Weights do not fit Whisper: missing {missing[:5]}, unexpected {unexpected[:5]}.")
    return model.to(getattr(torch, SAVED_DTYPE))


def transformers_names(name: str, array: np.ndarray) -> dict[str, np.ndarray]:
    """One CTranslate2 variable → the transformers parameters it holds (fused projections are split)."""
    if array.ndim == 0 or name == "decoder/projection/weight":
        return {}  # settings such as num_heads, and the output projection tied to the embeddings
    top = {
        "encoder/conv1/weight": "model.encoder.conv1.weight",
        "encoder/conv1/bias": "model.encoder.conv1.bias",
        "encoder/conv2/weight": "model.encoder.conv2.weight",
        "encoder/conv2/bias": "model.encoder.conv2.bias",
        "encoder/position_encodings/encodings": "model.encoder.embed_positions.weight",
        "decoder/position_encodings/encodings": "model.decoder.embed_positions.weight",
        "decoder/embeddings/weight": "model.decoder.embed_tokens.weight",
    }
    if name in top:
        return {top[name]: array}
    norm = re.fullmatch(r"(encoder|decoder)/layer_norm/(gamma|beta)", name)
    if norm:
        return {f"model.{norm[1]}.layer_norm.{_NORM[norm[2]]}": array}
    layer = _LAYER.fullmatch(name)
    if layer is None:
        raise ProvisioningError(f"Unexpected Whisper variable {name}.")
    return _layer_names(f"model.{layer[1]}.layers.{layer[2]}", layer[3], array)


def _layer_names(prefix: str, rest: str, array: np.ndarray) -> dict[str, np.ndarray]:
    block, _, leaf = rest.rpartition("/")
    kind = "weight" if leaf in ("weight", "gamma") else "bias"
    blocks = {"self_attention": "self_attn", "attention": "encoder_attn"}
    if block.endswith("layer_norm"):
        owner = block.split("/")[0]
        norm = {
            "self_attention": "self_attn_layer_norm",
            "attention": "encoder_attn_layer_norm",
            "ffn": "final_layer_norm",
        }
        return {f"{prefix}.{norm[owner]}.{kind}": array}
    owner, linear = block.split("/")
    if owner == "ffn":
        return {f"{prefix}.{'fc1' if linear == 'linear_0' else 'fc2'}.{kind}": array}
    attention = f"{prefix}.{blocks[owner]}"
    projections = {
        ("self_attention", "linear_0"): ("q_proj", "k_proj", "v_proj"),
        ("self_attention", "linear_1"): ("out_proj",),
        ("attention", "linear_0"): ("q_proj",),
        ("attention", "linear_1"): ("k_proj", "v_proj"),
        ("attention", "linear_2"): ("out_proj",),
    }[(owner, linear)]
    pieces = np.split(array, len(projections), axis=0)
    return {
        f"{attention}.{projection}.{kind}": piece
        for projection, piece in zip(projections, pieces, strict=True)
        if not (projection == "k_proj" and kind == "bias")  # transformers' key projection has no bias
    }


def generation_config(ct2_config: dict, tokenizer, model_config):
    """What Whisper's generate() needs to pick a task, suppress tokens, place timestamps and align words."""
    from transformers import GenerationConfig

    token = tokenizer.convert_tokens_to_ids
    languages = {tokenizer.convert_ids_to_tokens(index): index for index in ct2_config["lang_ids"]}
    multilingual = model_config.vocab_size >= 51865  # English-only checkpoints have one token fewer
    # generate() detects the language whenever the config has `lang_to_id` at all, so English-only
    # models must not carry the language and task tables.
    languages_and_tasks = (
        {"lang_to_id": languages, "task_to_id": {task: token(f"<|{task}|>") for task in ("transcribe", "translate")}}
        if multilingual
        else {}
    )
    return GenerationConfig(
        decoder_start_token_id=model_config.decoder_start_token_id,
        bos_token_id=model_config.bos_token_id,
        eos_token_id=model_config.eos_token_id,
        pad_token_id=model_config.pad_token_id,
        max_length=model_config.max_target_positions,
        suppress_tokens=ct2_config["suppress_ids"],
        begin_suppress_tokens=ct2_config["suppress_ids_begin"],
        alignment_heads=ct2_config["alignment_heads"],
        no_timestamps_token_id=token("<|notimestamps|>"),
        prev_sot_token_id=token("<|startofprev|>"),
        max_initial_timestamp_index=50,
        is_multilingual=multilingual,
        **languages_and_tasks,
    )
