"""Report cards: measured through the engine on the project's data, keyed on what they depend on, shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines.provisioning.catalog import find_model
from pipelines.provisioning.recipes.tfjs_detector import COCO_LABELS
from pipelines.reports import report_cards
from pipelines.reports.report_cards import (
    card_key,
    classification_card,
    detection_card,
    load_card,
    photos,
    speech_card,
    translation_card,
)
from tests.conftest import ROOT


def test_whispers_card_measures_the_word_error_rate_of_every_clip(provisioned: Path) -> None:
    card = speech_card(find_model("whisper-tiny-en"))
    assert card["metric"] == "Word error rate" and 0 < card["value"] < 0.3  # tiny.en hears most words
    (speed,) = card["also"]
    assert card["data"].startswith("8 espeak-ng clips (5 voices") and "5 LibriVox recordings" in card["data"]
    assert speed["metric"] == "Real-time factor" and 0 < speed["value"] < 2
    scores = [item["score"] for item in card["worst"]]
    assert scores == sorted(scores, reverse=True) and all(score > 0 for score in scores)
    assert {item["item"] for item in card["worst"]} <= set(report_cards.CLIPS)


def test_translations_card_measures_chrf_in_the_models_direction(provisioned: Path) -> None:
    card = translation_card(find_model("bergamot-pt-en"))
    assert card["metric"] == "chrF" and 50 < card["value"] <= 100
    assert card["data"].endswith("pt → en")
    worst = card["worst"]
    assert [item["score"] for item in worst] == sorted(item["score"] for item in worst)
    assert all(item["item"] and item["got"] for item in worst)  # Portuguese in, English out


def test_the_labels_name_real_classes_and_boxes_lie_inside_their_photos() -> None:
    from PIL import Image

    for photo in photos():
        with Image.open(ROOT / photo["file"]) as image:
            width, height = image.size
        assert all(0 <= index < 1000 for index in photo["imagenet"]), photo["file"]
        for box in photo["objects"]:
            xmin, ymin, xmax, ymax = box["box"]
            assert box["label"] in COCO_LABELS and 0 <= xmin < xmax <= width and 0 <= ymin < ymax <= height, box


def test_the_classifiers_card_scores_top_1_and_top_5_on_the_labelled_photos(provisioned: Path) -> None:
    card = classification_card(find_model("mobilenet-v2"))
    (top_5,) = card["also"]
    assert card["metric"] == "Top-1 accuracy" and top_5["metric"] == "Top-5 accuracy"
    assert 0.5 <= card["value"] <= top_5["value"] <= 1  # the cat and the espresso at least are right first
    assert card["data"].startswith(f"{sum(bool(photo['imagenet']) for photo in photos())} real photos")
    assert {"chelsea.jpg", "coffee.jpg"}.isdisjoint(item["item"] for item in card["worst"])


def test_the_detectors_card_scores_precision_and_recall_at_iou_half(provisioned: Path) -> None:
    card = detection_card(find_model("centernet-coco"))
    (recall,) = card["also"]
    assert card["metric"] == "Precision" and recall["metric"] == "Recall"
    assert 0.5 <= card["value"] <= 1 and 0.5 <= recall["value"] <= 1  # cat, cup and the people are found
    assert "hand-labelled boxes" in card["data"] and "IoU ≥ 0.5" in card["data"]
    errors = [item["score"] for item in card["worst"]]
    assert errors == sorted(errors, reverse=True) and all(errors)


def test_a_card_is_measured_again_when_its_data_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = find_model("bergamot-en-pt")
    before = card_key(spec)
    changed = tmp_path / "pairs.tsv"
    changed.write_text(report_cards.PAIRS.read_text(encoding="utf-8") + "Thanks.\tObrigado.\n", encoding="utf-8")
    monkeypatch.setattr(report_cards, "PAIRS", changed)
    assert card_key(spec) != before


def test_an_image_card_is_measured_again_when_a_label_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = find_model("mobilenet-v2")
    before, unrelated = card_key(spec), card_key(find_model("bergamot-en-pt"))
    changed = tmp_path / "truth.json"
    changed.write_text(report_cards.TRUTH.read_text(encoding="utf-8").replace("[281, 282, 285]", "[281]"))
    monkeypatch.setattr(report_cards, "TRUTH", changed)
    assert card_key(spec) != before and card_key(find_model("bergamot-en-pt")) == unrelated


def test_provisioning_wrote_current_cards_that_the_pages_show(provisioned: Path) -> None:
    names = (
        "whisper-tiny-en",
        "whisper-base",
        "bergamot-en-pt",
        "bergamot-pt-en",
        "mobilenet-v2",
        "efficientnet-lite0",
    )
    for name in (*names, "centernet-coco", "nanodet-coco"):
        card = load_card(name)
        assert card is not None and card["key"] == card_key(find_model(name)), name
    translation = AppTest.from_file(str(ROOT / "pages" / "translation.py"), default_timeout=120).run()
    assert not translation.exception
    assert any(metric.label == "chrF" for metric in translation.metric)
    speech = AppTest.from_file(str(ROOT / "pages" / "speech_to_text.py"), default_timeout=120).run()
    assert not speech.exception
    labels = {metric.label for metric in speech.metric}
    assert {"Word error rate", "Real-time factor"} <= labels
    for page, figures in (
        ("image_classification", {"Top-1 accuracy", "Top-5 accuracy"}),
        ("object_detection", {"Precision", "Recall"}),
    ):
        app = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=120).run()
        assert not app.exception and figures <= {metric.label for metric in app.metric}, page


def test_the_cards_measure_on_data_outside_the_test_tree() -> None:
    """`make models` draws the cards, so what they read lives with the assets, not with the tests."""
    read = [*report_cards.CLIPS.values(), *report_cards.TRANSCRIPTS, report_cards.PAIRS, report_cards.TRUTH]
    read += [ROOT / photo["file"] for photo in photos()]
    assert all(path.is_file() and path.resolve().is_relative_to(ROOT / "assets") for path in read)
