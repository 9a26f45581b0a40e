"""The two ways a task talks to a model's owner, whichever process holds the model: a task types its
owner with these, so it never names a transport (`ModelServer` and `ChatServer` here, `RemoteServer` and
`RemoteChatServer` on the Serve application) and never asks which one it holds."""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from typing import Any, Protocol

from pipelines.serving.chat_prompt import FittedPrompt
from pipelines.serving.chat_request import ChatRequest
from pipelines.serving.model_server import WaitCallback


class ModelOwner(Protocol):
    """Every model but the chat: items in, one result per item out, batched with other visitors'."""

    name: str
    task: str

    def run(self, items: Sequence[Any], options: Hashable = (), on_wait: WaitCallback | None = None) -> list[Any]:
        """The results; `on_wait` hears the request's place in line and progress while it waits."""
        ...


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
