"""Every page through Streamlit's AppTest, routed by app.py exactly as in the browser."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pages.demos import DEMOS
from tests import bad_images
from tests.conftest import CAT_PHOTO, ROOT

PAGES = ["pages/home.py", *(demo.script for demo in DEMOS)]


def open_page(script: str) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    return app.switch_page(script).run()


@pytest.mark.parametrize("script", PAGES)
def test_every_page_renders_without_an_exception(provisioned: Path, script: str) -> None:
    app = open_page(script)
    assert not app.exception, [item.value for item in app.exception]
    assert app.title


def test_uploaded_cat_photo_shows_the_chart_and_a_cat_label(provisioned: Path, cat_labels: dict[str, set[str]]) -> None:
    app = open_page("pages/image_classification.py")
    app.file_uploader(key="ic-upload").set_value(("chelsea.jpg", CAT_PHOTO.read_bytes(), "image/jpeg")).run()
    assert not app.exception
    top = app.metric[0]
    assert top.label == "Top label" and top.value in cat_labels["mobilenet-v2"]
    assert app.get("vega_lite_chart")
    assert any("ms on CPU" in markdown.value for markdown in app.markdown)  # the call's latency


def test_compare_view_runs_both_models(provisioned: Path) -> None:
    app = open_page("pages/image_classification.py")
    app.segmented_control(key="ic-view").set_value("Compare models").run()
    app.button(key="ic-example-coffee").click().run()
    tops = [metric.value for metric in app.metric if metric.label == "Top label"]
    assert tops == ["espresso", "espresso"]
    assert len(app.get("vega_lite_chart")) == 2


def test_bad_upload_shows_one_sentence_and_the_page_keeps_working(provisioned: Path, tmp_path: Path) -> None:
    app = open_page("pages/image_classification.py")
    truncated = bad_images.truncated_jpeg(tmp_path, CAT_PHOTO)
    app.file_uploader(key="ic-upload").set_value(("cat.jpg", truncated.read_bytes(), "image/jpeg")).run()
    assert not app.exception
    assert [error.value for error in app.error] == [
        "The image file is truncated or damaged and cannot be decoded. "
        "Upload a complete JPEG, PNG, WebP, GIF, BMP or TIFF image."
    ]
    app.button(key="ic-example-coffee").click().run()
    assert not app.error
    assert app.metric[0].value == "espresso"


def test_home_page_lists_every_model_and_warms_one(provisioned: Path) -> None:
    app = open_page("pages/home.py")
    table = app.dataframe[0].value
    assert set(table["model"]) >= {"mobilenet-v2", "efficientnet-lite0"}
    assert set(table["provisioned"]) == {"ready"}
    app.selectbox[0].set_value("efficientnet-lite0").run()
    app.button[0].click().run()
    assert not app.exception
    assert "efficientnet-lite0 is loaded" in app.get("status")[0].label
