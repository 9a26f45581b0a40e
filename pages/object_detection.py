"""Object detection: boxes around the COCO objects in a photo, one detector or two side by side."""

import io
import json

import pandas as pd
import streamlit as st

from pages import feedback, links, model_state, ui
from pages.links import LinkParameter
from pipelines.media.text_tables import safe_csv
from pipelines.provisioning.catalog import ModelSpec
from pipelines.tasks import snippets
from pipelines.tasks.object_detection import DEFAULT_THRESHOLD, TASK, Detections, annotate, colour_of, detect_objects

st.title("Object detection")
st.caption(
    "Boxes around any of the 80 COCO object classes (people, animals, vehicles, furniture, food…). Both "
    "detectors are TensorFlow.js graphs rebuilt in PyTorch, served by transformers' object-detection pipeline."
)

links.open_from_link(
    "object-detection",
    [
        LinkParameter("example", "od-source", links.example_of(ui.example_files(ui.IMAGE))),
        LinkParameter("model", "od-model", links.model_of(TASK)),
        LinkParameter("threshold", "od-threshold", links.number_between(0.05, 0.95)),
    ],
)
specs, setting_column = ui.models_to_run(TASK, key="od")
model_state.wait_for(*specs)
with setting_column:
    threshold = st.slider(
        "Score threshold",
        0.05,
        0.95,
        step=0.05,
        key=ui.default_state("od-threshold", DEFAULT_THRESHOLD),
        help="These detectors' scores for real objects mostly lie between 0.4 and 0.7, so 0.3 is a good start.",
    )

ui.model_reports(specs)
picked = ui.media_input("od")
links.keep_in_link(
    example=links.example_stem(st.session_state.get("od-source")),
    model=ui.unless_default(specs[0], TASK) if len(specs) == 1 else None,
    threshold=threshold if threshold != DEFAULT_THRESHOLD else None,
)
if picked is None:
    st.info("Upload an image, take a photo, or click an example to find its objects.", icon=":material/photo_camera:")
    st.stop()

results = ui.run_per_model(specs, TASK, detect_objects, picked.data, threshold)

found_labels = sorted({detection.label for _, result, _ in results for detection in result.found})
shown = set(
    st.multiselect(
        "Classes shown",
        found_labels,
        default=found_labels,
        key=f"od-classes-{'-'.join(found_labels)}",  # a new set of classes starts with all of them shown
        placeholder="No classes",
    )
)


def detection_table(result: Detections) -> pd.DataFrame:
    rows = [
        {"label": item.label, "score": item.score, **vars(item.box)} for item in result.found if item.label in shown
    ]
    return pd.DataFrame(rows, columns=["label", "score", "xmin", "ymin", "xmax", "ymax"])


def show_detections(spec: ModelSpec, result: Detections, key: str) -> None:
    visible = Detections(
        result.model, [found for found in result.found if found.label in shown], result.seconds, result.image
    )
    st.subheader(spec.display_name)
    annotated = annotate(visible)
    found = ", ".join(f"{label} × {count}" for label, count in visible.counts().items()) or "nothing"
    st.image(annotated, width="stretch", alt=f"The photo with a box around each object found: {found}")
    st.badge(f"{ui.latency(result.seconds)} on CPU", icon=":material/timer:", color="gray")
    if not visible.found:
        st.info(f"No objects found with a score of at least {threshold:.2f}.", icon=":material/search_off:")
        return
    counts = visible.counts()
    st.markdown(" · ".join(f"**{label}** × {count}" for label, count in counts.items()))
    table = detection_table(result)
    st.dataframe(
        table.style.apply(lambda row: [f"color: {colour_of(row['label'])}"] + [""] * 5, axis=1),
        hide_index=True,
        width="stretch",
        column_config={"score": st.column_config.ProgressColumn("score", min_value=0, max_value=1, format="percent")},
    )
    png = io.BytesIO()
    annotated.save(png, format="PNG")
    downloads = st.columns(3)
    downloads[0].download_button(
        "Image (PNG)", png.getvalue(), f"{key}.png", "image/png", key=f"od-png-{key}", on_click="ignore"
    )
    downloads[1].download_button(
        "Detections (JSON)",
        json.dumps(visible.as_json(), indent=2),
        f"{key}.json",
        "application/json",
        key=f"od-json-{key}",
        on_click="ignore",
    )
    downloads[2].download_button(
        "Detections (CSV)", safe_csv(table), f"{key}.csv", "text/csv", key=f"od-csv-{key}", on_click="ignore"
    )
    ui.show_code(snippets.image_task(TASK, picked.path, spec.name, {"threshold": threshold}))


prepared = results[0][1].image
width, height = prepared.original_size
st.caption(f"{picked.name} · {width}×{height} pixels" + "".join(f" · {note}" for note in prepared.notes))
for column, (spec, result, request) in zip(st.columns(len(results)), results, strict=True):
    with column:
        show_detections(spec, result, f"{spec.name}-detections")
        feedback.thumbs(request)
