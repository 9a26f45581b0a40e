"""The metrics the report cards show agree with the libraries the field reports them with (jiwer and
sacreBLEU for the hand-written ones) on the project's own data, and with the definitions on a case worked by hand."""

from __future__ import annotations

import csv
import json

import jiwer
import numpy as np
import pytest
from sacrebleu.metrics import CHRF

from pipelines.metrics.classification import classification_report
from pipelines.metrics.transcript_quality import normalise, word_error_rate
from pipelines.metrics.translation_quality import chrf
from tests.conftest import ROOT

EVAL = ROOT / "assets" / "eval"
PAIRS = list(csv.DictReader((EVAL / "translation_pairs.tsv").open(encoding="utf-8"), delimiter="\t"))
SAID = json.loads((EVAL / "audio" / "transcripts.json").read_text(encoding="utf-8"))
SAID |= json.loads((EVAL / "audio" / "librivox" / "transcripts.json").read_text(encoding="utf-8"))


def slips(text: str) -> str:
    """A hypothesis with the mistakes a model makes: a word dropped, one changed, one added."""
    words = text.split()
    return " ".join([*words[1:3], "the", *words[3:-1], words[-1].upper(), "again"])


@pytest.mark.parametrize(
    ("hypotheses", "references"),
    [
        ([pair["en"] for pair in PAIRS], [pair["pt"] for pair in PAIRS]),  # another language altogether
        ([slips(pair["pt"]) for pair in PAIRS], [pair["pt"] for pair in PAIRS]),
        ([pair["en"] for pair in PAIRS], [pair["en"] for pair in PAIRS]),  # perfect
    ],
    ids=["english-for-portuguese", "slips", "identical"],
)
def test_chrf_is_sacrebleus_on_the_sentence_pairs(hypotheses: list[str], references: list[str]) -> None:
    assert chrf(hypotheses, references) == pytest.approx(CHRF().corpus_score(hypotheses, [references]).score)


def test_word_error_rate_is_jiwers_on_the_clips_transcripts() -> None:
    references = list(SAID.values())
    hypotheses = [slips(text) for text in references]
    normalised = [" ".join(normalise(text)) for text in references]
    heard = [" ".join(normalise(text)) for text in hypotheses]
    assert len(references) >= 10
    assert word_error_rate(hypotheses, references) == pytest.approx(jiwer.wer(normalised, heard))
    assert word_error_rate(references, references) == 0 == jiwer.wer(normalised, normalised)


def test_the_sentiment_report_counts_a_small_case_by_hand() -> None:
    """Six tweets worked out on paper: the report's figures are the definitions', not just the library's."""
    truth = np.array([0, 0, 1, 1, 2, 2])
    predicted = [0, 1, 1, 1, 2, 0]
    probabilities = np.eye(3)[predicted] * 0.8 + 0.2 / 3
    report = classification_report(["negative", "neutral", "positive"], truth, probabilities)
    assert report["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    assert report["accuracy"] == pytest.approx(4 / 6)
    negative = report["per_class"]["negative"]
    assert (negative["precision"], negative["recall"], negative["support"]) == (0.5, 0.5, 2)
    assert report["per_class"]["neutral"]["f1"] == pytest.approx(2 * (2 / 3) * 1 / (2 / 3 + 1))
    assert report["macro_f1"] == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)
    assert report["roc"]["neutral"]["auc"] == pytest.approx(0.875)  # 2 positives over 4 negatives, one outranked
