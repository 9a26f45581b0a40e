"""COCO detectors rebuilt from TensorFlow.js graphs, as transformers object-detection models.

The network is the graph itself, run op by op in PyTorch (pipelines.architectures.tfjs_ops) with the
graph's weights as buffers, so it computes what TensorFlow.js computes. On top sit the parts a
TensorFlow.js app does in JavaScript: decoding (CenterNet's graph decodes its own top 100; NanoDet's
distance bins are decoded here, GFL-style) and per-class non-maximum suppression. The output is DETR's
shape, `logits` over the classes plus "no object" and normalised `pred_boxes`, so transformers' stock
object-detection pipeline and its post-processing apply unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from transformers import AutoConfig, AutoModelForObjectDetection, PretrainedConfig, PreTrainedModel
from transformers.modeling_outputs import ModelOutput
from transformers.models.auto.modeling_auto import MODEL_FOR_OBJECT_DETECTION_MAPPING_NAMES

from pipelines.architectures.tfjs_ops import OPS

_NO_LOGIT = -1e4  # softmax weight exp(-1e4) is exactly 0 in float32, without -inf's NaN risks


class CocoDetectorConfig(PretrainedConfig):
    """The op graph, its constants' names/shapes/dtypes, and how to decode the graph's outputs."""

    model_type = "tfjs_coco_detector"

    def __init__(
        self,
        graph: list[dict] | None = None,
        constants: list[dict] | None = None,
        graph_input: str = "",
        graph_input_layout: str = "NHWC",
        graph_outputs: list[str] | None = None,
        decoder: str = "centernet",
        image_size: int = 512,
        strides: list[int] | None = None,
        candidate_threshold: float = 0.05,
        nms_iou: float = 0.5,
        max_detections: int = 100,
        **kwargs,
    ) -> None:
        self.graph = graph or []
        self.constants = constants or []  # [{"name", "shape", "dtype"}] in buffer order
        self.graph_input = graph_input
        self.graph_input_layout = graph_input_layout
        self.graph_outputs = graph_outputs or []
        self.decoder = decoder  # "centernet": the graph's own [x1, y1, x2, y2, score, class]; "gfl": NanoDet
        self.image_size = image_size
        self.strides = strides or []
        self.candidate_threshold = candidate_threshold
        self.nms_iou = nms_iou
        self.max_detections = max_detections
        super().__init__(**kwargs)


@dataclass
class DetectionOutput(ModelOutput):
    logits: torch.Tensor | None = None  # [batch, queries, classes + 1], the last is "no object"
    pred_boxes: torch.Tensor | None = None  # [batch, queries, 4]: centre x, centre y, width, height in 0..1


class GraphExecutor(nn.Module):
    """Runs the op graph; constants are named by position, since graph names are not attribute names."""

    def __init__(self, config: CocoDetectorConfig) -> None:
        super().__init__()
        self.nodes = config.graph
        self.constant_names = [constant["name"] for constant in config.constants]
        for index, constant in enumerate(config.constants):
            if constant["dtype"] == "float32":  # weights: parameters, so transformers sees the model's dtype
                self.register_parameter(f"c{index}", nn.Parameter(torch.zeros(constant["shape"]), requires_grad=False))
            else:  # shapes, axes and indices
                self.register_buffer(f"c{index}", torch.zeros(constant["shape"], dtype=torch.int32))
        self._kernels: dict[str, torch.Tensor] = {}  # kernels in PyTorch's layout, made once per process
        self._plans: dict[tuple[str, ...], tuple[list[dict], list[list[str]]]] = {}  # per output list

    def forward(self, inputs: dict[str, torch.Tensor], outputs: list[str]) -> list[torch.Tensor]:
        values: dict[str, object] = {name: getattr(self, f"c{i}") for i, name in enumerate(self.constant_names)}
        values.update(inputs)
        steps, last_uses = self._plan(tuple(outputs))
        for node, done_with in zip(steps, last_uses, strict=True):
            operation = OPS.get(node["op"])
            if operation is None:
                raise NotImplementedError(f"TensorFlow op {node['op']} ({node['name']}) is not ported.")
            values[node["name"]] = operation(node, [_lookup(values, name) for name in node["inputs"]], self._kernels)
            for name in done_with:  # an activation no later node reads is freed now, not at the end: the
                del values[name]  # whole graph's activations at once took ~300 MB per image (CenterNet)
        return [_lookup(values, name) for name in outputs]

    def _plan(self, outputs: tuple[str, ...]) -> tuple[list[dict], list[list[str]]]:
        """The nodes to run, in order, and after each the activations it was the last reader of."""
        if outputs not in self._plans:
            self._plans[outputs] = self._make_plan(outputs)
        return self._plans[outputs]

    def _make_plan(self, outputs: tuple[str, ...]) -> tuple[list[dict], list[list[str]]]:
        needed = self._needed(list(outputs))
        steps = [node for node in self.nodes if node["name"] in needed and node["op"] != "Placeholder"]
        produced = {node["name"] for node in steps}
        kept = {name.split(":")[0] for name in outputs}
        last_reader: dict[str, int] = {}
        for index, node in enumerate(steps):
            for source in node["inputs"]:
                last_reader[source.split(":")[0]] = index
        last_uses: list[list[str]] = [[] for _ in steps]
        for name, index in last_reader.items():
            if name in produced and name not in kept:
                last_uses[index].append(name)
        return steps, last_uses

    def _needed(self, outputs: list[str]) -> set[str]:
        by_name = {node["name"]: node for node in self.nodes}
        needed: set[str] = set()
        pending = [name.split(":")[0] for name in outputs]
        while pending:
            name = pending.pop()
            if name in needed or name not in by_name:
                continue
            needed.add(name)
            pending.extend(source.split(":")[0] for source in by_name[name]["inputs"])
        return needed


def _lookup(values: dict[str, object], reference: str) -> torch.Tensor:
    name, _, port = reference.partition(":")
    value = values[name]
    return value[int(port or 0)] if isinstance(value, tuple) else value


class CocoDetectorForObjectDetection(PreTrainedModel):
    config_class = CocoDetectorConfig
    base_model_prefix = "detector"
    main_input_name = "pixel_values"

    def __init__(self, config: CocoDetectorConfig) -> None:
        super().__init__(config)
        self.graph = GraphExecutor(config)
        self.post_init()

    def _init_weights(self, module: nn.Module) -> None:
        """Every weight comes from the graph's file; nothing is initialised at random."""

    def forward(self, pixel_values: torch.Tensor, **kwargs) -> DetectionOutput:
        batch = pixel_values if self.config.graph_input_layout == "NCHW" else pixel_values.permute(0, 2, 3, 1)
        detections = [self._detect(image[None]) for image in batch]
        logits, boxes = zip(*(self._as_queries(*found) for found in detections), strict=True)
        return DetectionOutput(logits=torch.stack(logits), pred_boxes=torch.stack(boxes))

    def _detect(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Boxes (x1, y1, x2, y2 in input pixels), scores and classes that survive per-class NMS."""
        outputs = self.graph({self.config.graph_input: image}, self.config.graph_outputs)
        if self.config.decoder == "centernet":
            (detections,) = outputs
            boxes, scores, classes = detections[0, :, :4], detections[0, :, 4], detections[0, :, 5].long()
        else:
            boxes, scores, classes = self._decode_gfl(outputs)
        keep = scores > self.config.candidate_threshold
        boxes, scores, classes = boxes[keep], scores[keep], classes[keep]
        kept = per_class_nms(boxes, scores, classes, self.config.nms_iou)[: self.config.max_detections]
        return boxes[kept], scores[kept], classes[kept]

    def _decode_gfl(self, outputs: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """NanoDet's head: per level, class scores and four distance distributions over `bins` steps."""
        levels = len(self.config.strides)
        all_boxes, all_scores, all_classes = [], [], []
        for stride, scores, distances in zip(self.config.strides, outputs[:levels], outputs[levels:], strict=True):
            side = self.config.image_size // stride
            cells = torch.arange(side * side)
            centre_x = (cells % side + 0.5) * stride
            centre_y = (cells // side + 0.5) * stride
            bins = distances[0].reshape(side * side, 4, -1).softmax(dim=-1)
            expected = (bins * torch.arange(bins.shape[-1], dtype=bins.dtype)).sum(dim=-1) * stride
            all_boxes.append(
                torch.stack(
                    [
                        centre_x - expected[:, 0],
                        centre_y - expected[:, 1],
                        centre_x + expected[:, 2],
                        centre_y + expected[:, 3],
                    ],
                    dim=1,
                )
            )
            best, classes = scores[0].max(dim=-1)
            all_scores.append(best)
            all_classes.append(classes)
        return torch.cat(all_boxes), torch.cat(all_scores), torch.cat(all_classes)

    def _as_queries(
        self, boxes: torch.Tensor, scores: torch.Tensor, classes: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """DETR-style: softmax of each query's logits gives the detector's score on its class, the rest
        on "no object"; unused queries are all "no object"."""
        queries, labels = self.config.max_detections, self.config.num_labels
        logits = torch.full((queries, labels + 1), _NO_LOGIT)
        logits[:, labels] = 0.0
        count = len(scores)
        probability = scores.clamp(1e-6, 1 - 1e-6)
        logits[torch.arange(count), classes] = probability.log()
        logits[:count, labels] = (1 - probability).log()
        size = float(self.config.image_size)
        corners = boxes.clamp(0, size) / size
        centred = torch.zeros(queries, 4)
        centred[:count] = torch.stack(
            [
                (corners[:, 0] + corners[:, 2]) / 2,
                (corners[:, 1] + corners[:, 3]) / 2,
                corners[:, 2] - corners[:, 0],
                corners[:, 3] - corners[:, 1],
            ],
            dim=1,
        )
        return logits, centred


def per_class_nms(boxes: torch.Tensor, scores: torch.Tensor, classes: torch.Tensor, iou: float) -> torch.Tensor:
    """Indices kept by greedy non-maximum suppression within each class, best score first."""
    order = scores.argsort(descending=True)
    boxes, classes = boxes[order], classes[order]
    overlaps = (box_iou(boxes, boxes) > iou) & (classes[:, None] == classes[None, :])
    suppressed = [False] * len(order)
    kept = []
    for index, row in enumerate(overlaps.tolist()):
        if suppressed[index]:
            continue
        kept.append(index)
        suppressed = [done or hit for done, hit in zip(suppressed, row, strict=True)]
    return order[kept] if kept else order[:0]


def box_iou(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """Pairwise intersection over union of two sets of x1, y1, x2, y2 boxes."""
    top_left = torch.maximum(first[:, None, :2], second[None, :, :2])
    bottom_right = torch.minimum(first[:, None, 2:], second[None, :, 2:])
    intersection = (bottom_right - top_left).clamp(min=0).prod(dim=-1)
    area = lambda boxes: (boxes[:, 2:] - boxes[:, :2]).clamp(min=0).prod(dim=-1)  # noqa: E731
    union = area(first)[:, None] + area(second)[None, :] - intersection
    return intersection / union.clamp(min=math.ulp(1.0))


AutoConfig.register(CocoDetectorConfig.model_type, CocoDetectorConfig)
AutoModelForObjectDetection.register(CocoDetectorConfig, CocoDetectorForObjectDetection)
# The object-detection pipeline checks a fixed name table, not the Auto registry; without this entry it
# logs a spurious "not supported" error (and then works).
MODEL_FOR_OBJECT_DETECTION_MAPPING_NAMES[CocoDetectorConfig.model_type] = CocoDetectorForObjectDetection.__name__
