"""The visitor's side of the record of use: each request recorded once, and the thumbs and comment under its result.

Streamlit reruns the page on every click, so a result is computed again when its visitor only clicks its thumbs:
a request is recorded once per session, by a fingerprint of what was asked, and the rerun finds its row.
"""

from __future__ import annotations

import hashlib
import uuid

import numpy as np
import streamlit as st

from pages.demos import demo_title
from pipelines.audience.record import Outcome, Request, audience_record

_SESSION = "audience-session"
_RECORDED = "audience-recorded"  # fingerprint → row id, for this session's requests
COMMENT_CHARACTERS = 500


def record(
    task: str, model: str, seconds: float, outcome: Outcome, sentence: str = "", *, given: str = "", key: str = ""
) -> int | None:
    """The row of this request, added unless this session recorded the request with the same `key` (the
    `fingerprint` of what was asked) before; None when the database could not take it."""
    recorded = st.session_state.setdefault(_RECORDED, {})
    if key and key in recorded:
        return recorded[key]
    request = Request(visitor(), demo_title(task), task, model, seconds, outcome, sentence, given)
    row = audience_record().add(request)
    if key and row is not None:
        recorded[key] = row
    return row


def visitor() -> str:
    """An anonymous id for this browser session: it counts visitors, and names no one."""
    return st.session_state.setdefault(_SESSION, uuid.uuid4().hex)


def fingerprint(asked: tuple) -> str:
    """What was asked (a task, a model, an engine call's arguments) as a short key; an upload counts by its bytes."""
    digest = hashlib.sha256()
    for item in asked:
        if callable(item):  # the wait callback: how the page shows the wait, not what was asked
            continue
        if isinstance(item, np.ndarray):
            item = item.tobytes()
        digest.update(item if isinstance(item, bytes) else repr(item).encode())
    return digest.hexdigest()


def thumbs(request: int | None) -> None:
    """Thumbs up or down under a result and, once given, an optional comment; kept on the request's row. Nothing
    when the request was not recorded (the database was unreachable): there is no row to keep them on."""
    if request is None:
        return
    thumbs_key, comment_key = f"audience-thumbs-{request}", f"audience-comment-{request}"
    with st.container(horizontal=True, vertical_alignment="center", key=f"audience-feedback-{request}"):
        if st.feedback("thumbs", key=thumbs_key, on_change=_keep, args=(request, thumbs_key, comment_key)) is not None:
            st.text_input(
                "Comment (optional)",
                key=comment_key,
                max_chars=COMMENT_CHARACTERS,
                placeholder="What was right or wrong? (optional)",
                label_visibility="collapsed",
                on_change=_keep,
                args=(request, thumbs_key, comment_key),
            )


def _keep(request: int, thumbs_key: str, comment_key: str) -> None:
    given = st.session_state.get(thumbs_key)
    if given is None:
        return
    if audience_record().give_feedback(request, thumbs_up=given == 1, comment=st.session_state.get(comment_key, "")):
        st.toast("Thanks: the presenter will see it.", icon=":material/thumb_up:")
