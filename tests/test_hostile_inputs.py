"""Every entry of the hostile-input corpus, through the engine and through its page.

A refusal must be one sentence naming the problem; a strange but valid input must give a result; no
traceback may reach the page, and the next good input on the same page must still work.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipelines.assistant.chat_presets import CUSTOMER_SERVICE
from pipelines.assistant.replies import answer_from_facts
from pipelines.errors import InputError
from pipelines.media.text_tables import guess_text_column, read_csv, safe_csv, texts_in_column
from pipelines.media.unicode_text import well_formed
from pipelines.serving.chat_prompt import ChatMessage
from pipelines.tasks.image_classification import classify_image
from pipelines.tasks.sentiment import analyse_sentiment
from pipelines.tasks.speech_to_text import transcribe
from pipelines.tasks.text_generation import GenerationSettings
from pipelines.tasks.translation import translate
from tests.conftest import ROOT
from tests.hostile_inputs import CORPUS, REVIEWS_CSV, Hostile
from tests.test_pages import open_page, top_label

SHORT_REPLY = GenerationSettings(max_new_tokens=8)


def engine_run(item: Hostile) -> tuple[str, list[str]]:
    """Run the item through the engine the way its page does: its answer as text, and its notes and notices."""
    data = item.data
    if item.medium == "image":
        classified = classify_image(data)
        return classified.top.label, list(classified.image.notes)
    if item.medium == "audio":
        transcript = transcribe(data)
        return transcript.text, [*transcript.audio.notes, *transcript.notices]
    if item.medium == "text":
        result = analyse_sentiment([data]).results[0]
        return result.label, list(result.notices)
    if item.medium == "translation":
        translated = translate([data], "en", "pt").results[0]
        return translated.text, list(translated.notices)
    if item.medium == "chat":  # the page's default preset: the customer-service assistant
        grounded = answer_from_facts([ChatMessage("user", data)], CUSTOMER_SERVICE.facts(None), settings=SHORT_REPLY)
        return grounded.read(), grounded.notices
    frame = read_csv(data)
    results = analyse_sentiment(texts_in_column(frame, guess_text_column(frame))).results
    return " ".join(result.label for result in results), [note for result in results for note in result.notices]


@pytest.mark.parametrize("item", CORPUS, ids=[item.name for item in CORPUS])
def test_engine_refuses_with_one_sentence_or_gives_a_result(provisioned: Path, item: Hostile) -> None:
    if item.refusal is None:
        answer, notes = engine_run(item)
        assert answer.strip()
        if item.result is not None:
            assert item.result in answer, answer[:300]
        if item.note is not None:
            assert any(item.note in note for note in notes), notes
        return
    with pytest.raises(InputError) as refused:
        engine_run(item)
    message = str(refused.value)
    assert item.refusal in message
    assert message.endswith(".") and "\n" not in message and "Traceback" not in message


def assert_one_sentence(app: AppTest, item: Hostile) -> None:
    assert not app.exception, [exception.value for exception in app.exception]
    errors = [error.value for error in app.error]
    if item.refusal is not None:
        assert len(errors) == 1 and item.refusal in errors[0], errors
        return
    assert not errors, errors
    if item.note:
        assert any(item.note in note for note in notes_shown(app)), notes_shown(app)


def notes_shown(app: AppTest) -> list[str]:
    """The page's captions and notices, one string each: where notes go, never the input or the answer
    (a note's words typed by the visitor, or said by the model, must not pass for the note)."""
    return [str(part.value) for part in (*app.caption, *app.info, *app.warning)]


def image_page(item: Hostile) -> AppTest:
    app = open_page("pages/image_classification.py")
    app.file_uploader(key="ic-upload").set_value((item.filename, item.data, "image/png")).run()
    assert_one_sentence(app, item)
    if item.refusal is None:
        top_label(app)
    app.button(key="ic-example-coffee").click().run()
    assert top_label(app).value == "espresso"
    return app


def audio_page(item: Hostile) -> AppTest:
    app = open_page("pages/speech_to_text.py")
    app.file_uploader(key="st-upload").set_value((item.filename, item.data, "audio/wav")).run()
    assert_one_sentence(app, item)
    if item.refusal is None:
        assert app.text and app.text[0].value.strip() and (item.result or "") in app.text[0].value
    app.button(key="st-example-weather_report").click().run()
    assert "sunny" in app.text[0].value.lower()
    return app


def typed(item: Hostile) -> str:
    """What a browser sends for the text: its TextEncoder turns lone surrogates into U+FFFD, as the engine does."""
    return well_formed(item.data)


def text_page(item: Hostile) -> AppTest:
    app = open_page("pages/sentiment.py")
    app.text_area(key="sa-text").set_value(typed(item)).run()
    assert_one_sentence(app, item)
    if item.refusal is None:
        assert app.metric[0].value == item.result
    app.text_area(key="sa-text").set_value("This is awful. The worst service I have ever had.").run()
    assert not app.error and app.metric[0].value == "negative"
    return app


def translation_page(item: Hostile) -> AppTest:
    app = open_page("pages/translation.py")
    app.text_area(key="tr-text").set_value(typed(item)).run()
    assert_one_sentence(app, item)
    if item.refusal is None:
        assert app.text[0].value.strip() and (item.result or "") in app.text[0].value
        assert "<script>" not in "".join(markdown.value for markdown in app.markdown)  # never rendered as HTML
    app.text_area(key="tr-text").set_value("Where is the nearest train station?").run()
    assert not app.error and "estação" in app.text[0].value
    return app


def chat_page(item: Hostile) -> AppTest:
    app = open_page("pages/text_generation.py")
    next(slider for slider in app.slider if slider.label == "Max new tokens").set_value(16).run()
    app.chat_input[0].set_value(typed(item)).run()
    assert_one_sentence(app, item)
    app.chat_input[0].set_value("Are you open on Sunday?").run()
    assert not app.error
    answers = [message for message in app.chat_message if message.name == "assistant"]
    assert len(answers) == (1 if item.refusal else 2) and answers[-1].markdown[0].value.strip()
    return app


def csv_page(item: Hostile) -> AppTest:
    app = open_page("pages/sentiment.py")
    app.segmented_control(key="sa-source").set_value("A CSV file").run()
    app.file_uploader(key="sa-csv").set_value((item.filename, item.data, "text/csv")).run()
    assert_one_sentence(app, item)
    if item.refusal is None:
        assert len(app.dataframe[0].value) >= 1
    app.file_uploader(key="sa-csv").set_value(("reviews.csv", REVIEWS_CSV.read_bytes(), "text/csv")).run()
    assert not app.error and len(app.dataframe[0].value) == 8
    return app


PAGES: dict[str, Callable[[Hostile], AppTest]] = {
    "image": image_page,
    "audio": audio_page,
    "text": text_page,
    "translation": translation_page,
    "chat": chat_page,
    "csv": csv_page,
}


@pytest.mark.parametrize("item", CORPUS, ids=[item.name for item in CORPUS])
def test_page_shows_one_sentence_and_takes_the_next_good_input(provisioned: Path, item: Hostile) -> None:
    app = PAGES[item.medium](item)
    assert not app.exception


def test_corpus_covers_every_kind_the_issue_names() -> None:
    by_medium = pd.Series([item.medium for item in CORPUS]).value_counts()
    assert len(CORPUS) >= 30 and len({item.name for item in CORPUS}) == len(CORPUS)
    assert {"image", "audio", "csv"} <= set(by_medium.index) and by_medium[["text", "translation", "chat"]].sum() >= 8


def test_formula_cells_are_defused_in_downloads(provisioned: Path) -> None:
    item = next(item for item in CORPUS if item.name == "formula-injection cell")
    frame = read_csv(item.data)
    download = pd.read_csv(io.StringIO(safe_csv(frame)), dtype=str)
    assert all(not cell.startswith(("=", "+", "-", "@")) for cell in download["review"])


def test_a_shell_argument_with_invalid_utf8_is_analysed_not_a_traceback(provisioned: Path) -> None:
    """Python hands undecodable argv bytes over as lone surrogates: the tokenizer must never see them."""
    command = [sys.executable, "-m", "pipelines", "run", "sentiment", b"I love this bike \xff\xfe so much"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()
    assert json.loads(done.stdout)[0]["label"] == "positive"
