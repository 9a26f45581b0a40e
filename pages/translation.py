"""Translation: English ↔ Portuguese on Mozilla's Bergamot models, one document or a whole column."""

import pandas as pd
import streamlit as st

from pages import feedback, links, model_state, ui
from pages.links import LinkParameter
from pipelines.media.languages import language_name
from pipelines.media.text_tables import safe_csv
from pipelines.tasks import snippets
from pipelines.tasks.translation import TASK, TranslationBatch, available_pairs, model_for_pair, translate

EXAMPLES = {
    "en": (
        "Where is the nearest train station?",
        "Our new bikes arrive next week. Book a test ride online!",
        "Thank you for your order.\n\nYour bike will be delivered on Friday between 9 am and 1 pm.",
    ),
    "pt": (
        "Onde fica a estação de trem mais próxima?",
        "A loja abre às nove horas. Traga a sua bicicleta para uma revisão gratuita!",
        "Obrigado pela sua compra.\n\nA entrega será feita na sexta-feira de manhã.",
    ),
}
EXAMPLE_CSVS = {"en": ("reviews.csv", "customer reviews"), "pt": ("avaliacoes.csv", "avaliações de clientes")}
LANGUAGES = sorted({code for pair in available_pairs() for code in pair})


def swap_direction() -> None:
    """Swap the languages, and carry the last translation over as the new input, as translators do."""
    state = st.session_state
    state["tr-source"], state["tr-target"] = state["tr-target"], state["tr-source"]
    if state.get("tr-output"):
        state["tr-text"] = state.pop("tr-output")


st.title("Translation")
st.caption(
    "Mozilla's Firefox Translations models, ported to PyTorch and served through a transformers translation "
    "pipeline. Long texts are split into sentences and translated in one batch; line breaks, markup and "
    "emoji are kept in place."
)
links.open_from_link(
    "translation",
    [
        LinkParameter("text", "tr-text", links.text),
        LinkParameter("source", "tr-source", links.one_of(LANGUAGES)),
        LinkParameter("target", "tr-target", links.one_of(LANGUAGES)),
    ],
)
st.session_state.setdefault("tr-source", "en")
st.session_state.setdefault("tr-target", "pt")
left, middle, right = st.columns([5, 1, 5], vertical_alignment="bottom")
source = left.selectbox("From", LANGUAGES, format_func=language_name, key="tr-source")
middle.button(
    "", icon=":material/swap_horiz:", key="tr-swap", on_click=swap_direction, help="Swap languages", width="stretch"
)
target = right.selectbox("To", LANGUAGES, format_func=language_name, key="tr-target")
pair_model = ui.run_engine(model_for_pair, source, target)
if pair_model is None:
    st.stop()
model_state.wait_for(pair_model)
with st.expander("About the model", icon=":material/info:"):
    ui.model_card(pair_model)

single, batch, report = st.tabs(["Text", "Batch", "Model report"])

with report:
    ui.report_card(pair_model)

with single:
    ui.example_buttons(EXAMPLES.get(source, ()), state_key="tr-text", key_prefix=f"tr-{source}")
    text_column, output_column = st.columns(2)
    text = text_column.text_area(
        language_name(source), key="tr-text", height=220, placeholder=f"Type or paste {language_name(source)} text…"
    )
    output_column.markdown(f"**{language_name(target)}**")
    links.keep_in_link(text=text, source=source, target=target)
    if text.strip():
        with output_column, ui.place_in_line("Translating") as on_wait:
            translated, request = ui.answer(
                TASK, pair_model.name, translate, [text], source, target, on_wait=on_wait, given=text
            )
        if translated is not None:
            result = translated.results[0]
            st.session_state["tr-output"] = result.text
            # st.text, never markdown: tags in the input or output stay visible text, not rendered HTML.
            output_column.container(border=True, height=220).text(result.text)
            output_column.badge(
                f"{ui.latency(translated.seconds)} on CPU · {translated.pieces} sentence piece"
                + ("s" if translated.pieces != 1 else ""),
                icon=":material/timer:",
                color="gray",
            )
            for notice in result.notices:
                st.info(notice, icon=":material/info:")
            ui.show_code(snippets.translation([text], source, target, pair_model.name))
            with output_column:
                feedback.thumbs(request)


def results_table(texts: list[str], translated: TranslationBatch) -> pd.DataFrame:
    return pd.DataFrame(
        {
            language_name(translated.source): texts,
            language_name(translated.target): [result.text for result in translated.results],
        }
    )


with batch:
    example_file, example_label = EXAMPLE_CSVS.get(source, EXAMPLE_CSVS["en"])
    picked = ui.batch_texts(f"tr-batch-{source}", ui.ASSETS / "text" / example_file, example_label)
    if picked.texts:
        with ui.place_in_line(f"Translating {len(picked.texts):,} texts") as on_wait:
            translated, request = ui.answer(
                TASK, pair_model.name, translate, picked.texts, source, target, on_wait=on_wait, given=picked.texts
            )
        if translated is not None:
            st.caption(
                f"{len(picked.texts):,} texts ({translated.pieces:,} sentence pieces) in "
                f"{ui.latency(translated.seconds)}: {translated.pieces / max(translated.seconds, 1e-9):.0f} pieces/s"
            )
            st.dataframe(results_table(picked.texts, translated), hide_index=True, width="stretch")
            if picked.frame is not None:
                download = picked.frame.copy()
                download[f"{picked.column}_{target}"] = [result.text for result in translated.results]
            else:
                download = results_table(picked.texts, translated)
            st.download_button(
                "Download translations (CSV)",
                safe_csv(download),
                f"translations_{source}_{target}.csv",
                "text/csv",
                icon=":material/download:",
                key="tr-download",
                on_click="ignore",
            )
            feedback.thumbs(request)
