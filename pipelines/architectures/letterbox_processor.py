"""An image processor that letterboxes instead of stretching, and maps boxes back through the letterbox.

Detectors trained on square inputs see a distorted world if a wide photo is squashed into the square:
the image is scaled so its longer side fits, placed in the top-left corner and the rest padded. Boxes
come back normalised to that square, so post-processing scales them by the longer side (not by width
and height separately, as DETR's does) and clips them to the picture.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image
from transformers import AutoImageProcessor
from transformers.image_processing_backends import PilBackend
from transformers.image_processing_utils import BatchFeature

from pipelines.architectures.coco_detector import CocoDetectorConfig


class LetterboxImageProcessor(PilBackend):
    model_input_names = ["pixel_values"]  # noqa: RUF012  (transformers' own class attribute)

    def __init__(
        self,
        image_size: int = 512,
        channel_order: str = "RGB",
        pixel_mean: tuple[float, float, float] = (0.0, 0.0, 0.0),
        pixel_std: tuple[float, float, float] = (1.0, 1.0, 1.0),
        **kwargs,
    ) -> None:
        self.image_size = image_size
        self.channel_order = channel_order  # what the network was trained on; "BGR" flips the channels
        self.pixel_mean = list(pixel_mean)  # in 0-255 units, in `channel_order`
        self.pixel_std = list(pixel_std)
        super().__init__(**kwargs)

    def preprocess(self, images: Image.Image | list[Image.Image], return_tensors: str | None = None, **kwargs):
        images = images if isinstance(images, list) else [images]
        pixels = np.stack([self.letterbox(image) for image in images])
        return BatchFeature({"pixel_values": pixels}, tensor_type=return_tensors)

    def letterbox(self, image: Image.Image) -> np.ndarray:
        """One image as a channels-first float array of `image_size`², normalised as the network expects."""
        image = image.convert("RGB")
        scale = self.image_size / max(image.size)
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        canvas = np.zeros((self.image_size, self.image_size, 3), dtype=np.float32)
        canvas[: size[1], : size[0]] = np.asarray(image.resize(size, Image.Resampling.BILINEAR), dtype=np.float32)
        if self.channel_order == "BGR":
            canvas = canvas[..., ::-1]
        canvas = (canvas - np.float32(self.pixel_mean)) / np.float32(self.pixel_std)
        return np.ascontiguousarray(canvas.transpose(2, 0, 1))

    def post_process_object_detection(
        self, outputs, threshold: float = 0.5, target_sizes: torch.Tensor | list[tuple[int, int]] | None = None
    ) -> list[dict[str, torch.Tensor]]:
        """DETR's post-processing (softmax, best class, centre → corners) with the letterbox undone."""
        probabilities = outputs.logits.softmax(dim=-1)
        scores, labels = probabilities[..., :-1].max(dim=-1)
        centre, size = outputs.pred_boxes[..., :2], outputs.pred_boxes[..., 2:]
        boxes = torch.cat([centre - size / 2, centre + size / 2], dim=-1)
        results = []
        for index, (image_scores, image_labels, image_boxes) in enumerate(zip(scores, labels, boxes, strict=True)):
            if target_sizes is not None:
                height, width = (float(value) for value in target_sizes[index])
                image_boxes = image_boxes * max(height, width)
                limits = torch.tensor([width, height, width, height])
                image_boxes = torch.minimum(image_boxes.clamp(min=0), limits)
            keep = image_scores > threshold
            results.append({"scores": image_scores[keep], "labels": image_labels[keep], "boxes": image_boxes[keep]})
        return results


AutoImageProcessor.register(CocoDetectorConfig, image_processor_classes={"pil": LetterboxImageProcessor})
