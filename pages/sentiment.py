"""Sentiment: one text or a whole CSV scored negative / neutral / positive, and the model's report."""

import altair as alt
import pandas as pd
import streamlit as st

from pages import feedback, links, model_state, ui
from pages.links import LinkParameter
from pipelines.media.text_tables import safe_csv
from pipelines.provisioning.catalog import SENTIMENT_DATA_LICENCES, ModelSpec, find_model
from pipelines.provisioning.progress import duration, readiness
from pipelines.serving.loader import serving_choice
from pipelines.tasks import snippets
from pipelines.tasks.sentiment import LABELS, TASK, SentimentBatch, analyse_sentiment, load_report, training_run

EXAMPLES = (
    "I absolutely love this bike, best purchase of the year!",
    "The delivery was late again and nobody answered my emails.",
    "The shop opens at nine on weekdays.",
)
COLOURS = alt.Scale(domain=list(LABELS), range=["#D64545", "#9AA0A6", "#2E9E5B"])
ROW_NOTICES_SHOWN = 5  # a file of 10,000 emoji-only rows must not bury the table under notes

st.title("Sentiment")
st.caption(
    "Is a text negative, neutral or positive? A MiniLM encoder fine-tuned on labelled tweets and review sentences "
    "by Showroom's own set-up, on this machine."
)
links.open_from_link(
    "sentiment",
    [LinkParameter("text", "sa-text", links.text), LinkParameter("model", "sa-model", links.model_of(TASK))],
)
model = ui.pick_model(TASK, key="sa-model")
model_state.wait_for(model)
single, batch, report, training = st.tabs(["Single text", "Batch", "Model report", "Training"])


def class_scores(scores: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame({"label": list(scores), "score": list(scores.values())})


with single:
    ui.example_buttons(EXAMPLES, state_key="sa-text", key_prefix="sa")
    text = st.text_area("Text", key="sa-text", height=110, placeholder="Type or paste a review, a tweet, an email…")
    links.keep_in_link(text=text, model=ui.unless_default(model, TASK))
    if text:
        with ui.place_in_line("Scoring") as on_wait:
            analysed, request = ui.answer(TASK, model.name, analyse_sentiment, [text], model.name, on_wait, given=text)
        if analysed is not None:
            result = analysed.results[0]
            for notice in result.notices:
                st.info(notice, icon=":material/info:")
            left, right = st.columns([1, 2])
            left.metric("Label", result.label, f"{result.score:.1%}", delta_color="off", delta_arrow="off")
            left.badge(f"{ui.latency(analysed.seconds)} on CPU", icon=":material/timer:", color="gray")
            left.caption(f"Scored by {find_model(analysed.model).display_name}")
            right.altair_chart(ui.score_chart(class_scores(result.scores)), width="stretch")
            ui.show_code(snippets.sentiment([text], analysed.model))
            feedback.thumbs(request)


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
            analysed, request = ui.answer(TASK, model.name, analyse_sentiment, texts, model.name, on_wait, given=texts)
        if analysed is not None:
            table = results_table(texts, analysed)
            st.caption(
                f"{len(texts):,} texts in {ui.latency(analysed.seconds)} "
                f"({len(texts) / max(analysed.seconds, 1e-9):.0f} texts/s), "
                f"scored by {find_model(analysed.model).display_name}"
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
                on_click="ignore",
            )
            feedback.thumbs(request)


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


def show_domains(domains: list[dict]) -> None:
    """One line per domain (tweets, each kind of review, the project's own sentences), then what each got most
    wrong: a model that improved on reviews cannot hide a loss on tweets."""
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "domain": line["domain"],
                    "measure": line["metric"],
                    "score": line["value"],
                    "sentences": line["examples"],
                }
                for line in domains
            ]
        ),
        hide_index=True,
        width="stretch",
        column_config={"score": st.column_config.ProgressColumn("score", min_value=0, max_value=1, format="%.3f")},
    )
    st.caption(
        "Accuracy on the two-class review sets (a neutral answer counts as wrong), macro-F1 where there are three "
        f"classes. {SENTIMENT_DATA_LICENCES}."
    )
    with st.expander("What it got most wrong, by domain", icon=":material/rule:"):
        for line in domains:
            if line["worst"]:
                st.markdown(f"**{line['domain']}**")
                st.dataframe(pd.DataFrame(line["worst"]), hide_index=True, width="stretch")


with report:
    reported = find_model(serving_choice(model.name))  # the stand-in's report while it serves
    evaluation = ui.run_engine(load_report, reported.name)
    if evaluation is not None:
        st.caption(f"{reported.display_name}, measured when it was built on sentences it never trained on.")
        if "domains" in evaluation:
            show_domains(evaluation["domains"])
        if evaluation.get("class_shift"):
            shift = ", ".join(f"{label} {value:+.1f}" for label, value in evaluation["class_shift"].items())
            st.caption(
                f"After training, each class's logit was shifted ({shift}): the shift at which the validation parts "
                "clear every floor this card is held to by the widest margin."
            )
        st.markdown("**On tweets, in detail**")
        metrics = st.columns(4)
        metrics[0].metric("Accuracy (held out)", f"{evaluation['accuracy']:.3f}")
        metrics[1].metric("Macro-F1", f"{evaluation['macro_f1']:.3f}")
        metrics[2].metric("Training examples", f"{evaluation['training_examples']:,}")
        metrics[3].metric("Build time", ui.latency(evaluation["build_seconds"]))
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


def learning_curves(run: dict) -> alt.Chart:
    """The loss at every step (faint) and its 20-step mean, beside the validation macro-F1 at each evaluation."""
    losses = pd.DataFrame(run["losses"], columns=["step", "loss"])
    losses["mean of 20 steps"] = losses["loss"].rolling(20, min_periods=1).mean()
    x = alt.X("step:Q", scale=alt.Scale(domain=[0, run["steps"]]), title="training step")
    loss = alt.Chart(losses).encode(x=x)
    loss_chart = (
        loss.mark_line(opacity=0.25).encode(y=alt.Y("loss:Q", title="training loss"))
        + loss.mark_line(color=ui.theme_accent()).encode(y="mean of 20 steps:Q", tooltip=["step", "mean of 20 steps"])
    ).properties(height=240, title="Loss")
    scores = pd.DataFrame(run["evaluations"], columns=["step", "macro-F1"])
    f1_chart = (
        alt.Chart(scores)
        .mark_line(point=alt.OverlayMarkDef(color="#2E9E5B"), color="#2E9E5B")
        .encode(x=x, y=alt.Y("macro-F1:Q", scale=alt.Scale(domain=[0, 1])), tooltip=["step", "macro-F1"])
        .properties(height=240, title="Validation macro-F1")
    )
    return alt.hconcat(loss_chart, f1_chart)


def show_training(run: dict) -> None:
    done = run["losses"][-1][0] if run["losses"] else 0
    columns = st.columns(3)
    columns[0].metric("Step", f"{done:,} of {run['steps']:,}")
    columns[1].metric("Validation macro-F1", f"{run['evaluations'][-1][1]:.3f}" if run["evaluations"] else "–")
    left = "finished" if run["finished_at"] else duration(run["seconds_left"] or 0) + " left"
    columns[2].metric("Time", left)
    if run["losses"]:
        st.altair_chart(learning_curves(run), width="stretch")


@st.fragment(run_every=model_state.POLL_SECONDS)
def live_training(spec: ModelSpec) -> None:
    run = ui.run_engine(training_run, spec.name)
    if run is None:  # queued behind the other models
        st.caption(f"The fine-tuning has not started yet. {readiness(spec).said}")
        return
    if run["finished_at"]:
        st.rerun(scope="app")  # the model has landed: the page switches to it
    st.caption("Live: the fine-tuning running on this machine now, redrawn every few seconds.")
    show_training(run)


with training:
    run = ui.run_engine(training_run, model.name)
    if run is not None and run["finished_at"]:
        st.caption("The fine-tuning that built this model: the loss per step, and the macro-F1 on validation tweets.")
        show_training(run)
    elif readiness(model).stage in ("building", "waiting"):
        live_training(model)
    else:
        st.caption(f"{model.display_name} is not fine-tuned on this machine, so it has no training curves.")
