"""TensorFlow graph ops in PyTorch, with TensorFlow's semantics: what a TensorFlow.js graph model computes.

Tensors keep TensorFlow's layout (NHWC for images); convolutions view them as channels-last NCHW, which
costs no copy. The subtle parts are TensorFlow's: "SAME" padding is asymmetric (the extra pixel goes
after), legacy bilinear resizing samples at `out * in / out` without half-pixel centres, and a strided
slice has begin/end/shrink masks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch.nn import functional

Value = torch.Tensor | tuple[torch.Tensor, ...]
Op = Callable[[dict, list[torch.Tensor], dict], Value]


def _same_padding(size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    effective = (kernel - 1) * dilation + 1
    total = max((math.ceil(size / stride) - 1) * stride + effective - size, 0)
    return total // 2, total - total // 2


def _padded(x: torch.Tensor, node: dict, kernel: Sequence[int], value: float = 0.0) -> torch.Tensor:
    """`x` is NCHW; pad it as TensorFlow's "SAME" does (nothing for "VALID")."""
    if node["attr"].get("padding") != "SAME":
        return x
    strides, dilations = node["attr"]["strides"][1:3], node["attr"].get("dilations", [1, 1, 1, 1])[1:3]
    top, bottom = _same_padding(x.shape[2], kernel[0], strides[0], dilations[0])
    left, right = _same_padding(x.shape[3], kernel[1], strides[1], dilations[1])
    return functional.pad(x, (left, right, top, bottom), value=value)


def _nchw(x: torch.Tensor, node: dict) -> torch.Tensor:
    return x.permute(0, 3, 1, 2) if node["attr"].get("data_format", "NHWC") == "NHWC" else x


def _back(x: torch.Tensor, node: dict) -> torch.Tensor:
    return x.permute(0, 2, 3, 1) if node["attr"].get("data_format", "NHWC") == "NHWC" else x


def _fused(x: torch.Tensor, node: dict, extra: list[torch.Tensor]) -> torch.Tensor:
    """The ops TensorFlow.js folds into a convolution: a bias, then an activation."""
    for fused in node["attr"].get("fused_ops", []):
        if fused == "BiasAdd":
            x = x + extra[0]
        elif fused == "Relu":
            x = functional.relu(x)
        elif fused == "Relu6":
            x = functional.relu6(x)
        elif fused == "LeakyRelu":
            x = functional.leaky_relu(x, node["attr"].get("leakyrelu_alpha", 0.2))
        else:
            raise NotImplementedError(f"Fused op {fused} in {node['name']}.")
    return x


def conv2d(node: dict, inputs: list[torch.Tensor], cache: dict) -> torch.Tensor:
    x, kernel, *extra = inputs
    if node["name"] not in cache:  # TF kernels are [h, w, in, out]
        cache[node["name"]] = kernel.permute(3, 2, 0, 1).contiguous()
    weight = cache[node["name"]]
    strides, dilations = node["attr"]["strides"][1:3], node["attr"].get("dilations", [1, 1, 1, 1])[1:3]
    x = _padded(_nchw(x, node), node, weight.shape[2:])
    return _fused(_back(functional.conv2d(x, weight, stride=strides, dilation=dilations), node), node, extra)


def depthwise_conv2d(node: dict, inputs: list[torch.Tensor], cache: dict) -> torch.Tensor:
    x, kernel, *extra = inputs
    if node["name"] not in cache:  # TF depthwise kernels are [h, w, in, multiplier]
        height, width, channels, multiplier = kernel.shape
        cache[node["name"]] = kernel.permute(2, 3, 0, 1).reshape(channels * multiplier, 1, height, width).contiguous()
    weight = cache[node["name"]]
    strides, dilations = node["attr"]["strides"][1:3], node["attr"].get("dilations", [1, 1, 1, 1])[1:3]
    x = _padded(_nchw(x, node), node, weight.shape[2:])
    out = functional.conv2d(x, weight, stride=strides, dilation=dilations, groups=x.shape[1])
    return _fused(_back(out, node), node, extra)


def max_pool(node: dict, inputs: list[torch.Tensor], cache: dict) -> torch.Tensor:
    size, strides = node["attr"]["ksize"][1:3], node["attr"]["strides"][1:3]
    x = _padded(_nchw(inputs[0], node), node, size, value=-math.inf)
    return _back(functional.max_pool2d(x, size, strides), node)


def resize_bilinear(node: dict, inputs: list[torch.Tensor], cache: dict) -> torch.Tensor:
    x, size = inputs  # NHWC
    out_h, out_w = (int(value) for value in size.tolist())
    rows = _source_coordinates(x.shape[1], out_h, node["attr"])
    columns = _source_coordinates(x.shape[2], out_w, node["attr"])
    return _lerp(_lerp(x, rows, dim=1), columns, dim=2)


def _source_coordinates(size_in: int, size_out: int, attr: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Lower index, upper index and weight of the upper one, for each output position along one axis."""
    corners = attr.get("align_corners") and size_out > 1
    scale = (size_in - 1) / (size_out - 1) if corners else size_in / size_out
    positions = torch.arange(size_out, dtype=torch.float32)
    source = (positions + 0.5) * scale - 0.5 if attr.get("half_pixel_centers") else positions * scale
    source = source.clamp(min=0)
    lower = source.floor().long().clamp(max=size_in - 1)
    upper = (lower + 1).clamp(max=size_in - 1)
    return lower, upper, source - lower


def _lerp(x: torch.Tensor, coordinates: tuple[torch.Tensor, torch.Tensor, torch.Tensor], dim: int) -> torch.Tensor:
    lower, upper, weight = coordinates
    shape = [1] * x.dim()
    shape[dim] = -1
    low, high = x.index_select(dim, lower), x.index_select(dim, upper)
    return low + (high - low) * weight.view(shape)


def strided_slice(node: dict, inputs: list[torch.Tensor], cache: dict) -> torch.Tensor:
    x, begin, end, strides = (inputs[0], *(tensor.tolist() for tensor in inputs[1:]))
    attr = node["attr"]
    if attr.get("ellipsis_mask") or attr.get("new_axis_mask"):
        raise NotImplementedError(f"Ellipsis or new-axis slicing in {node['name']}.")
    index: list[object] = []
    for axis, (start, stop, step) in enumerate(zip(begin, end, strides, strict=True)):
        if attr.get("shrink_axis_mask", 0) >> axis & 1:
            index.append(start)
            continue
        start = None if attr.get("begin_mask", 0) >> axis & 1 else start
        stop = None if attr.get("end_mask", 0) >> axis & 1 else stop
        index.append(slice(start, stop, step))
    return x[tuple(index)]


def top_k(node: dict, inputs: list[torch.Tensor], cache: dict) -> tuple[torch.Tensor, torch.Tensor]:
    values, indices = torch.topk(inputs[0], int(inputs[1]), dim=-1, sorted=True)
    return values, indices.to(torch.int32)


def split_v(node: dict, inputs: list[torch.Tensor], cache: dict) -> tuple[torch.Tensor, ...]:
    x, sizes, axis = inputs
    sizes = sizes.tolist()
    if -1 in sizes:
        sizes[sizes.index(-1)] = x.shape[int(axis)] - (sum(sizes) + 1)
    return torch.split(x, sizes, dim=int(axis))


def sparse_to_dense(node: dict, inputs: list[torch.Tensor], cache: dict) -> torch.Tensor:
    indices, shape, values, default = inputs
    dense = torch.full([int(size) for size in shape.tolist()], default.item(), dtype=values.dtype)
    if indices.numel():
        dense[tuple(indices.long().reshape(indices.shape[0], -1).T)] = values
    return dense


def _pad(node: dict, inputs: list[torch.Tensor], cache: dict) -> torch.Tensor:
    paddings = inputs[1].tolist()
    value = inputs[2].item() if len(inputs) > 2 else 0.0
    flat = [amount for before, after in reversed(paddings) for amount in (before, after)]
    return functional.pad(inputs[0], flat, value=value)


def _cast(node: dict, inputs: list[torch.Tensor], cache: dict) -> torch.Tensor:
    target = {"DT_FLOAT": torch.float32, "DT_INT32": torch.int32, "DT_INT64": torch.int64, "DT_BOOL": torch.bool}
    return inputs[0].to(target[node["attr"]["DstT"]])


def _gather(node: dict, inputs: list[torch.Tensor], cache: dict) -> torch.Tensor:
    params, indices, axis = inputs
    axis = int(axis) % params.dim()
    picked = params.index_select(axis, indices.reshape(-1).long())
    return picked.reshape(*params.shape[:axis], *indices.shape, *params.shape[axis + 1 :])


def _concat(node: dict, inputs: list[torch.Tensor], cache: dict) -> torch.Tensor:
    *values, axis = inputs
    return torch.cat(values, dim=int(axis))


def _mean(node: dict, inputs: list[torch.Tensor], cache: dict) -> torch.Tensor:
    axes = [int(axis) for axis in inputs[1].reshape(-1).tolist()]
    return inputs[0].mean(dim=axes, keepdim=bool(node["attr"].get("keep_dims")))


def _reshape(node: dict, inputs: list[torch.Tensor], cache: dict) -> torch.Tensor:
    return inputs[0].reshape([int(size) for size in inputs[1].tolist()])


def _elementwise(function: Callable[..., torch.Tensor]) -> Op:
    return lambda node, inputs, cache: function(*inputs)


OPS: dict[str, Op] = {
    "_FusedConv2D": conv2d,
    "Conv2D": conv2d,
    "FusedDepthwiseConv2dNative": depthwise_conv2d,
    "DepthwiseConv2dNative": depthwise_conv2d,
    "MaxPool": max_pool,
    "ResizeBilinear": resize_bilinear,
    "StridedSlice": strided_slice,
    "TopKV2": top_k,
    "SplitV": split_v,
    "SparseToDense": sparse_to_dense,
    "Pad": _pad,
    "PadV2": _pad,
    "Cast": _cast,
    "GatherV2": _gather,
    "ConcatV2": _concat,
    "Mean": _mean,
    "Reshape": _reshape,
    "Add": _elementwise(torch.add),
    "AddV2": _elementwise(torch.add),
    "Sub": _elementwise(torch.sub),
    "Mul": _elementwise(torch.mul),
    "Equal": _elementwise(torch.eq),
    "FloorDiv": _elementwise(lambda a, b: torch.div(a, b, rounding_mode="floor")),
    "FloorMod": _elementwise(torch.remainder),
    "Relu": _elementwise(functional.relu),
    "Relu6": _elementwise(functional.relu6),
    "Sigmoid": _elementwise(torch.sigmoid),
    "Identity": _elementwise(lambda x: x),
    "ExpandDims": _elementwise(lambda x, axis: x.unsqueeze(int(axis))),
    "Transpose": _elementwise(lambda x, perm: x.permute(*perm.tolist())),
    "LeakyRelu": lambda node, inputs, cache: functional.leaky_relu(inputs[0], node["attr"].get("alpha", 0.2)),
}
