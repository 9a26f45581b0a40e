"""The guard in front of a streamed answer: the visitor reads a sentence only once it has passed.

A model's answer arrives a token at a time, but a figure can only be judged whole ("555-01" is not yet
a phone number) and a clause only with its verb ("we are open … on Sunday"). So the gate holds the text
until a sentence ends, checks everything said so far against the facts (`pipelines.assistant.grounding`), and only
then lets the sentence out. A sentence that passes but carries none of the facts' figures ("Yes, of
course!") waits for one that does; an answer that ends without one never shows it. At the first sentence
that fails, the gate closes: nothing more of the model's is read, and `caught` keeps what it said.
"""

from __future__ import annotations

import re

from pipelines.assistant.grounding import carries_a_fact, leaves_out, overlong, unsupported, unwarranted_no

# A sentence ends at ., ! or ? before white space (not inside "9.30" or "hello@shop.example"), or at a line end.
_SENTENCE_END = re.compile(r"[.!?](?=\s)|\n")


class SentenceGate:
    """Feed it the model's text as it streams; it returns, each time, the part the visitor may now read."""

    def __init__(self, facts: list[str]) -> None:
        self.facts = facts
        self.shown = ""  # passed and let out
        self.problems: list[str] = []  # why the gate closed, one sentence each
        self.caught = ""  # the model's words that failed, or were held without a figure to the end
        self.cut_short = False  # closed by length or a repeat: what was shown stands, nothing is wrong in it
        self._held = ""  # passed, waiting for a sentence that carries one of the facts' figures
        self._writing = ""  # the sentence the model is still writing

    @property
    def closed(self) -> bool:
        """Whether a sentence failed (or the answer grew too long): the model need not go on."""
        return bool(self.problems)

    def feed(self, chunk: str) -> str:
        """Take the model's next chunk; return the sentences it completed that passed (often "")."""
        self._writing += chunk
        released = ""
        while not self.closed and (end := _SENTENCE_END.search(self._writing)):
            sentence, self._writing = self._writing[: end.end()], self._writing[end.end() :]
            released += self._judge(sentence)
        return released

    def finish(self) -> str:
        """The model has ended: judge its unfinished last sentence, and refuse what never carried a figure."""
        released = self._judge(self._writing) if self._writing.strip() and not self.closed else ""
        self._writing = ""
        if self._held.strip() and not self.closed:
            self.problems = leaves_out(self.shown + self._held, self.facts)
            self.caught, self._held = self._held.strip(), ""
        return released

    def _judge(self, sentence: str) -> str:
        said = self.shown + self._held + sentence
        if too_long := overlong(said):
            self.problems, self.caught, self.cut_short = too_long, sentence.strip(), bool(self.shown)
            return ""
        if wrong := unsupported(said, self.facts) + unwarranted_no(said, self.facts):
            self.problems, self.caught = wrong, (self._held + sentence).strip()
            return ""
        self._held += sentence
        if not carries_a_fact(said, self.facts):
            return ""
        released, self._held = self._held, ""
        if not self.shown:
            released = released.lstrip()
        self.shown += released
        return released
