"""Readers for the two binary files of a Bergamot (Marian) model: the int8 weights and the lexical shortlist.

Both formats are undocumented outside Marian's C++ sources, so every structural assumption is checked and
a file that breaks one is refused with a ProvisioningError instead of producing a silently wrong model.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipelines.errors import ProvisioningError

_FLOAT32 = 0x0404
_INTGEMM8 = 0x4101
_INT8 = 0x0101
_ALIGNMENT = 256
_SHORTLIST_MAGIC = 0xF11A48D5013417F5  # Marian's BinaryShortlistGenerator::BINARY_SHORTLIST_MAGIC


@dataclass(frozen=True)
class MarianModel:
    """Every weight as float32, in `nn.Linear` layout where it is a matrix, plus the model's own YAML config."""

    weights: dict[str, np.ndarray]
    config_yaml: str


@dataclass(frozen=True)
class Shortlist:
    """Per source id, the target ids worth scoring; `offsets` has one more entry than there are source ids."""

    always_kept: int  # target ids 0..always_kept-1 are allowed for every sentence
    offsets: np.ndarray  # uint64, list of source id i is ids[offsets[i]:offsets[i + 1]]
    ids: np.ndarray  # uint32 target ids


def read_model(path: Path) -> MarianModel:
    """Parse Marian's binary model format and dequantize its intgemm8 matrices to float32.

    Marian stores each intgemm8 matrix as plain row-major int8 followed by one float32 quantisation
    multiplier, and its bytes are already [out, in] although the header lists [in, out]; `Wemb` is the one
    matrix whose bytes match its header. The `*_QuantMultA` items scale activations on Marian's int8 path
    and are dropped: the native engine computes in float on the CPU this port targets.
    """
    blob = path.read_bytes()
    version, count = struct.unpack_from("<QQ", blob, 0)
    if version != 1:
        raise ProvisioningError(f"{path.name}: Marian binary version {version}, expected 1.")
    offset = 16
    headers = [struct.unpack_from("<QQQQ", blob, offset + 32 * index) for index in range(count)]
    offset += 32 * count
    names = []
    for name_length, _, _, _ in headers:
        names.append(blob[offset : offset + name_length - 1].decode())
        offset += name_length
    shapes = []
    for _, _, rank, _ in headers:
        shapes.append(struct.unpack_from(f"<{rank}i", blob, offset))
        offset += 4 * rank
    (padding,) = struct.unpack_from("<Q", blob, offset)
    offset += 8 + padding
    if offset % _ALIGNMENT:
        raise ProvisioningError(f"{path.name}: weights start at byte {offset}, not {_ALIGNMENT}-aligned.")

    weights: dict[str, np.ndarray] = {}
    config_yaml = ""
    expected_size = offset + sum(length for _, _, _, length in headers)
    if len(blob) != expected_size:
        raise ProvisioningError(f"{path.name} is {len(blob):,} bytes; its header describes {expected_size:,}.")
    for name, (_, kind, _, length), shape in zip(names, headers, shapes, strict=True):
        item = blob[offset : offset + length]
        offset += length
        if name.endswith("_QuantMultA"):
            continue
        if kind == _INT8 and name == "special:model.yml":
            config_yaml = item.split(b"\0", 1)[0].decode()
        elif kind == _FLOAT32:
            weights[name] = np.frombuffer(item, "<f4", count=int(np.prod(shape))).reshape(shape).copy()
        elif kind == _INTGEMM8:
            weights[name] = _dequantize(name, item, shape)
        else:
            raise ProvisioningError(f"{path.name}: item {name} has type {kind:#06x}, which Showroom cannot read.")
    if not config_yaml:
        raise ProvisioningError(f"{path.name}: no special:model.yml item, so the architecture is unknown.")
    return MarianModel(weights, config_yaml)


def _dequantize(name: str, item: bytes, shape: tuple[int, ...]) -> np.ndarray:
    rows, columns = shape
    size = rows * columns
    quantised = np.frombuffer(item, np.int8, count=size)
    (multiplier,) = struct.unpack_from("<f", item, size)
    if not multiplier > 0:
        raise ProvisioningError(f"Marian item {name} has quantisation multiplier {multiplier}.")
    layout = (rows, columns) if name == "Wemb" else (columns, rows)
    return (quantised.astype(np.float32) / np.float32(multiplier)).reshape(layout)


def read_shortlist(path: Path, vocabulary_size: int) -> Shortlist:
    """Parse Marian's binary lexical shortlist (six u64 header fields, u64 offsets, u32 target ids)."""
    blob = path.read_bytes()
    magic, _checksum, first_num, _best_num, offset_count, id_count = struct.unpack_from("<6Q", blob, 0)
    if magic != _SHORTLIST_MAGIC:
        raise ProvisioningError(f"{path.name} is not a Marian binary shortlist (magic {magic:#x}).")
    if offset_count != vocabulary_size + 1:
        raise ProvisioningError(
            f"{path.name} covers {offset_count - 1} source ids, but the vocabulary has {vocabulary_size}."
        )
    start = 48
    offsets = np.frombuffer(blob, "<u8", count=offset_count, offset=start)
    ids = np.frombuffer(blob, "<u4", count=id_count, offset=start + 8 * offset_count)
    if offsets[-1] != id_count or ids.max(initial=0) >= vocabulary_size:
        raise ProvisioningError(f"{path.name}: offsets or target ids out of range.")
    return Shortlist(int(first_num), offsets.copy(), ids.copy())
