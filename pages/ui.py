"""UI pieces every demo page shares, so no page repeats another's blocks."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import altair as alt
import pandas as pd
import streamlit as st
from PIL import Image, ImageOps
from streamlit.delta_generator import DeltaGenerator

from pages import feedback, handout
from pages.branding import THEMES
from pages.links import EXAMPLE, copy_link
from pages.presenting import presenting
from pipelines.errors import ShowroomError
from pipelines.media.audio import UPLOAD_TYPES as AUDIO_UPLOAD_TYPES
from pipelines.media.images import UPLOAD_TYPES
from pipelines.media.text_tables import MAX_CSV_BYTES, guess_text_column, read_csv, texts_in_column
from pipelines.provisioning.catalog import ModelSpec, models_for_task
from pipelines.provisioning.provision import model_dir
from pipelines.reports.handout import latency  # noqa: F401  (pages call it as ui.latency)
from pipelines.reports.report_cards import load_card
from pipelines.serving.model_server import WaitCallback, Waiting
from pipelines.settings import ASSETS
from pipelines.tasks.snippets import CodeSnippet

Result = TypeVar("Result")
_THUMBNAIL_SIZE = (320, 240)


def run_engine(call: Callable[..., Result], *args: object, **kwargs: object) -> Result | None:
    """Call the engine; a user-facing error becomes one red sentence and the page carries on. Anything
    else is a bug: logged here with its traceback, and the visitor reads one sentence, never the traceback
    (Streamlit's reruns and stops pass through: they are not Exceptions)."""
    return engine_call(call, *args, **kwargs).result


def answer(
    task: str, model: str, call: Callable[..., Result], *args: object, given: str | list[str] = "", **kwargs: object
) -> tuple[Result | None, int | None]:
    """A visitor's request: `run_engine`, recorded for the operator's Audience page and put in the visitor's
    handout, each once however often the page reruns; with the row that the thumbs under its result go to (None
    when it was not recorded). `given`: the visitor's text or texts, for the handout (and the record, only where
    the operator keeps inputs)."""
    called = engine_call(call, *args, **kwargs)
    key = feedback.fingerprint((task, model, getattr(call, "__name__", ""), *args, *kwargs.values()))
    model = getattr(called.result, "model", model)  # the one that answered (the quick one, while the other trains)
    texts = [given] if isinstance(given, str) and given else list(given)
    if called.result is not None:
        handout.keep(key, task, model, called.result, texts, called.seconds)
    request = feedback.record(
        task, model, called.seconds, called.outcome, called.sentence, given="\n".join(texts), key=key
    )
    return called.result, request


@dataclass(frozen=True)
class Called:
    """How an engine call ended, as the record of use counts it."""

    result: object
    outcome: str  # "answered", "refused" (the visitor read `sentence`) or "failed"
    sentence: str
    seconds: float


def engine_call(call: Callable[..., object], *args: object, **kwargs: object) -> Called:
    """`run_engine`, and how it ended."""
    started = time.perf_counter()
    try:
        result = call(*args, **kwargs)
    except ShowroomError as error:
        st.error(str(error), icon=":material/error:")
        return Called(None, "refused", str(error), time.perf_counter() - started)
    except Exception:
        _log.exception("an engine call failed: %s", getattr(call, "__name__", call))
        st.error(UNEXPECTED, icon=":material/error:")
        return Called(None, "failed", UNEXPECTED, time.perf_counter() - started)
    return Called(result, "answered", "", time.perf_counter() - started)


UNEXPECTED = (
    "Something went wrong on this page, and the details went to the server's log, not here. The rest of "
    "Showroom works; try again, or with another input."
)
_log = logging.getLogger("showroom.pages")


CHECKING = "Checking each sentence against the facts before it is shown…"  # while typed_out's text is held
TYPING_SECONDS_PER_WORD = 0.05  # 20 words a second: about the pace the model wrote them at


def typed_out(pieces: Iterable[str]) -> Iterator[str]:
    """Each piece (a checked sentence) a word at a time, so an answer the guard lets out a sentence at a
    time still reads as it streams."""
    for piece in pieces:
        for word in re.findall(r"\s*\S+\s*", piece) or [piece]:
            yield word
            time.sleep(TYPING_SECONDS_PER_WORD)


@contextmanager
def place_in_line(doing: str) -> Iterator[WaitCallback]:
    """A spinner, and a callback for an engine call's wait: the visitor's place in line, then the progress
    of a big job.

    It writes to the page every 0.2 s while the request waits, so a visitor who leaves or clicks
    elsewhere interrupts the wait there, which cancels the request and frees its slot."""

    def show(waiting: Waiting) -> None:
        if ahead := waiting.ahead():
            slot.caption(f":material/hourglass_top: {doing}: {ahead} request{'s' if ahead > 1 else ''} ahead of yours…")
        elif waiting.progress > 0:
            slot.progress(waiting.progress, text=f"{doing}… {waiting.progress:.0%}")
        else:
            slot.caption(f"{doing}…")

    with st.spinner(f"{doing}… (the first request to a model also loads it)"):
        slot = st.empty()
        try:
            yield show
        finally:
            slot.empty()


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


def report_card(spec: ModelSpec) -> None:
    """The model's quality as measured at provisioning (`pipelines.reports.report_cards`): the figure, what it was
    measured on, and the items it got most wrong."""
    card = run_engine(load_card, spec.name)
    if card is None:
        st.caption(
            f"{spec.display_name} has no report card yet: the cards are measured once the models are ready (in the "
            "background of `make run`, or by `make models` up front)."
        )
        return
    figures = [card, *card["also"]]
    for column, figure in zip(st.columns(len(figures)), figures, strict=True):
        column.metric(figure["metric"], format(figure["value"], figure["format"]), help=figure["help"])
    st.caption(f"Measured by `python -m pipelines.reports.report_cards` on {card['data']}, through this engine.")
    if card["worst"]:
        st.markdown("**What it got most wrong**")
        rows = [
            {"item": item["item"], "expected": item["expected"], "got": item["got"], card["score_name"]: item["score"]}
            for item in card["worst"]
        ]
        st.dataframe(rows, hide_index=True, width="stretch")


def model_reports(specs: list[ModelSpec]) -> None:
    """The report cards of the models in use, folded away above the input so they never push it down."""
    with st.expander("Model report", icon=":material/analytics:"):
        for spec in specs:
            if len(specs) > 1:
                st.markdown(f"**{spec.display_name}**")
            report_card(spec)


def pick_model(task: str, key: str) -> ModelSpec:
    """A model selector over the catalog entries for one task, default first."""
    specs = models_for_task(task)
    return st.selectbox("Model", specs, format_func=model_label, key=key, help=specs[0].description)


def unless_default(spec: ModelSpec, task: str) -> str | None:
    """A model's name for a link, or None for the task's default (which a link need not name)."""
    return None if spec == models_for_task(task)[0] else spec.name


def default_state(key: str, value: object) -> str:
    """A widget's starting value set through its state, so a link can set it first without a warning."""
    st.session_state.setdefault(key, value)
    return key


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
    specs: list[ModelSpec], task: str, call: Callable[..., Result], data: bytes, *args: object
) -> list[tuple[ModelSpec, Result, int | None]]:
    """One engine call per model on the same input, each a request of its own (`answer`); an error sentence stops
    the page there."""
    results = []
    with place_in_line("Running") as on_wait:
        for spec in specs:
            result, request = answer(task, spec.name, call, data, spec.name, *args, on_wait=on_wait)
            if result is None:
                st.stop()
            results.append((spec, result, request))
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
    upload = st.file_uploader(
        "CSV with a header row", type=["csv"], key=f"{key_prefix}-csv", max_upload_size=MAX_CSV_BYTES // 1_000_000
    )
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
class Example:
    path: Path
    caption: str


@dataclass(frozen=True)
class PickedFile:
    name: str
    data: bytes
    path: str  # how code outside the dashboard names it: an example's path in the repository, else its name


@dataclass(frozen=True)
class Medium:
    """What differs between the image and the audio inputs: file types, the capture widget, the examples."""

    folder: str  # under assets/, with an examples.json manifest
    upload_label: str
    upload_types: tuple[str, ...]
    capture_toggle: str
    capture: Callable[..., object]  # st.camera_input or st.audio_input
    capture_label: str
    capture_name: str
    thumbnails: bool  # show each example as a picture above its button
    max_upload_mb: int  # the browser refuses larger files before they are sent


IMAGE = Medium(
    "images",
    "Upload an image",
    UPLOAD_TYPES,
    "Use the camera",
    st.camera_input,
    "Take a photo",
    "camera photo",
    True,
    25,  # phone photos are 3-12 MB; the engine downscales anything large
)
AUDIO = Medium(
    "audio",
    "Upload a recording",
    AUDIO_UPLOAD_TYPES,
    "Use the microphone",
    st.audio_input,
    "Record with the microphone",
    "microphone recording",
    False,
    25,  # ten minutes of 16 kHz WAV is 19 MB; compressed formats hold hours
)


def examples(medium: Medium) -> list[Example]:
    """The samples in assets/<folder>, captioned from its manifest."""
    folder = ASSETS / medium.folder
    manifest = json.loads((folder / "examples.json").read_text(encoding="utf-8"))
    return [Example(folder / item["file"], item["caption"]) for item in manifest]


def example_files(medium: Medium) -> list[str]:
    return [example.path.name for example in examples(medium)]


@st.cache_data(show_spinner=False)
def example_thumbnail(path: Path) -> Image.Image:
    """Same-shaped thumbnails keep the example row aligned whatever the photos' aspect ratios."""
    with Image.open(path) as photo:
        return ImageOps.fit(photo.convert("RGB"), _THUMBNAIL_SIZE)


def media_input(key: str, medium: Medium = IMAGE) -> PickedFile | None:
    """Upload, capture (camera or microphone) or one-click example; whichever was touched last is the input.

    The capture widget only appears behind a toggle, so the browser asks for the camera or microphone
    only when someone wants it."""
    source_key = f"{key}-source"

    def choose(source: str) -> Callable[[], None]:
        return lambda: st.session_state.__setitem__(source_key, source)

    upload_column, capture_column = st.columns([3, 1])
    with upload_column:
        uploaded = st.file_uploader(
            medium.upload_label,
            type=list(medium.upload_types),
            key=f"{key}-upload",
            on_change=choose("upload"),
            max_upload_size=medium.max_upload_mb,
        )
    with capture_column:
        capturing = st.toggle(medium.capture_toggle, key=f"{key}-capture-on")
    captured = (
        medium.capture(medium.capture_label, key=f"{key}-capture", on_change=choose("capture")) if capturing else None
    )
    st.caption("Or click an example:")
    samples = examples(medium)
    # wrap=False: on a phone the examples stay one compact row instead of stacking full-width screens of photos.
    for column, example in zip(st.columns(len(samples), wrap=False), samples, strict=True):
        with column:
            if medium.thumbnails:
                st.image(example_thumbnail(example.path), width="stretch", alt=f"Example: {example.caption}")
            st.button(
                example.caption,
                key=f"{key}-example-{example.path.stem}",
                width="stretch",
                on_click=choose(f"{EXAMPLE}{example.path.name}"),
            )
    source = st.session_state.get(source_key)
    picked = _picked(medium, source, uploaded, captured)
    if picked is not None:
        _into_view_once(key, f"{source}:{picked.name}:{len(picked.data)}")
    return picked


def _picked(medium: Medium, source: str | None, uploaded: object, captured: object) -> PickedFile | None:
    if source == "upload" and uploaded is not None:
        return PickedFile(uploaded.name, uploaded.getvalue(), uploaded.name)
    if source == "capture" and captured is not None:
        return PickedFile(medium.capture_name, captured.getvalue(), medium.capture_name)
    if source and source.startswith(EXAMPLE):
        path = ASSETS / medium.folder / source.removeprefix(EXAMPLE)
        return PickedFile(path.name, path.read_bytes(), str(path.relative_to(ASSETS.parent)))
    return None


# On narrow screens only (on a phone the result of a click lands below the fold; on a desktop it is in
# sight), scroll the page so that what follows the marker, the result, starts at the top. The result is
# drawn after the marker, so it retries until the page is long enough, for 20 s at most, and stops for good
# as soon as the visitor scrolls themselves.
_INTO_VIEW = """<div id="{marker}"></div><script>
(() => {{
  if (!window.matchMedia("(max-width: 640px)").matches) return;
  let tries = 100;
  const stop = () => {{ tries = 0; }};
  window.addEventListener("touchmove", stop, {{once: true, passive: true}});
  window.addEventListener("wheel", stop, {{once: true, passive: true}});
  const step = () => {{
    const marker = document.getElementById("{marker}");
    if (!marker || tries-- <= 0) return;
    marker.scrollIntoView({{block: "start"}});
    if (marker.getBoundingClientRect().top > 8) setTimeout(step, 200);
  }};
  setTimeout(step, 200);
}})();
</script>"""


def _into_view_once(key: str, picked: str) -> None:
    """Bring the result of a newly picked input into view, once per input: a slider moved afterwards
    leaves the visitor where they are."""
    seen = f"{key}-in-view"
    if st.session_state.get(seen) == picked:
        return
    st.session_state[seen] = picked
    marker = f"showroom-result-{abs(hash(picked)) % 10**9}"
    st.html(_INTO_VIEW.format(marker=marker), unsafe_allow_javascript=True)


def score_chart(scores: pd.DataFrame, label: str = "label", value: str = "score") -> alt.Chart:
    """Horizontal bars, best first, with the percentage written at the end of each bar."""
    order = scores.sort_values(value, ascending=False)[label].tolist()
    base = alt.Chart(scores).encode(
        y=alt.Y(f"{label}:N", sort=order, title=None, axis=alt.Axis(labelLimit=220)),
        x=alt.X(f"{value}:Q", title=None, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip(f"{label}:N"), alt.Tooltip(f"{value}:Q", format=".2%")],
    )
    bars = base.mark_bar(cornerRadiusEnd=3, color=theme_accent())
    text = base.mark_text(align="left", dx=4, color=theme_text_colour()).encode(
        text=alt.Text(f"{value}:Q", format=".1%")
    )
    return (bars + text).properties(height=alt.Step(26))


def theme_accent() -> str:
    """The theme's accent for this visitor's variant (.streamlit/config.toml, or the branding's): Altair's marks do
    not take it themselves."""
    variant = st.context.theme.type
    own = st.get_option(f"theme.{variant}.primaryColor") if variant in THEMES else None
    return own or st.get_option("theme.primaryColor") or "#E8590C"


def theme_text_colour() -> str:
    """The visitor's theme's text colour (.streamlit/config.toml), for chart text that Vega would draw
    black: Streamlit's chart theme colours the axes, not the marks, and black is unreadable on dark."""
    scheme = "dark" if st.context.theme.type == "dark" else "light"  # None before the browser has said
    return st.get_option(f"theme.{scheme}.textColor") or ("#FAFAFA" if scheme == "dark" else "#31333F")


def show_code(code: CodeSnippet) -> None:
    """A link to the result above, and the code behind it, with this call's model and settings (each block has a
    copy button). Not in presenter mode: the room sees the result, not the engine."""
    if presenting():
        return
    copy_link()
    with st.expander("Use in Transformers", icon=":material/code:"):
        st.caption("The same result outside the dashboard: Showroom's command, run from its folder…")
        st.code(code.shell, language="bash", wrap_lines=True)
        st.caption("…or plain transformers on the provisioned model folder:")
        st.code(code.python, language="python")
