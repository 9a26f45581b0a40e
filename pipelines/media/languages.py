"""The languages Showroom's text demos know by name, and a cheap guess at which one a text is in.

The guess counts very common words, which is enough to tell English from Portuguese in a sentence or
two (the mistake the translation page warns about: pasting text already in the target language).
"""

from __future__ import annotations

import re

LANGUAGES = {"en": "English", "pt": "Portuguese"}
COMMON_WORDS = {
    "en": frozenset(
        [
            "the",
            "a",
            "an",
            "is",
            "are",
            "was",
            "were",
            "be",
            "i",
            "you",
            "he",
            "she",
            "it",
            "we",
            "they",
            "this",
            "that",
            "to",
            "of",
            "and",
            "or",
            "but",
            "not",
            "no",
            "in",
            "on",
            "at",
            "for",
            "with",
            "my",
            "your",
            "so",
            "very",
            "just",
            "do",
            "does",
            "did",
            "have",
            "has",
            "had",
            "me",
            "our",
            "what",
        ]
    ),
    "pt": frozenset(
        [
            "o",
            "a",
            "os",
            "as",
            "um",
            "uma",
            "é",
            "são",
            "foi",
            "eu",
            "você",
            "ele",
            "ela",
            "nós",
            "eles",
            "isto",
            "isso",
            "que",
            "de",
            "do",
            "da",
            "dos",
            "das",
            "e",
            "ou",
            "mas",
            "não",
            "em",
            "no",
            "na",
            "nos",
            "nas",
            "para",
            "com",
            "por",
            "meu",
            "minha",
            "seu",
            "sua",
            "muito",
            "está",
            "estão",
            "tem",
            "como",
            "mais",
            "também",
        ]
    ),
}
_WORDS = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)
_MINIMUM_WORDS = 3


def language_name(code: str) -> str:
    return LANGUAGES.get(code, code)


def guess_language(text: str) -> str | None:
    """The language whose common words clearly dominate, or None when the text is short or mixed."""
    words = [word.lower() for word in _WORDS.findall(text)]
    if len(words) < _MINIMUM_WORDS:
        return None
    counts = {code: sum(word in common for word in words) for code, common in COMMON_WORDS.items()}
    best = max(counts, key=counts.get)
    runner_up = max(count for code, count in counts.items() if code != best)
    return best if counts[best] >= 2 and counts[best] >= 2 * runner_up else None
