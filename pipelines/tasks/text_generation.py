"""Text generation: chat answers (and base-model continuations) that stream token by token, stoppable."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipelines.provisioning.catalog import default_model
from pipelines.serving.chat_prompt import ChatMessage, FittedPrompt
from pipelines.serving.chat_request import MAX_NEW_TOKENS as MAX_NEW_TOKENS  # the page's slider goes this far
from pipelines.serving.chat_request import TASK, ChatRequest, GenerationSettings
from pipelines.serving.loader import get_chat, resolve_model
from pipelines.serving.model_server import WaitCallback
from pipelines.serving.owners import AnswerStream, ChatOwner

_WAIT_POLL_SECONDS = 0.2


@dataclass
class GenerationStats:
    """Timing of one answer, measured from the moment it was submitted (waiting in line included)."""

    first_token_seconds: float | None = None
    new_tokens: int = 0
    seconds: float = 0.0
    stopped_early: bool = False

    @property
    def tokens_per_second(self) -> float:
        """Decoding speed after the first token (which also pays for reading the prompt)."""
        generating = self.seconds - (self.first_token_seconds or 0.0)
        return (self.new_tokens - 1) / generating if self.new_tokens > 1 and generating > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "tokens_per_second": self.tokens_per_second}


@dataclass
class StreamedReply:
    """A streamed answer: iterate it for text chunks; `text` and `stats` are complete afterwards."""

    prompt: FittedPrompt
    model: str
    stream: AnswerStream
    text: str = ""
    stats: GenerationStats = field(default_factory=GenerationStats)
    _started: bool = False

    def stop(self) -> None:
        """End generation after the current token and free the visitor's slot; safe at any time, from any thread."""
        self.stream.cancel()

    def ahead(self) -> int:
        """Answers the model starts before this one (0 once this one is being generated)."""
        return self.stream.ahead()

    @property
    def progress(self) -> float:
        return 0.0  # an answer's length is not known in advance

    def wait_for_first_token(self, on_wait: WaitCallback) -> None:
        """Call `on_wait(self)` every 0.2 s until the first token is ready; if it raises (Streamlit stopping
        a page whose visitor left), the reply stops and frees its slot."""
        try:
            while not self.stream.started(_WAIT_POLL_SECONDS):
                on_wait(self)
        except BaseException:
            self.stop()
            raise

    def __iter__(self) -> Iterator[str]:
        assert not self._started, "a reply can be streamed once"
        self._started = True
        finished = False
        try:
            for chunk in self.stream:
                self.text += chunk
                yield chunk
            finished = not self.stream.cancelled
        finally:
            self.stop()  # an abandoned stream (a closed page, a rerun) must not keep a slot
            self.stats.first_token_seconds = self.stream.first_token_seconds
            self.stats.new_tokens = self.stream.new_tokens
            self.stats.seconds = time.perf_counter() - self.stream.submitted
            self.stats.stopped_early = not finished


def chats(model: str | None = None) -> bool:
    """Whether `model` answers a conversation (True) or continues a text (False).

    A page asks this before anything is generated, so a model folder is read, not loaded.
    """
    name = model or default_model(TASK).name
    folder = Path(resolve_model(name, TASK).location)
    if not folder.is_dir():  # a hub id: only the loaded tokenizer can tell
        return _server(name).is_chat
    config = folder / "tokenizer_config.json"
    in_config = config.is_file() and "chat_template" in json.loads(config.read_text(encoding="utf-8"))
    return in_config or (folder / "chat_template.jinja").is_file()


def _reply(request: ChatRequest, model: str | None) -> StreamedReply:
    request.validate()  # before the model is asked for, so a bad request never loads one; owners check again
    owner = _server(model)
    prompt, stream = owner.start(request)
    return StreamedReply(prompt, owner.name, stream)


def _server(model: str | None) -> ChatOwner:
    return get_chat(model or default_model(TASK).name)


def stream_chat(
    history: list[ChatMessage],
    system: str | None = None,
    model: str | None = None,
    settings: GenerationSettings | None = None,
) -> StreamedReply:
    """Start answering the conversation; the returned reply yields text as tokens are generated.

    `reply.stop()`, or abandoning the iteration, ends generation early and frees the visitor's slot.
    A full queue refuses at once with a sentence (`ServerBusy`).
    """
    return _reply(ChatRequest(tuple(history), system, settings=settings or GenerationSettings()), model)


def stream_completion(text: str, model: str | None = None, settings: GenerationSettings | None = None) -> StreamedReply:
    """Continue `text` with a base model, streaming; the start of an over-long text is cut."""
    return _reply(ChatRequest(text=text, settings=settings or GenerationSettings()), model)


def generate_reply(
    prompt: str,
    system: str | None = None,
    model: str | None = None,
    settings: GenerationSettings | None = None,
) -> str:
    """One answer (chat models) or continuation (base models) of one prompt, not streamed: the CLI's."""
    settings = settings or GenerationSettings()
    if chats(model):
        return "".join(_reply(ChatRequest((ChatMessage("user", prompt),), system, settings=settings), model))
    return "".join(_reply(ChatRequest(text=prompt, settings=settings), model))
