"""The chat model's owner: every visitor's answer generated together, by continuous batching.

transformers' `ContinuousBatchingManager` keeps one batch of all running answers and adds a new request
at the next decoding step instead of waiting for the batch to finish, so a visitor's first token comes
in a fraction of a second however many others are answering (see docs/serving.md, "Serving many visitors").
Its paged cache is sized explicitly (by default it would reserve a share of free memory) in pages of
32 tokens, so the customer-service preset's system prompt, the same for every visitor, is computed
once and shared by every request that starts with it (prefix sharing works on whole pages).

Each request brings its own settings: greedy or sampled (with its temperature and top-p), and its own
repetition penalty (`pipelines.runtime.cb_processors`).

The chat model is served in float32, although its folder holds float16: on a CPU batched float16 is
slow (no float16 matrix instructions: a decoding step for 16 answers takes 246 ms, 126 ms in float32,
one thread, SmolLM2), and bfloat16, faster still here (49 ms, on AVX512-BF16), rounds so coarsely that
a greedy answer changes with the other answers in its batch ("open Monday to Saturday" became "Monday
to Wednesday"), so two visitors asking the same question could be told different things. float32
answers do not depend on the batch (tests/test_serving.py); its weights stay in 16 bits, widened for each
product (`pipelines.runtime.half_stored`), so float32 costs no memory over float16. Figures:
`python -m benchmarks.bench_chat_serving`, `python -m benchmarks.bench_memory`.
"""

from __future__ import annotations

import contextlib
import itertools
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

from pipelines.errors import InputError, ModelNotAvailable, ServerBusy
from pipelines.serving.chat_prompt import ChatMessage, FittedPrompt, fit_text_to_window, fit_to_window, prompt_token_ids
from pipelines.serving.chat_request import TASK, ChatRequest
from pipelines.serving.model_server import ServingLimits, busy_sentence
from pipelines.settings import load_settings

CACHE_TOKENS = 3072  # KV cache for every running answer together (SHOWROOM_CHAT_CACHE_TOKENS's default)
STALL_SECONDS = 60.0  # an answer with no new token for this long is ended (SHOWROOM_CHAT_STALL_S's default)
PAGE_TOKENS = 32  # prefix sharing reuses whole pages, so a page must be much shorter than a system prompt
STEP_TOKENS = 256  # tokens per forward pass: a long prompt is read in slices between other answers' steps
SAMPLING_TOP_K = 50  # what `generate()` uses by default when sampling
_FINISHED_STATUSES = ("FINISHED", "FAILED")
_READ_SECONDS = 0.5  # how often a reader waiting for its next token looks whether anything still feeds it


class ChatStream:
    """One visitor's answer as it is generated: iterate it for text chunks."""

    def __init__(self, server: ChatServer, request_id: str) -> None:
        self.request_id = request_id
        self.submitted = time.perf_counter()
        self.first_token_seconds: float | None = None
        self.new_tokens = 0
        self.cancelled = False
        self.last_heard = time.monotonic()  # the latest output (or the submission), for the stall deadline
        self._server = server
        self._outputs: queue.Queue[Any] = queue.Queue()
        self._answered = threading.Event()  # the first output (or the end, or an error) has arrived
        self._finished = False

    def ahead(self) -> int:
        """Answers submitted before this one that are still waiting for their first token."""
        return self._server.waiting_ahead_of(self)

    def cancel(self) -> None:
        """Stop generating after the current step; the slot is free at once."""
        self._server.cancel(self)

    def started(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the first token; whether it (or the end, or an error) has come.
        A wait that times out looks whether anything still feeds this answer (`ChatServer.check_on`)."""
        if self._answered.wait(timeout):
            return True
        self._server.check_on(self)
        return self._answered.is_set()

    def __iter__(self) -> Iterator[str]:
        """Text as it is decoded; a token that ends mid-character waits for the next one."""
        sent = ""
        while not self._finished:
            output = self._latest_output()
            if output is None:  # cancelled, or the server closed
                break
            if isinstance(output, Exception):  # the server gave up on this answer: its sentence
                raise output
            if self.first_token_seconds is None:
                self.first_token_seconds = time.perf_counter() - self.submitted
            self.new_tokens = len(output.generated_tokens)
            if output.status.name == "FAILED":
                raise ModelNotAvailable(f"The chat model failed on this answer ({output.error}); ask again.")
            self._finished = output.status.name in _FINISHED_STATUSES
            text = self._server.decode(output.generated_tokens)
            if text.startswith(sent) and len(text) > len(sent) and not text.endswith("\ufffd"):
                yield text[len(sent) :]
                sent = text

    def _latest_output(self) -> Any:
        """The newest output waiting (each holds every token so far), so a reader that fell behind
        decodes and draws once, not once per token: under load that is most of the page's work. Every
        wait is bounded: the server's health and this answer's deadline are looked at twice a second."""
        while True:
            try:
                output = self._outputs.get(timeout=_READ_SECONDS)
                break
            except queue.Empty:
                self._server.check_on(self)
        while output is not None and not isinstance(output, Exception) and not self._outputs.empty():
            output = self._outputs.get_nowait()
        return output

    def _deliver(self, output: Any) -> None:
        self.last_heard = time.monotonic()
        self._outputs.put(output)
        self._answered.set()


class ChatServer:
    """The owner of a loaded text-generation pipeline: prompt fitting, admission and batched generation."""

    def __init__(
        self,
        name: str,
        label: str,
        pipeline: Any,
        limits: ServingLimits,
        share_prefix: bool = True,
        cache_tokens: int = CACHE_TOKENS,
        stall_seconds: float = STALL_SECONDS,
    ) -> None:
        self.name = name
        self.task = TASK
        self.label = label
        self.limits = limits
        # NOTE: the tokenizer is shared by every visitor's prompt fitting and decoding, and fast
        # tokenizers are not thread-safe: every use of it holds this lock. The model itself is only
        # run by the manager's generation thread.
        self._tokenizer = pipeline.tokenizer
        self._tokenizer_lock = threading.Lock()
        self.context_window: int = pipeline.model.config.max_position_embeddings
        self.is_chat = self._tokenizer.chat_template is not None
        self._streams: dict[str, ChatStream] = {}
        self._streams_lock = threading.Lock()
        self._ids = itertools.count()
        self._closed = False
        self.cache_tokens = cache_tokens
        self.stall_seconds = stall_seconds
        self._manager = _start_manager(pipeline.model, limits.max_batch, share_prefix, cache_tokens)
        self._router = threading.Thread(target=self._route, name=f"route-{name}", daemon=True)
        self._router.start()

    # Prompts: everything that reads the tokenizer happens here, under its lock.

    def fit_conversation(self, system: str | None, history: list[ChatMessage], budget: int) -> FittedPrompt:
        with self._tokenizer_lock:
            return fit_to_window(system, history, self._tokenizer, budget)

    def fit_text(self, text: str, budget: int) -> FittedPrompt:
        with self._tokenizer_lock:
            return fit_text_to_window(text, self._tokenizer, budget)

    def prompt_ids(self, prompt: FittedPrompt) -> list[int]:
        """The token ids the model reads: the chat template applied, or the plain text for base models."""
        with self._tokenizer_lock:
            if not self.is_chat:
                return self._tokenizer(prompt.messages[0].content)["input_ids"]
            return prompt_token_ids(prompt.messages, self._tokenizer)

    def decode(self, tokens: list[int]) -> str:
        with self._tokenizer_lock:
            return self._tokenizer.decode(tokens, skip_special_tokens=True)

    # Requests.

    def start(self, request: ChatRequest) -> tuple[FittedPrompt, ChatStream]:
        """Check the request, fit its prompt to the context with room for the answer, and start it: the
        chat owners' one way in, the same on a Serve replica (`pipelines.serving.remote.RemoteChatServer`)."""
        request.validate()
        budget = request.prompt_budget(min(self.context_window, load_settings().chat_context_tokens))
        if request.text is not None:
            prompt = self.fit_text(request.text, budget)
        elif not self.is_chat:
            raise InputError(
                f"{self.name} is a base model that continues text and has no chat format. "
                'Use it in "Continue a text" mode, or pick a chat model.'
            )
        else:
            prompt = self.fit_conversation(request.system, list(request.history), budget)
        return prompt, self.submit(self.prompt_ids(prompt), asdict(request.settings))

    def submit(self, prompt_ids: list[int], decoding: dict[str, Any]) -> ChatStream:
        """Start an answer; `decoding` holds max_new_tokens, sample, temperature, top_p, repetition_penalty.
        A request that could never be scheduled is refused at once, and one that fails half way takes
        nothing with it: its slot is free again before the error reaches the caller."""
        needed = len(prompt_ids) + int(decoding["max_new_tokens"])
        if needed > self.cache_tokens:
            raise InputError(
                f"This answer needs {needed:,} tokens (prompt and new tokens), more than the chat's cache holds "
                f"({self.cache_tokens:,}, SHOWROOM_CHAT_CACHE_TOKENS); shorten the conversation or ask for "
                "fewer tokens."
            )
        with self._streams_lock:
            if self._closed:
                raise ModelNotAvailable(f"{self.label} was just unloaded by the operator; try again.")
            if not self.healthy:
                raise ModelNotAvailable(self._stopped_sentence())
            if len(self._streams) >= self.limits.queue_size:
                raise ServerBusy(busy_sentence(self.label, len(self._streams)))
            stream = ChatStream(self, f"{self.name}-{next(self._ids)}")
            self._streams[stream.request_id] = stream
        sampled = decoding["sample"]
        try:
            accepted = self._manager.add_request(
                prompt_ids,
                request_id=stream.request_id,
                max_new_tokens=decoding["max_new_tokens"],
                streaming=True,
                temperature=float(decoding["temperature"]) if sampled else 1.0,
                top_p=float(decoding["top_p"]) if sampled else 1.0,
                repetition_penalty=float(decoding["repetition_penalty"]),
                greedy=not sampled,
            )
        except BaseException:
            self._forget(stream)
            raise
        if accepted is None:  # the manager is stopping and dropped it, with only a log line
            self._forget(stream)
            raise ModelNotAvailable(self._stopped_sentence())
        return stream

    @property
    def healthy(self) -> bool:
        """Whether the threads that generate and hand out answers are both alive."""
        return self._manager.is_running() and self._router.is_alive()

    def check_on(self, stream: ChatStream) -> None:
        """Called by a reader that has waited a while: end its answer with a sentence if nothing feeds it any
        more (a dead generation thread) or nothing came for `stall_seconds`; never wait for good."""
        if not self.healthy:
            self._give_up(stream, ModelNotAvailable(self._stopped_sentence()))
        elif time.monotonic() - stream.last_heard > self.stall_seconds:
            self._give_up(
                stream,
                ModelNotAvailable(
                    f"The {self.label} model sent nothing for {self.stall_seconds:g} s (SHOWROOM_CHAT_STALL_S), "
                    "so this answer was ended; try again."
                ),
            )

    def _give_up(self, stream: ChatStream, error: Exception) -> None:
        if self._forget(stream):
            stream.cancelled = True
            with contextlib.suppress(Exception):  # a dead manager may not take cancellations
                self._manager.cancel_request(stream.request_id)
        stream._deliver(error)

    def _forget(self, stream: ChatStream) -> bool:
        """Drop the stream from the ones holding a slot; whether it held one."""
        with self._streams_lock:
            return self._streams.pop(stream.request_id, None) is not None

    def _stopped_sentence(self) -> str:
        return (
            f"The {self.label} model stopped generating (its generation thread ended); the next request loads "
            "it again, so try once more."
        )

    def waiting_ahead_of(self, stream: ChatStream) -> int:
        with self._streams_lock:
            earlier = itertools.takewhile(lambda other: other is not stream, self._streams.values())
            return sum(not other.started(0) for other in earlier)

    def holding(self) -> int:
        with self._streams_lock:
            return len(self._streams)

    def cancel(self, stream: ChatStream) -> None:
        if not self._forget(stream):
            return
        stream.cancelled = True
        self._manager.cancel_request(stream.request_id)
        stream._deliver(None)

    def close(self) -> None:
        """Stop the generation thread; answers still running end where they are."""
        with self._streams_lock:
            self._closed = True
            streams = list(self._streams.values())
            self._streams.clear()
        for stream in streams:
            stream._deliver(None)
        self._manager.stop(block=True, timeout=30)

    def _route(self) -> None:
        """Hand each output of the manager to its visitor's stream (one shared queue comes out of it)."""
        while not self._closed:
            output = self._manager.get_result(timeout=0.1)
            if output is None:
                continue
            with self._streams_lock:
                stream = self._streams.get(output.request_id)
                if stream is not None and output.status.name in _FINISHED_STATUSES:
                    del self._streams[output.request_id]
            if stream is not None:
                stream._deliver(output)


def _start_manager(model: Any, max_batch: int, share_prefix: bool, cache_tokens: int) -> Any:
    from transformers import GenerationConfig
    from transformers.generation.configuration_utils import ContinuousBatchingConfig

    from pipelines.runtime import cb_processors

    eos = model.generation_config.eos_token_id
    # The manager samples, with no warpers of its own: each request's settings are applied by
    # pipelines.runtime.cb_processors, which also makes greedy requests exact.
    config = GenerationConfig(do_sample=True, top_k=None, eos_token_id=eos, pad_token_id=eos)
    batching = ContinuousBatchingConfig(
        page_size=PAGE_TOKENS,
        num_blocks=cache_tokens // PAGE_TOKENS,
        max_batch_tokens=STEP_TOKENS,
        max_requests_per_batch=max_batch,
        allow_block_sharing=share_prefix,
        use_cuda_graph=False,
        use_async_batching=False,
    )
    manager = model.init_continuous_batching(generation_config=config, continuous_batching_config=batching)
    cb_processors.install(manager, SAMPLING_TOP_K)
    # NOTE: a thread inherits its daemon flag and the manager its inference mode from the thread that
    # starts it: started from this daemon thread, the generation loop runs without autograd and never
    # keeps a finished CLI or test process from exiting.
    starter = threading.Thread(target=_start_in_inference_mode, args=(manager,), daemon=True)
    starter.start()
    starter.join()
    return manager


def _start_in_inference_mode(manager: Any) -> None:
    import torch

    with torch.inference_mode():
        manager.start()
