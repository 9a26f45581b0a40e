"""Presenter mode and the guided tour: what a presenter in front of a room needs on every page.

Presenter mode (`?present=1`, or the sidebar's toggle) hides the sidebar and its settings, sets the type
larger for a projector, and leaves out the engine's chatter under results (the code behind them, the
copy-link control); the bar at the top of the page leaves it. The tour walks through the seven demos in
navigation order: each stop opens on its best example (`pipelines.tasks.showcase`, through the page's own link
parameters, so the result is computed at once), with Previous / Next demo / End tour in the same bar.
Both live in the session only: another visitor's pages are never affected.
"""

from __future__ import annotations

import streamlit as st

from pages import links
from pages.demos import DEMOS, Demo
from pages.operator import is_operator
from pipelines.provisioning.catalog import default_model, find_model, has_pipeline
from pipelines.provisioning.provision import model_state
from pipelines.serving.loader import load, serving_choice
from pipelines.settings import load_settings

PRESENTING = "presenting"  # presenter mode on or off, for this session
_TOGGLE = "presenter-toggle"
TOURING = "touring"  # set while this session is on the tour
_LINK_READ = "present-link-read"

# Larger type for a projector (Streamlit sizes its text in rem), and no sidebar: its settings fold away.
_PRESENTER_STYLE = """<style>
html { font-size: 20px; }
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"] {
  display: none;
}
</style>"""


def presenting() -> bool:
    return bool(st.session_state.get(PRESENTING))


def frame(url_path: str) -> None:
    """Before the page runs (app.py): presenter mode from the link once per session, its toggle in the
    sidebar, its style, and the bar at the top while presenting or on the tour."""
    if not st.session_state.get(_LINK_READ):
        st.session_state[_LINK_READ] = True
        if st.query_params.get("present") == "1":
            st.session_state[PRESENTING] = True
    # The mode is kept apart from the toggle's own state, which a switch of page (the tour's) does not keep.
    st.sidebar.toggle(
        "Presenter mode",
        value=presenting(),
        key=_TOGGLE,
        on_change=lambda: st.session_state.__setitem__(PRESENTING, st.session_state[_TOGGLE]),
        help="Larger type, no sidebar, no code under results (or open any page with ?present=1).",
    )
    if presenting():
        st.html(_PRESENTER_STYLE)
    stop = next((index for index, demo in enumerate(DEMOS) if demo.url_path == url_path), None)
    if st.session_state.get(TOURING) and stop is not None:
        _tour_bar(stop)
    elif presenting():
        st.button("Leave presenter mode", icon=":material/close_fullscreen:", on_click=_leave_presenter_mode)


def start_tour() -> None:
    """From the home page: warm every demo's default model that is ready (the operator's tour only: loading is
    theirs; with a model server the models live there, and its operator warms them), then open the first stop.
    A model still being prepared is left to its page, which shows its progress."""
    if is_operator() and not load_settings().serve_url:
        with st.status("Warming up the demos' models…", expanded=False) as progress:
            for demo in DEMOS:
                name = serving_choice(default_model(demo.task).name)
                if has_pipeline(demo.task) and model_state(find_model(name)) == "ready":
                    progress.update(label=f"Warming up {demo.title.lower()}…")
                    load(name)
    st.session_state[TOURING] = True
    _go(DEMOS[0])


def _tour_bar(stop: int) -> None:
    with st.container(border=True):
        back, where, forward, leave = st.columns([1, 2, 1, 1], vertical_alignment="center")
        where.markdown(f"**Tour · demo {stop + 1} of {len(DEMOS)}:** {DEMOS[stop].title}")
        if back.button("Previous", icon=":material/arrow_back:", disabled=stop == 0, width="stretch"):
            _go(DEMOS[stop - 1])
        last = stop == len(DEMOS) - 1
        if forward.button("Next demo", icon=":material/arrow_forward:", type="primary", disabled=last, width="stretch"):
            _go(DEMOS[stop + 1])
        leave.button("End tour", icon=":material/close:", on_click=_end_tour, width="stretch")


def _go(demo: Demo) -> None:
    links.read_again(demo.task)
    st.switch_page(demo.script, query_params=demo.showcase_link)


def _end_tour() -> None:
    st.session_state.pop(TOURING, None)


def _leave_presenter_mode() -> None:
    st.session_state[PRESENTING] = False
