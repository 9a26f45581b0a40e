"""The Ray Serve application: one deployment per provisioned model, each replica owning its model the way
the in-process engine does (`pipelines.serving.loader`: micro-batching in `pipelines.serving.model_server`, continuous
batching of the chat in `pipelines.serving.chat_server`), over HTTP.

A request is `POST /models/<name>`, its answer a stream of JSON lines. For every model but the chat the
request is `{"items": ..., "options": ...}` in `pipelines.serving.wire`'s JSON; the answer is `{"ahead": N,
"progress": P}` every 0.2 s while it waits (the page shows its place in line and the progress of a big
job), then `{"results": ...}`. For the chat it is `pipelines.serving.chat_request.ChatRequest.as_json`; the answer is
the fitted prompt (what the model will not see, for the page's notices), `{"ahead": N}` until the first
token, `{"text": chunk, "tokens": n}` as the answer is generated, then `{"end": {}}`. Either may end
with `{"error": sentence, "kind": class}`. A client that disconnects cancels its request, as a visitor
leaving a page does. `GET /models/<name>` on the chat says whether it is a chat model and how many
answers it is generating.

Only `pipelines.serving.remote`'s client side is imported without SHOWROOM_SERVE_URL; this module imports Ray.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict
from typing import Any
from urllib.parse import unquote

from ray import serve
from ray.serve import Application
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, StreamingResponse

from pipelines.errors import InputError, ModelNotAvailable, ServerBusy, ShowroomError
from pipelines.provisioning.catalog import CATALOG, find_model, has_pipeline
from pipelines.provisioning.provision import model_state
from pipelines.runtime.memory import return_free_heap
from pipelines.scaleout.guard import Refused, check_caller, read_body
from pipelines.serving.chat_prompt import FittedPrompt
from pipelines.serving.chat_request import TASK as CHAT_TASK
from pipelines.serving.chat_request import ChatRequest
from pipelines.serving.chat_server import ChatStream
from pipelines.serving.loader import load
from pipelines.serving.model_server import ModelServer, Ticket
from pipelines.serving.wire import decode, encode
from pipelines.settings import load_settings

POLL_SECONDS = 0.2  # how often a waiting client hears its place in line
_STATUS = {InputError: 422, ServerBusy: 503, ModelNotAvailable: 503}


# Per task, when to add a replica (requests in flight per replica) and how many at most: a Whisper or
# detection request keeps a core busy for seconds, a sentiment or translation one for milliseconds.
# The chat batches every answer in one replica, so it adds one only when a replica holds a full batch.
_AUTOSCALING: dict[str, tuple[int, int]] = {"speech-to-text": (2, 4), "object-detection": (2, 4), CHAT_TASK: (16, 2)}
_DEFAULT_AUTOSCALING = (8, 2)

# Which models share a replica process. Every replica imports torch and transformers (about 500 MB) before it
# loads its model, so one process per model cost 4.5 times the memory of the dashboard serving them all. Every
# model but the chat shares the "light" application: each replica holds the engine's owner of every one of them,
# so each keeps its own micro-batching, queue and fairness (speech included: in a process of its own it cost the
# application about 1.2 GB more, measured before the HAProxy ingress; benchmarks/bench_serve.py). Its route is
# /models, the shortest prefix: Serve gives a request to the application with the longest matching prefix, so a
# model with an application of its own (/models/<name>: the chat, which batches every answer in its replica, or
# any model the operator splits out in serve.yaml) takes its requests from the group.
LIGHT = "light"
_OWN_PROCESS = {CHAT_TASK}
_LIGHT_AUTOSCALING = (8, 2)
# Requests a replica takes at once; the group's models share theirs.
_MAX_ONGOING, _LIGHT_MAX_ONGOING = 64, 256


def servable_models() -> list[tuple[str, str]]:
    """(name, task) of every default model with a pipeline."""
    return [(spec.name, spec.task) for spec in CATALOG if spec.pulled_by_default and has_pipeline(spec.task)]


def served_models() -> list[tuple[str, str]]:
    """The servable models provisioned on this machine."""
    settings = load_settings()
    return [(name, task) for name, task in servable_models() if model_state(find_model(name), settings) == "ready"]


def model_app(args: dict[str, str]) -> Application:
    """The application of one model, as Ray's config file names it (`import_path`, `args`); the file
    sets its replicas."""
    return _application(args["name"], args["task"], {})


def group_app(args: dict[str, list[list[str]]]) -> Application:
    """The light models' application, as Ray's config file names it: `args["models"]` is [[name, task], ...]."""
    return GroupReplica.options(name=LIGHT).bind(args["models"])


def layout(models: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(the light group's models, the models with an application of their own): per SHOWROOM_SERVE_LAYOUT, every
    model but the chat in the group, or none."""
    if load_settings().serve_layout == "per-model":
        return [], list(models)
    light = [(name, task) for name, task in models if task not in _OWN_PROCESS]
    return light, [(name, task) for name, task in models if task in _OWN_PROCESS]


def _application(name: str, task: str, options: dict[str, Any]) -> Application:
    if task == CHAT_TASK:
        return ChatReplica.options(name=name, **options).bind(name)
    return ModelReplica.options(name=name, **options).bind(name, task)


def serve_config(host: str = "127.0.0.1", port: int = 8000, pins: dict[str, str] | None = None) -> dict[str, Any]:
    """A config file for `serve deploy` on a cluster: the light group and every model with a process of its own,
    their replicas and CPUs, the engine's batch size. To give a light model replicas of its own, copy its
    application out of the group's list into one of its own (`model_app`, `route_prefix: /models/<name>`): the
    longer prefix takes its requests. The nodes need the repository on PYTHONPATH and the models in SHOWROOM_HOME.
    `pins` puts an application's replicas only on the nodes that offer a custom resource (`{"chat": "big_node"}`
    for nodes started with `ray start --resources='{"big_node": 1}'`)."""
    light, alone = layout(servable_models())
    group = {"models": [list(model) for model in light]}
    entries = [(LIGHT, "/models", "group_app", group, _LIGHT_AUTOSCALING)] if light else []
    for name, task in alone:
        scaling = _AUTOSCALING.get(task, _DEFAULT_AUTOSCALING)
        entries.append((name, f"/models/{name}", "model_app", {"name": name, "task": task}, scaling))
    pins = pins or {}
    if unknown := sorted(set(pins) - {entry[0] for entry in entries}):
        names = ", ".join(entry[0] for entry in entries)
        raise InputError(f"{', '.join(unknown)}: not an application of the config; it has {names}.")
    applications = [_config_entry(*entry, pins.get(entry[0])) for entry in entries]
    return {"http_options": {"host": host, "port": port}, "applications": applications}


# What a pinned replica asks of its node's custom resource: a node that offers 1 takes up to 100 of them, so the
# resource says where a replica may run, and the CPUs how many.
_PINNED_SHARE = 0.01


def _config_entry(
    name: str, route: str, builder: str, args: dict, scaling: tuple[int, int], pin: str | None
) -> dict[str, Any]:
    target, most = scaling
    resources = {"num_cpus": 1} | ({"resources": {pin: _PINNED_SHARE}} if pin else {})  # one torch thread each
    return {
        "name": name,
        "route_prefix": route,
        "import_path": f"pipelines.scaleout.app:{builder}",
        "args": args,
        "runtime_env": {"env_vars": {"SHOWROOM_MAX_BATCH": str(load_settings().max_batch)}},
        "deployments": [
            {
                "name": name,
                "max_ongoing_requests": _LIGHT_MAX_ONGOING if name == LIGHT else _MAX_ONGOING,
                "ray_actor_options": resources,
                "autoscaling_config": {"min_replicas": 1, "max_replicas": most, "target_ongoing_requests": target},
            }
        ],
    }


def error_event(error: BaseException) -> dict[str, str]:
    """What a client needs to raise the same error: its sentence, and its class when it is the engine's."""
    if isinstance(error, ShowroomError):
        return {"error": str(error), "kind": type(error).__name__}
    return {"error": f"The model failed on this request ({type(error).__name__}).", "kind": "RuntimeError"}


@serve.deployment(max_ongoing_requests=_MAX_ONGOING)
class ModelReplica:
    """One replica of one model: the engine's own owner, loaded when the replica starts (always in this
    process: `load`, not `get_server`, which would send a replica with SHOWROOM_SERVE_URL set to itself)."""

    def __init__(self, name: str, task: str) -> None:
        self._server = load(name, task).server

    async def __call__(self, request: Request) -> StreamingResponse | JSONResponse:
        return await _answer(request, functools.partial(_submit, self._server), _ticket_events)


@serve.deployment(max_ongoing_requests=_LIGHT_MAX_ONGOING)
class GroupReplica:
    """One replica of the light group: the engine's owner of each of its models, all loaded when the replica starts;
    a request names its model in its path, /models/<name>."""

    def __init__(self, models: list[list[str]]) -> None:
        self._servers = {name: load(name, task).server for name, task in models}

    async def __call__(self, request: Request) -> StreamingResponse | JSONResponse | PlainTextResponse:
        name = unquote(request.url.path.rstrip("/").rsplit("/", 1)[-1])
        server = self._servers.get(name)
        if server is None:  # as Serve's own proxy answers a route it does not have (the client says so in a sentence)
            try:
                check_caller(request.headers.get("authorization", ""))
            except Refused as error:
                return _refusal(error)
            return PlainTextResponse("Not Found", status_code=404, headers={"Connection": "close"})
        return await _answer(request, functools.partial(_submit, server), _ticket_events)


def _submit(server: ModelServer, body: Any) -> Ticket:
    if not isinstance(body, dict):
        raise InputError("The request must be a JSON object with items and options.")
    try:
        items, options = decode(body["items"]), decode(body.get("options", {"$tuple": []}))
    except (KeyError, TypeError) as error:
        sentence = f"The request is not a JSON object with items and options ({type(error).__name__})."
        raise InputError(sentence) from None
    if not isinstance(items, list):
        raise InputError("The request's items must be a list.")
    return server.submit(items, options)


@serve.deployment(max_ongoing_requests=_MAX_ONGOING)
class ChatReplica:
    """One replica of the chat: prompts fitted and answers generated by the engine's own code
    (`ChatServer.start`, as in process), every answer it holds in one continuous batch."""

    def __init__(self, name: str) -> None:
        self._server = load(name, CHAT_TASK).server

    async def __call__(self, request: Request) -> StreamingResponse | JSONResponse:
        if request.method == "GET":
            return JSONResponse({"is_chat": self._server.is_chat, "answering": self._server.holding()})
        return await _answer(request, self._start, _reply_events)

    def _start(self, body: Any) -> tuple[FittedPrompt, ChatStream]:
        return self._server.start(ChatRequest.from_json(body))


async def _answer(
    request: Request, start: Callable[[Any], Any], events: Callable[[Any], AsyncIterator[str]]
) -> StreamingResponse | JSONResponse:
    """Check the caller and read the body within its limits, start the request off the event loop
    (fitting a long prompt takes a while), then stream its events; a request that cannot start is one
    sentence with its HTTP status, at once."""
    body: Any = None
    try:
        check_caller(request.headers.get("authorization", ""))
        body = json.loads(await read_body(request))
        started = await asyncio.to_thread(start, body)
    except Exception as error:
        body = None  # a refused request's body (megabytes, perhaps) goes back to the system, not only to the heap
        await asyncio.to_thread(return_free_heap)
        return _refusal(error)
    return StreamingResponse(events(started), media_type="application/x-ndjson")


def _refusal(error: Exception) -> JSONResponse:
    """A request that could not start, as one sentence with its HTTP status."""
    if isinstance(error, Refused):  # and the connection closes: what the client still sends is not read
        return JSONResponse(error.event(), status_code=error.status, headers={"Connection": "close"})
    if isinstance(error, ShowroomError):  # before ValueError: an InputError is one
        return JSONResponse(error_event(error), status_code=_STATUS.get(type(error), 500))
    if isinstance(error, ValueError):  # a JSONDecodeError, or text that is not UTF-8
        sentence = f"The request is not JSON ({type(error).__name__})."
        return JSONResponse({"error": sentence, "kind": "InputError"}, status_code=422)
    logging.getLogger("showroom.serve").error("a request failed to start", exc_info=error)  # a bug
    return JSONResponse(error_event(error), status_code=500)


def _waker(event: asyncio.Event) -> Callable[[], None]:
    """A callable that sets `event` from any thread (a no-op once the replica's loop is gone)."""
    loop = asyncio.get_running_loop()

    def wake() -> None:
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(event.set)

    return wake


async def _ticket_events(ticket: Ticket) -> AsyncIterator[str]:
    finished = asyncio.Event()
    ticket.when_done(_waker(finished))
    try:
        while not ticket.done:
            yield _line({"ahead": ticket.ahead(), "progress": ticket.progress})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(finished.wait(), POLL_SECONDS)
        try:
            results = ticket.result()
        except Exception as error:  # the engine's sentence, or the class of a model's failure
            yield _line(error_event(error))
            return
        yield _line({"results": encode(results)})
    finally:
        if not ticket.done:
            ticket.cancel()  # the client went away


async def _reply_events(started: tuple[FittedPrompt, ChatStream]) -> AsyncIterator[str]:
    """The answer's events, read from its stream by a thread of its own (its stream blocks) and handed to the loop."""
    prompt, stream = started
    loop = asyncio.get_running_loop()
    events: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

    def put(event: dict[str, Any] | None) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone
            loop.call_soon_threadsafe(events.put_nowait, event)

    def generate() -> None:
        try:
            while not stream.started(POLL_SECONDS):
                put({"ahead": stream.ahead()})
            for chunk in stream:
                put({"text": chunk, "tokens": stream.new_tokens})
            put({"end": {}})
        except Exception as error:
            put(error_event(error))
        finally:
            put(None)

    threading.Thread(target=generate, name="chat-reply", daemon=True).start()
    try:
        yield _line({"prompt": asdict(prompt)})
        while (event := await events.get()) is not None:
            yield _line(event)
    finally:
        stream.cancel()  # a client that went away frees its slot at once


def _line(event: dict[str, Any]) -> str:
    return json.dumps(event) + "\n"


def deploy(models: list[tuple[str, str]], replicas: dict[str, int]) -> None:
    """Run the light group at /models and every other model at /models/<name>, with `replicas[name]` replicas (1
    if not given; `replicas["light"]` for the group); returns when every replica is loaded."""
    light, alone = layout(models)
    if light:
        options = {"num_replicas": replicas[LIGHT]} if LIGHT in replicas else {}
        serve.run(GroupReplica.options(name=LIGHT, **options).bind(light), name=LIGHT, route_prefix="/models")
    for name, task in alone:
        options = {"num_replicas": replicas[name]} if name in replicas else {}
        serve.run(_application(name, task, options), name=name, route_prefix=f"/models/{name}")
