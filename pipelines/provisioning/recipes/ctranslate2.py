"""Reader for CTranslate2's model.bin (the format faster-whisper ships), which transformers cannot read.

Layout (version 6): u32 version, the spec name and a u32 revision; u32 variable count, then per variable
its name, u8 rank, u32 dimensions, u8 dtype, u32 byte count and the bytes; then u32 alias count and
(alias, target) name pairs. Strings are a u16 length and that many bytes, NUL included.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipelines.errors import ProvisioningError

_DTYPES = {0: np.dtype("<f4"), 1: np.dtype("i1"), 2: np.dtype("<i2"), 3: np.dtype("<i4"), 4: np.dtype("<f2")}
_VERSIONS = (5, 6)


@dataclass(frozen=True)
class Ctranslate2Model:
    spec: str  # e.g. "WhisperSpec"
    variables: dict[str, np.ndarray]  # aliases resolved: an alias maps to its target's array


class _Cursor:
    def __init__(self, blob: bytes, source: str) -> None:
        self.blob, self.offset, self.source = blob, 0, source

    def take(self, size: int) -> bytes:
        if self.offset + size > len(self.blob):
            raise ProvisioningError(f"{self.source} ends early: it is truncated or not a CTranslate2 model.")
        chunk = self.blob[self.offset : self.offset + size]
        self.offset += size
        return chunk

    def number(self, code: str) -> int:
        return struct.unpack(f"<{code}", self.take(struct.calcsize(code)))[0]

    def string(self) -> str:
        return self.take(self.number("H")).rstrip(b"\0").decode()


def read_model(parts: list[Path]) -> Ctranslate2Model:
    """Parse a model.bin, given whole or as consecutive parts (which are simply concatenated)."""
    source = parts[0].name
    cursor = _Cursor(b"".join(part.read_bytes() for part in parts), source)
    version = cursor.number("I")
    if version not in _VERSIONS:
        raise ProvisioningError(f"{source}: CTranslate2 format version {version}; Showroom reads {_VERSIONS}.")
    spec = cursor.string()
    cursor.number("I")  # the spec's revision
    variables: dict[str, np.ndarray] = {}
    for _ in range(cursor.number("I")):
        name = cursor.string()
        shape = [cursor.number("I") for _ in range(cursor.number("B"))]
        dtype = _DTYPES.get(cursor.number("B"))
        size = cursor.number("I")
        if dtype is None or size != int(np.prod(shape, dtype=np.int64)) * dtype.itemsize:
            raise ProvisioningError(f"{source}: variable {name} has an unreadable type or size.")
        variables[name] = np.frombuffer(cursor.take(size), dtype).reshape(shape)
    for _ in range(cursor.number("I")):
        alias, target = cursor.string(), cursor.string()
        variables[alias] = variables[target]
    if cursor.offset != len(cursor.blob):
        raise ProvisioningError(f"{source}: {len(cursor.blob) - cursor.offset:,} unexpected bytes after the model.")
    return Ctranslate2Model(spec, variables)
