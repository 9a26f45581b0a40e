"""Movie recommendations on MovieLens 100K: similar movies, text search, per-user and cold-start lists.

The provisioned folder holds the ratings, each movie's MiniLM embedding and the evaluation report; it
is loaded once per process. Per-user and cold-start lists use any method of
pipelines.vectors.recommender_methods (trained on every rating) and never repeat a movie the user has rated;
each recommendation says which of the user's favourites it is closest to by co-ratings.
"""

from __future__ import annotations

import difflib
import json
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
from scipy import sparse

from pipelines.errors import InputError
from pipelines.media.unicode_text import well_formed
from pipelines.provisioning.catalog import find_model
from pipelines.provisioning.movielens_files import EMBEDDINGS_FILE, ITEMS_FILE, RATINGS_FILE, REPORT_FILE
from pipelines.provisioning.provision import model_dir
from pipelines.serving.loader import resolve_model
from pipelines.tasks.embeddings import embed
from pipelines.vectors.recommender_methods import METHODS, Scorer, cosine_similarity

TASK = "recommender"
DATASET = "movielens-100k"
MAX_K = 100
LIKED = 4.0  # a rating at least this high counts as "liked" when explaining a recommendation


@dataclass(frozen=True)
class Movie:
    item_id: int
    title: str
    year: str
    genres: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.title} ({self.year})" if self.year else self.title


@dataclass(frozen=True)
class Recommendation:
    movie: Movie
    score: float
    reason: str | None = None

    def as_json(self) -> dict:
        """The CLI's shape: {"item_id", "title", "score"}."""
        return {"item_id": self.movie.item_id, "title": self.movie.label, "score": round(self.score, 4)}


class Catalogue:
    """One dataset folder in memory; the heavier parts (scorers, similarities) are built on first use."""

    def __init__(self, folder: Path) -> None:
        self.movies = [
            Movie(item["item_id"], item["title"], item["year"], tuple(item["genres"]))
            for item in json.loads((folder / ITEMS_FILE).read_text())
        ]
        self.embeddings = np.load(folder / EMBEDDINGS_FILE)
        self.report = json.loads((folder / REPORT_FILE).read_text())
        ratings = np.load(folder / RATINGS_FILE)
        shape = (int(ratings["user"].max()) + 1, len(self.movies))
        self.ratings = sparse.csr_matrix((ratings["rating"], (ratings["user"], ratings["item"])), shape=shape)
        self.interactions = (self.ratings > 0).astype(np.float64).tocsr()
        self._labels = {movie.label.lower(): index for index, movie in enumerate(self.movies)}
        self._lock = threading.Lock()
        self._scorers: dict[str, Scorer] = {}

    @cached_property
    def co_rating_similarity(self) -> np.ndarray:
        similarity = cosine_similarity(self.interactions.T.tocsr())
        np.fill_diagonal(similarity, 0.0)
        return similarity

    def scorer(self, method: str) -> Scorer:
        if method not in METHODS:
            raise InputError(f"Unknown method '{method}'. Methods: {', '.join(METHODS)}.")
        with self._lock:  # two sessions asking for a new method at once train it once
            if method not in self._scorers:
                self._scorers[method] = METHODS[method](self.interactions, self.embeddings)
        return self._scorers[method]

    def index_of(self, title: str) -> int:
        """The movie called `title` ("Toy Story (1995)" or "Toy Story"); otherwise suggest close matches."""
        wanted = title.strip().lower()
        if not wanted:
            raise InputError("No movie was named. Type a title such as “Toy Story (1995)”.")
        if wanted in self._labels:
            return self._labels[wanted]
        bare = [index for index, movie in enumerate(self.movies) if movie.title.lower() == wanted]
        if bare:
            return bare[0]
        close = difflib.get_close_matches(wanted, list(self._labels), n=3, cutoff=0.5)
        suggestions = ", ".join(f"“{self.movies[self._labels[label]].label}”" for label in close)
        hint = f" Did you mean {suggestions}?" if close else " Pick a title from the list."
        raise InputError(f"There is no movie called “{title.strip()}” in MovieLens 100K.{hint}")


_catalogues: dict[str, Catalogue] = {}
_catalogue_lock = threading.Lock()


def catalogue(dataset: str = DATASET) -> Catalogue:
    """The process-wide copy of a provisioned dataset (checked to be provisioned and current once)."""
    cached = _catalogues.get(str(model_dir(find_model(dataset))))
    if cached is not None:  # the hot path: no disk access
        return cached
    folder = resolve_model(dataset, TASK).location
    with _catalogue_lock:
        if folder not in _catalogues:
            _catalogues[folder] = Catalogue(Path(folder))
        return _catalogues[folder]


def _check_k(k: int) -> None:
    if not 1 <= k <= MAX_K:
        raise InputError(f"k must be between 1 and {MAX_K}; got {k}.")


def _top(scores: np.ndarray, k: int, exclude: np.ndarray | None = None) -> list[int]:
    scores = np.array(scores, dtype=np.float64, copy=True)
    if exclude is not None:
        scores[exclude] = -np.inf
    best = np.argpartition(-scores, k)[:k]
    return [int(index) for index in best[np.argsort(-scores[best])] if np.isfinite(scores[index])]


def similar_movies(title: str, by: str = "content", k: int = 10) -> list[Recommendation]:
    """Movies most like one movie, by what they are about (embeddings) or by who rated them (co-ratings)."""
    _check_k(k)
    data = catalogue()
    index = data.index_of(title)
    if by == "content":
        scores = data.embeddings @ data.embeddings[index]
    elif by == "co-ratings":
        scores = data.co_rating_similarity[index]
    else:
        raise InputError(f"Similarity is by “content” or “co-ratings”, not “{by}”.")
    return [Recommendation(data.movies[i], float(scores[i])) for i in _top(scores, k, np.array([index]))]


def search(query: str, k: int = 10) -> list[Recommendation]:
    """Semantic search: the movies whose title, year and genres are closest in meaning to the query."""
    _check_k(k)
    if not query.strip():
        raise InputError("The search is empty. Describe a movie, e.g. “a funny animated movie for kids”.")
    data = catalogue()
    scores = data.embeddings @ embed([well_formed(query.strip())])[0]
    return [Recommendation(data.movies[i], float(scores[i])) for i in _top(scores, k)]


def default_method() -> str:
    """The method with the best measured hit rate (chosen when the dataset was provisioned)."""
    return catalogue().report["default"]


def for_user(user_id: int, method: str | None = None, k: int = 10) -> list[Recommendation]:
    """Recommendations for a MovieLens user (ids 1-943), each with a reason, never a movie they rated."""
    _check_k(k)
    data = catalogue()
    return _recommend(data, data.interactions[_row(data, user_id)], data.ratings[_row(data, user_id)], method, k)


def from_likes(titles: list[str], method: str | None = None, k: int = 10) -> list[Recommendation]:
    """Cold start: recommendations for someone who only says which movies they like."""
    _check_k(k)
    data = catalogue()
    if not titles:
        raise InputError("Pick at least one movie you like.")
    liked = sorted({data.index_of(title) for title in titles})
    row = sparse.csr_matrix((np.ones(len(liked)), ([0] * len(liked), liked)), shape=(1, len(data.movies)))
    return _recommend(data, row, row * LIKED, method, k)


def favourites(user_id: int, k: int = 10) -> list[tuple[Movie, float]]:
    """The movies a user rated highest, best first."""
    data = catalogue()
    row = data.ratings[_row(data, user_id)]
    order = np.argsort(-row.data, kind="stable")[:k]
    return [(data.movies[row.indices[i]], float(row.data[i])) for i in order]


def _row(data: Catalogue, user_id: int) -> int:
    """The matrix row of a MovieLens user id (1-based), or a sentence naming the valid range."""
    if not 1 <= user_id <= data.ratings.shape[0]:
        raise InputError(f"There is no user {user_id}; MovieLens 100K has users 1 to {data.ratings.shape[0]}.")
    return user_id - 1


def _recommend(
    data: Catalogue, row: sparse.csr_matrix, ratings: sparse.csr_matrix, method: str | None, k: int
) -> list[Recommendation]:
    scores = data.scorer(method or data.report["default"])(row)[0]
    seen = row.indices
    liked = ratings.indices[ratings.data >= LIKED]
    if not len(liked):
        liked = seen
    closeness = data.co_rating_similarity[liked]  # liked movies × all movies
    picks = []
    for index in _top(scores, k, seen):
        because = data.movies[int(liked[int(np.argmax(closeness[:, index]))])]
        picks.append(Recommendation(data.movies[index], float(scores[index]), f"because you liked {because.label}"))
    return picks
