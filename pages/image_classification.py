"""Image classification: an image in, ImageNet labels out, one model or two side by side."""

import pandas as pd
import streamlit as st

from pages import feedback, links, model_state, ui
from pages.links import LinkParameter
from pipelines.provisioning.catalog import ModelSpec
from pipelines.tasks import snippets
from pipelines.tasks.image_classification import MAX_TOP_K, TASK, Classification, classify_image

st.title("Image classification")
st.caption(
    "Which of the 1,000 ImageNet classes does a photo show? Both models run on this machine's CPU, "
    "from weights provisioned offline."
)

links.open_from_link(
    "image-classification",
    [
        LinkParameter("example", "ic-source", links.example_of(ui.example_files(ui.IMAGE))),
        LinkParameter("model", "ic-model", links.model_of(TASK)),
        LinkParameter("top_k", "ic-top-k", links.number_between(1, MAX_TOP_K, int)),
    ],
)
specs, setting_column = ui.models_to_run(TASK, key="ic")
model_state.wait_for(*specs)
with setting_column:
    top_k = st.slider("Top-k labels", 1, MAX_TOP_K, key=ui.default_state("ic-top-k", 5))

ui.model_reports(specs)
picked = ui.media_input("ic")
links.keep_in_link(
    example=links.example_stem(st.session_state.get("ic-source")),
    model=ui.unless_default(specs[0], TASK) if len(specs) == 1 else None,
    top_k=top_k if top_k != 5 else None,
)
if picked is None:
    st.info("Upload an image, take a photo, or click an example to classify it.", icon=":material/photo_camera:")
    st.stop()


def show_classification(spec: ModelSpec, result: Classification, image_path: str) -> None:
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
    ui.show_code(snippets.image_task(TASK, image_path, spec.name, {"top_k": top_k}))


results = ui.run_per_model(specs, TASK, classify_image, picked.data, top_k)

image_column, *result_columns = st.columns([2] + [3] * len(results))
with image_column:
    prepared = results[0][1].image
    st.image(prepared.image, caption=picked.name, width="stretch", alt=f"The photo given: {picked.name}")
    width, height = prepared.original_size
    st.caption(f"{width}×{height} pixels" + "".join(f" · {note}" for note in prepared.notes))
for column, (spec, result, request) in zip(result_columns, results, strict=True):
    with column:
        show_classification(spec, result, picked.path)
        feedback.thumbs(request)
