"""The steps every image task shares: normalise the upload, then time one call of the task's cached pipeline."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from pipelines.catalog import default_model
from pipelines.images import ImageSource, PreparedImage, prepare_image
from pipelines.loader import get_pipeline


@dataclass(frozen=True)
class ImageRun:
    model: str
    image: PreparedImage
    raw: Any  # the pipeline's own answer
    seconds: float  # the pipeline call alone, without decoding the upload


def run_image_task(task: str, image: ImageSource, model: str | None, **call_kwargs: Any) -> ImageRun:
    """Run `task` on one image with a catalog model, a local folder or (if allowed) a hub id."""
    name = model or default_model(task).name
    prepared = prepare_image(image)
    served = get_pipeline(name, task)
    started = time.perf_counter()
    raw = served(prepared.image, **call_kwargs)
    return ImageRun(name, prepared, raw, time.perf_counter() - started)
