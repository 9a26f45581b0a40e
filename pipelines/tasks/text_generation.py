"""Text generation: chat answers (and base-model continuations) that stream token by token, stoppable."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipelines.errors import InputError
from pipelines.provisioning.catalog import default_model
from pipelines.serving.chat_prompt import ChatMessage, FittedPrompt, validate_conversation
from pipelines.serving.chat_server import ChatServer, ChatStream
from pipelines.serving.loader import get_server, resolve_model
from pipelines.serving.model_server import WaitCallback
from pipelines.serving.remote import RemoteChatServer, RemoteChatStream
from pipelines.serving.request_limits import finite_number, whole_number
from pipelines.settings import load_settings

TASK = "text-generation"
MAX_NEW_TOKENS = 1024
MIN_PROMPT_TOKENS = 64  # the room a conversation keeps in the context whatever the answer's length
# Far past any context window (the prompt is fitted to 2,048 tokens): reading more only costs the tokenizer's time.
MAX_MESSAGES = 1_000
MAX_CONVERSATION_CHARACTERS = 500_000
_WAIT_POLL_SECONDS = 0.2


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
    stream: ChatStream | RemoteChatStream
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


ChatOwner = ChatServer | RemoteChatServer


@dataclass(frozen=True)
class Ask:
    """What a visitor asks: a conversation to answer (chat models) or, with `text`, a text to continue."""

    history: tuple[ChatMessage, ...] = ()
    system: str | None = None
    text: str | None = None

    def validate(self) -> None:
        """Refuse what no model should be handed: wrong types, or more text than any context could use."""
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

    def fit(self, server: ChatServer, settings: GenerationSettings) -> FittedPrompt:
        """The prompt the model reads, fitted to its window with room for the answer."""
        context = min(server.context_window, load_settings().chat_context_tokens)
        budget = context - settings.max_new_tokens
        if budget < MIN_PROMPT_TOKENS:
            raise InputError(
                f"Max new tokens ({settings.max_new_tokens}) leaves no room for the conversation in the chat's "
                f"context of {context} tokens (SHOWROOM_CHAT_CONTEXT_TOKENS, or the model's own window); ask "
                f"for at most {context - MIN_PROMPT_TOKENS}."
            )
        if self.text is not None:
            return server.fit_text(self.text, budget)
        if not server.is_chat:
            raise InputError(
                f"{server.name} is a base model that continues text and has no chat format. "
                'Use it in "Continue a text" mode, or pick a chat model.'
            )
        return server.fit_conversation(self.system, list(self.history), budget)


def request_json(ask: Ask, settings: GenerationSettings) -> dict[str, Any]:
    """A reply's request as the chat replica of the Serve application reads it (`read_request`)."""
    return {"ask": asdict(ask), "settings": asdict(settings)}


def read_request(body: Any) -> tuple[Ask, GenerationSettings]:
    """`request_json`'s value back, checked as a visitor's input is: a malformed one is one sentence."""
    try:
        ask = body["ask"]
        history = tuple(ChatMessage(**message) for message in ask["history"])
        settings = GenerationSettings(**body["settings"])
        request = Ask(history, ask["system"], ask["text"])
    except (KeyError, TypeError) as error:
        sentence = f"The request is not a conversation with its settings ({type(error).__name__}: {error})."
        raise InputError(sentence) from None
    settings.validate()
    return request, settings


def start_reply(server: ChatServer, ask: Ask, settings: GenerationSettings) -> StreamedReply:
    """Start the answer on this process's owner of the model (the chat replica calls this too)."""
    ask.validate()
    prompt = ask.fit(server, settings)
    return StreamedReply(prompt, server.name, server.submit(server.prompt_ids(prompt), asdict(settings)))


def _reply(ask: Ask, model: str | None, settings: GenerationSettings | None) -> StreamedReply:
    settings = settings or GenerationSettings()
    settings.validate()
    server = _server(model)
    if isinstance(server, ChatServer):
        return start_reply(server, ask, settings)
    prompt, stream = server.start(request_json(ask, settings))
    prompt["messages"] = [ChatMessage(**message) for message in prompt["messages"]]
    return StreamedReply(FittedPrompt(**prompt), server.name, stream)


def _server(model: str | None) -> ChatOwner:
    server = get_server(model or default_model(TASK).name, TASK)
    assert isinstance(server, ChatServer | RemoteChatServer)
    return server


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
    return _reply(Ask(tuple(history), system), model, settings)


def stream_completion(text: str, model: str | None = None, settings: GenerationSettings | None = None) -> StreamedReply:
    """Continue `text` with a base model, streaming; the start of an over-long text is cut."""
    return _reply(Ask(text=text), model, settings)


def generate_reply(
    prompt: str,
    system: str | None = None,
    model: str | None = None,
    settings: GenerationSettings | None = None,
) -> str:
    """One answer (chat models) or continuation (base models) of one prompt, not streamed: the CLI's."""
    ask = Ask((ChatMessage("user", prompt),), system) if chats(model) else Ask(text=prompt)
    return "".join(_reply(ask, model, settings))
