"""The visitor's handout: each result of this session kept as the handout shows it, and "Download this session"
in the sidebar of every page. Session only: the results live in this browser session, never on the server."""

from __future__ import annotations

import logging
import shutil
from datetime import UTC, datetime

import streamlit as st

from pages.branding import read_branding
from pages.demos import demo_title
from pipelines.errors import ShowroomError
from pipelines.reports.handout import HandoutItem, document, item, pdf

_KEPT = "handout-items"  # what was asked (a fingerprint) → its HandoutItem, in the order made
_PDF = "handout-pdf"
_log = logging.getLogger("showroom.pages")


def keep(asked: str, task: str, model: str, result: object, given: list[str], seconds: float) -> None:
    """Add a result to the handout, once however often its page reruns. A result the handout cannot show is left
    out of it (logged), never a reason for the page to fail."""
    kept: dict[str, HandoutItem] = st.session_state.setdefault(_KEPT, {})
    if asked in kept:
        return
    try:
        kept[asked] = item(demo_title(task), model, result, given, seconds, datetime.now(UTC))
    except Exception:
        _log.exception("a %s result could not be put in the handout", task)
        return
    st.session_state.pop(_PDF, None)  # a PDF printed before this result is out of date


def offer() -> None:
    """The sidebar's downloads: the handout as HTML, and as PDF where the server has Chromium to print it."""
    items = list(st.session_state.get(_KEPT, {}).values())
    with st.sidebar:
        st.download_button(
            "Download this session",
            lambda: _html(items),  # built on the click: a rerun costs nothing
            f"showroom-session-{datetime.now(UTC):%Y-%m-%d}.html",
            "text/html",
            icon=":material/download:",
            disabled=not items,
            help="Every result of this visit, with what was given and the model's report: one file that opens "
            "offline in any browser. Nothing is kept on the server.",
            width="stretch",
            key="handout-html",
            on_click="ignore",
        )
        if not items or not (shutil.which("chromium") or shutil.which("chromium-browser")):
            return
        printed = st.session_state.get(_PDF)
        if printed is None and st.button(
            "Print this session as PDF", icon=":material/picture_as_pdf:", width="stretch", key="handout-pdf-print"
        ):
            with st.spinner("Printing…"):
                try:
                    st.session_state[_PDF] = printed = pdf(_html(items))
                except ShowroomError as error:
                    st.warning(str(error), icon=":material/print_disabled:")
        if printed is not None:
            st.download_button(
                "Download the PDF",
                printed,
                f"showroom-session-{datetime.now(UTC):%Y-%m-%d}.pdf",
                "application/pdf",
                icon=":material/picture_as_pdf:",
                width="stretch",
                key="handout-pdf-download",
                on_click="ignore",
            )


def _html(items: list[HandoutItem]) -> str:
    brand = read_branding()
    accent = brand.accent or st.get_option("theme.primaryColor") or "#E8590C"
    return document(items, datetime.now(UTC), brand.name, accent, brand.logo)
