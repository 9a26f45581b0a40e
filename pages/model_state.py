"""A demo page whose model is not ready yet: its progress in place of the demo, and the demo itself, without a
reload, the moment the model lands.

The page stops below the progress while it waits; a fragment re-reads the provisioning status every few
seconds and reruns the whole page once every model it needs can serve. A model with a ready stand-in (the
quick sentiment model while the fine-tuned one trains) serves at once, with a note that says so, and the
page switches to the better model by itself when it is built.
"""

from __future__ import annotations

import streamlit as st

from pipelines.provisioning.catalog import ModelSpec, find_model
from pipelines.provisioning.progress import Readiness, readiness
from pipelines.provisioning.provision import model_state
from pipelines.serving.loader import serving_choice
from pipelines.settings import load_settings

POLL_SECONDS = 2.0
_HEADINGS = {
    "building": (":material/construction:", "is being prepared on this machine"),
    "waiting": (":material/hourglass_top:", "is queued to be prepared on this machine"),
    "absent": (":material/cloud_off:", "is not on this machine yet"),
}


def wait_for(*specs: ModelSpec) -> None:
    """Carry on when every model can serve; otherwise show their progress and stop the page there."""
    if load_settings().serve_url:  # the models live on the model server, which provisions its own
        return
    waiting = [spec for spec in specs if not can_serve(spec)]
    for spec in specs:
        if spec not in waiting:
            _landing_note(spec)
    if waiting:
        _progress(tuple(waiting))
        st.stop()


def can_serve(spec: ModelSpec) -> bool:
    """Ready, or stood in for by a ready model: asked of the model folders alone, so a page (and each of the
    home page's cards) reads the preparation's status file only when a model is still missing."""
    return model_state(spec) == "ready" or serving_choice(spec.name) != spec.name


@st.fragment(run_every=POLL_SECONDS)
def _progress(specs: tuple[ModelSpec, ...]) -> None:
    if all(can_serve(spec) for spec in specs):
        st.rerun(scope="app")
    for spec in specs:
        show_readiness(spec, readiness(spec))
    st.caption("This page goes live by itself as soon as its model is ready; there is no need to reload it.")


def show_readiness(spec: ModelSpec, state: Readiness) -> None:
    """One model's state as a panel: the sentence, and a progress bar while it is built."""
    if state.stage == "failed":
        st.error(state.said, icon=":material/error:")
        return
    with st.container(border=True):
        icon, heading = _HEADINGS[state.stage]
        st.markdown(f"{icon} **{spec.display_name}** {heading}")
        if state.fraction is not None:
            st.progress(state.fraction, text=state.said)
        else:
            st.caption(state.said)


def _landing_note(spec: ModelSpec) -> None:
    """While a stand-in serves, what it is and how far the better model is; when that lands, one line saying so."""
    seen = f"stand-in-{spec.name}"
    if readiness(spec).stage == "ready":
        if st.session_state.pop(seen, False):
            st.success(f"{spec.display_name} is ready: results now come from it.", icon=":material/check_circle:")
        return
    st.session_state[seen] = True
    _stand_in_progress(spec)


@st.fragment(run_every=POLL_SECONDS)
def _stand_in_progress(spec: ModelSpec) -> None:
    state = readiness(spec)
    if state.stage == "ready":
        st.rerun(scope="app")
    stand_in = find_model(serving_choice(spec.name))
    st.info(
        f"Results come from **{stand_in.display_name}** while {spec.display_name} is prepared. {state.said} "
        "This page switches to it by itself.",
        icon=":material/model_training:",
    )
    if state.fraction is not None:
        st.progress(state.fraction)
