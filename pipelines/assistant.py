"""The customer-service assistant: answers from the retrieved facts, checked, cited, or declined.

A question first retrieves its fact (`pipelines.facts`). Below the similarity threshold the assistant
declines without asking the model, which would invent an answer; above it the model answers from that
fact alone, streamed; then the grounding guard (`pipelines.grounding`) compares the answer with the
fact, and a failed check replaces the answer with the fact itself. Every answer carries its sources.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.chat_presets import CUSTOMER_SERVICE
from pipelines.chat_prompt import ChatMessage, validate_conversation
from pipelines.facts import Retrieved, fact_index
from pipelines.grounding import check
from pipelines.text_generation import GenerationSettings, StreamedReply, stream_chat

# Chosen on the Northwind question set (assets/text/northwind_questions.json) as the threshold that
# separates its answerable from its unanswerable questions best; `python -m pipelines.assistant_report`
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
    """One answer of the assistant: stream `reply` (when the model is asked), `settle()`, then read `text`.

    `declined` answers never reach the model; `replaced` ones were streamed but failed the guard, so
    the fact is shown instead, and `problems` says why, for the note under the answer.
    """

    sources: list[Retrieved]
    reply: StreamedReply | None = None
    declined: bool = False
    replaced: bool = False
    problems: list[str] = field(default_factory=list)
    text: str = ""
    notices: list[str] = field(default_factory=list)

    def settle(self) -> None:
        """Check the streamed answer (once `reply` has been iterated to its end) and set `text`: the
        model's words if they pass the guard, the facts it was given if not. A stopped answer stays as it is."""
        if self.reply is None:
            return
        answer = self.reply.text
        if self.reply.stats.stopped_early:
            self.text = answer
            return
        verdict = check(answer, self.source_texts)
        self.replaced, self.problems = not verdict.grounded, verdict.problems
        self.text = answer.strip() if verdict.grounded else FALLBACK.format(fact=self.quoted)

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
