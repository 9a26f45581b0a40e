"""One owner per model: visitors submit requests, the owner serves them in batches.

A `ModelServer` holds a loaded pipeline and the only thread that calls it. Callers (pages, the CLI,
benchmarks) `submit` a request of one or more items (texts, images, audio windows) and get a `Ticket`
back: its own results, in order, its place in line and its progress, and a way to cancel it.

Batching is a property of the owner, not of the caller. An idle model waits a few milliseconds after a
request for others to join it; requests that arrive while it is busy are batched together as soon as it
is free. A batch holds at most `max_batch` items, so a visitor's big job (ten thousand CSV rows, a long
recording) is served a slice at a time and goes to the back of the line after each slice: everybody
else's requests take turns with it instead of waiting for all of it.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pipelines.errors import ModelNotAvailable, RequestCancelled, ServerBusy
from pipelines.runtime.memory import return_free_heap
from pipelines.serving.request_limits import check_request

RunBatch = Callable[[Any, list[Any], Hashable], list[Any]]


class Waiting(Protocol):
    """What a caller waiting for a model can show: its place in line and how much is done."""

    progress: float

    def ahead(self) -> int: ...


WaitCallback = Callable[[Waiting], None]
_POLL_SECONDS = 0.2  # how often a waiting caller hears its place in line (and may be interrupted)
_CLOSE_WAIT_SECONDS = 5.0  # an operator's "Unload" waits this long at most for queued requests


@dataclass(frozen=True)
class ServingLimits:
    """How a model batches: at most `max_batch` items a call, `queue_size` requests held, `window` seconds;
    its worker thread runs at Linux nice value `nice` (0: as the rest of the process)."""

    max_batch: int
    queue_size: int
    window_seconds: float
    nice: int = 0


def busy_sentence(label: str, holding: int) -> str:
    people = "1 person" if holding == 1 else f"{holding} people"
    return f"The {label} model is answering {people} right now; try again in a moment."


def lower_priority(nice: int) -> None:
    """Lower the calling thread to nice value `nice`: Linux schedules each thread by its own value, and
    any process may lower its threads' priority. A thread already as low, or another system, is left as is."""
    if nice <= 0 or not hasattr(os, "setpriority"):
        return
    thread = threading.get_native_id()
    with contextlib.suppress(OSError):
        if os.getpriority(os.PRIO_PROCESS, thread) < nice:
            os.setpriority(os.PRIO_PROCESS, thread, nice)


class Ticket:
    """One visitor's request: its items are served in order, possibly over several batches."""

    def __init__(self, server: ModelServer, items: Sequence[Any], options: Hashable) -> None:
        self.items = list(items)
        self.options = options
        self.submitted = time.monotonic()
        self._server = server
        self._results: list[Any] = [None] * len(self.items)
        self._served = 0  # items answered so far
        self._taken = 0  # items handed to a batch so far
        self._error: BaseException | None = None
        self._finished = threading.Event()
        self._when_done: list[Callable[[], None]] = []
        self._when_done_lock = threading.Lock()

    @property
    def progress(self) -> float:
        """The share of its items answered so far, 0 to 1."""
        return self._served / len(self.items) if self.items else 1.0

    @property
    def done(self) -> bool:
        return self._finished.is_set()

    def ahead(self) -> int:
        """Requests the model serves before this one (0 once it is being served or done)."""
        return self._server.requests_ahead_of(self)

    def cancel(self) -> None:
        """Withdraw the request: its slot in the queue is free at once; safe to call at any time."""
        self._server.withdraw(self)

    def result(self, on_wait: WaitCallback | None = None) -> list[Any]:
        """Wait for every item's result, in order; `on_wait` is called while waiting, every 0.2 s.

        A waiting caller that is interrupted (an exception from `on_wait`, such as Streamlit stopping a
        page) cancels the request, so a visitor who leaves frees the slot.
        """
        try:
            while not self._finished.wait(_POLL_SECONDS):
                if not self._server.healthy:  # its worker thread is gone: nothing will ever answer
                    self._server.withdraw(self, ModelNotAvailable(self._server.stopped_sentence()))
                elif on_wait is not None:
                    on_wait(self)
        finally:
            if not self._finished.is_set():
                self.cancel()
        if self._error is not None:
            raise self._error
        return self._results

    def when_done(self, callback: Callable[[], None]) -> None:
        """Call `callback` once the request is finished (now, if it is), so an asynchronous caller is
        woken instead of looking again and again. It runs on the model's worker thread: keep it quick."""
        with self._when_done_lock:
            if not self._finished.is_set():
                self._when_done.append(callback)
                return
        callback()

    def _finish(self, error: BaseException | None = None) -> None:
        self._error = error
        with self._when_done_lock:
            self._finished.set()
            callbacks, self._when_done = self._when_done, []
        for callback in callbacks:
            callback()


class ModelServer:
    """The owner of one loaded pipeline: a bounded queue in front of one worker thread."""

    def __init__(self, name: str, task: str, label: str, pipeline: Any, run_batch: RunBatch, limits: ServingLimits):
        self.name = name
        self.task = task
        self.label = label
        self.limits = limits
        # NOTE: `pipeline` is only ever called from the worker thread below, so its tokenizer (fast
        # tokenizers are not thread-safe) and its per-call state never see two callers at once.
        self._pipeline = pipeline
        self._run_batch = run_batch
        self._waiting: deque[Ticket] = deque()
        self._serving: list[Ticket] = []
        self._closed = False
        self._changed = threading.Condition()
        self._worker = threading.Thread(target=self._serve, name=f"serve-{name}", daemon=True)
        self._worker.start()

    def submit(self, items: Sequence[Any], options: Hashable = ()) -> Ticket:
        """Queue a request; a full queue refuses it at once with a sentence (`ServerBusy`), and so does a
        request past the task's limits (`InputError`, `pipelines.serving.request_limits`): a Serve replica's
        callers are not only the dashboard."""
        check_request(self.task, items, options)
        ticket = Ticket(self, items, options)
        with self._changed:
            if self._closed:
                raise ModelNotAvailable(f"{self.label} was just unloaded by the operator; try again.")
            if not self.healthy:
                raise ModelNotAvailable(self.stopped_sentence())
            holding = len(self._waiting) + len(self._serving)
            if holding >= self.limits.queue_size:
                raise ServerBusy(busy_sentence(self.label, holding))
            if not ticket.items:
                ticket._finish()
                return ticket
            self._waiting.append(ticket)
            self._changed.notify_all()
        return ticket

    def run(self, items: Sequence[Any], options: Hashable = (), on_wait: WaitCallback | None = None) -> list[Any]:
        """Submit and wait: the results of `items`, in order."""
        return self.submit(items, options).result(on_wait)

    def requests_ahead_of(self, ticket: Ticket) -> int:
        with self._changed:
            if ticket in self._serving or ticket.done:
                return 0
            try:
                return len(self._serving) + self._waiting.index(ticket)
            except ValueError:
                return 0

    def holding(self) -> int:
        """Requests running or waiting right now."""
        with self._changed:
            return len(self._waiting) + len(self._serving)

    @property
    def healthy(self) -> bool:
        """Whether the worker thread that answers requests is alive."""
        return self._worker.is_alive()

    def stopped_sentence(self) -> str:
        return f"The {self.label} model stopped answering; the next request loads it again, so try once more."

    def withdraw(self, ticket: Ticket, reason: BaseException | None = None) -> None:
        """Take the ticket out of line and finish it (cancelled, unless `reason` says otherwise)."""
        with self._changed:
            if ticket.done:
                return
            if ticket in self._waiting:
                self._waiting.remove(ticket)
            if ticket in self._serving:
                self._serving.remove(ticket)  # its slice still runs; its results are dropped
            ticket._finish(reason or RequestCancelled("The request was cancelled before it was answered."))
            self._changed.notify_all()  # a worker waiting for company for this request looks at the line again

    def close(self) -> None:
        """Stop accepting requests; the worker answers what is queued, then lets go of the pipeline."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        self._worker.join(timeout=_CLOSE_WAIT_SECONDS)

    def _serve(self) -> None:
        lower_priority(self.limits.nice)
        while (batch := self._next_batch()) is not None:
            self._answer(batch)
            if not self._waiting:
                return_free_heap()  # a batch's working memory goes back before the model idles
        self._pipeline = None

    def _next_batch(self) -> list[tuple[Ticket, int, int]] | None:
        """Slices (ticket, start, stop) of at most `max_batch` items sharing the first request's options; never
        empty: a first request withdrawn while it waited for company (a visitor who left) leaves the others in line."""
        with self._changed:
            while True:
                while not self._waiting:
                    if self._closed:
                        return None
                    self._changed.wait()
                first = self._waiting[0]
                deadline = first.submitted + self.limits.window_seconds
                # A lone request waits a few ms for company; requests that queued while the model was busy don't.
                while first in self._waiting and self._pending_items(first.options) < self.limits.max_batch:
                    if (left := deadline - time.monotonic()) <= 0:
                        break
                    self._changed.wait(left)
                if first in self._waiting:
                    return self._take(first.options)

    def _take(self, options: Hashable) -> list[tuple[Ticket, int, int]]:
        """Out of the line, in order: slices of the waiting requests with `options`, `max_batch` items at most."""
        batch, room = [], self.limits.max_batch
        for ticket in list(self._waiting):
            if room == 0:
                break
            if ticket.options != options:
                continue
            start = ticket._taken
            stop = min(len(ticket.items), start + room)
            ticket._taken = stop
            room -= stop - start
            batch.append((ticket, start, stop))
            self._waiting.remove(ticket)
            self._serving.append(ticket)
        return batch

    def _pending_items(self, options: Hashable) -> int:
        return sum(len(ticket.items) - ticket._taken for ticket in self._waiting if ticket.options == options)

    def _answer(self, batch: list[tuple[Ticket, int, int]]) -> None:
        options = batch[0][0].options
        items = [item for ticket, start, stop in batch for item in ticket.items[start:stop]]
        try:
            outputs = self._run_batch(self._pipeline, items, options)
        except Exception as error:
            if len(batch) == 1:
                self._settle(batch[0][0], error=error)
                return
            for part in batch:  # someone's item broke the batch: serve each request alone, so only theirs fails
                self._answer([part])
            return
        offset = 0
        for ticket, start, stop in batch:
            ticket._results[start:stop] = outputs[offset : offset + stop - start]
            ticket._served = stop
            offset += stop - start
            self._settle(ticket)

    def _settle(self, ticket: Ticket, error: BaseException | None = None) -> None:
        """After a slice: finish the ticket, or send it to the back of the line for its next slice."""
        with self._changed:
            if ticket not in self._serving:
                return  # cancelled while its slice ran
            self._serving.remove(ticket)
            if error is None and ticket._taken < len(ticket.items):
                self._waiting.append(ticket)
                self._changed.notify_all()
                return
        ticket._finish(error)
