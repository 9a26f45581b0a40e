"""Cutting a document into pieces a sentence-level translator handles well, and putting it back together.

Translation models are trained on single sentences: a page sent as one sequence drifts and drops
content, and a sequence longer than any seen in training degrades fast. So the text is split into lines
and sentences, an overlong sentence is cut at clause boundaries (then spaces), and whatever the model
cannot translate is kept verbatim in place: line breaks and spacing, HTML tags, emoji (which the
vocabulary maps to "unknown" and the model silently drops), and stretches without letters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_PIECE_CHARACTERS = 400  # about 100 tokens: the longest piece sent to the model in one go
_LINE_BREAK = re.compile(r"(\s*\n\s*)")
_SENTENCE_END = re.compile(r"(?<=[.!?…])([\"')\]»”’]*)(\s+)(?=\S)")
_CLAUSE_END = re.compile(r"(?<=[,;:])\s+")
_SPACES = re.compile(r"\s+")
# Kept verbatim: code elements whole (script, style, code, pre), other markup tags, and emoji with their
# joiners and variation selectors.
_VERBATIM = re.compile(
    r"(\s*(?:<(script|style|code|pre)\b[^>]*>.*?</\2\s*>|</?[A-Za-z][^<>]*>"
    r"|[\u2600-\u27bf\U0001f000-\U0001faff\u200d\ufe0f\u20e3]+)\s*)",
    re.IGNORECASE,
)
_ABBREVIATIONS = frozenset(["mr", "mrs", "ms", "dr", "sr", "sra", "srta", "prof", "st", "vs", "etc", "av", "nº"])
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)


@dataclass(frozen=True)
class Layout:
    """The pieces to translate, and a template of verbatim text and piece numbers to rebuild the document."""

    pieces: tuple[str, ...]
    template: tuple[str | int, ...]

    def join(self, translations: list[str]) -> str:
        """The document with each piece replaced by its translation."""
        if len(translations) != len(self.pieces):
            raise ValueError(f"{len(translations)} translations for {len(self.pieces)} pieces.")
        return "".join(item if isinstance(item, str) else translations[item] for item in self.template)


def split_text(text: str) -> Layout:
    """Lay `text` out as pieces of at most MAX_PIECE_CHARACTERS, each within one sentence."""
    pieces: list[str] = []
    template: list[str | int] = []
    for line, is_break in _alternate(_LINE_BREAK, text):
        if is_break:
            template.append(line)
            continue
        for sentence, is_space in _sentences(line):
            if is_space:
                template.append(sentence)
                continue
            for fragment, verbatim in _alternate(_VERBATIM, sentence):
                if verbatim or not _LETTER.search(fragment):
                    template.append(fragment)
                    continue
                stripped = fragment.strip()
                start = fragment.find(stripped)
                template.append(fragment[:start])
                for number, piece in enumerate(cut_long(stripped)):
                    template.extend([" "] if number else [])
                    template.append(len(pieces))
                    pieces.append(piece)
                template.append(fragment[start + len(stripped) :])
    return Layout(tuple(pieces), tuple(item for item in template if item != ""))


def _alternate(separator: re.Pattern[str], text: str) -> list[tuple[str, bool]]:
    """`text` split where `separator` matches (its first group is the whole match), each chunk flagged True
    when it is a separator; further groups of the pattern are only for its own back-references."""
    chunks: list[tuple[str, bool]] = []
    start = 0
    for match in separator.finditer(text):
        chunks += [(text[start : match.start()], False), (match.group(), True)]
        start = match.end()
    chunks.append((text[start:], False))
    return [chunk for chunk in chunks if chunk[0]]


def _sentences(line: str) -> list[tuple[str, bool]]:
    """Sentences of one line and the spaces between them (flagged True); abbreviations do not end one."""
    chunks: list[tuple[str, bool]] = []
    start = 0
    for boundary in _SENTENCE_END.finditer(line):
        sentence = line[start : boundary.end(1)]
        if _ends_with_abbreviation(sentence):
            continue
        chunks += [(sentence, False), (boundary[2], True)]
        start = boundary.end()
    chunks.append((line[start:], False))
    return [chunk for chunk in chunks if chunk[0]]


def _ends_with_abbreviation(text: str) -> bool:
    """Mr. / Sra. / an initial / a dotted abbreviation (a.m., e.g., U.S.) before the full stop."""
    words = text.split()
    word = words[-1].rstrip(".").lower() if words else ""
    return word in _ABBREVIATIONS or "." in word or (len(word) == 1 and word.isalpha())


def cut_long(sentence: str) -> list[str]:
    """Cut a sentence over the piece limit at clause boundaries, then spaces, then anywhere."""
    if len(sentence) <= MAX_PIECE_CHARACTERS:
        return [sentence]
    for pattern in (_CLAUSE_END, _SPACES):
        parts = [part for part in pattern.split(sentence) if part]
        if len(parts) > 1:
            return [piece for group in _group(parts) for piece in cut_long(group)]
    step = MAX_PIECE_CHARACTERS
    return [sentence[index : index + step] for index in range(0, len(sentence), step)]


def _group(parts: list[str]) -> list[str]:
    """Greedily join consecutive parts back together while they fit in one piece."""
    groups: list[str] = []
    for part in parts:
        if groups and len(groups[-1]) + 1 + len(part) <= MAX_PIECE_CHARACTERS:
            groups[-1] += " " + part
        else:
            groups.append(part)
    return groups
