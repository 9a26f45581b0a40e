"""The chat's owner as a task sees it, whichever process holds the model: the task types its owner with
these, so it never names a transport (`ChatServer` here, `RemoteChatServer` on the Serve application) and
never asks which one it holds. Every other owner has one method, `run(items, options, on_wait)`, the
same in process (`ModelServer`) and on Serve (`RemoteServer`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from pipelines.serving.chat_prompt import FittedPrompt
from pipelines.serving.chat_request import ChatRequest


class AnswerStream(Protocol):
    """One visitor's answer as it is generated."""

    submitted: float
    first_token_seconds: float | None
    new_tokens: int
    cancelled: bool

    def ahead(self) -> int:
        """Answers the model starts before this one."""
        ...

    def started(self, timeout: float) -> bool:
        """Whether the first token (or the end, or an error) arrived within `timeout` seconds."""
        ...

    def cancel(self) -> None:
        """Stop generating and free the slot."""
        ...

    def __iter__(self) -> Iterator[str]: ...


class ChatOwner(Protocol):
    """The chat model: one request in, its fitted prompt and a stream of its answer out."""

    name: str

    @property
    def is_chat(self) -> bool:
        """Whether the model answers conversations (else it continues texts)."""
        ...

    def start(self, request: ChatRequest) -> tuple[FittedPrompt, AnswerStream]:
        """Check the request and start it; bad input and a full queue raise here, before anything streams."""
        ...
