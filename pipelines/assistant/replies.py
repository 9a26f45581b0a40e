"""The customer-service assistant: answers from the retrieved facts, checked, cited, or declined.

A question first retrieves its fact (`pipelines.assistant.facts`). Below the similarity threshold the assistant
declines without asking the model, which would invent an answer; above it the model answers from that
fact alone, and its answer streams through the grounding guard a sentence at a time
(`pipelines.assistant.sentence_gate`): the visitor reads only sentences the guard has passed, and at the first that
fails the model is stopped and the fact itself is shown instead. Every answer carries its sources.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from pipelines.assistant.chat_presets import CUSTOMER_SERVICE
from pipelines.assistant.facts import Retrieved, fact_index
from pipelines.assistant.sentence_gate import SentenceGate
from pipelines.serving.chat_prompt import ChatMessage, validate_conversation
from pipelines.tasks.text_generation import GenerationSettings, StreamedReply, stream_chat

# Chosen on the Northwind question set (assets/text/northwind_questions.json) as the threshold that
# separates its answerable from its unanswerable questions best; `python -m pipelines.reports.assistant_report`
# prints the sweep, and tests/test_assistant.py fails if the set no longer picks this value.
DECLINE_BELOW = 0.343
SECOND_FACT_MARGIN = 0.05  # a second fact this close to the best is given too (a question across two facts)
DECLINED = (
    "I'm sorry, I don't know that from the information I have. Shall I pass your question to a colleague who can help?"
)
# The fact is the nearest the facts come to the question, not always its answer ("Do you sell e-books?"
# retrieves special orders), so the customer is offered the colleague a declined question gets.
FALLBACK = "Here is what I can tell you: {fact} If that does not answer your question, shall I pass it to a colleague?"
# A question, not a document: the retriever's similarity falls as a question grows (the hours question
# scores 0.51 alone and 0.26 written out 111 times, under the threshold), and the question sets' longest
# is 60 characters. Longer messages keep their last characters, where a question usually ends.
QUESTION_LIMIT = 500


@dataclass
class GroundedReply:
    """One answer of the assistant: iterate it for the text the visitor may read, as it passes the guard.

    `declined` answers never reach the model. Otherwise the model's answer streams through the sentence
    gate (`pipelines.assistant.sentence_gate`): each sentence is shown once checked, and at the first that fails
    the model is stopped and the facts' own answer follows (`replaced`); `caught` and `problems` keep what
    the guard held back and why, for the presenter's explanation under the answer.
    """

    sources: list[Retrieved]
    reply: StreamedReply | None = None
    declined: bool = False
    replaced: bool = False
    problems: list[str] = field(default_factory=list)
    caught: str = ""
    text: str = ""
    notices: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[str]:
        """The checked answer in pieces; `text` holds all of it at the end. Abandoning the iteration (a
        visitor's Stop) stops the model and keeps what was shown."""
        if self.reply is None:
            yield self.text
            return
        gate = SentenceGate(self.source_texts)
        try:
            for chunk in self.reply:
                yield from self._shown(gate.feed(chunk))
                if gate.closed:
                    break
            if not gate.closed and self.reply.stats.stopped_early:
                return  # stopped by the visitor: what was shown stays the answer
            yield from self._shown(gate.finish())
        finally:
            self.reply.stop()
        self.problems, self.caught = gate.problems, gate.caught
        if gate.closed and not gate.cut_short:
            self.replaced = True
            yield from self._shown((" " if self.text else "") + FALLBACK.format(fact=self.quoted))
        self.text = self.text.strip()

    def read(self) -> str:
        """Wait for the whole checked answer (the CLI, the reports): its text."""
        for _ in self:
            pass
        return self.text

    @property
    def model_said(self) -> str:
        """Everything the model generated, shown or not (empty for a declined question)."""
        return self.reply.text.strip() if self.reply is not None else ""

    def _shown(self, piece: str) -> Iterator[str]:
        if piece:
            self.text += piece
            yield piece

    @property
    def quoted(self) -> str:
        """Every fact the model was given, as sentences: a question that retrieved two close facts may be
        answered by the second ("on a Sunday?" retrieved special orders just above the opening hours)."""
        first, *others = [source.fact.body.rstrip() for source in self.sources]
        sentences = [first, *(other[:1].upper() + other[1:] for other in others)]
        return " ".join(sentence if sentence.endswith((".", "!", "?")) else sentence + "." for sentence in sentences)

    @property
    def source_texts(self) -> list[str]:
        return [source.fact.text for source in self.sources]


def retrieve(question: str, facts: str) -> list[Retrieved]:
    """The facts to answer `question` from: the best one, and a second as close; none below the threshold."""
    best, *others = fact_index(facts).retrieve(question, k=2)
    if best.score < DECLINE_BELOW:
        return []
    return [best, *(other for other in others if other.score >= max(DECLINE_BELOW, best.score - SECOND_FACT_MARGIN))]


def answer_from_facts(
    history: list[ChatMessage], facts: str, model: str | None = None, settings: GenerationSettings | None = None
) -> GroundedReply:
    """Start the assistant's answer to the conversation's last question, from `facts` only."""
    validate_conversation(history)
    question, notices = question_sized(history[-1].content)
    sources = retrieve(question, facts)
    if not sources:
        return GroundedReply(sources, declined=True, text=DECLINED, notices=notices)
    system = CUSTOMER_SERVICE.system_prompt("\n".join(source.fact.text for source in sources))
    asked = [*history[:-1], ChatMessage("user", question)]
    reply = stream_chat(asked, system, model, settings or CUSTOMER_SERVICE.settings)
    return GroundedReply(sources, reply, notices=notices + reply.prompt.notices)


def question_sized(message: str) -> tuple[str, list[str]]:
    """The message as the assistant reads it, and a notice when it was cut to QUESTION_LIMIT characters."""
    if len(message) <= QUESTION_LIMIT:
        return message, []
    kept = message[-QUESTION_LIMIT:]
    kept = kept[kept.find(" ") + 1 :] if " " in kept else kept  # from a word's start, not mid-word
    return kept, [
        f"Your message is {len(message):,} characters long; the assistant read its last {len(kept):,} "
        f"to find the facts and answer, and the rest was cut."
    ]
