"""The values a model's owner takes and gives, as JSON, for the hop between the dashboard and a Serve
replica (`pipelines.scaleout.app`, `pipelines.serving.remote`).

Items and results are what a batch call reads and returns (`pipelines.serving.batch_calls`): texts, images,
audio windows (dicts holding a numpy array), the pipelines' lists of dicts, numpy arrays, and tuples in
options and timestamps. Arrays and images travel as their raw bytes, so a result read back equals the
one computed (the tests compare them). Never pickle: a replica must not run what a client sent.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
from PIL import Image

from pipelines.errors import InputError

_ARRAY, _IMAGE, _TUPLE = "$ndarray", "$image", "$tuple"
_DTYPES = {"bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"}
_MODES = {"RGB", "RGBA", "L"}


def encode(value: Any) -> Any:
    """A JSON-ready copy of `value`; raises TypeError for anything the wire does not carry."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        array = np.ascontiguousarray(value)
        if array.dtype.name not in _DTYPES:
            raise TypeError(f"arrays of {array.dtype} do not travel")
        return {_ARRAY: {"dtype": array.dtype.name, "shape": list(array.shape), "data": _text(array.tobytes())}}
    if isinstance(value, Image.Image):
        image = value if value.mode in _MODES else value.convert("RGB")
        return {_IMAGE: {"mode": image.mode, "size": list(image.size), "data": _text(image.tobytes())}}
    if isinstance(value, tuple):
        return {_TUPLE: [encode(item) for item in value]}
    if isinstance(value, list):
        return [encode(item) for item in value]
    if isinstance(value, dict):
        if any(not isinstance(key, str) or key.startswith("$") for key in value):
            raise TypeError("dict keys must be text that does not start with $")
        return {key: encode(item) for key, item in value.items()}
    raise TypeError(f"{type(value).__name__} does not travel")


def decode(value: Any) -> Any:
    """The value `encode` was given; malformed input raises InputError with one sentence."""
    try:
        return _decode(value)
    except (KeyError, TypeError, ValueError) as error:
        sentence = f"The request is not in Showroom's wire format ({error}); send what encode() writes."
        raise InputError(sentence) from None


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    if _TUPLE in value:
        return tuple(_decode(item) for item in value[_TUPLE])
    if _ARRAY in value:
        spec = value[_ARRAY]
        if spec["dtype"] not in _DTYPES:
            raise ValueError(f"arrays of {spec['dtype']} are not accepted")
        return np.frombuffer(_bytes(spec["data"]), dtype=spec["dtype"]).reshape(spec["shape"]).copy()
    if _IMAGE in value:
        spec = value[_IMAGE]
        if spec["mode"] not in _MODES:
            raise ValueError(f"images in mode {spec['mode']} are not accepted")
        return Image.frombytes(spec["mode"], tuple(spec["size"]), _bytes(spec["data"]))
    return {key: _decode(item) for key, item in value.items()}


def _text(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _bytes(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)
