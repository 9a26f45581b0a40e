"""Image classification: an image in, ImageNet labels out, one model or two side by side."""

import pandas as pd
import streamlit as st

from pages import ui
from pipelines.catalog import ModelSpec, models_for_task
from pipelines.image_classification import MAX_TOP_K, TASK, Classification, classify_image

st.title("Image classification")
st.caption(
    "Which of the 1,000 ImageNet classes does a photo show? Both models run on this machine's CPU, "
    "from weights provisioned offline."
)

controls = st.columns([2, 3, 2])
with controls[0]:
    compare = st.segmented_control("View", ["One model", "Compare models"], default="One model", key="ic-view")
with controls[1]:
    chosen = ui.pick_model(TASK, key="ic-model") if compare != "Compare models" else None
with controls[2]:
    top_k = st.slider("Top-k labels", 1, MAX_TOP_K, 5, key="ic-top-k")

picked = ui.image_input("ic")
if picked is None:
    st.info("Upload an image, take a photo, or click an example to classify it.", icon=":material/photo_camera:")
    st.stop()


def show_classification(spec: ModelSpec, result: Classification) -> None:
    st.subheader(spec.display_name)
    top = result.top
    st.metric(
        "Top label",
        top.label,
        f"{top.score:.1%} confident",
        delta_color="off",
        delta_arrow="off",
        help=top.label,
        border=True,
    )
    st.badge(f"{ui.latency(result.seconds)} on CPU", icon=":material/timer:", color="gray")
    scores = pd.DataFrame([{"label": s.label, "score": s.score} for s in result.scores])
    st.altair_chart(ui.score_chart(scores), width="stretch")
    with st.expander("Raw JSON"):
        st.json(result.as_json())


specs = models_for_task(TASK) if compare == "Compare models" else [chosen]
results: list[tuple[ModelSpec, Classification]] = []
with st.spinner("Classifying… (the first run of a model also loads it)"):
    for spec in specs:
        result = ui.run_engine(classify_image, picked.data, spec.name, top_k)
        if result is None:
            st.stop()
        results.append((spec, result))

image_column, *result_columns = st.columns([2] + [3] * len(results))
with image_column:
    prepared = results[0][1].image
    st.image(prepared.image, caption=picked.name, width="stretch")
    width, height = prepared.original_size
    st.caption(f"{width}×{height} pixels" + "".join(f" · {note}" for note in prepared.notes))
for column, (spec, result) in zip(result_columns, results, strict=True):
    with column:
        show_classification(spec, result)
