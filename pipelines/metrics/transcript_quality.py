"""Word error rate, the measure speech-recognition work reports, on Whisper's English normalisation.

Both sides are normalised first (case, punctuation, number words, contractions), so "3 o'clock" and
"three o'clock" count as the same words; then WER = word edits (substitutions, insertions, deletions)
over the reference's word count, summed over the corpus. `tests/test_metrics_agree.py` checks it against
jiwer's on the clips' transcripts.
"""

from __future__ import annotations


def normalise(text: str) -> list[str]:
    from transformers.models.whisper.english_normalizer import EnglishTextNormalizer

    return EnglishTextNormalizer({})(text).split()


def word_error_rate(hypotheses: list[str], references: list[str]) -> float:
    """Corpus WER on 0..1 (it can exceed 1 when the hypotheses add many words)."""
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses for {len(references)} references.")
    edits = words = 0
    for hypothesis, reference in zip(hypotheses, references, strict=True):
        said, heard = normalise(reference), normalise(hypothesis)
        edits += _edit_distance(said, heard)
        words += len(said)
    return edits / max(words, 1)


def _edit_distance(first: list[str], second: list[str]) -> int:
    previous = list(range(len(second) + 1))
    for i, word in enumerate(first, start=1):
        current = [i]
        for j, other in enumerate(second, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (word != other)))
        previous = current
    return previous[-1]
