"""The record of use from the pages: each request recorded once however often Streamlit reruns, the visitor's
thumbs and comment on its row, the operator's Audience page reading it, and a visitor kept out of that page."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines.audience.record import AudienceRecord
from tests.conftest import ROOT
from tests.test_pages import browser_on_the_server, open_page  # noqa: F401  (a fixture, used by name)

PRAISE = "Lovely bike, and the shop fitted it the same day."


@pytest.fixture
def record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AudienceRecord:
    """An empty record of use on a real SQLite file, the one the pages write to in this test."""
    url = f"sqlite:///{tmp_path / 'audience.db'}"
    monkeypatch.setenv("SHOWROOM_DATABASE_URL", url)
    return AudienceRecord(url)


def test_a_result_is_recorded_once_with_the_thumbs_and_comment_its_visitor_gave(
    provisioned: Path, record: AudienceRecord
) -> None:
    app = open_page("pages/sentiment.py")
    app.text_area(key="sa-text").set_value(PRAISE).run()
    assert not app.exception and app.metric[0].value == "positive"
    [row] = record.rows()
    assert (row["page"], row["task"], row["model"], row["outcome"]) == (
        "Sentiment",
        "sentiment",
        "minilm-sentiment",
        "answered",
    )
    assert 0 < row["seconds"] < 30 and row["given"] is None  # the text is not kept unless the operator says so

    app.feedback(key=f"audience-thumbs-{row['id']}").set_value(1).run()  # a rerun of the whole page
    app.text_input(key=f"audience-comment-{row['id']}").set_value("Spot on for a review.").run()
    assert not app.exception
    [row] = record.rows()  # the reruns found the request: still one row
    assert (row["thumbs_up"], row["comment"]) == (1, "Spot on for a review.")

    app.text_area(key="sa-text").set_value("The parcel arrived broken.").run()
    assert [row["outcome"] for row in record.rows()] == ["answered", "answered"]


def test_a_refused_request_is_recorded_with_the_sentence_its_visitor_read(
    provisioned: Path, record: AudienceRecord
) -> None:
    app = open_page("pages/text_generation.py")
    app.chat_input[0].set_value("   ").run()
    [row] = record.rows()
    assert (row["task"], row["outcome"], row["sentence"]) == ("text-generation", "refused", app.error[0].value)


def test_a_database_that_cannot_be_reached_costs_the_visitor_nothing(
    provisioned: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOWROOM_DATABASE_URL", f"sqlite:///{tmp_path / 'no such folder' / 'audience.db'}")
    app = open_page("pages/sentiment.py")
    app.text_area(key="sa-text").set_value(PRAISE).run()
    assert not app.exception and not app.error and app.metric[0].value == "positive"
    assert not app.feedback  # no row to keep thumbs on, so none are offered


def audience_page() -> AppTest:
    return AppTest.from_file(str(ROOT / "pages" / "audience.py"), default_timeout=60).run()


def test_the_operator_reads_requests_latency_refusals_and_comments_and_downloads_them(
    provisioned: Path,
    record: AudienceRecord,
    browser_on_the_server: None,  # noqa: F811
) -> None:
    page = audience_page()
    assert not page.exception and "No request is recorded yet" in page.info[0].value
    visitor = open_page("pages/sentiment.py")
    visitor.text_area(key="sa-text").set_value(PRAISE).run()
    [row] = record.rows()
    visitor.feedback(key=f"audience-thumbs-{row['id']}").set_value(0).run()
    visitor.text_input(key=f"audience-comment-{row['id']}").set_value("It missed the irony.").run()
    open_page("pages/text_generation.py").chat_input[0].set_value("   ").run()

    page = audience_page()
    assert not page.exception
    metrics = {metric.label: metric.value for metric in page.metric}
    assert metrics["Visitors now"] == "2" and metrics["Requests today"] == "2"
    latency, problems = (element.value for element in page.dataframe)
    assert latency["task"].tolist() == ["sentiment"] and latency["requests"].tolist() == [1]
    assert problems["sentence"].tolist() == [
        "The message is empty. Type a question or an instruction for the assistant."
    ]
    assert [text.value for text in page.text] == ["It missed the irony."]
    assert any(caption.value.startswith("👎 minilm-sentiment (sentiment)") for caption in page.caption)
    assert page.get("download_button")


def test_a_visitor_has_no_audience_page(provisioned: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOWROOM_OPERATOR_TOKEN", "s3cret-token")
    page = audience_page()
    assert "operator's" in page.warning[0].value and not page.dataframe and not page.metric
