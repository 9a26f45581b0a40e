"""A model served by the Ray Serve application (`pipelines.scaleout.app`) at SHOWROOM_SERVE_URL, seen from
the dashboard or the CLI: the in-process owner's `run` for every task, and for the chat a reply that
streams its text as the replica generates it. Same items in, same results out, same sentences on bad input.

HTTP or HTTPS by httpx: a dashboard pointed at a Serve URL never imports Ray. Each request
carries the model server's token (`Authorization: Bearer`), which its replicas ask for. Every wait is
bounded: the replica sends a line every 0.2 s while a request waits, so a server that stops answering is
noticed within SHOWROOM_SERVE_TIMEOUT_S seconds and reported in one sentence, never waited on forever.
"""

from __future__ import annotations

import contextlib
import functools
import json
import queue
import socket
import ssl
import threading
import time
from collections.abc import Generator, Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from pipelines import errors
from pipelines.serving.chat_prompt import FittedPrompt
from pipelines.serving.chat_request import TASK as CHAT_TASK
from pipelines.serving.chat_request import ChatRequest, prompt_from_json
from pipelines.serving.model_server import WaitCallback
from pipelines.serving.wire import decode, encode

_KINDS: dict[str, type[Exception]] = {
    kind.__name__: kind
    for kind in (errors.InputError, errors.ModelNotAvailable, errors.ServerBusy, errors.RequestCancelled)
}


@dataclass
class _Waiting:
    """The replica's last word on a waiting request, in the shape `on_wait` callbacks read."""

    places_ahead: int
    progress: float

    def ahead(self) -> int:
        return self.places_ahead


class _NotServed(errors.ModelNotAvailable):
    """Serve's proxy knows no application at the model's route."""


class _Exchange:
    """One request to the replica and its answer, line by line; `hang_up` ends it from any thread, `close`
    from the thread that reads it."""

    def __init__(self, model: _RemoteModel, response: httpx.Response) -> None:
        self._model = model
        self._response = response

    def events(self) -> Generator[dict[str, Any]]:
        """The answer's JSON lines; an error line raises the replica's own sentence. Once the last line (a
        result, or the chat's end) is read, the answer is read to its end, so its connection serves the next one."""
        lines, last = self._response.iter_lines(), False
        try:
            for line in lines:
                if not line:
                    continue
                try:
                    event = json.loads(line)
                except ValueError:
                    sentence = f"{self._model.url} answered, but not as Showroom's model server."
                    raise errors.ModelNotAvailable(sentence) from None
                if "error" in event:
                    raise _error(event)
                last = "results" in event or "end" in event
                yield event
        except (OSError, httpx.HTTPError) as error:
            raise self._model.unreachable(error) from None
        finally:
            self.close(lines if last else None)
        raise errors.ModelNotAvailable(f"The model server at {self._model.url} hung up before answering.")

    def hang_up(self) -> None:
        """Shut the connection down, which cancels the request on the replica and wakes a thread blocked
        reading it (closing the response from another thread would pull it from under that thread's read)."""
        stream = self._response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def close(self, rest: Iterator[bytes | str] | None = None) -> None:
        """Give the connection back for the next request once `rest` (what is left of a finished answer: its
        end) is read; without it, hang up: the replica cancels what it was doing, and the connection is dropped."""
        finished = False
        if rest is not None:
            with contextlib.suppress(OSError, httpx.HTTPError, errors.ShowroomError):
                finished = not any(rest)  # nothing follows the last line but the end of the stream
        if not finished:
            self.hang_up()
        with contextlib.suppress(OSError, httpx.HTTPError):
            self._response.close()


class _RemoteModel:
    """What every model on the Serve application shares: where it is, and how its refusals read."""

    def __init__(self, url: str, name: str, task: str | None, timeout_seconds: float, token: str = "") -> None:
        self.url = url.rstrip("/")
        self.name = name
        self.task = task
        self.label = name
        self.timeout_seconds = timeout_seconds
        self._token = token

    def _exchange(self, body: bytes | None) -> _Exchange:
        """POST `body` (GET without one); an HTTP error status raises the replica's sentence."""
        headers = {"Content-Type": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        client = _client(self.timeout_seconds)
        request = client.build_request(
            "GET" if body is None else "POST",
            f"{self.url}/models/{quote(self.name, safe='')}",
            content=body,
            headers=headers,
        )
        try:
            try:
                response = client.send(request, stream=True)
            except (httpx.WriteError, httpx.RemoteProtocolError, httpx.ReadError):
                # A kept-open connection the server closed as the request left (its idle timeout): once more,
                # on a new one; a second hang-up is the server's answer.
                response = client.send(request, stream=True)
        except (httpx.WriteError, httpx.RemoteProtocolError, httpx.ReadError):
            raise self._why_it_hung_up() from None  # it answered before reading the whole request
        except (OSError, httpx.HTTPError) as error:
            raise self.unreachable(error) from None
        if response.status_code >= 400:
            try:
                refusal = self._refusal(response.status_code, response.read())
            except (OSError, httpx.HTTPError) as error:
                refusal = self.unreachable(error)
            response.close()
            raise refusal
        return _Exchange(self, response)

    def unreachable(self, error: BaseException) -> errors.ModelNotAvailable:
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        return errors.ModelNotAvailable(
            f"The model server at {self.url} did not answer for {self.name} ({reason}); "
            "ask the operator to check it (`python -m pipelines serve status`, with --address on a cluster)."
        )

    def _why_it_hung_up(self) -> Exception:
        """Serve's proxy refuses a model it does not serve before the request is sent: ask again, small."""
        try:
            self._exchange(b"{}").close()
        except _NotServed as refusal:
            return refusal
        except errors.ShowroomError:
            pass
        return errors.ModelNotAvailable(f"The model server at {self.url} hung up on the request for {self.name}.")

    def _refusal(self, status: int, body: bytes) -> Exception:
        """An HTTP error status: the replica's own sentence, or, from Serve's proxy, an unknown model."""
        try:
            return _error(json.loads(body))
        except (ValueError, KeyError, TypeError):
            if status == 404:
                return _NotServed(f"The model server at {self.url} does not serve '{self.name}'.")
            return errors.ModelNotAvailable(f"The model server at {self.url} refused {self.name} (HTTP {status}).")


class RemoteServer(_RemoteModel):
    """The owner of `name` on the Serve application, with the in-process owner's `run`."""

    def run(self, items: Sequence[Any], options: Hashable = (), on_wait: WaitCallback | None = None) -> list[Any]:
        """Every item's result, in order; an exception from `on_wait` (a visitor leaving) hangs up,
        which cancels the request on the replica."""
        body = json.dumps({"items": encode(list(items)), "options": encode(options)}).encode()
        with contextlib.closing(self._exchange(body).events()) as events:
            for event in events:
                if "results" in event:
                    return decode(event["results"])
                if on_wait is not None:
                    on_wait(_Waiting(int(event["ahead"]), float(event["progress"])))
        raise AssertionError("events() ends with a result or an error")


class RemoteChatServer(_RemoteModel):
    """The chat on the Serve application. The replica fits the prompt with its tokenizer and streams the
    answer: the dashboard needs neither the model nor its tokenizer."""

    def __init__(self, url: str, name: str, timeout_seconds: float, token: str = "") -> None:
        super().__init__(url, name, CHAT_TASK, timeout_seconds, token)
        self._facts: dict[str, Any] | None = None

    @property
    def is_chat(self) -> bool:
        """Whether the model answers conversations (else it continues texts), asked once."""
        if self._facts is None:
            exchange = self._exchange(None)
            try:
                self._facts = next(exchange.events())
            finally:
                exchange.close()
        return bool(self._facts["is_chat"])

    def start(self, request: ChatRequest) -> tuple[FittedPrompt, RemoteChatStream]:
        """The fitted prompt (as the replica reports it) and the answer's stream; bad input and a full
        queue raise here, before anything streams, as in-process (`ChatServer.start`)."""
        submitted = time.perf_counter()
        exchange = self._exchange(json.dumps(request.as_json()).encode())
        events = exchange.events()
        prompt = next(events)["prompt"]
        return prompt_from_json(prompt), RemoteChatStream(exchange, events, submitted)


class RemoteChatStream:
    """One visitor's answer arriving over HTTP, with the in-process `ChatStream`'s interface. A thread
    reads the connection, so waiting for the first token takes a timeout and stopping is immediate."""

    def __init__(self, exchange: _Exchange, events: Generator[dict[str, Any]], submitted: float) -> None:
        self.submitted = submitted
        self.first_token_seconds: float | None = None
        self.new_tokens = 0
        self.cancelled = False
        self._exchange = exchange
        self._places_ahead = 0
        self._chunks: queue.Queue[str | BaseException | None] = queue.Queue()
        self._answered = threading.Event()
        self._ended = False
        threading.Thread(target=self._read, args=(events,), name="chat-reader", daemon=True).start()

    def ahead(self) -> int:
        return self._places_ahead

    def started(self, timeout: float) -> bool:
        return self._answered.wait(timeout)

    def cancel(self) -> None:
        """Hang up: the replica stops generating and frees the slot."""
        if not self._ended:
            self.cancelled = True
            self._exchange.hang_up()
            self._put(None)

    def __iter__(self) -> Iterator[str]:
        while (chunk := self._chunks.get()) is not None and not self.cancelled:
            if isinstance(chunk, BaseException):
                raise chunk
            if self.first_token_seconds is None:
                self.first_token_seconds = time.perf_counter() - self.submitted
            yield chunk

    def _read(self, events: Generator[dict[str, Any]]) -> None:
        try:
            for event in events:
                if "text" in event:
                    self.new_tokens = int(event["tokens"])
                    self._put(event["text"])
                elif "end" in event:
                    self._ended = True
                    break
                else:
                    self._places_ahead = int(event["ahead"])
        except errors.ShowroomError as error:
            if not self.cancelled:  # a hang-up of our own is no error
                self._put(error)
        events.close()  # after the end, the connection serves the next request; otherwise it is hung up
        self._put(None)

    def _put(self, chunk: str | BaseException | None) -> None:
        self._chunks.put(chunk)
        self._answered.set()


@functools.cache
def _client(timeout_seconds: float) -> httpx.Client:
    """One client for the process, shared by its threads (httpx's clients may be): its connections to the model
    server stay open between requests, which saves a quick model about a third of its time through Serve
    (benchmarks/bench_serve.py). It trusts the certificates the rest of the machine trusts, with no proxy in
    between (`trust_env=False`)."""
    return httpx.Client(timeout=timeout_seconds, verify=ssl.create_default_context(), trust_env=False)


def _error(event: dict[str, str]) -> Exception:
    return _KINDS.get(event["kind"], RuntimeError)(event["error"])
