"""Classification metrics computed with numpy alone: what the sentiment model's report shows.

Kept dependency-free (no scikit-learn) because the report is written during provisioning.
"""

from __future__ import annotations

import numpy as np

_ROC_POINTS = 101  # enough for a smooth curve in the report, small enough for its JSON


def classification_report(labels: list[str], truth: np.ndarray, probabilities: np.ndarray) -> dict:
    """Accuracy, macro-F1, per-class precision/recall/F1, confusion matrix and one-vs-rest ROC curves.

    `truth` holds class indices; `probabilities` is (examples, classes), rows summing to 1.
    """
    predicted = probabilities.argmax(axis=1)
    confusion = np.zeros((len(labels), len(labels)), dtype=int)
    np.add.at(confusion, (truth, predicted), 1)
    per_class = {}
    for index, label in enumerate(labels):
        hits = confusion[index, index]
        precision = hits / max(confusion[:, index].sum(), 1)
        recall = hits / max(confusion[index, :].sum(), 1)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {
            "precision": float(precision),
            "recall": float(recall),
            "f1": float(f1),
            "support": int(confusion[index, :].sum()),
        }
    roc = {label: roc_curve(truth == index, probabilities[:, index]) for index, label in enumerate(labels)}
    return {
        "labels": labels,
        "examples": len(truth),
        "accuracy": float((predicted == truth).mean()),
        "macro_f1": float(np.mean([scores["f1"] for scores in per_class.values()])),
        "per_class": per_class,
        "confusion_matrix": confusion.tolist(),
        "roc": roc,
    }


def roc_curve(positive: np.ndarray, score: np.ndarray) -> dict:
    """One-vs-rest ROC: false/true positive rates at every threshold (thinned), and the exact AUC."""
    order = np.argsort(-score, kind="stable")
    hits = positive[order].astype(float)
    true_positive = np.concatenate([[0.0], np.cumsum(hits)]) / max(hits.sum(), 1)
    false_positive = np.concatenate([[0.0], np.cumsum(1 - hits)]) / max((1 - hits).sum(), 1)
    auc = float(np.trapezoid(true_positive, false_positive))
    keep = np.unique(np.linspace(0, len(true_positive) - 1, _ROC_POINTS).round().astype(int))
    return {"fpr": false_positive[keep].tolist(), "tpr": true_positive[keep].tolist(), "auc": auc}
