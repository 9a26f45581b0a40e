"""Image classification on the real provisioned models."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.errors import InputError
from pipelines.tasks.image_classification import classify_image
from tests import bad_images
from tests.conftest import CAT_PHOTO, IMAGES

IMAGE_MODELS = ["mobilenet-v2", "efficientnet-lite0"]


@pytest.mark.parametrize("model", IMAGE_MODELS)
def test_cat_photo_is_classified_as_a_cat(provisioned: Path, cat_labels: dict[str, set[str]], model: str) -> None:
    result = classify_image(CAT_PHOTO, model, top_k=3)
    assert {score.label for score in result.scores} & cat_labels[model]
    assert result.top.label in cat_labels[model]


@pytest.mark.parametrize("model", IMAGE_MODELS)
def test_coffee_photo_is_espresso(provisioned: Path, model: str) -> None:
    result = classify_image(IMAGES / "coffee.jpg", model, top_k=5)
    assert result.top.label == "espresso"
    assert result.top.score > 0.8


def test_scores_are_sorted_probabilities(provisioned: Path) -> None:
    result = classify_image(CAT_PHOTO, top_k=10)
    scores = [score.score for score in result.scores]
    assert len(scores) == 10
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= score <= 1 for score in scores) and sum(scores) <= 1.0001
    assert result.model == "mobilenet-v2"  # the task's default


def test_mobilenet_scores_on_the_cat_photo_are_pinned(provisioned: Path) -> None:
    """Pins the converted checkpoint's output, so a broken weight mapping or preprocessing shows."""
    result = classify_image(CAT_PHOTO, "mobilenet-v2", top_k=2)
    assert [score.label for score in result.scores] == ["Egyptian Mau", "tabby cat"]
    assert result.scores[0].score == pytest.approx(0.69, abs=0.03)


def test_top_k_out_of_range_is_an_input_error(provisioned: Path) -> None:
    with pytest.raises(InputError, match="between 1 and"):
        classify_image(CAT_PHOTO, top_k=0)


def test_good_image_still_works_after_every_bad_one(provisioned: Path, tmp_path: Path) -> None:
    for bad in (
        bad_images.zero_byte(tmp_path),
        bad_images.text_renamed_jpg(tmp_path),
        bad_images.truncated_jpeg(tmp_path, CAT_PHOTO),
        bad_images.png_claiming_size(tmp_path, 60_000, 60_000),
    ):
        for model in IMAGE_MODELS:
            with pytest.raises(InputError):
                classify_image(bad, model)
    for model in IMAGE_MODELS:
        assert classify_image(IMAGES / "coffee.jpg", model).top.label == "espresso"
