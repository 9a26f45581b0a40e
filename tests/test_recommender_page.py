"""The recommender page through AppTest: one test per view."""

from __future__ import annotations

from pathlib import Path

from tests.test_pages import open_page


def test_similar_movies_by_content_and_by_co_ratings_side_by_side(provisioned: Path) -> None:
    app = open_page("pages/recommender.py")
    app.selectbox(key="rec-movie").set_value("Star Wars (1977)").run()
    assert not app.exception and not app.error
    by_content, by_ratings = app.dataframe[0].value, app.dataframe[1].value
    assert len(by_content) == len(by_ratings) == 10
    assert "Return of the Jedi (1983)" in by_ratings["movie"].tolist()


def test_describe_what_you_want_searches_by_meaning(provisioned: Path) -> None:
    app = open_page("pages/recommender.py")
    app.button(key="rec-example-a scary horror film").click().run()
    assert not app.exception
    (listing,) = [markdown.value for markdown in app.markdown if markdown.value.startswith("1. **")]
    lines = listing.splitlines()
    assert len(lines) == 10 and sum("Horror" in line for line in lines) >= 8


def test_for_a_user_shows_favourites_and_reasons(provisioned: Path) -> None:
    app = open_page("pages/recommender.py")
    app.number_input(key="rec-user").set_value(42).run()
    app.selectbox(key="rec-user-method").set_value("item-item").run()
    assert not app.exception and not app.error
    frames = [frame.value for frame in app.dataframe]
    favourites = next(frame for frame in frames if list(frame.columns) == ["movie", "rating"])
    picks = next(frame for frame in frames if "why" in frame.columns)
    assert favourites["rating"].max() == 5
    assert all(reason.startswith("because you liked ") for reason in picks["why"])
    assert not set(favourites["movie"]) & set(picks["movie"])


def test_start_from_scratch_and_the_methods_table(provisioned: Path) -> None:
    app = open_page("pages/recommender.py")
    app.multiselect(key="rec-likes").set_value(["Fargo (1996)", "Pulp Fiction (1994)"]).run()
    assert not app.exception
    methods = next(frame.value for frame in app.dataframe if "hit rate @10" in frame.value.columns)
    assert set(methods["method"]) == {"popularity", "item-item", "truncated-svd", "ease", "content", "hybrid"}
    picks = next(frame.value for frame in app.dataframe if "why" in frame.value.columns and len(frame.value) == 10)
    assert not {"Fargo (1996)", "Pulp Fiction (1994)"} & set(picks["movie"])
    assert app.get("vega_lite_chart")
