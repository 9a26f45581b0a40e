"""Report cards: measured through the engine on the project's data, keyed on what they depend on, shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines import report_cards
from pipelines.catalog import find_model
from pipelines.report_cards import card_key, load_card, speech_card, translation_card
from tests.conftest import ROOT


def test_whispers_card_measures_the_word_error_rate_of_every_clip(provisioned: Path) -> None:
    card = speech_card(find_model("whisper-tiny-en"))
    assert card["metric"] == "Word error rate" and 0 < card["value"] < 0.3  # tiny.en hears most words
    assert card["data"].startswith("4 espeak-ng clips") and 0 < card["real_time_factor"] < 2
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


def test_a_card_is_measured_again_when_its_data_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = find_model("bergamot-en-pt")
    before = card_key(spec)
    changed = tmp_path / "pairs.tsv"
    changed.write_text(report_cards.PAIRS.read_text(encoding="utf-8") + "Thanks.\tObrigado.\n", encoding="utf-8")
    monkeypatch.setattr(report_cards, "PAIRS", changed)
    assert card_key(spec) != before


def test_provisioning_wrote_current_cards_that_the_pages_show(provisioned: Path) -> None:
    for name in ("whisper-tiny-en", "whisper-base", "bergamot-en-pt", "bergamot-pt-en"):
        card = load_card(name)
        assert card is not None and card["key"] == card_key(find_model(name)), name
    translation = AppTest.from_file(str(ROOT / "pages" / "translation.py"), default_timeout=120).run()
    assert not translation.exception
    assert any(metric.label == "chrF" for metric in translation.metric)
    speech = AppTest.from_file(str(ROOT / "pages" / "speech_to_text.py"), default_timeout=120).run()
    assert not speech.exception
    labels = {metric.label for metric in speech.metric}
    assert {"Word error rate", "Real-time factor"} <= labels
