"""The operator's view of the room: who is here, what they asked, how fast it answered, what went wrong and what
they said about the results. Only the operator's navigation has this page, and it checks again on its own."""

import altair as alt
import streamlit as st

from pages.operator import is_operator
from pipelines.audience.record import audience_record
from pipelines.audience.summary import summarise, table
from pipelines.media.text_tables import safe_csv

if not is_operator():
    st.warning("This page is the operator's: it shows what every visitor asked.", icon=":material/lock:")
    st.stop()

st.title("Audience")
st.caption(
    "Every request visitors made on this server, and the thumbs and comments they gave its result "
    "(SECURITY.md says what is kept and for how long)."
)
st.button("Refresh", icon=":material/refresh:", key="audience-refresh")
frame = table(audience_record().rows())
if frame.empty:
    st.info("No request is recorded yet: they appear here as visitors try the demos.", icon=":material/groups:")
    st.stop()
summary = summarise(frame)

now, today, requests = st.columns(3)
now.metric("Visitors now", summary.visitors_now, help="Sessions with a request in the last 5 minutes")
today.metric("Visitors today", summary.visitors_today, help="Since midnight UTC")
requests.metric("Requests today", summary.requests_today)

st.subheader("Requests per demo")
st.altair_chart(
    alt.Chart(summary.over_time)
    .mark_bar()
    .encode(
        x=alt.X("time:T", title=None),
        y=alt.Y("requests:Q", title="requests"),
        color=alt.Color("task:N", title="demo"),
        tooltip=["time:T", "task:N", "requests:Q"],
    )
    .properties(height=240),
    width="stretch",
)

latency, problems = st.columns(2)
with latency:
    st.subheader("Latency of answers")
    st.dataframe(
        summary.latency,
        hide_index=True,
        width="stretch",
        column_config={name: st.column_config.NumberColumn(format="%.2f") for name in ("p50 (s)", "p95 (s)")},
    )
with problems:
    st.subheader("Refusals and errors")
    if summary.problems.empty:
        st.caption("None: every request was answered.")
    else:
        st.dataframe(summary.problems, hide_index=True, width="stretch")

st.subheader("Feedback")
if summary.feedback.empty:
    st.caption("No visitor has given a thumbs up or down yet.")
else:
    votes = summary.feedback.melt(["task", "model"], var_name="thumbs", value_name="votes")
    st.altair_chart(
        alt.Chart(votes)
        .mark_bar()
        .encode(
            y=alt.Y("model:N", title=None),
            x=alt.X("votes:Q", title="votes"),
            color=alt.Color(
                "thumbs:N", scale=alt.Scale(domain=["thumbs up", "thumbs down"], range=["#2E9E5B", "#D64545"])
            ),
            tooltip=["task", "model", "thumbs", "votes"],
        )
        .properties(height=max(80, 40 * summary.feedback["model"].nunique())),
        width="stretch",
    )
    st.markdown("**Comments**, newest first")
    for said in summary.comments.itertuples():
        st.caption(f"{said.thumbs} {said.model} ({said.task}), {said.at:%-d %b %H:%M} UTC")
        st.text(said.comment)  # text, never markdown: a visitor's comment cannot place a link or a picture here

st.download_button(
    "Download the record (CSV)",
    safe_csv(frame),
    "audience.csv",
    "text/csv",
    icon=":material/download:",
    key="audience-csv",
    on_click="ignore",
)
