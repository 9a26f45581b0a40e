"""chrF, the character n-gram F-score translation work reports, written out so no metrics package is needed.

Corpus-level as sacreBLEU computes it: n-gram counts (n = 1..6, spaces removed) are summed over all
sentences, precision and recall are averaged over n, then combined with recall weighted twice (β = 2).
`tests/test_metrics_agree.py` checks it against sacreBLEU's own chrF on the project's sentence pairs.
"""

from __future__ import annotations

from collections import Counter

_MAX_ORDER = 6
_BETA = 2.0


def _ngrams(text: str, order: int) -> Counter[str]:
    squeezed = "".join(text.split())
    return Counter(squeezed[index : index + order] for index in range(len(squeezed) - order + 1))


def chrf(hypotheses: list[str], references: list[str]) -> float:
    """Corpus chrF on a 0-100 scale."""
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses for {len(references)} references.")
    precisions, recalls = [], []
    for order in range(1, _MAX_ORDER + 1):
        matches = produced = expected = 0
        for hypothesis, reference in zip(hypotheses, references, strict=True):
            hypothesis_grams, reference_grams = _ngrams(hypothesis, order), _ngrams(reference, order)
            matches += sum((hypothesis_grams & reference_grams).values())
            produced += sum(hypothesis_grams.values())
            expected += sum(reference_grams.values())
        if produced and expected:
            precisions.append(matches / produced)
            recalls.append(matches / expected)
    if not precisions:
        return 0.0
    precision, recall = sum(precisions) / len(precisions), sum(recalls) / len(recalls)
    if precision + recall == 0:
        return 0.0
    weight = _BETA**2
    return 100 * (1 + weight) * precision * recall / (weight * precision + recall)
