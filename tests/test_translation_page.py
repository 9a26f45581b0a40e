"""The translation page through AppTest: examples, swapping direction, markup shown as text, batch CSV."""

from __future__ import annotations

from pathlib import Path

from tests.test_pages import open_page


def test_example_translates_and_swap_carries_the_translation_back(provisioned: Path) -> None:
    app = open_page("pages/translation.py")
    app.button(key="tr-en-example-Where is the nearest train station?").click().run()
    assert not app.exception and not app.error
    assert [text.value for text in app.text] == ["Onde está a estação de trem mais próxima?"]
    assert any("ms on CPU" in markdown.value for markdown in app.markdown)
    app.button(key="tr-swap").click().run()
    assert (app.selectbox(key="tr-source").value, app.selectbox(key="tr-target").value) == ("pt", "en")
    assert app.text_area(key="tr-text").value == "Onde está a estação de trem mais próxima?"
    assert [text.value for text in app.text] == ["Where is the nearest train station?"]


def test_markup_is_shown_as_text_never_rendered(provisioned: Path) -> None:
    app = open_page("pages/translation.py")
    app.text_area(key="tr-text").set_value("<b>Thank you very much for your help.</b> <script>alert(1)</script>").run()
    assert [text.value for text in app.text] == ["<b>Muito obrigado pela sua ajuda.</b> <script>alert(1)</script>"]
    assert not any("<script>" in markdown.value for markdown in app.markdown)


def test_same_language_on_both_sides_names_the_available_pairs(provisioned: Path) -> None:
    app = open_page("pages/translation.py")
    app.selectbox(key="tr-target").set_value("en").run()
    assert not app.exception
    assert [error.value for error in app.error] == [
        "Source and target are both English. Available pairs: English → Portuguese, Portuguese → English."
    ]
    app.selectbox(key="tr-target").set_value("pt").run()
    assert not app.error and app.text_area(key="tr-text").label == "English"  # the page is back
    app.text_area(key="tr-text").set_value("Thank you very much for your help.").run()
    assert [text.value for text in app.text] == ["Muito obrigado pela sua ajuda."]


def test_batch_translates_the_example_csv_into_a_new_column(provisioned: Path) -> None:
    app = open_page("pages/translation.py")
    app.segmented_control(key="tr-batch-en-source").set_value("A CSV file").run()
    app.button(key="tr-batch-en-example-csv").click().run()
    assert not app.exception and not app.error
    assert app.selectbox(key="tr-batch-en-column").value == "review"
    table = app.dataframe[0].value
    assert list(table.columns) == ["English", "Portuguese"] and len(table) == 8
    assert table["Portuguese"].iloc[2] == "A loja abre às nove dias de semana."
    assert app.get("download_button")
