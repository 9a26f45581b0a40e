"""The recommender on MovieLens 100K and MiniLM: similar movies, search, per-user lists, the metrics."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse

from pipelines.errors import InputError
from pipelines.tasks import recommender
from pipelines.vectors.recommender_methods import METHODS, hit_rate_and_ndcg, leave_latest_out
from tests.test_cli import cli


def test_toy_story_is_most_like_other_animated_or_childrens_films(provisioned: Path) -> None:
    similar = recommender.similar_movies("Toy Story (1995)", "content", 10)
    family = [pick for pick in similar if {"Animation", "Children's"} & set(pick.movie.genres)]
    assert len(family) >= 6, [pick.movie.label for pick in similar]
    assert "Toy Story (1995)" not in [pick.movie.label for pick in similar]


def test_co_ratings_pair_star_wars_with_its_sequels(provisioned: Path) -> None:
    labels = [pick.movie.label for pick in recommender.similar_movies("Star Wars (1977)", "co-ratings", 5)]
    assert {"Return of the Jedi (1983)", "Empire Strikes Back, The (1980)"} <= set(labels)


@pytest.mark.parametrize(("query", "genre"), [("a scary horror film", "Horror"), ("a western with cowboys", "Western")])
def test_a_text_query_about_a_genre_returns_that_genre(provisioned: Path, query: str, genre: str) -> None:
    found = recommender.search(query, 5)
    assert sum(genre in pick.movie.genres for pick in found) >= 4, [pick.movie.label for pick in found]


@pytest.mark.parametrize("method", list(METHODS))
def test_recommendations_never_repeat_a_rated_movie_and_give_reasons(provisioned: Path, method: str) -> None:
    data = recommender.catalogue()
    for user in (1, 42, 943):
        rated = {data.movies[index].item_id for index in data.interactions[user - 1].indices}
        picks = recommender.for_user(user, method, 20)
        assert len(picks) == 20 and not rated & {pick.movie.item_id for pick in picks}
        assert all(pick.reason and pick.reason.startswith("because you liked ") for pick in picks)


def test_cold_start_leaves_out_the_liked_movies(provisioned: Path) -> None:
    picks = recommender.from_likes(["Star Wars (1977)", "Toy Story"], k=10)
    labels = {pick.movie.label for pick in picks}
    assert not {"Star Wars (1977)", "Toy Story (1995)"} & labels
    assert "Return of the Jedi (1983)" in labels


def test_the_report_shows_a_method_beating_truncated_svd_and_makes_it_the_default(provisioned: Path) -> None:
    report = recommender.catalogue().report
    methods = report["methods"]
    assert report["users"] == 943 and set(methods) == set(METHODS)
    best = report["default"]
    assert methods[best]["hit_rate_at_10"] == max(scores["hit_rate_at_10"] for scores in methods.values())
    svd = methods["truncated-svd"]["hit_rate_at_10"]
    assert methods[best]["hit_rate_at_10"] > svd > methods["popularity"]["hit_rate_at_10"]


def test_leave_latest_out_holds_out_the_last_rating_with_ties_in_file_order() -> None:
    users = np.array([0, 0, 0, 1, 1, 2])
    items = np.array([3, 1, 2, 0, 2, 1])
    times = np.array([10, 30, 30, 5, 1, 7])
    split = leave_latest_out(users, items, times, (3, 4))
    assert split.held_out.tolist() == [2, 0, -1]  # user 0: items 1 and 2 tie at t=30, item 2 comes later
    assert split.train.toarray().tolist() == [[0, 1, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0]]


def test_hit_rate_and_ndcg_on_a_hand_made_case() -> None:
    # Two users, 12 items. User A's held-out item ranks 2nd among unrated items (one scored above it);
    # user B's ranks 11th, outside the top 10. Item 0 is rated by A and must not count against it.
    scores = np.array([[100.0, 9.0, 8.0] + [0.0] * 9, [float(12 - i) for i in range(12)]])
    train = sparse.csr_matrix(([1.0], ([0], [0])), shape=(2, 12))
    hit_rate, ndcg = hit_rate_and_ndcg(scores, train, np.array([2, 10]))
    assert hit_rate == 0.5
    assert ndcg == pytest.approx((1 / np.log2(3)) / 2)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: recommender.similar_movies("Toy Stroy"), "Did you mean “Toy Story (1995)”?"),
        (lambda: recommender.for_user(5000), "There is no user 5000; MovieLens 100K has users 1 to 943."),
        (lambda: recommender.for_user(1, k=0), "k must be between 1 and 100; got 0."),
        (lambda: recommender.search("dogs", k=10_000), "k must be between 1 and 100; got 10000."),
        (lambda: recommender.search("   "), "The search is empty."),
        (lambda: recommender.from_likes([]), "Pick at least one movie you like."),
        (lambda: recommender.for_user(1, method="magic"), "Unknown method 'magic'."),
    ],
)
def test_bad_input_gets_one_sentence(provisioned: Path, call, message: str) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        call()


def test_cli_prints_items_with_ids_titles_and_scores(provisioned: Path) -> None:
    done = cli("run", "recommender", "--similar-to", "Toy Story (1995)", "--k", "3")
    assert done.returncode == 0, done.stderr
    picks = json.loads(done.stdout)
    assert len(picks) == 3 and all(set(pick) == {"item_id", "title", "score"} for pick in picks)
    user = json.loads(cli("run", "recommender", "--user", "1", "--method", "popularity", "--k", "2").stdout)
    assert len(user) == 2
    refused = cli("run", "recommender", "--likes", "Toy Stry")
    assert refused.returncode == 2 and "Did you mean" in refused.stderr
