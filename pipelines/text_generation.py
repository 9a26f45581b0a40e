"""Text generation: chat answers (and base-model continuations) that stream token by token, stoppable."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipelines.catalog import default_model
from pipelines.chat_prompt import ChatMessage, FittedPrompt, as_dicts, fit_text_to_window, fit_to_window
from pipelines.errors import InputError
from pipelines.loader import ServedPipeline, get_pipeline, resolve_model
from pipelines.settings import load_settings

TASK = "text-generation"
MAX_NEW_TOKENS = 1024


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
    """Timing of one answer, measured from the call to generate."""

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
    stop_event: threading.Event
    text: str = ""
    stats: GenerationStats = field(default_factory=GenerationStats)
    _chunks: Iterator[str] | None = None

    def stop(self) -> None:
        """End generation after the current token; safe to call at any time, from any thread."""
        self.stop_event.set()

    def __iter__(self) -> Iterator[str]:
        assert self._chunks is not None, "a reply can be streamed once"
        chunks, self._chunks = self._chunks, None
        for chunk in chunks:
            self.text += chunk
            yield chunk


def is_chat_model(served: ServedPipeline) -> bool:
    """Instruction-tuned models ship a chat template; base models only continue text."""
    return served.pipeline.tokenizer.chat_template is not None


def chats(model: str | None = None) -> bool:
    """Whether `model` answers a conversation (True) or continues a text (False).

    A page asks this before anything is generated, so a model folder is read, not loaded.
    """
    name = model or default_model(TASK).name
    folder = Path(resolve_model(name, TASK).location)
    if not folder.is_dir():  # a hub id: only the loaded tokenizer can tell
        return is_chat_model(get_pipeline(name, TASK))
    config = folder / "tokenizer_config.json"
    in_config = config.is_file() and "chat_template" in json.loads(config.read_text(encoding="utf-8"))
    return in_config or (folder / "chat_template.jinja").is_file()


def _served(model: str | None, settings: GenerationSettings) -> ServedPipeline:
    settings.validate()
    return get_pipeline(model or default_model(TASK).name, TASK)


def _prompt_budget(served: ServedPipeline, settings: GenerationSettings) -> int:
    window = min(served.pipeline.model.config.max_position_embeddings, load_settings().chat_context_tokens)
    return window - settings.max_new_tokens


def _chat_prompt(
    served: ServedPipeline, system: str | None, history: list[ChatMessage], settings: GenerationSettings
) -> FittedPrompt:
    if not is_chat_model(served):
        raise InputError(
            f"{served.name} is a base model that continues text and has no chat format. "
            'Use it in "Continue a text" mode, or pick a chat model.'
        )
    return fit_to_window(system, history, served.pipeline.tokenizer, _prompt_budget(served, settings))


def stream_chat(
    history: list[ChatMessage],
    system: str | None = None,
    model: str | None = None,
    settings: GenerationSettings | None = None,
) -> StreamedReply:
    """Start answering the conversation; the returned reply yields text as tokens are generated.

    `reply.stop()`, or abandoning the iteration, ends generation early and frees the model.
    """
    settings = settings or GenerationSettings()
    served = _served(model, settings)
    prompt = _chat_prompt(served, system, history, settings)
    return _start_stream(served, as_dicts(prompt.messages), prompt, settings)


def stream_completion(text: str, model: str | None = None, settings: GenerationSettings | None = None) -> StreamedReply:
    """Continue `text` with a base model, streaming; the start of an over-long text is cut."""
    settings = settings or GenerationSettings()
    served = _served(model, settings)
    prompt = fit_text_to_window(text, served.pipeline.tokenizer, _prompt_budget(served, settings))
    return _start_stream(served, prompt.messages[0].content, prompt, settings)


def _start_stream(
    served: ServedPipeline, inputs: object, prompt: FittedPrompt, settings: GenerationSettings
) -> StreamedReply:
    """Run generate in a worker thread that feeds a token streamer the caller iterates."""
    from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

    reply = StreamedReply(prompt, served.name, threading.Event())

    class CountingStreamer(TextIteratorStreamer):
        """Counts new tokens and notes when the first one arrives."""

        def put(self, value: Any) -> None:
            if not self.next_tokens_are_prompt:
                reply.stats.new_tokens += value.numel()
                if reply.stats.first_token_seconds is None:
                    reply.stats.first_token_seconds = time.perf_counter() - started
            super().put(value)

    class StopWhenAsked(StoppingCriteria):
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> bool:
            return reply.stop_event.is_set()

    streamer = CountingStreamer(served.pipeline.tokenizer, skip_prompt=True, skip_special_tokens=True)
    failure: list[BaseException] = []

    def generate() -> None:
        try:
            served(
                inputs,
                streamer=streamer,
                stopping_criteria=StoppingCriteriaList([StopWhenAsked()]),
                **settings.generate_kwargs(),
            )
        except BaseException as error:  # surfaced in the consuming thread below
            failure.append(error)
            streamer.end()

    def chunks() -> Iterator[str]:
        finished = False
        try:
            for chunk in streamer:
                if chunk:
                    yield chunk
            finished = not reply.stop_event.is_set()
        finally:
            reply.stop()  # an abandoned stream (a closed page, a rerun) must not keep the model busy
            worker.join()
            reply.stats.seconds = time.perf_counter() - started
            reply.stats.stopped_early = not finished
        if failure:
            raise failure[0]

    started = time.perf_counter()
    worker = threading.Thread(target=generate, name=f"generate-{served.name}", daemon=True)
    worker.start()
    reply._chunks = chunks()
    return reply


def generate_reply(
    prompt: str,
    system: str | None = None,
    model: str | None = None,
    settings: GenerationSettings | None = None,
) -> str:
    """One answer (chat models) or continuation (base models) of one prompt, not streamed: the CLI's."""
    settings = settings or GenerationSettings()
    served = _served(model, settings)
    if not is_chat_model(served):
        fitted = fit_text_to_window(prompt, served.pipeline.tokenizer, _prompt_budget(served, settings))
        output = served(fitted.messages[0].content, return_full_text=False, **settings.generate_kwargs())
        return output[0]["generated_text"]
    fitted = _chat_prompt(served, system, [ChatMessage("user", prompt)], settings)
    output = served(as_dicts(fitted.messages), **settings.generate_kwargs())
    return output[0]["generated_text"][-1]["content"]
