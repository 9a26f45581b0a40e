"""Fitting a conversation into a model's context window, before any token is generated.

Small chat models forget nothing gracefully: an over-long prompt either errors or silently loses
its start. So the oldest turns are dropped first, whole, and only a single message that alone is
too long is cut; both are reported, so the page can say what the model did not see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pipelines.errors import InputError
from pipelines.media.unicode_text import well_formed

Role = Literal["system", "user", "assistant"]
# Decoding cut tokens and encoding them again can merge or split a few: leave room for that.
_RETOKENIZE_SLACK = 8


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str


@dataclass(frozen=True)
class FittedPrompt:
    """The messages the model will see, and what had to go to fit its window."""

    messages: list[ChatMessage]
    prompt_tokens: int
    dropped_messages: int = 0
    truncated_tokens: int = 0  # cut from the newest message (or text) when it alone was too long
    cut_from: Literal["start", "end"] = "end"

    @property
    def notices(self) -> list[str]:
        """Sentences for the user about anything the model will not see."""
        notices = []
        if self.dropped_messages:
            notices.append(
                f"The conversation is longer than the model's context window, so the oldest "
                f"{self.dropped_messages} message(s) were left out of this answer."
            )
        if self.truncated_tokens:
            which = "last" if self.cut_from == "end" else "first"
            notices.append(
                f"Your text was too long for the model's context window; its {which} "
                f"{self.truncated_tokens:,} tokens were cut."
            )
        return notices


def validate_conversation(messages: list[ChatMessage]) -> None:
    """Refuse conversations that cannot be answered, with a sentence saying why."""
    for message in messages:
        if message.role not in ("system", "user", "assistant") or not isinstance(message.content, str):
            raise InputError('Every message must have a role ("system", "user" or "assistant") and a text.')
    if not messages or messages[-1].role != "user":
        raise InputError("The conversation must end with a message from the user.")
    if not messages[-1].content.strip():
        raise InputError("The message is empty. Type a question or an instruction for the assistant.")


def fit_to_window(system: str | None, history: list[ChatMessage], tokenizer: Any, budget: int) -> FittedPrompt:
    """Drop the oldest turns, then cut the newest message, until the prompt fits `budget` tokens."""
    validate_conversation(history)
    system_messages = [ChatMessage("system", well_formed(system))] if system and system.strip() else []
    kept = [ChatMessage(message.role, well_formed(message.content)) for message in history]
    while True:
        messages = system_messages + kept
        tokens = count_prompt_tokens(messages, tokenizer)
        if tokens <= budget or len(kept) == 1:
            break
        kept = kept[1:]
        while kept and kept[0].role != "user":  # never start on an assistant turn
            kept = kept[1:]
    dropped = len(history) - len(kept)
    if tokens <= budget:
        return FittedPrompt(messages, tokens, dropped)
    newest = kept[-1]
    content_ids = tokenizer(newest.content, add_special_tokens=False)["input_ids"]
    overflow = tokens - budget + _RETOKENIZE_SLACK
    if overflow >= len(content_ids):
        raise InputError("The system prompt alone fills the model's context window. Shorten it and try again.")
    cut = ChatMessage("user", tokenizer.decode(content_ids[: len(content_ids) - overflow]))
    messages = [*system_messages, cut]
    return FittedPrompt(messages, count_prompt_tokens(messages, tokenizer), dropped, overflow)


def fit_text_to_window(text: str, tokenizer: Any, budget: int) -> FittedPrompt:
    """Keep the end of a text to continue (what the continuation depends on) within `budget` tokens."""
    if not text.strip():
        raise InputError("The text is empty. Type the beginning of a text for the model to continue.")
    text = well_formed(text)
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    if len(ids) <= budget:
        return FittedPrompt([ChatMessage("user", text)], len(ids))
    kept = tokenizer.decode(ids[len(ids) - budget :])
    return FittedPrompt([ChatMessage("user", kept)], budget, truncated_tokens=len(ids) - budget, cut_from="start")


def prompt_token_ids(messages: list[ChatMessage], tokenizer: Any) -> list[int]:
    """The prompt exactly as the model will receive it, chat template included."""
    rendered = tokenizer.apply_chat_template(as_dicts(messages), add_generation_prompt=True, tokenize=True)
    return list(rendered if isinstance(rendered, list) else rendered["input_ids"])


def count_prompt_tokens(messages: list[ChatMessage], tokenizer: Any) -> int:
    return len(prompt_token_ids(messages, tokenizer))


def as_dicts(messages: list[ChatMessage]) -> list[dict[str, str]]:
    return [{"role": message.role, "content": message.content} for message in messages]
