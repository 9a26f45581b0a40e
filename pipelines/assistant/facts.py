"""The facts a customer-service assistant answers from: split into single facts, embedded, retrieved.

Presenters paste anything into the facts box: one fact per line ("Returns: …"), paragraphs under
headings, a Q/A list. A small model answers well only when it is handed the one fact a question is
about (the whole box doubled its wrong answers), so the box is cut into facts a question can be
matched with, each keeping its label, since "Opening hours" is often the only word a question shares
with its fact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from pipelines.assistant.grounding import contact_details
from pipelines.errors import InputError
from pipelines.tasks.embeddings import embed

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")
_LABEL = re.compile(r"^([A-Z][\w' &/-]{0,40}?):\s+(.+)$", re.DOTALL)  # "Opening hours: we are …"
_QUESTION = re.compile(r"^(?:Q|Question)\s*[:.]\s*", re.IGNORECASE)
_ANSWER = re.compile(r"^(?:A|Answer)\s*[:.]\s*", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_ENDS_A_STATEMENT = re.compile(r"[.!?:)\"']$")
MAX_FACT_WORDS = 60  # a longer paragraph is cut into sentences, so one question does not retrieve an essay
MAX_FACTS = 200


@dataclass(frozen=True)
class Fact:
    """One fact of the box: its label ("Returns", a heading, a FAQ question) and what it says."""

    label: str | None
    body: str

    @property
    def text(self) -> str:
        return f"{self.label}: {self.body}" if self.label else self.body


@dataclass(frozen=True)
class Retrieved:
    fact: Fact
    score: float  # cosine similarity of the question with the fact (or its closest sentence)


def split_facts(text: str) -> list[Fact]:
    """The facts of a box: one per line of a list, per paragraph (with its heading), per Q/A pair."""
    facts: list[Fact] = []
    heading: str | None = None
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if lines and (match := _HEADING.match(lines[0])):
            heading, lines = match.group(1) or None, lines[1:]
        if not lines:
            continue
        for item in _items(lines):
            facts.extend(_labelled(item, heading))
        heading = None
    if len(facts) > MAX_FACTS:
        raise InputError(f"The facts box holds {len(facts)} facts; keep it to at most {MAX_FACTS} lines or paragraphs.")
    return facts


def _items(lines: list[str]) -> list[str]:
    """A block's items: Q/A pairs joined, list lines apart, a paragraph wrapped over lines joined."""
    if any(_QUESTION.match(line) for line in lines):
        items: list[str] = []
        for line in lines:
            if _QUESTION.match(line) or not items:
                items.append(_QUESTION.sub("", line))
            else:
                items[-1] += "\n" + _ANSWER.sub("", line)
        return items
    stripped = [_BULLET.sub("", line) for line in lines]
    listed = all(_BULLET.match(line) or _LABEL.match(line) or _ENDS_A_STATEMENT.search(line) for line in lines)
    return stripped if listed and len(lines) > 1 else [" ".join(stripped)]


def _labelled(item: str, heading: str | None) -> list[Fact]:
    if "\n" in item:  # a Q/A pair: the question is the label
        question, answer = item.split("\n", 1)
        return [Fact(question.strip(), " ".join(answer.split()))]
    label, body = heading, item
    if heading is None and (match := _LABEL.match(item)):
        label, body = match.group(1), match.group(2)
    if len(body.split()) <= MAX_FACT_WORDS:
        return [Fact(label, body)]
    return [Fact(label, sentence) for sentence in _SENTENCE_END.split(body)]


def sentences(text: str) -> list[str]:
    return [part for part in _SENTENCE_END.split(text.strip()) if part]


class FactIndex:
    """A facts box, split and embedded once; `retrieve` ranks its facts for a question."""

    def __init__(self, text: str) -> None:
        self.facts = split_facts(text)
        if not self.facts:
            raise InputError("The facts box is empty. Paste the facts the assistant should answer from.")
        # A fact is matched by its whole text and by each of its sentences (with the label), since a
        # question is usually about one sentence of a fact: "closed on Sunday", not the whole hours; and
        # by its contact details named by kind ("phone number 555-0199"), which a question asks for.
        owners, passages = [], []
        for position, fact in enumerate(self.facts):
            pieces = [*sentences(fact.body), *contact_details(fact.body)]
            parts = [fact.text, *(f"{fact.label}: {piece}" if fact.label else piece for piece in pieces)]
            for passage in dict.fromkeys(parts):
                owners.append(position)
                passages.append(passage)
        self._owners = np.array(owners)
        self._vectors = embed(passages)

    def retrieve(self, question: str, k: int = 1) -> list[Retrieved]:
        """The `k` facts most similar to the question, best first."""
        scores = self._vectors @ embed([question])[0]
        best = np.full(len(self.facts), -1.0)
        np.maximum.at(best, self._owners, scores)
        order = np.argsort(-best, kind="stable")[:k]
        return [Retrieved(self.facts[index], float(best[index])) for index in order]


@lru_cache(maxsize=8)
def fact_index(text: str) -> FactIndex:
    """The index of a facts box, built once per distinct text (the page reruns on every click)."""
    return FactIndex(text)
