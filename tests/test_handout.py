"""The handout from real results of the real models: every input and result in it, in order, pictures and the
recording embedded, nothing that reaches outside the file, and a visitor's markup shown as text."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipelines.reports.handout import ChatTurn, document, item, pdf
from pipelines.tasks.image_classification import classify_image
from pipelines.tasks.object_detection import detect_objects
from pipelines.tasks.sentiment import analyse_sentiment
from pipelines.tasks.speech_to_text import transcribe
from tests.conftest import CAT_PHOTO, IMAGES, ROOT

HOSTILE = 'Great bike! <script>alert("x")</script> <img src="https://tracker.example/p.gif">'
NOON = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def handout(provisioned: Path) -> str:
    sentiment = analyse_sentiment([HOSTILE])
    cat = classify_image(CAT_PHOTO.read_bytes())
    found = detect_objects((IMAGES / "astronaut.jpg").read_bytes())
    heard = transcribe((ROOT / "assets" / "audio" / "weather_report.wav").read_bytes(), timestamps=True)
    turn = ChatTurn("Are you open on Sunday?", "Yes, from 10:00 to 16:00.", ("Open Sunday 10:00-16:00.",))
    items = [
        item("Sentiment", sentiment.model, sentiment, [HOSTILE], sentiment.seconds, NOON),
        item("Image classification", cat.model, cat, [], cat.seconds, NOON),
        item("Object detection", found.model, found, [], found.seconds, NOON),
        item("Speech to text", heard.model, heard, [], heard.seconds, NOON),
        item("Chat assistant", "qwen", turn, [], 1.5, NOON),
    ]
    return document(items, NOON, "Acme Bikes", "#2F6FDE")


def test_every_result_is_in_the_handout_in_order_with_its_model_and_report(handout: str) -> None:
    titles = re.findall(r"<h2>(\d+)\. ([^<]+) <span>", handout)
    assert titles == [
        ("1", "Sentiment"),
        ("2", "Image classification"),
        ("3", "Object detection"),
        ("4", "Speech to text"),
        ("5", "Chat assistant"),
    ]
    assert "Acme Bikes: session of 6 December 2026" in handout and "#2F6FDE" in handout
    assert "<td>positive</td>" in handout  # the label the page showed
    assert re.search(r"<td>(tabby|tiger cat|Egyptian cat)", handout)  # the cat photo's top labels
    assert "Found: person" in handout
    assert "sunny in the morning" in handout  # the transcript of the weather report
    assert "Open Sunday 10:00-16:00." in handout and "Yes, from 10:00 to 16:00." in handout
    assert "product reviews (UCI) accuracy" in handout and "Top-1 accuracy" in handout  # the report-card lines


def test_the_handout_embeds_its_pictures_and_recording_and_names_nothing_outside(handout: str) -> None:
    assert len(re.findall(r'<img src="data:image/jpeg;base64,', handout)) == 2
    assert re.search(r'alt="The photo given, with boxes around what was found: person', handout)
    assert '<audio controls src="data:audio/wav;base64,' in handout
    assert not re.search(r"(src|href)=\"(?!data:)", handout)  # no address outside the file
    assert "<script>" not in handout and "&lt;script&gt;" in handout  # the visitor's markup is text


@pytest.mark.skipif(not shutil.which("chromium"), reason="the PDF is printed by Chromium, not installed here")
def test_the_handout_prints_to_pdf(handout: str) -> None:
    printed = pdf(handout)
    assert printed.startswith(b"%PDF") and len(printed) > 50_000  # the pictures are in it
