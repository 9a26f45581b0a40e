"""Recommender: MovieLens 100K with collaborative, content and hybrid methods, measured and explained."""

import altair as alt
import pandas as pd
import streamlit as st

from pages import feedback, links, model_state, ui
from pages.links import LinkParameter
from pipelines.provisioning.catalog import default_model
from pipelines.tasks import recommender, snippets
from pipelines.vectors.recommender_methods import METHODS

st.title("Recommender")
st.caption(
    "100,000 ratings of 1,682 movies by 943 people (MovieLens 100K). Movies are also described by a "
    "MiniLM sentence embedding of their title, year and genres, so they can be searched by meaning."
)
model_state.wait_for(default_model(recommender.TASK))
data = ui.run_engine(recommender.catalogue)
if data is None:
    st.stop()
labels = [movie.label for movie in data.movies]
best = data.report["default"]
DEFAULT_MOVIE = "Toy Story (1995)"


def movie_title(value: str) -> str:
    if value not in set(labels):
        raise ValueError("no MovieLens title is written that way; use one from the movie picker, e.g. 'Heat (1995)'.")
    return value


links.open_from_link(
    "recommender",
    [
        LinkParameter("movie", "rec-movie", movie_title),
        LinkParameter("query", "rec-query", links.text),
        LinkParameter("user", "rec-user", links.number_between(1, data.ratings.shape[0], int)),
        LinkParameter("method", "rec-user-method", links.one_of(METHODS)),
    ],
)


def picks_table(picks: list[recommender.Recommendation], with_reason: bool = False) -> pd.DataFrame:
    rows = [
        {"movie": pick.movie.label, "genres": ", ".join(pick.movie.genres), "score": pick.score}
        | ({"why": pick.reason or ""} if with_reason else {})
        for pick in picks
    ]
    return pd.DataFrame(rows)


def show(answered: tuple[list[recommender.Recommendation] | None, int | None], with_reason: bool = False) -> None:
    """The picks of one request (`ui.answer`), and the thumbs for them."""
    picks, request = answered
    if picks:
        st.dataframe(picks_table(picks, with_reason), hide_index=True, width="stretch")
        feedback.thumbs(request)


def asked(
    method: str, given: str | list[str], call, *args: object
) -> tuple[list[recommender.Recommendation] | None, int | None]:
    """A recommendation request, recorded under its method (the recommender's "model"); `given` says what it
    started from, for the handout."""
    return ui.answer(recommender.TASK, method, call, *args, given=given)


def pick_method(key: str) -> str:
    names = list(METHODS)
    return st.selectbox(
        "Method",
        names,
        key=ui.default_state(key, best),
        format_func=lambda name: f"{name} (best measured)" if name == best else name,
    )


similar, describe, for_user, scratch, methods = st.tabs(
    ["Similar movies", "Describe what you want", "For a user", "Start from scratch", "Methods"]
)

with similar:
    title = st.selectbox("Movie", labels, key=ui.default_state("rec-movie", DEFAULT_MOVIE))
    by_content, by_ratings = st.columns(2)
    with by_content:
        st.markdown("**By content** (what the movie is)")
        show(asked("content", f"Movies like {title}", recommender.similar_movies, title, "content", 10))
    with by_ratings:
        st.markdown("**By co-ratings** (who watched it)")
        show(asked("co-ratings", f"Movies like {title}", recommender.similar_movies, title, "co-ratings", 10))
    ui.show_code(snippets.recommender("--similar-to", title, {"by": "content", "k": 10}))

with describe:
    ui.example_buttons(
        ("a funny animated movie for kids", "a scary horror film", "a romantic comedy set in New York"),
        state_key="rec-query",
        key_prefix="rec",
    )
    query = st.text_input("Describe what you want to watch", key="rec-query")
    if query:
        with st.spinner("Searching… (the first search also loads the encoder)"):
            found, request = ui.answer(recommender.TASK, "search", recommender.search, query, 10, given=query)
        # A readable list rather than a grid: this view is the one people read out in a demo.
        st.markdown(
            "\n".join(
                f"{rank}. **{pick.movie.label}** · {', '.join(pick.movie.genres)} · similarity {pick.score:.2f}"
                for rank, pick in enumerate(found or [], start=1)
            )
        )
        if found:
            feedback.thumbs(request)
        ui.show_code(snippets.recommender("--query", query, {"k": 10}))

with for_user:
    user_column, method_column = st.columns(2)
    user = user_column.number_input("User id", 1, data.ratings.shape[0], key=ui.default_state("rec-user", 1))
    method = pick_method("rec-user-method")
    with method_column:
        st.caption(f"{data.interactions[int(user) - 1].nnz} ratings by this user")
    liked, recommended = st.columns(2)
    with liked:
        st.markdown("**Rated highest**")
        favourites = ui.run_engine(recommender.favourites, int(user), 10) or []
        st.dataframe(
            pd.DataFrame([{"movie": movie.label, "rating": rating} for movie, rating in favourites]),
            hide_index=True,
            width="stretch",
        )
    with recommended:
        st.markdown("**Recommended**")
        show(
            asked(method, f"User {int(user)}'s ratings", recommender.for_user, int(user), method, 10), with_reason=True
        )
    ui.show_code(snippets.recommender("--user", int(user), {"method": method, "k": 10}))

with scratch:
    likes = st.multiselect("Movies you like", labels, key="rec-likes", placeholder="Pick a few movies")
    scratch_method = pick_method("rec-scratch-method")
    if likes:
        show(asked(scratch_method, likes, recommender.from_likes, likes, scratch_method, 10), with_reason=True)
        ui.show_code(snippets.recommender("--likes", likes, {"method": scratch_method, "k": 10}))
    else:
        st.info("Pick one or more movies you like to get recommendations.", icon=":material/movie:")

with methods:
    report = pd.DataFrame(
        [
            {"method": name, "hit rate @10": scores["hit_rate_at_10"], "NDCG @10": scores["ndcg_at_10"]}
            for name, scores in data.report["methods"].items()
        ]
    )
    st.caption(
        f"{data.report['protocol'].capitalize()}; {data.report['users']} users. "
        f"The best hit rate ({best}) is the default method."
    )
    st.dataframe(report, hide_index=True, width="stretch")
    long = report.melt("method", var_name="metric", value_name="value")
    st.altair_chart(
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("value:Q", title=None),
            y=alt.Y("method:N", sort="-x", title=None),
            color=alt.Color("metric:N", title=None),
            yOffset="metric:N",
            tooltip=["method", "metric", alt.Tooltip("value:Q", format=".3f")],
        )
        .properties(height=320),
        width="stretch",
    )

links.keep_in_link(
    movie=title if title != DEFAULT_MOVIE else None,
    query=query,
    user=int(user) if user != 1 else None,
    method=method if method != best else None,
)
