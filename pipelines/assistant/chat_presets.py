"""System-prompt presets for the chat assistant, each with the decoding settings that suit it.

A 135M-parameter model needs help to stay on task: the customer-service preset hands it only the
facts retrieved for each question (`pipelines.assistant.replies`), checks its answer against them, and decodes
greedily with no repetition penalty, because the penalty also punishes the tokens of the facts and
pushes the model to invent ("a 20% discount") instead of quoting them. The free-form preset keeps a
mild penalty against the model's repeated lines.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.settings import ASSETS
from pipelines.tasks.text_generation import GenerationSettings

DEFAULT_FAQ = (ASSETS / "text" / "northwind_faq.md").read_text(encoding="utf-8")


@dataclass(frozen=True)
class ChatPreset:
    key: str
    label: str
    system: str  # "{context}" is replaced by the editable context box, when the preset has one
    settings: GenerationSettings
    examples: tuple[str, ...]
    default_context: str | None = None
    grounded: bool = False  # answers from the facts retrieved for each question, checked (pipelines.assistant.replies)

    def facts(self, context: str | None) -> str:
        """The editable context box, or the preset's own when the box was emptied."""
        return context if context is not None and context.strip() else self.default_context or ""

    def system_prompt(self, context: str | None = None) -> str:
        """The system prompt with the user's context (or the default one) filled in."""
        if self.default_context is None:
            return self.system
        return self.system.replace("{context}", self.facts(context).strip())


PRESETS: tuple[ChatPreset, ...] = (
    ChatPreset(
        key="customer-service",
        label="Customer service (Northwind Bikes)",
        system=(
            "You are a friendly customer-service assistant. Answer the customer in one or two sentences, using "
            "only the facts below and repeating their figures exactly. If they do not answer the question, say "
            "you don't know.\n\nFacts:\n{context}"
        ),
        settings=GenerationSettings(max_new_tokens=96, repetition_penalty=1.0),
        examples=(
            "How long is the warranty on the frame?",
            "How long does delivery take?",
            "Are you open on Sunday?",
        ),
        default_context=DEFAULT_FAQ,
        grounded=True,
    ),
    ChatPreset(
        key="free-form",
        label="Free-form assistant",
        system="You are a helpful, concise assistant.",
        settings=GenerationSettings(max_new_tokens=256, repetition_penalty=1.15),
        examples=(
            "What is the capital of France?",
            "Explain what a neural network is in two sentences.",
            "Give me three tips for a good presentation.",
        ),
    ),
    ChatPreset(
        key="explain-simply",
        label="Explain it to a ten-year-old",
        system="You explain things to a curious ten-year-old: short sentences, everyday words, one example.",
        settings=GenerationSettings(max_new_tokens=160, repetition_penalty=1.1),
        examples=("Why is the sky blue?", "What is electricity?", "How do planes fly?"),
    ),
)
CUSTOMER_SERVICE = PRESETS[0]

# Base models (no chat template) continue a text; sampling lightly keeps continuations from looping.
COMPLETION_SETTINGS = GenerationSettings(
    max_new_tokens=96, sample=True, temperature=0.7, top_p=0.9, repetition_penalty=1.1
)


COMPLETION_EXAMPLES = (
    "Once upon a time, in a small village by the sea,",
    "The three most important things to know about bicycles are",
    "Dear customer, thank you for your order. Your new bike",
)
