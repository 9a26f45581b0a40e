"""The Ray Serve application: one deployment per provisioned model, each replica owning its model the way
the in-process engine does (`pipelines.loader`, micro-batching in `pipelines.serving`), over HTTP.

A request is `POST /models/<name>` with `{"items": ..., "options": ...}` in `pipelines.wire`'s JSON; the
answer streams as lines of JSON: `{"ahead": N, "progress": P}` every 0.2 s while it waits (the page shows
its place in line and the progress of a big job), then `{"results": ...}` or `{"error": sentence,
"kind": class}`. A client that disconnects cancels its request, as a visitor leaving a page does.

Only `pipelines.remote`'s client side is imported without SHOWROOM_SERVE_URL; this module imports Ray.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from ray import serve
from ray.serve import Application
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse

from pipelines.catalog import CATALOG, find_model, has_pipeline
from pipelines.errors import InputError, ModelNotAvailable, ServerBusy, ShowroomError
from pipelines.loader import load
from pipelines.provision import model_state
from pipelines.serving import Ticket
from pipelines.settings import load_settings
from pipelines.wire import decode, encode

POLL_SECONDS = 0.2  # how often a waiting client hears its place in line
CHECK_SECONDS = 0.002  # how often the stream looks whether the answer is ready: the hop's added latency
_STATUS = {InputError: 422, ServerBusy: 503, ModelNotAvailable: 503}


# Per task, when to add a replica (requests in flight per replica) and how many at most: a Whisper or
# detection request keeps a core busy for seconds, a sentiment or translation one for milliseconds.
_AUTOSCALING: dict[str, tuple[int, int]] = {"speech-to-text": (2, 4), "object-detection": (2, 4)}
_DEFAULT_AUTOSCALING = (8, 2)


def servable_models() -> list[tuple[str, str]]:
    """(name, task) of every default model with a pipeline, the chat excepted for now."""
    return [
        (spec.name, spec.task)
        for spec in CATALOG
        if spec.pulled_by_default and has_pipeline(spec.task) and spec.task != "text-generation"
    ]


def served_models() -> list[tuple[str, str]]:
    """The servable models provisioned on this machine."""
    settings = load_settings()
    return [(name, task) for name, task in servable_models() if model_state(find_model(name), settings) == "ready"]


def model_app(args: dict[str, str]) -> Application:
    """The application of one model, as Ray's config file names it (`import_path`, `args`)."""
    return ModelReplica.options(name=args["name"]).bind(args["name"], args["task"])


def serve_config(host: str = "127.0.0.1", port: int = 8000) -> dict[str, Any]:
    """A config file for `serve deploy` on a cluster: every servable model, its replicas and CPUs, the
    engine's batch size. The nodes need the repository on PYTHONPATH and the models in SHOWROOM_HOME."""
    settings = load_settings()
    applications = []
    for name, task in servable_models():
        target, most = _AUTOSCALING.get(task, _DEFAULT_AUTOSCALING)
        deployment = {
            "name": name,
            "max_ongoing_requests": 64,
            "ray_actor_options": {"num_cpus": 1},  # one torch thread per replica
            "autoscaling_config": {"min_replicas": 1, "max_replicas": most, "target_ongoing_requests": target},
        }
        applications.append(
            {
                "name": name,
                "route_prefix": f"/models/{name}",
                "import_path": "pipelines.serve_app:model_app",
                "args": {"name": name, "task": task},
                "runtime_env": {"env_vars": {"SHOWROOM_MAX_BATCH": str(settings.max_batch)}},
                "deployments": [deployment],
            }
        )
    return {"http_options": {"host": host, "port": port}, "applications": applications}


def error_event(error: BaseException) -> dict[str, str]:
    """What a client needs to raise the same error: its sentence, and its class when it is the engine's."""
    if isinstance(error, ShowroomError):
        return {"error": str(error), "kind": type(error).__name__}
    return {"error": f"The model failed on this request ({type(error).__name__}).", "kind": "RuntimeError"}


@serve.deployment(max_ongoing_requests=64)
class ModelReplica:
    """One replica of one model: the engine's own owner, loaded when the replica starts (always in this
    process: `load`, not `get_server`, which would send a replica with SHOWROOM_SERVE_URL set to itself)."""

    def __init__(self, name: str, task: str) -> None:
        self._server = load(name, task).server

    async def __call__(self, request: Request) -> StreamingResponse | JSONResponse:
        try:
            body = await request.json()
            items, options = decode(body["items"]), decode(body.get("options", {"$tuple": []}))
            if not isinstance(items, list):
                raise InputError("The request's items must be a list.")
            ticket = self._server.submit(items, options)
        except (KeyError, TypeError, ValueError) as error:  # JSONDecodeError is a ValueError
            sentence = f"The request is not a JSON object with items and options ({type(error).__name__})."
            return JSONResponse({"error": sentence, "kind": "InputError"}, status_code=422)
        except ShowroomError as error:
            return JSONResponse(error_event(error), status_code=_STATUS.get(type(error), 500))
        return StreamingResponse(_events(ticket), media_type="application/x-ndjson")


async def _events(ticket: Ticket) -> AsyncIterator[str]:
    try:
        said = -POLL_SECONDS
        while not ticket.done:
            if (now := time.monotonic()) - said >= POLL_SECONDS:
                yield _line({"ahead": ticket.ahead(), "progress": ticket.progress})
                said = now
            await asyncio.sleep(CHECK_SECONDS)
        try:
            results = ticket.result()
        except Exception as error:  # the engine's sentence, or the class of a model's failure
            yield _line(error_event(error))
            return
        yield _line({"results": encode(results)})
    finally:
        if not ticket.done:
            ticket.cancel()  # the client went away


def _line(event: dict[str, Any]) -> str:
    return json.dumps(event) + "\n"


def deploy(models: list[tuple[str, str]]) -> None:
    """Run one Serve application per model at /models/<name>; returns when every replica is loaded."""
    for name, task in models:
        serve.run(model_app({"name": name, "task": task}), name=name, route_prefix=f"/models/{name}")
