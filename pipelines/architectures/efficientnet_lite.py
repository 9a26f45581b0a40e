"""EfficientNet-Lite as a transformers model: config, image-classification head, Auto registration.

Lite variants drop squeeze-excitation and use ReLU6 so they quantise well on mobile CPUs. The
weights were trained in TensorFlow, so convolutions use TensorFlow's "SAME" padding, which pads
stride-2 layers asymmetrically (more on the bottom/right); symmetric padding shifts every feature
map by a pixel and costs accuracy.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional
from transformers import (
    AutoConfig,
    AutoModelForImageClassification,
    PretrainedConfig,
    PreTrainedModel,
)
from transformers.modeling_outputs import ImageClassifierOutputWithNoAttention

# (repeats, kernel size, first stride, expansion ratio, output channels) per stage of Lite0.
LITE0_STAGES = (
    (1, 3, 1, 1, 16),
    (2, 3, 2, 6, 24),
    (2, 5, 2, 6, 40),
    (3, 3, 2, 6, 80),
    (3, 5, 1, 6, 112),
    (4, 5, 2, 6, 192),
    (1, 3, 1, 6, 320),
)


class EfficientNetLiteConfig(PretrainedConfig):
    """Stage layout and widths; the defaults describe EfficientNet-Lite0."""

    model_type = "efficientnet_lite"

    def __init__(
        self,
        stages: list[list[int]] | None = None,
        stem_channels: int = 32,
        head_channels: int = 1280,
        batch_norm_eps: float = 1e-3,
        dropout_rate: float = 0.2,
        num_channels: int = 3,
        **kwargs,
    ) -> None:
        self.stages = [list(stage) for stage in (stages or LITE0_STAGES)]
        self.stem_channels = stem_channels
        self.head_channels = head_channels
        self.batch_norm_eps = batch_norm_eps
        self.dropout_rate = dropout_rate
        self.num_channels = num_channels
        super().__init__(**kwargs)


class SamePaddingConv2d(nn.Conv2d):
    """A convolution padded the way TensorFlow's padding="SAME" does, for any input size."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []
        for size, kernel, stride in zip(
            reversed(x.shape[-2:]), reversed(self.kernel_size), reversed(self.stride), strict=True
        ):
            total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
            pads += [total // 2, total - total // 2]
        return super().forward(functional.pad(x, pads))


class ConvNormAct(nn.Sequential):
    """Convolution, batch norm and (optionally) ReLU6: the unit every layer is made of."""

    def __init__(self, inputs: int, outputs: int, kernel: int, stride: int, groups: int, eps: float, act: bool) -> None:
        layers = [
            SamePaddingConv2d(inputs, outputs, kernel, stride, groups=groups, bias=False),
            nn.BatchNorm2d(outputs, eps=eps),
        ]
        super().__init__(*layers, *([nn.ReLU6()] if act else []))


class InvertedResidual(nn.Module):
    """MBConv without squeeze-excitation: expand (1x1), depthwise (kxk), project (1x1)."""

    def __init__(self, inputs: int, outputs: int, kernel: int, stride: int, expansion: int, eps: float) -> None:
        super().__init__()
        hidden = inputs * expansion
        self.expand = ConvNormAct(inputs, hidden, 1, 1, 1, eps, act=True) if expansion != 1 else nn.Identity()
        self.depthwise = ConvNormAct(hidden, hidden, kernel, stride, hidden, eps, act=True)
        self.project = ConvNormAct(hidden, outputs, 1, 1, 1, eps, act=False)
        self.residual = stride == 1 and inputs == outputs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.project(self.depthwise(self.expand(x)))
        return x + y if self.residual else y


class EfficientNetLitePreTrainedModel(PreTrainedModel):
    config_class = EfficientNetLiteConfig
    base_model_prefix = "efficientnet_lite"
    main_input_name = "pixel_values"

    def _init_weights(self, module: nn.Module) -> None:
        """Weights always come from a converted checkpoint; this only gives new heads a sane start."""
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(module.weight)
            if module.bias is not None:
                nn.init.zeros_(module.bias)


class EfficientNetLiteForImageClassification(EfficientNetLitePreTrainedModel):
    """Backbone, global average pooling and a linear classifier, returning transformers outputs."""

    def __init__(self, config: EfficientNetLiteConfig) -> None:
        super().__init__(config)
        eps = config.batch_norm_eps
        self.stem = ConvNormAct(config.num_channels, config.stem_channels, 3, 2, 1, eps, act=True)
        blocks, channels = [], config.stem_channels
        for repeats, kernel, stride, expansion, outputs in config.stages:
            for repeat in range(repeats):
                blocks.append(InvertedResidual(channels, outputs, kernel, stride if repeat == 0 else 1, expansion, eps))
                channels = outputs
        self.blocks = nn.Sequential(*blocks)
        self.head = ConvNormAct(channels, config.head_channels, 1, 1, 1, eps, act=True)
        self.dropout = nn.Dropout(config.dropout_rate)
        self.classifier = nn.Linear(config.head_channels, config.num_labels)
        self.post_init()

    def forward(
        self,
        pixel_values: torch.Tensor,
        labels: torch.Tensor | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> ImageClassifierOutputWithNoAttention:
        features = self.head(self.blocks(self.stem(pixel_values)))
        logits = self.classifier(self.dropout(features.mean(dim=(2, 3))))
        loss = functional.cross_entropy(logits, labels) if labels is not None else None
        return ImageClassifierOutputWithNoAttention(loss=loss, logits=logits)


AutoConfig.register(EfficientNetLiteConfig.model_type, EfficientNetLiteConfig)
AutoModelForImageClassification.register(EfficientNetLiteConfig, EfficientNetLiteForImageClassification)
