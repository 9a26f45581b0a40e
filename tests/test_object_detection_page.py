"""The object-detection page through AppTest: an example, the compare view, thresholds, filters, bad files."""

from __future__ import annotations

from pathlib import Path

from tests import bad_images
from tests.conftest import CAT_PHOTO
from tests.test_pages import open_page


def detection_tables(app) -> list:
    """The detections' tables, not the model report's table of the photos it got wrong."""
    return [frame.value for frame in app.dataframe if "xmin" in frame.value.columns]


def test_example_shows_boxes_table_counts_and_downloads(provisioned: Path) -> None:
    app = open_page("pages/object_detection.py")
    app.button(key="od-example-coffee").click().run()
    assert not app.exception and not app.error
    table = detection_tables(app)[0]
    assert table["label"].tolist()[0] == "cup"
    assert any("**cup** × 1" in markdown.value for markdown in app.markdown)
    assert any("ms on CPU" in markdown.value for markdown in app.markdown)
    assert {button.label for button in app.get("download_button")} == {
        "Image (PNG)",
        "Detections (JSON)",
        "Detections (CSV)",
    }


def test_compare_view_runs_both_detectors_and_the_class_filter_hides_a_class(provisioned: Path) -> None:
    app = open_page("pages/object_detection.py")
    app.segmented_control(key="od-view").set_value("Compare models").run()
    app.button(key="od-example-coffee").click().run()
    assert [header.value for header in app.subheader] == ["CenterNet MobileNetV3 (COCO)", "NanoDet-g (COCO)"]
    assert len(detection_tables(app)) == 2
    (classes,) = app.multiselect
    classes.set_value(["cup"]).run()
    assert all(table["label"].tolist() == ["cup"] for table in detection_tables(app))


def test_a_high_threshold_says_nothing_was_found(provisioned: Path) -> None:
    app = open_page("pages/object_detection.py")
    app.slider(key="od-threshold").set_value(0.95).run()
    app.button(key="od-example-astronaut").click().run()
    assert not app.exception
    assert [info.value for info in app.info] == ["No objects found with a score of at least 0.95."]


def test_a_damaged_upload_gets_one_sentence(provisioned: Path, tmp_path: Path) -> None:
    app = open_page("pages/object_detection.py")
    truncated = bad_images.truncated_jpeg(tmp_path, CAT_PHOTO)
    app.file_uploader(key="od-upload").set_value(("cat.jpg", truncated.read_bytes(), "image/jpeg")).run()
    assert not app.exception
    assert [error.value for error in app.error] == [
        "The image file is truncated or damaged and cannot be decoded. "
        "Upload a complete JPEG, PNG, WebP, GIF, BMP or TIFF image."
    ]
