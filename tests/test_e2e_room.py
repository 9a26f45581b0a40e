"""End to end in Chromium, for the room and after it: a visitor's handout opened from disk with the network off,
and a visitor's feedback read by the operator on the Audience page, which visitors cannot open."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.server import serve
from pipelines.audience.record import AudienceRecord
from tests import test_e2e
from tests.conftest import CAT_PHOTO
from tests.test_e2e import download, top_label

pytestmark = pytest.mark.e2e
browser, page = test_e2e.browser, test_e2e.page  # the same fixtures: Chromium, and a tab on the home page
TOKEN = "e2e-room-token"
PRAISE = "I absolutely love this bike, best purchase of the year!"  # the sentiment page's first example
QUESTION = "How many days does delivery take?"


@pytest.fixture(scope="module")
def record(provisioned: Path, tmp_path_factory: pytest.TempPathFactory) -> AudienceRecord:
    return AudienceRecord(f"sqlite:///{tmp_path_factory.mktemp('room') / 'audience.db'}")


@pytest.fixture(scope="module")
def dashboard(record: AudienceRecord) -> Iterator[str]:
    """A dashboard with an operator token, recording into a database of its own."""
    with serve(environment={"SHOWROOM_OPERATOR_TOKEN": TOKEN, "SHOWROOM_DATABASE_URL": record.url}) as server:
        yield server.url


def go_to(page: object, demo: str) -> None:
    """Through the sidebar, as a page moves: the session (and its handout) stays."""
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=demo).click()
    page.get_by_role("heading", name=demo, level=1).wait_for(timeout=60_000)


def label_shown(page: object) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="Label").first
    metric.wait_for(timeout=90_000)
    return metric.locator('[data-testid="stMetricValue"]').inner_text()


def test_the_handout_holds_the_sessions_results_and_opens_from_disk_offline(
    page: object,
    browser: object,
    tmp_path: Path,
) -> None:
    go_to(page, "Sentiment")
    page.get_by_role("button", name=PRAISE).click()
    assert label_shown(page) == "positive"
    go_to(page, "Image classification")
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(CAT_PHOTO))
    cat = top_label(page)
    go_to(page, "Chat assistant")
    page.locator('[data-testid="stChatInputTextArea"]').fill(QUESTION)
    page.keyboard.press("Enter")
    answer = page.locator('[data-testid="stChatMessage"]').nth(1)
    answer.locator('[data-testid="stCaptionContainer"]').filter(has_text="tokens/s").wait_for(timeout=120_000)
    said = answer.locator('[data-testid="stMarkdown"]').first.inner_text()

    saved = download(page, "Download this session", tmp_path / "handout.html")
    offline = browser.new_context(offline=True, java_script_enabled=False)
    asked: list[str] = []
    offline.on("request", lambda request: asked.append(request.url))
    try:
        opened = offline.new_page()
        opened.goto(saved.as_uri())
        text = opened.locator("body").inner_text()
        pictures = opened.locator("img").evaluate_all("images => images.map(i => i.complete && i.naturalWidth > 0)")
    finally:
        offline.close()
    assert [title for title in re.findall(r"^\d+\. (.+?) ·", text, re.MULTILINE)] == [
        "Sentiment",
        "Image classification",
        "Chat assistant",
    ]
    assert PRAISE in text and "positive" in text
    assert cat in text and pictures == [True]  # the photo itself, drawn from the file with the network off
    assert QUESTION in text and said.split(".")[0] in text
    assert all(url.startswith(("file:", "data:")) for url in asked), asked


def test_the_operator_reads_a_visitors_feedback_and_a_visitor_cannot_open_that_page(
    page: object,
    browser: object,
    dashboard: str,
    record: AudienceRecord,
) -> None:
    go_to(page, "Sentiment")
    page.get_by_role("textbox", name="Text").fill("The parcel arrived broken and late.")
    page.keyboard.press("Control+Enter")
    assert label_shown(page) == "negative"
    page.get_by_role("radio", name="Thumbs up").click()
    comment = page.get_by_placeholder("What was right or wrong? (optional)")
    comment.fill("Right: it was broken.")
    comment.press("Enter")
    page.get_by_text("Thanks: the presenter will see it.").wait_for(timeout=30_000)
    assert not page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Audience").count()
    page.goto(f"{dashboard}/audience")  # the address typed in: no such page for a page
    page.get_by_role("heading", name="Showroom").wait_for(timeout=60_000)
    assert not page.get_by_role("heading", name="Audience").count()

    operator = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    try:
        operator.goto(f"{dashboard}/?operator={TOKEN}")
        go_to(operator, "Audience")
        operator.get_by_text("Right: it was broken.").wait_for(timeout=30_000)
        assert operator.get_by_text(re.compile(r"👍 minilm-sentiment \(sentiment\)")).count() == 1
    finally:
        operator.context.close()
    [row] = [row for row in record.rows() if row["comment"]]
    assert (row["task"], row["thumbs_up"], row["outcome"]) == ("sentiment", 1, "answered")
