"""The steps every image task shares: normalise the upload, then time its answer from the model's owner."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from pipelines.media.images import ImageSource, PreparedImage, prepare_image
from pipelines.provisioning.catalog import default_model
from pipelines.serving.loader import get_server
from pipelines.serving.model_server import WaitCallback


@dataclass(frozen=True)
class ImageRun:
    model: str
    image: PreparedImage
    raw: Any  # the pipeline's own answer
    seconds: float  # waiting for and running the model, without decoding the upload


def run_image_task(
    task: str, image: ImageSource, model: str | None, options: tuple, on_wait: WaitCallback | None = None
) -> ImageRun:
    """Run `task` on one image with a catalog model, a local folder or (if allowed) a hub id.

    `options` are the task's call settings (top-k, threshold): images with the same ones share a batch."""
    name = model or default_model(task).name
    prepared = prepare_image(image)
    server = get_server(name, task)
    started = time.perf_counter()
    [raw] = server.run([prepared.image], options, on_wait)
    return ImageRun(name, prepared, raw, time.perf_counter() - started)
