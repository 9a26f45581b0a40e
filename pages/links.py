"""Links that carry their input: a page opens on the input and settings in its address, and keeps the
address in step as the visitor works, so copying it reproduces the result on another screen.

A link is read once per session and page: after that the widgets are the visitor's, and typing over a
linked text is not undone on the next rerun. A value the page cannot use gets one sentence and the
page's default, never an exception.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from pipelines.provisioning.catalog import ModelSpec, models_for_task

_READ = "links-read"  # the pages whose link this session has read
EXAMPLE = "example:"  # how the example pickers (`pages.ui.media_input`) record a clicked example's file
MAX_LINK_VALUE = 2000  # characters: addresses much longer than ~2,000 are cut by some servers and chat apps


@dataclass(frozen=True)
class LinkParameter:
    """`?name=value` → `st.session_state[state_key] = parse(value)`; `parse` raises ValueError with the sentence."""

    name: str
    state_key: str
    parse: Callable[[str], Any]


def open_from_link(page: str, parameters: Iterable[LinkParameter]) -> None:
    """Before the page draws its widgets: the first time this session shows `page`, its link's values
    become the widgets' values."""
    read: set[str] = st.session_state.setdefault(_READ, set())
    if page in read:
        return
    read.add(page)
    for parameter in parameters:
        raw = st.query_params.get(parameter.name)
        if raw is None:
            continue
        try:
            st.session_state[parameter.state_key] = parameter.parse(raw)
        except ValueError as problem:
            st.warning(f"The link's {parameter.name}={raw[:60]!r} was not used: {problem}", icon=":material/link_off:")


def read_again(page: str) -> None:
    """The next time this session shows `page`, its link is read again (the tour reopens a stop on its example)."""
    st.session_state.setdefault(_READ, set()).discard(page)


def keep_in_link(**values: object) -> None:
    """The address bar's query: the page's current inputs, nothing else. Empty ones are left out, and so
    is a text too long for an address (a pasted essay) that some servers and chat apps would cut."""
    query = {name: str(value) for name, value in values.items() if value not in (None, "")}
    query = {name: value for name, value in query.items() if len(value) <= MAX_LINK_VALUE}
    if dict(st.query_params) != query:
        st.query_params.from_dict(query)


def copy_link() -> None:
    """A "Copy link" control: the page's address with its current inputs, in a block with a copy button."""
    page = st.context.url
    if not isinstance(page, str):  # no browser behind this session (a script test)
        return
    query = urlencode(dict(st.query_params))
    with st.popover("Copy link", icon=":material/link:"):
        st.caption("This address opens the page on this result:")
        st.code(f"{page}?{query}" if query else page, language=None, wrap_lines=True)


def text(value: str) -> str:
    if not value.strip():
        raise ValueError("it is empty; type a text instead.")
    return value


def number_between(low: float, high: float, kind: type = float) -> Callable[[str], Any]:
    def parse(value: str) -> Any:
        try:
            number = kind(value)
        except ValueError:
            raise ValueError(f"it is not a number; use one from {low} to {high}.") from None
        if not low <= number <= high:
            raise ValueError(f"use a number from {low} to {high}.")
        return number

    return parse


def one_of(choices: Iterable[str]) -> Callable[[str], str]:
    allowed = list(choices)

    def parse(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"use one of {', '.join(allowed)}.")
        return value

    return parse


def model_of(task: str) -> Callable[[str], ModelSpec]:
    """A catalog name for the task's model picker (whose value is the model's entry)."""

    def parse(value: str) -> ModelSpec:
        specs = {spec.name: spec for spec in models_for_task(task)}
        if value not in specs:
            raise ValueError(f"use one of this page's models: {', '.join(specs)}.")
        return specs[value]

    return parse


def example_of(file_names: Iterable[str]) -> Callable[[str], str]:
    """An example's file stem (`coffee`) → the example picker's state (`example:coffee.jpg`)."""
    files = {name.rsplit(".", 1)[0]: name for name in file_names}

    def parse(value: str) -> str:
        if value not in files:
            raise ValueError(f"use one of the examples: {', '.join(files)}.")
        return f"{EXAMPLE}{files[value]}"

    return parse


def example_stem(source: str | None) -> str | None:
    """The example picker's state back to the link's value; None for an upload or a capture."""
    if not source or not source.startswith(EXAMPLE):
        return None
    return source.removeprefix(EXAMPLE).rsplit(".", 1)[0]
