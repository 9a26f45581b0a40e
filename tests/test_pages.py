"""Every page through Streamlit's AppTest, routed by app.py exactly as in the browser."""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pages.demos import DEMOS
from pages.operator import SIGN_IN
from pipelines.assistant.replies import DECLINED
from pipelines.provisioning.catalog import CATALOG
from pipelines.provisioning.recipes.sentiment_training import BATCH
from pipelines.serving.loader import get_server, loaded_models
from pipelines.settings import load_settings
from pipelines.tasks.sentiment import load_report
from tests import bad_images
from tests.conftest import CAT_PHOTO, ROOT

PAGES = ["pages/home.py", *(demo.script for demo in DEMOS)]


@pytest.fixture
def browser_on_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """The home page's model controls are the operator's: without a token, a browser on this machine."""
    import streamlit as st

    monkeypatch.delenv("SHOWROOM_OPERATOR_TOKEN", raising=False)
    monkeypatch.setattr(type(st.context), "ip_address", property(lambda self: None))  # AppTest has a mock


def open_page(script: str) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    return app.switch_page(script).run()


def top_label(app: AppTest):
    """The classification's headline metric, not the model report's figures above the input."""
    found = [metric for metric in app.metric if metric.label == "Top label"]
    assert found, [metric.label for metric in app.metric]
    return found[0]


@pytest.mark.parametrize("script", PAGES)
def test_every_page_renders_without_an_exception(provisioned: Path, script: str) -> None:
    app = open_page(script)
    assert not app.exception, [item.value for item in app.exception]
    assert app.title


def test_uploaded_cat_photo_shows_the_chart_and_a_cat_label(provisioned: Path, cat_labels: dict[str, set[str]]) -> None:
    app = open_page("pages/image_classification.py")
    app.file_uploader(key="ic-upload").set_value(("chelsea.jpg", CAT_PHOTO.read_bytes(), "image/jpeg")).run()
    assert not app.exception
    assert top_label(app).value in cat_labels["mobilenet-v2"]
    assert app.get("vega_lite_chart")
    assert any("ms on CPU" in markdown.value for markdown in app.markdown)  # the call's latency
    shell, python = (block.value for block in app.code)  # "Use in Transformers": the call behind the result
    assert shell == "python -m pipelines run image-classification chelsea.jpg --top-k 5 --model mobilenet-v2"
    assert "pipeline('image-classification', model=" in python and "pipe(image, top_k=5)" in python


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
    assert top_label(app).value == "espresso"


def test_home_page_lists_every_model_and_warms_one(provisioned: Path, browser_on_the_server: None) -> None:
    app = open_page("pages/home.py")
    table = app.dataframe[0].value
    assert set(table["model"]) >= {"mobilenet-v2", "efficientnet-lite0"}
    state = dict(zip(table["model"], table["state"], strict=True))
    assert {state[spec.name] for spec in CATALOG if spec.pulled_by_default} == {"ready"}  # optional ones may be missing
    app.selectbox(key="home-warm-model").set_value("efficientnet-lite0").run()
    app.button(key="home-warm").click().run()
    assert not app.exception
    assert "efficientnet-lite0 is loaded" in app.get("status")[0].label


def test_home_page_unloads_a_model(provisioned: Path, browser_on_the_server: None) -> None:
    get_server("mobilenet-v2")
    app = open_page("pages/home.py")
    app.selectbox(key="home-unload-model").set_value("mobilenet-v2").run()
    app.button(key="home-unload").click().run()
    assert not app.exception
    assert app.success[0].value.startswith("mobilenet-v2 is unloaded:")
    assert "mobilenet-v2" not in loaded_models()
    assert "MB of memory" in app.caption[-1].value


def model_controls(app: AppTest) -> set[str]:
    """The keys of the home page's server-wide buttons (the tour's is every visitor's)."""
    return {button.key for button in app.button} - {"home-tour", f"{SIGN_IN}-submit"}


def test_with_an_operator_token_only_its_link_shows_the_model_controls(
    provisioned: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOWROOM_OPERATOR_TOKEN", "s3cret-token")
    visitor = open_page("pages/home.py")
    assert not visitor.exception and not model_controls(visitor)  # the model table only
    assert visitor.dataframe and any("load on their first use" in caption.value for caption in visitor.caption)

    guess = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    guess.query_params["operator"] = "s3cret"
    guess.run()  # the home page is the app's first page
    assert not guess.exception and not model_controls(guess) and "not valid" in guess.warning[0].value

    operator = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    operator.query_params["operator"] = "s3cret-token"
    operator.run()
    assert "operator" not in operator.query_params  # out of the address bar, so a copied link does not carry it
    operator.switch_page("pages/home.py").run()
    assert model_controls(operator) == {"home-warm", "home-unload"}  # the session remembers


def test_the_operator_signs_in_by_typing_the_token_and_a_wrong_one_is_a_sentence(
    provisioned: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOWROOM_OPERATOR_TOKEN", "s3cret-token")
    app = open_page("pages/home.py")
    app.text_input(key=f"{SIGN_IN}-token").set_value("s3cret")
    app.button(key=f"{SIGN_IN}-submit").click().run()
    assert not model_controls(app) and "not valid" in app.warning[0].value
    app.text_input(key=f"{SIGN_IN}-token").set_value("s3cret-token")
    app.button(key=f"{SIGN_IN}-submit").click().run()
    assert not app.exception and model_controls(app) == {"home-warm", "home-unload"}
    assert not app.text_input  # signed in: the field is gone


def test_without_a_token_a_visitor_from_another_machine_gets_no_controls(
    provisioned: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import streamlit as st

    monkeypatch.delenv("SHOWROOM_OPERATOR_TOKEN", raising=False)
    monkeypatch.setattr(type(st.context), "ip_address", property(lambda self: "203.0.113.7"))
    app = open_page("pages/home.py")
    assert not app.exception and not model_controls(app)


def assistant_answers(app: AppTest) -> list[str]:
    return [message.markdown[0].value for message in app.chat_message if message.name == "assistant"]


def test_chat_answers_a_typed_question_with_timing(provisioned: Path) -> None:
    app = open_page("pages/text_generation.py")
    app.selectbox(key="tg-preset").set_value(app.selectbox(key="tg-preset").options[1]).run()  # free-form
    app.chat_input[0].set_value("What is the capital of France?").run()
    assert not app.exception
    assert "Paris" in assistant_answers(app)[0]
    assert "tokens/s" in app.chat_message[1].caption[0].value and "first token" in app.chat_message[1].caption[0].value
    assert [button.label for button in app.get("download_button")] == ["Markdown", "JSON"]


def test_chat_example_uses_the_faq_and_clear_empties_the_conversation(provisioned: Path) -> None:
    app = open_page("pages/text_generation.py")
    app.button(key="tg-example-How long is the warranty on the frame?").click().run()
    assert "3 year" in assistant_answers(app)[0].replace("-", " ")
    app.sidebar.button[0].click().run()  # Clear conversation
    assert not app.chat_message


def test_customer_service_declines_what_its_facts_do_not_say_and_cites_what_they_do(provisioned: Path) -> None:
    app = open_page("pages/text_generation.py")
    app.chat_input[0].set_value("Do you offer student discounts?").run()
    assert assistant_answers(app)[0] == DECLINED
    assert "model was not asked" in app.chat_message[1].caption[0].value
    facts = app.sidebar.text_area(key="tg-customer-service-context")
    facts.set_value(facts.value.replace("555-0100", "555-0123")).run()
    app.chat_input[0].set_value("What phone number do I call to book a repair?").run()
    assert "555-0123" in assistant_answers(app)[1]
    cited = next(expander for expander in app.chat_message[3].expander if expander.label.startswith("Answered"))
    assert cited.label == "Answered from 1 fact" and "555-0123" in cited.markdown[0].value
    assert not app.chat_message[1].code  # declined: no model call to show
    shell, python = (block.value for block in app.chat_message[3].code)  # the call that answered
    assert "--preset customer-service" in shell and "555-0123" in python  # asked with the retrieved fact


def test_what_the_guard_caught_is_explained_under_the_answer_never_shown_as_it(provisioned: Path) -> None:
    app = open_page("pages/text_generation.py")
    app.chat_input[0].set_value("Are you open on Saturday?").run()
    [answer] = assistant_answers(app)
    assert answer.startswith("Here is what I can tell you: we are open Monday to Saturday, 9:00 to 18:00.")
    [caught] = [expander for expander in app.chat_message[1].expander if expander.label == "What the guard caught"]
    said = caught.text[0].value
    assert said and said not in answer  # the model's words are in the explanation, not in the answer
    assert any("repeats itself" in item.value or "not in the facts" in item.value for item in caught.markdown)
    assert any(caption.value.endswith("stopped by the guard") for caption in app.chat_message[1].caption)


def test_an_answer_whose_model_stops_half_way_keeps_what_arrived_and_says_why(
    provisioned: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines.errors import ModelNotAvailable
    from pipelines.tasks.text_generation import StreamedReply

    def dies_after_one_chunk(reply: StreamedReply):  # the generation thread ending mid-answer (a stand-in)
        yield "Paris is"
        reply.stop()
        raise ModelNotAvailable("The SmolLM2 model stopped generating; try once more.")

    monkeypatch.setattr(StreamedReply, "__iter__", dies_after_one_chunk)
    app = open_page("pages/text_generation.py")
    app.selectbox(key="tg-preset").set_value(app.selectbox(key="tg-preset").options[1]).run()  # free-form
    app.chat_input[0].set_value("What is the capital of France?").run()
    assert not app.exception and assistant_answers(app) == ["Paris is"]
    assert "stopped generating" in app.chat_message[1].info[0].value


def test_chat_refuses_a_blank_message_and_keeps_working(provisioned: Path) -> None:
    app = open_page("pages/text_generation.py")
    app.chat_input[0].set_value("   ").run()
    assert [error.value for error in app.error] == [
        "The message is empty. Type a question or an instruction for the assistant."
    ]
    app.chat_input[0].set_value("Are you open on Sunday?").run()
    assert not app.error and assistant_answers(app)


def test_sentiment_single_text_shows_label_scores_and_latency(provisioned: Path) -> None:
    app = open_page("pages/sentiment.py")
    app.text_area(key="sa-text").set_value("This is awful. The worst service I have ever had.").run()
    assert not app.exception
    assert app.metric[0].label == "Label" and app.metric[0].value == "negative"
    assert app.get("vega_lite_chart")
    assert any("ms on CPU" in markdown.value for markdown in app.markdown)


def test_sentiment_batch_of_pasted_lines_keeps_order(provisioned: Path) -> None:
    app = open_page("pages/sentiment.py")
    lines = "I love this bike!\nThe worst service I have ever had.\n\nThe shop opens at nine on weekdays."
    app.text_area(key="sa-lines").set_value(lines).run()
    table = app.dataframe[0].value
    assert table["label"].tolist() == ["positive", "negative", "neutral"]
    assert app.get("download_button")


def test_sentiment_csv_upload_and_a_csv_without_rows(provisioned: Path) -> None:
    app = open_page("pages/sentiment.py")
    app.segmented_control(key="sa-source").set_value("A CSV file").run()
    reviews = (ROOT / "assets" / "text" / "reviews.csv").read_bytes()
    app.file_uploader(key="sa-csv").set_value(("reviews.csv", reviews, "text/csv")).run()
    assert app.selectbox(key="sa-column").value == "review"
    assert len(app.dataframe[0].value) == 8
    app.file_uploader(key="sa-csv").set_value(("empty.csv", b"review\n", "text/csv")).run()
    assert not app.exception
    assert [error.value for error in app.error] == [
        "The CSV has a header but no rows. Upload a CSV with one text per row."
    ]


def test_sentiment_report_renders_the_evaluation(provisioned: Path) -> None:
    app = open_page("pages/sentiment.py")
    labels = [metric.label for metric in app.metric]
    assert labels[:4] == ["Accuracy (held out)", "Macro-F1", "Training examples", "Build time"]
    assert len(app.get("vega_lite_chart")) >= 2  # confusion matrix and ROC curves
    shift = load_report("minilm-sentiment")["class_shift"]
    said = next(caption.value for caption in app.caption if caption.value.startswith("After training"))
    assert f"neutral {shift['neutral']:+.1f}, positive {shift['positive']:+.1f}" in said


def test_sentiment_names_the_model_that_scored_and_shows_how_it_was_trained(provisioned: Path) -> None:
    app = open_page("pages/sentiment.py")
    app.text_area(key="sa-text").set_value("Lovely bike, great service.").run()
    assert "Scored by MiniLM sentiment (tweets and reviews)" in [caption.value for caption in app.caption]
    metrics = {metric.label: metric.value for metric in app.metric}
    steps = math.ceil(load_report("minilm-sentiment")["training_examples"] / BATCH)  # one epoch
    assert metrics["Step"] == f"{steps:,} of {steps:,}" and metrics["Time"] == "finished"
    assert float(metrics["Validation macro-F1"]) > 0.7
    assert len(app.get("vega_lite_chart")) >= 4  # scores, confusion matrix, ROC curves, learning curves


def test_while_the_fine_tuned_model_is_prepared_the_quick_one_answers_and_says_so(
    provisioned: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "models").mkdir()
    for name in ("minilm-l6", "minilm-sentiment-quick"):  # a first run, a minute in
        (tmp_path / "models" / name).symlink_to(provisioned / "models" / name)
    monkeypatch.setenv("SHOWROOM_HOME", str(tmp_path))
    app = open_page("pages/sentiment.py")
    app.text_area(key="sa-text").set_value("The staff were lovely and the bike is great.").run()
    assert not app.exception
    (note,) = app.info
    assert note.value.startswith(
        "Results come from **MiniLM sentiment, quick (tweets and reviews)** while MiniLM sentiment"
    )
    assert "nothing is preparing it: run `make run`" in note.value  # no preparation runs in this test
    assert app.metric[0].value == "positive"
    assert "Scored by MiniLM sentiment, quick (tweets and reviews)" in [caption.value for caption in app.caption]
    assert "Training" in [tab.label for tab in app.tabs]


def test_the_training_tab_shows_the_fine_tuning_live_while_it_runs(
    provisioned: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines.provisioning.catalog import find_model
    from pipelines.provisioning.progress import PreparationRecord, TrainingRecord, live_training_path

    (tmp_path / "models").mkdir()
    for name in ("minilm-l6", "minilm-sentiment-quick"):
        (tmp_path / "models" / name).symlink_to(provisioned / "models" / name)
    monkeypatch.setenv("SHOWROOM_HOME", str(tmp_path))
    record = PreparationRecord(load_settings())  # a preparation this test process runs, half-way through training
    record.begin([find_model("minilm-sentiment")], reports_estimate=60)
    record.update("minilm-sentiment", stage="building", started_at=time.time() - 30)
    training = TrainingRecord(live_training_path("minilm-sentiment"), steps=400, started_at=time.time() - 20)
    for step in range(1, 101):
        training.step(step, 1.1 - step / 200)
    training.evaluation(50, 0.62)
    training.evaluation(100, 0.71)
    app = open_page("pages/sentiment.py")
    assert not app.exception
    assert "Live: the fine-tuning running on this machine now, redrawn every few seconds." in [
        caption.value for caption in app.caption
    ]
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Step"] == "100 of 400" and metrics["Validation macro-F1"] == "0.710"
    assert metrics["Time"].endswith("left")
    assert "Training: step 100 of 400" in app.info[0].value  # the note above the demo says it too


def test_a_page_whose_model_is_missing_says_so_and_stops_there(
    provisioned: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOWROOM_HOME", str(tmp_path))  # an empty home: nothing provisioned, nothing preparing
    app = open_page("pages/speech_to_text.py")
    assert not app.exception and not app.error
    assert "**Whisper tiny.en (English)** is not on this machine yet" in str(
        [markdown.value for markdown in app.markdown]
    )
    assert not app.get("file_uploader")  # the demo waits below the progress


def test_an_unexpected_error_is_logged_and_the_visitor_reads_one_sentence(
    provisioned: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import pipelines.tasks.sentiment
    from pages.ui import UNEXPECTED

    def broken(*_: object, **__: object) -> None:
        raise KeyError("/srv/showroom/secret_path.py")  # no engine sentence: a bug

    app = open_page("pages/sentiment.py")
    monkeypatch.setattr(pipelines.tasks.sentiment, "analyse_sentiment", broken)
    app.text_area(key="sa-text").set_value("Lovely bike.").run()
    assert not app.exception
    assert [error.value for error in app.error] == [UNEXPECTED]
    assert "secret_path" not in str([element.value for element in app.markdown])
    (logged,) = [record for record in caplog.records if record.name == "showroom.pages"]
    assert "secret_path" in logged.exc_text and "Traceback" in logged.exc_text
    caplog.clear()
    monkeypatch.undo()
    app.text_area(key="sa-text").set_value("Lovely bike, great service.").run()  # the page works again
    assert not app.error and app.metric[0].value == "positive"


def test_a_settings_typo_is_one_sentence_in_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOWROOM_TORCH_THREADS", "two")
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not app.exception
    assert [error.value for error in app.error] == [
        "Showroom cannot start: SHOWROOM_TORCH_THREADS is 'two'; it must be a whole number of at least 1 (default 1)."
    ]


def open_link(script: str, **query: str) -> AppTest:
    """The page opened from a link carrying `query`, as a browser opens a pasted address."""
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for name, value in query.items():
        app.query_params[name] = value
    return app.switch_page(script).run()


def test_a_sentiment_link_opens_on_its_scored_text_and_follows_edits(provisioned: Path) -> None:
    app = open_link("pages/sentiment.py", text="I absolutely love this bike, best purchase of the year!")
    assert not app.exception
    assert app.metric[0].value == "positive"
    app.text_area(key="sa-text").set_value("The delivery was late again and nobody answered my emails.").run()
    assert app.metric[0].value == "negative"  # the link was read once: the visitor's text wins
    assert app.query_params["text"] == "The delivery was late again and nobody answered my emails."
    app.text_area(key="sa-text").set_value("I love this bike. " * 200).run()  # 3,600 characters
    assert app.metric[0].value == "positive" and "text" not in app.query_params  # too long for an address


def test_an_example_link_opens_image_classification_on_espresso(provisioned: Path) -> None:
    app = open_link("pages/image_classification.py", example="coffee", top_k="3")
    assert not app.exception
    assert top_label(app).value == "espresso" and app.slider(key="ic-top-k").value == 3


@pytest.mark.parametrize(
    ("script", "query", "warned"),
    [
        ("pages/image_classification.py", {"example": "unicorn", "top_k": "lots", "model": "gpt-9"}, 3),
        ("pages/object_detection.py", {"threshold": "2", "example": ""}, 2),
        ("pages/translation.py", {"source": "xx", "text": "   "}, 2),
        ("pages/sentiment.py", {"model": "../../etc/passwd"}, 1),
    ],
)
def test_malformed_links_get_a_sentence_each_and_the_defaults(
    provisioned: Path, script: str, query: dict[str, str], warned: int
) -> None:
    app = open_link(script, **query)
    assert not app.exception and not app.error
    warnings = [warning.value for warning in app.warning if "was not used" in warning.value]
    assert len(warnings) == warned, warnings
    assert all(warning.startswith("The link's ") and warning.endswith(".") for warning in warnings)


def test_a_chat_link_asks_its_question_at_once(provisioned: Path) -> None:
    app = open_link("pages/text_generation.py", text="What phone number do I call to book a repair?")
    assert not app.exception
    assert "555-0100" in assistant_answers(app)[0]
    assert app.query_params["text"] == "What phone number do I call to book a repair?"


def test_a_recommender_link_opens_on_its_movie_query_and_user(provisioned: Path) -> None:
    app = open_link("pages/recommender.py", movie="Heat (1995)", query="a scary horror film", user="42")
    assert not app.exception
    assert app.selectbox(key="rec-movie").value == "Heat (1995)" and app.number_input(key="rec-user").value == 42
    assert any("horror" in markdown.value.lower() for markdown in app.markdown if markdown.value.startswith("1. "))
    bad = open_link("pages/recommender.py", movie="Heat", user="0")
    assert not bad.exception and len([w for w in bad.warning if "was not used" in w.value]) == 2
    assert bad.selectbox(key="rec-movie").value == "Toy Story (1995)"


@pytest.mark.parametrize("present", ["1", "0", None])
def test_presenter_mode_opens_from_a_present_link_only(provisioned: Path, present: str | None) -> None:
    """app.py frames every page; AppTest runs it on a session's first run only (later runs and switched-to
    pages run the page file alone), so the browser test checks the rest: no sidebar, larger type, no code."""
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if present is not None:
        app.query_params["present"] = present
    app.run()
    assert not app.exception
    assert app.toggle(key="presenter-toggle").value == (present == "1")
    assert ("Leave presenter mode" in [button.label for button in app.button]) == (present == "1")


def test_a_branding_file_names_the_home_page_and_a_bad_value_is_one_sentence(
    provisioned: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    brand = tmp_path / "branding.toml"
    brand.write_text('name = "Northwind Bikes"\naccent = "blue"\nlogo = "no-such-logo.png"\ntheme = "sepia"\n')
    monkeypatch.setenv("SHOWROOM_BRANDING", str(brand))
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not app.exception
    assert app.title[0].value == "Northwind Bikes"
    warnings = [warning.value for warning in app.warning]
    assert any("accent must be a colour like '#2F6FDE'; got 'blue'" in warning for warning in warnings)
    assert any("logo must be an image file" in warning for warning in warnings)
    assert any("theme must be 'light' or 'dark'; got 'sepia'" in warning for warning in warnings)

    brand.write_text("name = Northwind\n")  # not TOML: a string needs quotes
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not app.exception and app.title[0].value == "Showroom"
    assert "is not valid TOML" in app.warning[0].value
