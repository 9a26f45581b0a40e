"""Image metrics: top-k accuracy with several right answers per photo, and detection precision and recall.

A photo often shows more than one ImageNet class (a cup of espresso is "espresso" and "tea cup"), so a
prediction counts as right when it is any of the photo's accepted classes, as ImageNet ReaL scores it.
Detections are matched to hand-labelled boxes the way COCO and PASCAL VOC do: best score first, each to
the unmatched box of its class it overlaps most, counted right when that overlap (IoU) is at least 0.5.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Corners = tuple[float, float, float, float]  # xmin, ymin, xmax, ymax
MATCHING_IOU = 0.5


def first_right_rank(predicted: Sequence[str], accepted: set[str]) -> int | None:
    """The 1-based rank of the first accepted label among the predictions, None when none is."""
    return next((rank for rank, label in enumerate(predicted, start=1) if label in accepted), None)


def top_k_accuracy(ranks: Sequence[int | None], k: int) -> float:
    """The share of photos whose first right label came within the top k."""
    if not ranks:
        raise ValueError("No photos to score.")
    return sum(rank is not None and rank <= k for rank in ranks) / len(ranks)


def iou(first: Corners, second: Corners) -> float:
    """Intersection over union of two boxes; 0 when they do not touch."""
    width = min(first[2], second[2]) - max(first[0], second[0])
    height = min(first[3], second[3]) - max(first[1], second[1])
    if width <= 0 or height <= 0:
        return 0.0
    overlap = width * height
    area = (first[2] - first[0]) * (first[3] - first[1]) + (second[2] - second[0]) * (second[3] - second[1])
    return overlap / (area - overlap)


@dataclass(frozen=True)
class Matches:
    """How one photo's detections met its labelled boxes."""

    right: int  # detections matched to a box of their class
    false: int  # detections matched to nothing
    missed: int  # boxes no detection matched

    def __add__(self, other: Matches) -> Matches:
        return Matches(self.right + other.right, self.false + other.false, self.missed + other.missed)

    @property
    def precision(self) -> float:
        """Right detections over all detections; 1 when nothing was detected (nothing claimed wrongly)."""
        found = self.right + self.false
        return self.right / found if found else 1.0

    @property
    def recall(self) -> float:
        """Boxes found over boxes labelled; 1 when nothing was labelled."""
        labelled = self.right + self.missed
        return self.right / labelled if labelled else 1.0


def match(
    detections: Sequence[tuple[str, float, Corners]],
    truth: Sequence[tuple[str, Corners]],
    threshold: float = MATCHING_IOU,
) -> Matches:
    """Greedy matching, best score first; a box matched once is not matched again."""
    unmatched = list(truth)
    right = 0
    for label, _, box in sorted(detections, key=lambda detection: -detection[1]):
        overlaps = [(iou(box, corners), index) for index, (name, corners) in enumerate(unmatched) if name == label]
        best = max(overlaps, default=(0.0, -1))
        if best[0] >= threshold:
            right += 1
            del unmatched[best[1]]
    return Matches(right=right, false=len(detections) - right, missed=len(unmatched))
