"""Object detection on the real detectors: objects found where they are, TensorFlow.js agreement, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from benchmarks.detection_agreement import PHOTOS, differences
from pipelines.errors import InputError
from pipelines.provisioning.catalog import find_model
from pipelines.provisioning.provision import model_dir
from pipelines.serving.loader import get_server
from pipelines.tasks.object_detection import Box, Detections, annotate, detect_objects
from tests import bad_images
from tests.conftest import CAT_PHOTO, IMAGES
from tests.test_cli import cli

DETECTORS = ["centernet-coco", "nanodet-coco"]
CAT_BOX = Box(0, 0, 400, 300)  # the cat in chelsea.jpg, drawn by hand
# About five times the largest differences `python -m benchmarks.detection_agreement` prints (docs/models.md):
# the margin is for another CPU's float rounding.
AGREEMENT = {
    "centernet-coco": {"box corners (512-px units)": 8e-4, "scores and classes": 2.5e-6},
    "nanodet-coco": {"class scores": 4e-6, "distance logits": 5e-5},
}


def area(box: Box) -> int:
    return (box.xmax - box.xmin) * (box.ymax - box.ymin)


def intersection(first: Box, second: Box) -> int:
    width = min(first.xmax, second.xmax) - max(first.xmin, second.xmin)
    height = min(first.ymax, second.ymax) - max(first.ymin, second.ymin)
    return max(0, width) * max(0, height)


def iou(first: Box, second: Box) -> float:
    inter = intersection(first, second)
    return inter / (area(first) + area(second) - inter)


def coverage(found: Box, truth: Box) -> float:
    """How much of the true box the found one covers."""
    return intersection(found, truth) / area(truth)


def best(result: Detections, label: str) -> Box:
    boxes = [found.box for found in result.found if found.label == label]
    assert boxes, f"no {label} among {[found.label for found in result.found]}"
    return boxes[0]


@pytest.mark.parametrize("model", DETECTORS)
def test_the_cat_box_covers_the_cat(provisioned: Path, model: str) -> None:
    result = detect_objects(CAT_PHOTO, model)
    assert result.found[0].label == "cat"
    assert iou(best(result, "cat"), CAT_BOX) > 0.8


@pytest.mark.parametrize("model", DETECTORS)
def test_a_cup_is_found_in_the_coffee_photo(provisioned: Path, model: str) -> None:
    cup = best(detect_objects(IMAGES / "coffee.jpg", model), "cup")
    assert iou(cup, Box(168, 12, 415, 265)) > 0.8  # the cup in coffee.jpg, handle included


@pytest.mark.parametrize("model", DETECTORS)
def test_boxes_lie_within_the_image_and_scores_pass_the_threshold(provisioned: Path, model: str) -> None:
    for photo in ("chelsea.jpg", "coffee.jpg", "astronaut.jpg"):
        result = detect_objects(IMAGES / photo, model, threshold=0.1)
        width, height = result.image.original_size
        assert result.found
        for found in result.found:
            assert 0 <= found.box.xmin < found.box.xmax <= width and 0 <= found.box.ymin < found.box.ymax <= height
            assert found.score >= 0.1
        assert [found.score for found in result.found] == sorted((f.score for f in result.found), reverse=True)


@pytest.mark.parametrize("model", DETECTORS)
@pytest.mark.parametrize(("canvas", "offset"), [((1800, 400), (1200, 0)), ((600, 1800), (0, 1400))])
def test_wide_and_tall_images_are_letterboxed_and_boxes_land_in_place(
    provisioned: Path, tmp_path: Path, model: str, canvas: tuple[int, int], offset: tuple[int, int]
) -> None:
    """The coffee photo pasted far along a very wide or tall canvas, which is also downscaled for the model:
    the cup is small for the detector, so its box may take in the saucer, but it must sit on the cup."""
    picture = Image.new("RGB", canvas, (40, 40, 40))
    picture.paste(Image.open(IMAGES / "coffee.jpg"), offset)
    path = tmp_path / "canvas.png"
    picture.save(path)
    result = detect_objects(path, model)
    assert result.image.original_size == canvas and result.image.scale < 1
    dx, dy = offset
    cup, found = Box(168 + dx, 12 + dy, 415 + dx, 265 + dy), best(result, "cup")
    centre = ((found.xmin + found.xmax) / 2, (found.ymin + found.ymax) / 2)
    assert cup.xmin < centre[0] < cup.xmax and cup.ymin < centre[1] < cup.ymax
    assert coverage(found, cup) > 0.9 and area(found) < 3 * area(cup)


def test_a_photo_without_coco_objects_finds_nothing(provisioned: Path) -> None:
    assert detect_objects(IMAGES / "rocket.jpg").found == []


@pytest.mark.parametrize("model", DETECTORS)
@pytest.mark.parametrize("photo", PHOTOS)
def test_the_port_agrees_with_tensorflow_js(provisioned: Path, model: str, photo: str) -> None:
    measured = differences(model, photo)
    assert set(measured) == set(AGREEMENT[model])
    assert all(measured[output] <= bound for output, bound in AGREEMENT[model].items()), measured


def test_a_plain_transformers_pipeline_serves_the_folder(provisioned: Path) -> None:
    from transformers import pipeline

    import pipelines.architectures  # noqa: F401  (registers the detector and its image processor)

    detector = pipeline("object-detection", model=str(model_dir(find_model("centernet-coco"))))
    found = detector(str(IMAGES / "coffee.jpg"), threshold=0.5)
    assert [item["label"] for item in found] == ["cup"]
    assert set(found[0]["box"]) == {"xmin", "ymin", "xmax", "ymax"}


def test_annotated_image_has_the_photo_size_and_coloured_boxes(provisioned: Path) -> None:
    result = detect_objects(IMAGES / "coffee.jpg")
    drawn = annotate(result)
    assert drawn.size == result.image.image.size
    difference = np.abs(np.asarray(drawn, dtype=int) - np.asarray(result.image.image, dtype=int)).sum(axis=2)
    cup = best(result, "cup")
    assert difference[cup.ymin + 40, cup.xmin] > 0  # the cup's left edge is outlined
    assert difference[200, 520] == 0  # the table far from any box is untouched


def test_bad_images_get_the_shared_sentences_and_a_good_one_works_after(provisioned: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="truncated or damaged"):
        detect_objects(bad_images.truncated_jpeg(tmp_path, CAT_PHOTO))
    with pytest.raises(InputError, match="not an image"):
        detect_objects(bad_images.text_renamed_jpg(tmp_path), "nanodet-coco")
    with pytest.raises(InputError):
        detect_objects(bad_images.png_claiming_size(tmp_path, 60_000, 60_000))
    with pytest.raises(InputError, match="between 0 and 1"):
        detect_objects(CAT_PHOTO, threshold=1.5)
    assert detect_objects(CAT_PHOTO).found[0].label == "cat"


def test_a_sliver_of_an_image_does_not_break_the_detector(provisioned: Path, tmp_path: Path) -> None:
    for size in ((3000, 6), (6, 3000)):
        path = tmp_path / f"{size[0]}x{size[1]}.png"
        Image.new("RGB", size, (200, 30, 30)).save(path)
        assert detect_objects(path, threshold=0.05).found == []  # nothing to find in six pixels of red


def test_a_cat_in_a_ten_to_one_strip_is_found_inside_the_strip(provisioned: Path, tmp_path: Path) -> None:
    cat = Image.open(CAT_PHOTO).convert("RGB")
    for size in ((3000, 300), (451, 3000)):
        strip = Image.new("RGB", size, (200, 30, 30))
        strip.paste(cat, (0, 0))
        path = tmp_path / f"{size[0]}x{size[1]}.png"
        strip.save(path)
        found = detect_objects(path, threshold=0.05).found
        assert found and found[0].label == "cat"
        assert all(0 <= item.box.xmin < item.box.xmax <= size[0] for item in found)
        assert all(0 <= item.box.ymin < item.box.ymax <= size[1] for item in found)


def test_cli_prints_boxes_per_image(provisioned: Path) -> None:
    done = cli("run", "object-detection", str(IMAGES / "coffee.jpg"), str(IMAGES / "rocket.jpg"), "--threshold", "0.5")
    assert done.returncode == 0, done.stderr
    coffee, rocket = json.loads(done.stdout)
    assert [item["label"] for item in coffee] == ["cup"] and rocket == []
    assert set(coffee[0]) == {"label", "score", "box"} and set(coffee[0]["box"]) == {"xmin", "ymin", "xmax", "ymax"}


@pytest.mark.parametrize("model", ["centernet-coco", "nanodet-coco"])
def test_graph_activations_are_freed_once_no_later_node_reads_them(provisioned: Path, model: str) -> None:
    """Keeping every activation until the end cost ~300 MB per CenterNet image (seen in the load test)."""
    detect_objects(CAT_PHOTO, model)
    executor = get_server(model)._pipeline.model.graph
    ((steps, last_uses),) = executor._plans.values()
    live = peak = 0
    for freed in last_uses:
        live += 1
        peak = max(peak, live)
        live -= len(freed)
    assert peak < len(steps) / 4, (peak, len(steps))
