"""Recommendation methods over an implicit-feedback matrix, and the leave-latest-out evaluation that ranks them.

Every method is a function from the training matrix (users × items, 1 where the user rated the item) to a
scorer: for a set of user rows, a score for every item. Items a user has already rated are removed by
the caller, never by the method, so the evaluation and the app treat every method alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import svds

Scorer = Callable[[sparse.csr_matrix], np.ndarray]  # user rows → scores [users, items]
TOP_K = 10


def popularity(train: sparse.csr_matrix, embeddings: np.ndarray) -> Scorer:
    counts = np.asarray(train.sum(axis=0)).ravel()
    return lambda rows: np.tile(counts, (rows.shape[0], 1)).astype(np.float32)


def item_item(train: sparse.csr_matrix, embeddings: np.ndarray) -> Scorer:
    """Item-based collaborative filtering: cosine similarity of the items' rating columns."""
    similarity = cosine_similarity(train.T.tocsr())
    np.fill_diagonal(similarity, 0.0)
    return lambda rows: np.asarray(rows @ similarity)


def truncated_svd(train: sparse.csr_matrix, embeddings: np.ndarray, factors: int = 64) -> Scorer:
    """Latent factors from the training matrix's top singular vectors; users are projected onto them."""
    _, _, item_factors = svds(train.astype(np.float64), k=factors)
    projection = item_factors.T @ item_factors
    return lambda rows: np.asarray(rows @ projection)


def ease(train: sparse.csr_matrix, embeddings: np.ndarray, regularisation: float = 100.0) -> Scorer:
    """EASE (Steck, 2019): the closed-form item-to-item linear model with a zero diagonal."""
    gram = (train.T @ train).toarray().astype(np.float64)
    gram[np.diag_indices_from(gram)] += regularisation
    inverse = np.linalg.inv(gram)
    weights = -inverse / np.diag(inverse)
    np.fill_diagonal(weights, 0.0)
    return lambda rows: np.asarray(rows @ weights)


def content(train: sparse.csr_matrix, embeddings: np.ndarray) -> Scorer:
    """The user's profile is the mean embedding of the movies they rated; items score by cosine to it."""
    unit = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)

    def score(rows: sparse.csr_matrix) -> np.ndarray:
        profiles = np.asarray(rows @ unit)
        profiles /= np.maximum(np.linalg.norm(profiles, axis=1, keepdims=True), 1e-12)
        return profiles @ unit.T

    return score


def hybrid(train: sparse.csr_matrix, embeddings: np.ndarray, content_weight: float = 0.2) -> Scorer:
    """EASE blended with content similarity, each scaled per user to unit maximum before mixing."""
    collaborative, semantic = ease(train, embeddings), content(train, embeddings)

    def score(rows: sparse.csr_matrix) -> np.ndarray:
        return (1 - content_weight) * _per_user_scaled(collaborative(rows)) + content_weight * _per_user_scaled(
            semantic(rows)
        )

    return score


METHODS: dict[str, Callable[[sparse.csr_matrix, np.ndarray], Scorer]] = {
    "popularity": popularity,
    "item-item": item_item,
    "truncated-svd": truncated_svd,
    "ease": ease,
    "content": content,
    "hybrid": hybrid,
}


def cosine_similarity(rows: sparse.csr_matrix) -> np.ndarray:
    norms = np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1)).ravel())
    unit = sparse.diags(1.0 / np.maximum(norms, 1e-12)) @ rows
    return (unit @ unit.T).toarray()


def _per_user_scaled(scores: np.ndarray) -> np.ndarray:
    top = np.abs(scores).max(axis=1, keepdims=True)
    return scores / np.maximum(top, 1e-12)


@dataclass(frozen=True)
class Split:
    """Leave-latest-out: each user's most recent rating is held out; the rest is training data."""

    train: sparse.csr_matrix
    held_out: np.ndarray  # one item index per user (-1 for users with a single rating)


def leave_latest_out(users: np.ndarray, items: np.ndarray, times: np.ndarray, shape: tuple[int, int]) -> Split:
    # Per user by time; ratings with the same timestamp keep the file's order (as RecBole's protocol does),
    # so the last one in the file is held out. (Breaking ties by item id instead holds out newer, rarer
    # films and lowers every method's hit rate by a third.)
    order = np.lexsort((np.arange(len(users)), times, users))
    users, items = users[order], items[order]
    last = np.r_[users[1:] != users[:-1], True]
    counts = np.bincount(users, minlength=shape[0])
    held_out = np.full(shape[0], -1)
    keep_out = last & (counts[users] > 1)
    held_out[users[keep_out]] = items[keep_out]
    train = sparse.csr_matrix((np.ones((~keep_out).sum()), (users[~keep_out], items[~keep_out])), shape=shape)
    train.data[:] = 1.0  # duplicates collapse to one interaction
    return Split(train.tocsr(), held_out)


def hit_rate_and_ndcg(scores: np.ndarray, train_rows: sparse.csr_matrix, held_out: np.ndarray) -> tuple[float, float]:
    """Hit rate and NDCG at TOP_K over users with a held-out item, ranking items the user has not rated."""
    scores = np.array(scores, dtype=np.float64, copy=True)
    scores[train_rows.nonzero()] = -np.inf
    target = scores[np.arange(len(held_out)), held_out][:, None]
    rank = (scores > target).sum(axis=1)  # items scored above the held-out one
    hits = rank < TOP_K
    gains = np.where(hits, 1.0 / np.log2(rank + 2.0), 0.0)
    return float(hits.mean()), float(gains.mean())


def evaluate(split: Split, embeddings: np.ndarray, batch: int = 256) -> dict[str, dict[str, float]]:
    """Every method's hit rate and NDCG at TOP_K on the split, trained on its training matrix."""
    users = np.flatnonzero(split.held_out >= 0)
    report = {}
    for name, method in METHODS.items():
        scorer = method(split.train, embeddings)
        hits = gains = 0.0
        for start in range(0, len(users), batch):
            chunk = users[start : start + batch]
            rows = split.train[chunk]
            hit, gain = hit_rate_and_ndcg(scorer(rows), rows, split.held_out[chunk])
            hits += hit * len(chunk)
            gains += gain * len(chunk)
        report[name] = {"hit_rate_at_10": hits / len(users), "ndcg_at_10": gains / len(users)}
    return report
