"""Reading a TensorFlow.js graph model (model.json + weight shards) into plain Python and numpy.

The op graph becomes a list of small dicts (name, op, inputs, decoded attributes) that a model config
can carry as JSON; the constants become float32/int32 arrays. Only the encodings these models use are
accepted (float32 stored as float16, plain int32); anything else is refused rather than misread.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipelines.errors import ProvisioningError

_DTYPES = {"float32": np.dtype("<f4"), "int32": np.dtype("<i4")}
_STORED = {"float16": np.dtype("<f2")}


@dataclass(frozen=True)
class TfjsGraph:
    nodes: list[dict]  # non-constant nodes in a valid execution order
    constants: dict[str, np.ndarray]
    signature: dict


def read_graph(model_json: Path) -> TfjsGraph:
    """Parse model.json and its weight files (which must sit beside it)."""
    model = json.loads(model_json.read_text())
    if model.get("format") != "graph-model":
        raise ProvisioningError(f"{model_json.name} is not a TensorFlow.js graph model.")
    constants: dict[str, np.ndarray] = {}
    for group in model["weightsManifest"]:
        blob = b"".join((model_json.parent / path).read_bytes() for path in group["paths"])
        offset = 0
        for spec in group["weights"]:
            array, offset = _read_weight(spec, blob, offset, model_json.name)
            constants[spec["name"]] = array
        if offset != len(blob):
            raise ProvisioningError(f"{model_json.name}: weights use {offset:,} of {len(blob):,} bytes.")
    nodes = [_node(node) for node in model["modelTopology"]["node"] if node["op"] != "Const"]
    missing = {node["name"] for node in model["modelTopology"]["node"] if node["op"] == "Const"} - constants.keys()
    if missing:
        raise ProvisioningError(f"{model_json.name}: constants without weights: {sorted(missing)[:5]}.")
    return TfjsGraph(_execution_order(nodes, constants), constants, model.get("signature", {}))


def _read_weight(spec: dict, blob: bytes, offset: int, source: str) -> tuple[np.ndarray, int]:
    dtype = _DTYPES.get(spec["dtype"])
    quantization = spec.get("quantization")
    stored = _STORED.get(quantization["dtype"]) if quantization else dtype
    if dtype is None or stored is None or (quantization and set(quantization) - {"dtype", "original_dtype"}):
        raise ProvisioningError(f"{source}: weight {spec['name']} has an encoding Showroom cannot read.")
    count = int(np.prod(spec["shape"], dtype=np.int64))
    end = offset + count * stored.itemsize
    if end > len(blob):
        raise ProvisioningError(f"{source}: the weight files end before weight {spec['name']}.")
    array = np.frombuffer(blob[offset:end], stored).astype(dtype).reshape(spec["shape"])
    return array, end


def _node(node: dict) -> dict:
    """Keep what execution needs: data inputs (not control edges) and readable attribute values."""
    attributes = {key: _attribute(value) for key, value in node.get("attr", {}).items()}
    inputs = [name for name in node.get("input", []) if not name.startswith("^")]
    return {"name": node["name"], "op": node["op"], "inputs": inputs, "attr": attributes}


def _attribute(value: dict) -> object:
    if "list" in value:
        items = value["list"]
        if "i" in items:
            return [int(item) for item in items["i"]]
        if "s" in items:
            return [base64.b64decode(item).decode() for item in items["s"]]
        return [float(item) for item in items.get("f", [])]
    if "s" in value:
        return base64.b64decode(value["s"]).decode()
    if "i" in value:
        return int(value["i"])
    if "f" in value:
        return float(value["f"])
    if "b" in value:
        return bool(value["b"])
    if "type" in value:
        return value["type"]
    return None  # shapes and other metadata execution does not need


def _execution_order(nodes: list[dict], constants: dict[str, np.ndarray]) -> list[dict]:
    """Depth-first topological order, so the executor can run the list front to back."""
    by_name = {node["name"]: node for node in nodes}
    ordered: list[dict] = []
    state: dict[str, str] = {}
    for root in nodes:
        stack = [(root["name"], False)]
        while stack:
            name, expanded = stack.pop()
            if name in constants or state.get(name) == "done":
                continue
            if expanded:
                state[name] = "done"
                ordered.append(by_name[name])
                continue
            if state.get(name) == "open":
                raise ProvisioningError(f"The graph has a cycle through {name}.")
            state[name] = "open"
            stack.append((name, True))
            for source in by_name[name]["inputs"]:
                base = source.split(":")[0]
                if base not in constants and base not in by_name:
                    raise ProvisioningError(f"Node {name} reads {base}, which the graph does not define.")
                stack.append((base, False))
    return ordered
