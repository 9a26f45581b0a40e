"""Home: what each demo shows, and where every model stands on this machine."""

import pandas as pd
import streamlit as st

from pages import model_state
from pages.branding import read_branding
from pages.demos import DEMOS
from pages.operator import is_operator, offer_sign_in
from pages.presenting import start_tour
from pipelines.provisioning.catalog import default_model, has_pipeline
from pipelines.provisioning.progress import duration, log_tail, read_preparation, readiness
from pipelines.provisioning.provision import model_statuses
from pipelines.reports.card_pictures import picture_path
from pipelines.runtime.memory import resident_mb
from pipelines.serving.loader import load, loaded_models, unload
from pipelines.settings import load_settings

st.title(read_branding().name)
st.markdown(
    "Real Hugging Face `transformers` pipelines, running **offline** on this machine. Every model is "
    "built from pretrained weights shipped in a registry package, verified by sha256, and loaded once "
    "for all visitors."
)

if st.button("Start the tour", icon=":material/slideshow:", type="primary", key="home-tour"):
    start_tour()
st.caption(
    "The tour opens each demo in turn on its best example; presenter mode (the sidebar's toggle) sets it for a room."
)

for row_start in range(0, len(DEMOS), 3):
    for column, demo in zip(st.columns(3), DEMOS[row_start : row_start + 3], strict=False):
        with column.container(border=True):
            if (picture := picture_path(demo.task)).is_file():  # drawn from the demo's model at provisioning
                st.image(str(picture), width="stretch", alt=f"{demo.title}: a result of its model")
            else:  # the pictures are drawn last, once every model is ready; a demo never waits for them
                st.caption(":material/image: Its picture is drawn once the models are ready.")
            st.markdown(f"#### {demo.title}")
            st.write(demo.blurb)
            st.caption(f"{demo.section} · default model: {default_model(demo.task).display_name}")
            if not model_state.can_serve(default_model(demo.task)):
                st.badge("Being prepared", icon=":material/construction:", color="orange")
            st.page_link(demo.script, label=f"Open {demo.title.lower()}", icon=demo.icon)

st.header("Models")
statuses = model_statuses()
ready = [status.spec.name for status in statuses if status.state == "ready" and has_pipeline(status.spec.task)]
serve_url = load_settings().serve_url
if serve_url:
    st.info(
        f"The models run on the model server at {serve_url}: this dashboard loads none of them. "
        "Its operator warms and scales them there (`python -m pipelines serve status`).",
        icon=":material/dns:",
    )
elif not is_operator():
    st.caption("Models load on their first use and stay loaded for every visitor.")
    offer_sign_in()
else:
    warm_column, button_column = st.columns([3, 1], vertical_alignment="bottom")
    to_warm = warm_column.selectbox(
        "Warm a model (load it now, so its first visitor does not wait)", ready, key="home-warm-model"
    )
    if button_column.button("Warm up", disabled=not ready, width="stretch", key="home-warm") and to_warm:
        with st.status(f"Loading {to_warm}…", expanded=False) as progress:
            loaded_model = load(to_warm)
            progress.update(label=f"{to_warm} is loaded ({loaded_model.load_seconds:.1f} s)", state="complete")

    unload_column, unload_button_column = st.columns([3, 1], vertical_alignment="bottom")
    to_unload = unload_column.selectbox(
        "Unload a model (free its memory; its next visitor loads it again)", loaded_models(), key="home-unload-model"
    )
    if unload_button_column.button("Unload", disabled=not to_unload, width="stretch", key="home-unload") and to_unload:
        before = resident_mb()
        if unload(to_unload):
            st.success(f"{to_unload} is unloaded: {before - resident_mb():,.0f} MB freed.", icon=":material/memory:")
        else:
            st.info(f"{to_unload} was not loaded (someone else may have unloaded it).", icon=":material/memory:")


def models_table() -> None:
    """Every model's state, the preparation's overall estimate and, for the operator, its log's last lines."""
    preparation = read_preparation()
    if preparation is not None and preparation.running:
        ready = sum(step.stage == "ready" for step in preparation.steps)
        left = duration(preparation.seconds_left())
        st.progress(
            ready / len(preparation.steps),
            text=f"Preparing this machine: {ready} of {len(preparation.steps)} steps done, about {left} left.",
        )
    loaded = set(loaded_models())
    st.caption(f"This server process holds {resident_mb():,.0f} MB of memory with {len(loaded)} model(s) loaded.")
    rows = []
    for status in model_statuses():
        state = readiness(status.spec)
        rows.append(
            {
                "model": status.spec.name,
                "task": status.spec.task,
                "state": state.stage,
                "progress": state.said if state.stage != "ready" else "",
                "loaded here": status.spec.name in loaded,
                "size (MB)": status.size_mb,
                "licence": status.spec.licence,
                "source package": status.spec.source,
            }
        )
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    if is_operator() and (tail := log_tail()):
        with st.expander("Provisioning log (last lines)", icon=":material/terminal:"):
            st.code("\n".join(tail), language=None)


preparing = (preparation := read_preparation()) is not None and preparation.running
(st.fragment(run_every=model_state.POLL_SECONDS)(models_table) if preparing else models_table)()
