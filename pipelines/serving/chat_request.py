"""What a visitor asks the chat model, and how to decode it: one value, checked the same way in this
process and on a Serve replica, so whichever owner answers, the task hands it the same thing."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from pipelines.errors import InputError
from pipelines.serving.chat_prompt import ChatMessage, FittedPrompt, validate_conversation
from pipelines.serving.request_limits import finite_number, whole_number

TASK = "text-generation"  # the chat's task in the catalog
MAX_NEW_TOKENS = 1024
MIN_PROMPT_TOKENS = 64  # the room a conversation keeps in the context whatever the answer's length
# Far past any context window (the prompt is fitted to 2,048 tokens): reading more only costs the tokenizer's time.
MAX_MESSAGES = 1_000
MAX_CONVERSATION_CHARACTERS = 500_000


@dataclass(frozen=True)
class GenerationSettings:
    """Decoding parameters; the defaults are greedy with a mild repetition penalty, because
    SmolLM2 otherwise tends to repeat whole lines in longer answers."""

    max_new_tokens: int = 256
    sample: bool = False
    temperature: float = 0.7
    top_p: float = 0.9
    repetition_penalty: float = 1.15

    def validate(self) -> None:
        numbers = (self.temperature, self.top_p, self.repetition_penalty)
        whole = whole_number(self.max_new_tokens)
        if not whole or not isinstance(self.sample, bool) or not all(finite_number(number) for number in numbers):
            raise InputError(
                "The settings must be max_new_tokens (a whole number), sample (true or false), and temperature, "
                "top_p and repetition_penalty (numbers)."
            )
        if not 1 <= self.max_new_tokens <= MAX_NEW_TOKENS:
            raise InputError(f"Max new tokens must be between 1 and {MAX_NEW_TOKENS}; got {self.max_new_tokens}.")
        if self.sample and not 0 < self.temperature <= 2:
            raise InputError(f"The temperature must be above 0 and at most 2; got {self.temperature}.")
        if not 0 < self.top_p <= 1:
            raise InputError(f"Top-p must be above 0 and at most 1; got {self.top_p}.")
        if not 1 <= self.repetition_penalty <= 2:
            raise InputError(f"The repetition penalty must be between 1 and 2; got {self.repetition_penalty}.")

    def generate_kwargs(self) -> dict[str, Any]:
        sampling = {"temperature": self.temperature, "top_p": self.top_p} if self.sample else {}
        return {
            "max_new_tokens": self.max_new_tokens,
            "do_sample": self.sample,
            "repetition_penalty": self.repetition_penalty,
            **sampling,
        }


@dataclass(frozen=True)
class ChatRequest:
    """A conversation to answer (chat models) or, with `text`, a text to continue, with its decoding."""

    history: tuple[ChatMessage, ...] = ()
    system: str | None = None
    text: str | None = None
    settings: GenerationSettings = field(default_factory=GenerationSettings)

    def validate(self) -> None:
        """Refuse what no model should be handed: wrong types, or more text than any context could use."""
        self.settings.validate()
        if not all(isinstance(value, str | None) for value in (self.system, self.text)):
            raise InputError("The system prompt and the text must be texts.")
        messages = len(self.history)
        characters = sum(len(message.content) for message in self.history if isinstance(message.content, str))
        characters += len(self.system or "") + len(self.text or "")
        if messages > MAX_MESSAGES or characters > MAX_CONVERSATION_CHARACTERS:
            raise InputError(
                f"The conversation holds {messages:,} messages and {characters:,} characters; at most "
                f"{MAX_MESSAGES:,} messages and {MAX_CONVERSATION_CHARACTERS:,} characters are read."
            )
        if self.text is None:
            validate_conversation(list(self.history))

    def prompt_budget(self, context: int) -> int:
        """The tokens the prompt may take in a context of `context`, leaving room for the answer."""
        budget = context - self.settings.max_new_tokens
        if budget < MIN_PROMPT_TOKENS:
            raise InputError(
                f"Max new tokens ({self.settings.max_new_tokens}) leaves no room for the conversation in the chat's "
                f"context of {context} tokens (SHOWROOM_CHAT_CONTEXT_TOKENS, or the model's own window); ask "
                f"for at most {context - MIN_PROMPT_TOKENS}."
            )
        return budget

    def as_json(self) -> dict[str, Any]:
        """The request as the chat replica of the Serve application reads it (`from_json`)."""
        ask = {"history": [asdict(message) for message in self.history], "system": self.system, "text": self.text}
        return {"ask": ask, "settings": asdict(self.settings)}

    @classmethod
    def from_json(cls, body: Any) -> ChatRequest:
        """`as_json`'s value back; a malformed one is one sentence (its values are checked by `validate`)."""
        try:
            ask = body["ask"]
            history = tuple(ChatMessage(**message) for message in ask["history"])
            request = cls(history, ask["system"], ask["text"], GenerationSettings(**body["settings"]))
        except (KeyError, TypeError) as error:
            sentence = f"The request is not a conversation with its settings ({type(error).__name__}: {error})."
            raise InputError(sentence) from None
        return request


def prompt_from_json(prompt: dict[str, Any]) -> FittedPrompt:
    """A fitted prompt as a replica reports it, back into the value the in-process owner returns."""
    messages = [ChatMessage(**message) for message in prompt["messages"]]
    return FittedPrompt(**{**prompt, "messages": messages})
