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
from collections.abc import AsyncIterator
from typing import Any

from ray import serve
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse

from pipelines.catalog import CATALOG, has_pipeline
from pipelines.errors import InputError, ModelNotAvailable, ServerBusy, ShowroomError
from pipelines.loader import load
from pipelines.provision import model_state
from pipelines.serving import Ticket
from pipelines.settings import load_settings
from pipelines.wire import decode, encode

POLL_SECONDS = 0.2
_STATUS = {InputError: 422, ServerBusy: 503, ModelNotAvailable: 503}


def served_models() -> list[tuple[str, str]]:
    """(name, task) of every provisioned default model with a pipeline, the chat excepted for now."""
    settings = load_settings()
    return [
        (spec.name, spec.task)
        for spec in CATALOG
        if spec.pulled_by_default
        and has_pipeline(spec.task)
        and spec.task != "text-generation"
        and model_state(spec, settings) == "ready"
    ]


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
        except (KeyError, TypeError, ValueError, json.JSONDecodeError) as error:
            sentence = f"The request is not a JSON object with items and options ({type(error).__name__})."
            return JSONResponse({"error": sentence, "kind": "InputError"}, status_code=422)
        except ShowroomError as error:
            return JSONResponse(error_event(error), status_code=_STATUS.get(type(error), 500))
        return StreamingResponse(_events(ticket), media_type="application/x-ndjson")


async def _events(ticket: Ticket) -> AsyncIterator[str]:
    try:
        while not ticket.done:
            yield _line({"ahead": ticket.ahead(), "progress": ticket.progress})
            await asyncio.sleep(POLL_SECONDS)
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
        serve.run(ModelReplica.options(name=name).bind(name, task), name=name, route_prefix=f"/models/{name}")
