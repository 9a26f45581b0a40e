"""Classification metrics, by scikit-learn: what the sentiment model's report shows (accuracy, macro-F1,
per-class scores, the confusion matrix and one-vs-rest ROC curves), written at provisioning."""

from __future__ import annotations

import numpy as np
from sklearn import metrics

_ROC_POINTS = 101  # enough for a smooth curve in the report, small enough for its JSON


def classification_report(labels: list[str], truth: np.ndarray, probabilities: np.ndarray) -> dict:
    """`truth` holds class indices; `probabilities` is (examples, classes), rows summing to 1."""
    predicted = probabilities.argmax(axis=1)
    classes = list(range(len(labels)))
    precision, recall, f1, support = metrics.precision_recall_fscore_support(
        truth, predicted, labels=classes, zero_division=0.0
    )
    per_class = {
        label: {
            "precision": float(precision[index]),
            "recall": float(recall[index]),
            "f1": float(f1[index]),
            "support": int(support[index]),
        }
        for index, label in enumerate(labels)
    }
    return {
        "labels": labels,
        "examples": len(truth),
        "accuracy": float(metrics.accuracy_score(truth, predicted)),
        "macro_f1": float(np.mean(f1)),
        "per_class": per_class,
        "confusion_matrix": metrics.confusion_matrix(truth, predicted, labels=classes).tolist(),
        "roc": {label: roc_curve(truth == index, probabilities[:, index]) for index, label in enumerate(labels)},
    }


def macro_f1(classes: int, truth: np.ndarray, predicted: np.ndarray) -> float:
    """The mean of every class's F1 (a class never predicted nor present counts 0), as the report's macro_f1."""
    labels = list(range(classes))
    return float(metrics.f1_score(truth, predicted, labels=labels, average="macro", zero_division=0.0))


def roc_curve(positive: np.ndarray, score: np.ndarray) -> dict:
    """One-vs-rest ROC: false/true positive rates at every threshold, thinned for the chart, and the AUC."""
    false_positive, true_positive, _ = metrics.roc_curve(positive, score, drop_intermediate=False)
    keep = np.unique(np.linspace(0, len(true_positive) - 1, _ROC_POINTS).round().astype(int))
    auc = float(metrics.auc(false_positive, true_positive))
    return {"fpr": false_positive[keep].tolist(), "tpr": true_positive[keep].tolist(), "auc": auc}
