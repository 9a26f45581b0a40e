"""The image metrics on hand-made cases: ranks, top-k accuracy, IoU and the greedy box matching."""

from __future__ import annotations

import pytest

from pipelines.metrics.image_quality import Matches, first_right_rank, iou, match, top_k_accuracy


def test_the_first_right_rank_accepts_any_of_the_photos_classes() -> None:
    assert first_right_rank(["tiger cat", "tabby cat", "lynx"], {"tabby cat", "Egyptian Mau"}) == 2
    assert first_right_rank(["espresso"], {"espresso", "tea cup"}) == 1
    assert first_right_rank(["lynx", "fox"], {"tabby cat"}) is None


def test_top_k_accuracy_counts_ranks_within_k() -> None:
    ranks = [1, 3, None, 5]
    assert top_k_accuracy(ranks, 1) == 0.25
    assert top_k_accuracy(ranks, 5) == 0.75
    with pytest.raises(ValueError, match="No photos"):
        top_k_accuracy([], 1)


def test_iou_of_identical_nested_touching_and_apart_boxes() -> None:
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert iou((0, 0, 10, 10), (0, 0, 10, 5)) == 0.5  # half the area, wholly inside
    assert iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(50 / 150)
    assert iou((0, 0, 10, 10), (10, 0, 20, 10)) == 0.0  # an edge in common is no overlap
    assert iou((0, 0, 10, 10), (20, 20, 30, 30)) == 0.0


def test_matching_needs_the_class_and_half_the_union() -> None:
    truth = [("cat", (0, 0, 100, 100))]
    assert match([("cat", 0.9, (0, 0, 100, 50))], truth) == Matches(right=1, false=0, missed=0)  # IoU 0.5
    assert match([("cat", 0.9, (0, 0, 100, 49))], truth) == Matches(right=0, false=1, missed=1)
    assert match([("dog", 0.9, (0, 0, 100, 100))], truth) == Matches(right=0, false=1, missed=1)


def test_a_box_is_matched_once_and_the_best_score_takes_it() -> None:
    truth = [("person", (0, 0, 100, 100)), ("person", (200, 0, 300, 100))]
    detections = [
        ("person", 0.4, (0, 0, 100, 100)),  # exact, but a better-scored duplicate comes first
        ("person", 0.8, (5, 5, 100, 100)),
        ("person", 0.6, (200, 0, 290, 100)),
    ]
    assert match(detections, truth) == Matches(right=2, false=1, missed=0)


def test_precision_and_recall_add_up_over_photos() -> None:
    total = Matches(right=2, false=1, missed=0) + Matches(right=1, false=0, missed=3)
    assert (total.precision, total.recall) == (0.75, 0.5)
    assert Matches(0, 0, 2).precision == 1.0 and Matches(0, 0, 2).recall == 0.0  # nothing claimed, nothing found
    assert Matches(0, 2, 0).precision == 0.0 and Matches(0, 2, 0).recall == 1.0  # an empty photo's false hits
