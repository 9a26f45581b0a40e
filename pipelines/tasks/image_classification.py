"""Image classification: prepare the image, run the cached pipeline, return typed scores."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from pipelines.errors import InputError
from pipelines.media.images import ImageSource, PreparedImage
from pipelines.serving.model_server import WaitCallback
from pipelines.serving.request_limits import MAX_TOP_K
from pipelines.tasks.image_task import run_image_task

TASK = "image-classification"


@dataclass(frozen=True)
class ClassScore:
    label: str
    score: float


@dataclass(frozen=True)
class Classification:
    """Scores for one image, best first, with the model that made them and how long it took."""

    model: str
    scores: list[ClassScore]
    seconds: float
    image: PreparedImage

    @property
    def top(self) -> ClassScore:
        return self.scores[0]

    def as_json(self) -> list[dict[str, float | str]]:
        """The CLI's and the raw-JSON view's shape: [{"label", "score"}] sorted by score."""
        return [asdict(score) for score in self.scores]


def classify_image(
    image: ImageSource, model: str | None = None, top_k: int = 5, on_wait: WaitCallback | None = None
) -> Classification:
    """Classify one image with a catalog model, a local folder or (if allowed) a hub id."""
    if not 1 <= top_k <= MAX_TOP_K:
        raise InputError(f"top_k must be between 1 and {MAX_TOP_K}; got {top_k}.")
    run = run_image_task(TASK, image, model, (top_k,), on_wait)
    scores = sorted((ClassScore(item["label"], float(item["score"])) for item in run.raw), key=lambda s: -s.score)
    return Classification(run.model, scores, run.seconds, run.image)
