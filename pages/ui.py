"""UI pieces every demo page shares, so no page repeats another's blocks."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import altair as alt
import pandas as pd
import streamlit as st
from PIL import Image, ImageOps
from streamlit.delta_generator import DeltaGenerator

from pipelines.catalog import ModelSpec, models_for_task
from pipelines.errors import ShowroomError
from pipelines.images import UPLOAD_TYPES
from pipelines.provision import model_dir
from pipelines.text_tables import guess_text_column, read_csv, texts_in_column

ASSETS = Path(__file__).resolve().parent.parent / "assets"
Result = TypeVar("Result")
_THUMBNAIL_SIZE = (320, 240)


def run_engine(call: Callable[..., Result], *args: object, **kwargs: object) -> Result | None:
    """Call the engine; a user-facing error becomes one red sentence and the page carries on."""
    try:
        return call(*args, **kwargs)
    except ShowroomError as error:
        st.error(str(error), icon=":material/error:")
        return None


def model_label(spec: ModelSpec) -> str:
    return spec.display_name + (" · default" if spec.task_default else "")


def model_card(spec: ModelSpec) -> None:
    """What the model is, where it comes from, and its licence terms when it has its own."""
    with st.expander(f"About {spec.display_name}", icon=":material/info:"):
        st.markdown(spec.description)
        st.caption(
            f"Licence: {spec.licence} · Source: {spec.source}" + (f" · Hub id: `{spec.hub_id}`" if spec.hub_id else "")
        )
        if spec.terms_file:
            terms = model_dir(spec) / spec.terms_file
            if terms.is_file():
                st.markdown(f"**{spec.display_name} is provided under and subject to these terms:**")
                with st.container(height=240):
                    st.text(terms.read_text(encoding="utf-8"))


def pick_model(task: str, key: str) -> ModelSpec:
    """A model selector over the catalog entries for one task, default first."""
    specs = models_for_task(task)
    return st.selectbox("Model", specs, format_func=model_label, key=key, help=specs[0].description)


def models_to_run(task: str, key: str) -> tuple[list[ModelSpec], DeltaGenerator]:
    """The "One model / Compare models" switch and the model picker, in a row whose last column is left
    for the page's own setting; returns the models to run and that column."""
    view_column, model_column, setting_column = st.columns([2, 3, 2])
    with view_column:
        view = st.segmented_control("View", ["One model", "Compare models"], default="One model", key=f"{key}-view")
    if view == "Compare models":
        return models_for_task(task), setting_column
    with model_column:
        return [pick_model(task, key=f"{key}-model")], setting_column


def run_per_model(
    specs: list[ModelSpec], call: Callable[..., Result], data: bytes, *args: object
) -> list[tuple[ModelSpec, Result]]:
    """One engine call per model on the same input; an error sentence stops the page there."""
    results = []
    with st.spinner("Running… (the first run of a model also loads it)"):
        for spec in specs:
            result = run_engine(call, data, spec.name, *args)
            if result is None:
                st.stop()
            results.append((spec, result))
    return results


def example_buttons(examples: tuple[str, ...], state_key: str, key_prefix: str) -> None:
    """One button per example text; a click puts that text into `st.session_state[state_key]`."""
    for column, example in zip(st.columns(len(examples)), examples, strict=True):
        column.button(
            example,
            key=f"{key_prefix}-example-{example}",
            width="stretch",
            on_click=lambda text=example: st.session_state.__setitem__(state_key, text),
        )


@dataclass(frozen=True)
class BatchTexts:
    """The texts of a batch run, and the CSV they came from (None for pasted lines)."""

    texts: list[str]
    frame: pd.DataFrame | None = None
    column: str | None = None


def batch_texts(key_prefix: str, example_csv: Path, example_label: str) -> BatchTexts:
    """Pasted lines, an uploaded CSV (with a column picker), or a one-click example CSV."""
    source = st.segmented_control(
        "Texts from", ["Pasted lines", "A CSV file"], default="Pasted lines", key=f"{key_prefix}-source"
    )
    if source != "A CSV file":
        lines = st.text_area("One text per line", key=f"{key_prefix}-lines", height=160)
        return BatchTexts([line for line in lines.splitlines() if line.strip()])
    upload = st.file_uploader("CSV with a header row", type=["csv"], key=f"{key_prefix}-csv")
    if st.button(f"Use the example CSV ({example_label})", key=f"{key_prefix}-example-csv"):
        st.session_state[f"{key_prefix}-example-csv-on"] = example_csv.name
    data = upload.getvalue() if upload is not None else None
    example = st.session_state.get(f"{key_prefix}-example-csv-on")
    if data is None and example == example_csv.name:
        data = example_csv.read_bytes()
    frame = run_engine(read_csv, data) if data is not None else None
    if frame is None:
        return BatchTexts([])
    columns = list(frame.columns)
    column = st.selectbox(
        "Text column", columns, index=columns.index(guess_text_column(frame)), key=f"{key_prefix}-column"
    )
    return BatchTexts(run_engine(texts_in_column, frame, column) or [], frame, column)


@dataclass(frozen=True)
class ExampleImage:
    path: Path
    caption: str


@dataclass(frozen=True)
class PickedImage:
    name: str
    data: bytes


def example_images() -> list[ExampleImage]:
    """The sample photos in assets/images, captioned from its manifest."""
    manifest = json.loads((ASSETS / "images" / "examples.json").read_text(encoding="utf-8"))
    return [ExampleImage(ASSETS / "images" / item["file"], item["caption"]) for item in manifest]


@st.cache_data(show_spinner=False)
def example_thumbnail(path: Path) -> Image.Image:
    """Same-shaped thumbnails keep the example row aligned whatever the photos' aspect ratios."""
    with Image.open(path) as photo:
        return ImageOps.fit(photo.convert("RGB"), _THUMBNAIL_SIZE)


def image_input(key: str) -> PickedImage | None:
    """Upload, camera or one-click example; whichever the user touched last is the input."""
    source_key = f"{key}-source"

    def choose(source: str) -> Callable[[], None]:
        return lambda: st.session_state.__setitem__(source_key, source)

    upload_column, camera_column = st.columns([3, 1])
    with upload_column:
        uploaded = st.file_uploader(
            "Upload an image", type=list(UPLOAD_TYPES), key=f"{key}-upload", on_change=choose("upload")
        )
    with camera_column:
        use_camera = st.toggle("Use the camera", key=f"{key}-camera-on")
    photo = st.camera_input("Take a photo", key=f"{key}-camera", on_change=choose("camera")) if use_camera else None
    st.caption("Or click an example:")
    examples = example_images()
    for column, example in zip(st.columns(len(examples)), examples, strict=True):
        with column:
            st.image(example_thumbnail(example.path), width="stretch")
            st.button(
                example.caption,
                key=f"{key}-example-{example.path.stem}",
                width="stretch",
                on_click=choose(f"example:{example.path.name}"),
            )
    source = st.session_state.get(source_key)
    if source == "upload" and uploaded is not None:
        return PickedImage(uploaded.name, uploaded.getvalue())
    if source == "camera" and photo is not None:
        return PickedImage("camera photo", photo.getvalue())
    if source and source.startswith("example:"):
        path = ASSETS / "images" / source.removeprefix("example:")
        return PickedImage(path.name, path.read_bytes())
    return None


def score_chart(scores: pd.DataFrame, label: str = "label", value: str = "score") -> alt.Chart:
    """Horizontal bars, best first, with the percentage written at the end of each bar."""
    order = scores.sort_values(value, ascending=False)[label].tolist()
    base = alt.Chart(scores).encode(
        y=alt.Y(f"{label}:N", sort=order, title=None, axis=alt.Axis(labelLimit=220)),
        x=alt.X(f"{value}:Q", title=None, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip(f"{label}:N"), alt.Tooltip(f"{value}:Q", format=".2%")],
    )
    bars = base.mark_bar(cornerRadiusEnd=3, color="#E8590C")
    text = base.mark_text(align="left", dx=4).encode(text=alt.Text(f"{value}:Q", format=".1%"))
    return (bars + text).properties(height=alt.Step(26))


def latency(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"
