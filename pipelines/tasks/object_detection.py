"""Object detection: prepare the image, run the cached pipeline, return typed boxes in the image's own pixels.

Boxes are reported in the coordinates of the image as uploaded (upright), even when it was downscaled
for the model, so they can be drawn on, cropped from or compared with the original.
"""

from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass

from PIL import Image, ImageDraw, ImageFont

from pipelines.errors import InputError
from pipelines.media.images import ImageSource, PreparedImage
from pipelines.serving.model_server import WaitCallback
from pipelines.tasks.image_task import run_image_task

TASK = "object-detection"
DEFAULT_THRESHOLD = 0.3  # these detectors' scores mostly land between 0.4 and 0.7; 0.5 drops true objects
# A colour per class, cycling through a palette that stays readable on photos.
PALETTE = (
    "#E6194B", "#3CB44B", "#FFE119", "#4363D8", "#F58231", "#911EB4", "#42D4F4", "#F032E6",
    "#BFEF45", "#FABED4", "#469990", "#DCBEFF", "#9A6324", "#FFFAC8", "#800000", "#AAFFC3",
)  # fmt: skip


@dataclass(frozen=True)
class Box:
    xmin: int
    ymin: int
    xmax: int
    ymax: int


@dataclass(frozen=True)
class Detection:
    label: str
    score: float
    box: Box


@dataclass(frozen=True)
class Detections:
    """What one model found in one image, best first, and how long the model took."""

    model: str
    found: list[Detection]
    seconds: float
    image: PreparedImage

    def as_json(self) -> list[dict]:
        """The CLI's shape: [{"label", "score", "box": {"xmin", "ymin", "xmax", "ymax"}}], best first."""
        return [asdict(detection) for detection in self.found]

    def counts(self) -> dict[str, int]:
        """Detections per class, most frequent first."""
        tally: dict[str, int] = {}
        for detection in self.found:
            tally[detection.label] = tally.get(detection.label, 0) + 1
        return dict(sorted(tally.items(), key=lambda item: (-item[1], item[0])))


def detect_objects(
    image: ImageSource,
    model: str | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    on_wait: WaitCallback | None = None,
) -> Detections:
    """Find objects in one image with a catalog model, a local folder or (if allowed) a hub id."""
    if not 0.0 < threshold < 1.0:
        raise InputError(f"The score threshold must be between 0 and 1 (exclusive); got {threshold}.")
    run = run_image_task(TASK, image, model, (threshold,), on_wait)
    found = sorted((_detection(item, run.image) for item in run.raw), key=lambda found: found.score, reverse=True)
    return Detections(run.model, found, run.seconds, run.image)


def _detection(item: dict, prepared: PreparedImage) -> Detection:
    """Pipeline boxes are in the prepared image's pixels; map them back to the original's."""
    width, height = prepared.original_size
    factor = 1 / prepared.scale
    box = item["box"]
    return Detection(
        item["label"],
        float(item["score"]),
        Box(
            xmin=max(0, min(width, round(box["xmin"] * factor))),
            ymin=max(0, min(height, round(box["ymin"] * factor))),
            xmax=max(0, min(width, round(box["xmax"] * factor))),
            ymax=max(0, min(height, round(box["ymax"] * factor))),
        ),
    )


def colour_of(label: str) -> str:
    """One colour per class, the same in every image, session and model."""
    return PALETTE[zlib.crc32(label.encode()) % len(PALETTE)]


def annotate(detections: Detections) -> Image.Image:
    """The prepared image with each box outlined in its class colour and captioned with label and score."""
    canvas = detections.image.image.copy()
    draw = ImageDraw.Draw(canvas)
    scale = detections.image.scale
    width = max(2, round(max(canvas.size) / 300))
    font = ImageFont.load_default(size=max(12, round(max(canvas.size) / 40)))
    for detection in reversed(detections.found):  # best last, so it is drawn on top
        colour = colour_of(detection.label)
        box = detection.box
        corners = [box.xmin * scale, box.ymin * scale, box.xmax * scale, box.ymax * scale]
        draw.rectangle(corners, outline=colour, width=width)
        caption = f"{detection.label} {detection.score:.0%}"
        left, top, right, bottom = draw.textbbox((corners[0], corners[1]), caption, font=font)
        lift = bottom - top + 2 * width
        origin_y = corners[1] - lift if corners[1] >= lift else corners[1]
        draw.rectangle([left, origin_y, right + 2 * width, origin_y + lift], fill=colour)
        draw.text((corners[0] + width, origin_y + width), caption, fill="black", font=font)
    return canvas
