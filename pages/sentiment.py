"""Sentiment: one text or a whole CSV scored negative / neutral / positive, and the model's report."""

import altair as alt
import pandas as pd
import streamlit as st

from pages import links, ui
from pages.links import LinkParameter
from pipelines.media.text_tables import safe_csv
from pipelines.tasks import snippets
from pipelines.tasks.sentiment import LABELS, TASK, SentimentBatch, analyse_sentiment, load_report

EXAMPLES = (
    "I absolutely love this bike, best purchase of the year!",
    "The delivery was late again and nobody answered my emails.",
    "The shop opens at nine on weekdays.",
)
COLOURS = alt.Scale(domain=list(LABELS), range=["#D64545", "#9AA0A6", "#2E9E5B"])
ROW_NOTICES_SHOWN = 5  # a file of 10,000 emoji-only rows must not bury the table under notes

st.title("Sentiment")
st.caption(
    "Is a text negative, neutral or positive? A MiniLM encoder fine-tuned on labelled tweets by Showroom's "
    "own set-up, on this machine."
)
links.open_from_link(
    "sentiment",
    [LinkParameter("text", "sa-text", links.text), LinkParameter("model", "sa-model", links.model_of(TASK))],
)
model = ui.pick_model(TASK, key="sa-model")
single, batch, report = st.tabs(["Single text", "Batch", "Model report"])


def class_scores(scores: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame({"label": list(scores), "score": list(scores.values())})


with single:
    ui.example_buttons(EXAMPLES, state_key="sa-text", key_prefix="sa")
    text = st.text_area("Text", key="sa-text", height=110, placeholder="Type or paste a review, a tweet, an email…")
    links.keep_in_link(text=text, model=ui.unless_default(model, TASK))
    if text:
        with ui.place_in_line("Scoring") as on_wait:
            analysed = ui.run_engine(analyse_sentiment, [text], model.name, on_wait)
        if analysed is not None:
            result = analysed.results[0]
            for notice in result.notices:
                st.info(notice, icon=":material/info:")
            left, right = st.columns([1, 2])
            left.metric("Label", result.label, f"{result.score:.1%}", delta_color="off", delta_arrow="off")
            left.badge(f"{ui.latency(analysed.seconds)} on CPU", icon=":material/timer:", color="gray")
            right.altair_chart(ui.score_chart(class_scores(result.scores)), width="stretch")
            ui.show_code(snippets.sentiment([text], model.name))


def results_table(texts: list[str], analysed: SentimentBatch) -> pd.DataFrame:
    rows = [
        {"text": text, "label": result.label, **result.scores}
        for text, result in zip(texts, analysed.results, strict=True)
    ]
    return pd.DataFrame(rows, columns=["text", "label", *LABELS])


def show_row_notices(analysed: SentimentBatch) -> None:
    """What the model did not read, or may misjudge, row by row: the table alone would hide it."""
    noted = [(row, notice) for row, result in enumerate(analysed.results, start=1) for notice in result.notices]
    for row, notice in noted[:ROW_NOTICES_SHOWN]:
        st.info(f"Row {row}: {notice}", icon=":material/info:")
    if len(noted) > ROW_NOTICES_SHOWN:
        st.caption(f"…and {len(noted) - ROW_NOTICES_SHOWN:,} more notes.")


def label_distribution(table: pd.DataFrame) -> alt.Chart:
    counts = table["label"].value_counts().reindex(LABELS, fill_value=0).rename_axis("label").reset_index()
    return (
        alt.Chart(counts)
        .mark_bar()
        .encode(
            x=alt.X("label:N", sort=list(LABELS), title=None),
            y=alt.Y("count:Q", title="texts"),
            color=alt.Color("label:N", scale=COLOURS, legend=None),
            tooltip=["label", "count"],
        )
        .properties(height=220)
    )


with batch:
    texts = ui.batch_texts("sa", ui.ASSETS / "text" / "reviews.csv", "customer reviews").texts
    if texts:
        with ui.place_in_line(f"Scoring {len(texts):,} texts") as on_wait:
            analysed = ui.run_engine(analyse_sentiment, texts, model.name, on_wait)
        if analysed is not None:
            table = results_table(texts, analysed)
            st.caption(
                f"{len(texts):,} texts in {ui.latency(analysed.seconds)} "
                f"({len(texts) / max(analysed.seconds, 1e-9):.0f} texts/s)"
            )
            left, right = st.columns([3, 1])
            left.dataframe(
                table,
                hide_index=True,
                width="stretch",
                column_config={
                    label: st.column_config.ProgressColumn(label, min_value=0, max_value=1, format="percent")
                    for label in LABELS
                },
            )
            right.altair_chart(label_distribution(table), width="stretch")
            show_row_notices(analysed)
            st.download_button(
                "Download results (CSV)",
                safe_csv(table),
                "sentiment.csv",
                "text/csv",
                icon=":material/download:",
                key="sa-download",
            )


def confusion_heatmap(evaluation: dict) -> alt.Chart:
    labels = evaluation["labels"]
    cells = pd.DataFrame(
        [
            {"true": labels[t], "predicted": labels[p], "count": count}
            for t, row in enumerate(evaluation["confusion_matrix"])
            for p, count in enumerate(row)
        ]
    )
    base = alt.Chart(cells).encode(x=alt.X("predicted:N", sort=labels), y=alt.Y("true:N", sort=labels))
    heat = base.mark_rect().encode(color=alt.Color("count:Q", scale=alt.Scale(scheme="oranges"), legend=None))
    return (heat + base.mark_text(fontSize=14).encode(text="count:Q")).properties(height=260)


def roc_curves(evaluation: dict) -> alt.Chart:
    curves = pd.DataFrame(
        [
            {"class": f"{label} (AUC {curve['auc']:.3f})", "false positive rate": fpr, "true positive rate": tpr}
            for label, curve in evaluation["roc"].items()
            for fpr, tpr in zip(curve["fpr"], curve["tpr"], strict=True)
        ]
    )
    return (
        alt.Chart(curves)
        .mark_line()
        .encode(
            x="false positive rate:Q",
            y="true positive rate:Q",
            color=alt.Color("class:N", title=None),
        )
        .properties(height=300)
    )


with report:
    evaluation = ui.run_engine(load_report, model.name)
    if evaluation is not None:
        metrics = st.columns(4)
        metrics[0].metric("Accuracy (held out)", f"{evaluation['accuracy']:.3f}")
        metrics[1].metric("Macro-F1", f"{evaluation['macro_f1']:.3f}")
        metrics[2].metric("Training tweets", f"{evaluation['training_examples']:,}")
        metrics[3].metric("Build time", f"{evaluation['build_seconds'] / 60:.1f} min")
        st.caption(
            f"Recipe: {evaluation['recipe']}, chosen among the measured recipes on a separate validation split "
            f"({evaluation['validation_examples']:,} tweets), not on these {evaluation['examples']:,} held-out ones."
        )
        per_class = pd.DataFrame(evaluation["per_class"]).T.rename_axis("class").reset_index()
        st.dataframe(per_class, hide_index=True, width="stretch")
        left, right = st.columns(2)
        left.markdown("**Confusion matrix**")
        left.altair_chart(confusion_heatmap(evaluation), width="stretch")
        right.markdown("**ROC curves (one vs rest)**")
        right.altair_chart(roc_curves(evaluation), width="stretch")
