"""The one cached model loader every task and page shares.

`get_server` builds each transformers pipeline once per process, lazily, on first use, and puts it
behind its owner (`pipelines.serving.model_server`, `pipelines.serving.chat_server`): every caller (Streamlit sessions,
CLI, benchmarks) submits requests to that same owner and never touches the pipeline itself.
"""

from __future__ import annotations

import atexit
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from pipelines.errors import ModelNotAvailable
from pipelines.provisioning.catalog import CATALOG, catalog_entry, find_model, has_pipeline, pipeline_task
from pipelines.provisioning.provision import model_dir, model_state
from pipelines.runtime.memory import release_freed_memory, tune_heap
from pipelines.serving.batch_calls import BATCH_CALLS, BATCH_CAPS
from pipelines.serving.chat_request import TASK as CHAT_TASK
from pipelines.serving.chat_server import ChatServer
from pipelines.serving.model_server import ModelServer, ServingLimits
from pipelines.serving.owners import ChatOwner
from pipelines.serving.remote import RemoteChatServer, RemoteServer
from pipelines.settings import Settings, load_settings


@dataclass(frozen=True)
class ModelLocation:
    """Where a model name points: a catalog entry's folder, any local folder, or a hub id."""

    name: str  # what the user calls it: the catalog name, or the folder / hub id itself
    task: str
    location: str


Server = ModelServer | ChatServer | RemoteServer | RemoteChatServer


@dataclass(frozen=True)
class LoadedModel:
    """A model's owner and what loading it cost."""

    server: Server
    load_seconds: float


_served: dict[str, LoadedModel] = {}
_registry_lock = threading.Lock()
# One load at a time in a process: transformers' loading is not thread-safe. Two models loaded at once in two
# threads (visitors whose models landed together on a first run) saw each other's meta-device context, which
# left weights on "meta", and each other's half-done lazy imports. A load takes seconds; a visitor whose
# model is already loaded never waits on this lock.
_loading = threading.Lock()


def resolve_model(name: str, task: str | None = None, settings: Settings | None = None) -> ModelLocation:
    """Turn a catalog name, a local folder or a hub id into a loadable location, or explain why not."""
    settings = settings or load_settings()
    spec = catalog_entry(name)
    if spec is not None:
        if task is not None and spec.task != task:
            raise ModelNotAvailable(f"'{name}' is a {spec.task} model; it cannot serve {task}.")
        state = model_state(spec, settings)
        if state != "ready":
            why = "was built by an older recipe" if state == "outdated" else "is not provisioned yet"
            default_set = " (or `make run`, which provisions the default models)" if spec.pulled_by_default else ""
            raise ModelNotAvailable(f"Model '{name}' {why}. Run `python -m pipelines models pull {name}`{default_set}.")
        return ModelLocation(name, spec.task, str(model_dir(spec, settings)))
    if task is None:
        raise ModelNotAvailable(f"'{name}' is not in the catalog, so its task must be given.")
    folder = Path(name).expanduser()
    if folder.is_dir():
        return ModelLocation(str(folder.resolve()), task, str(folder.resolve()))
    if "/" in name and not name.startswith((".", "/", "~")):
        if not settings.allow_hub:
            raise ModelNotAvailable(
                f"'{name}' looks like a Hugging Face Hub id, but the hub is switched off (offline mode). "
                "Set SHOWROOM_ALLOW_HUB=1 on a machine that can reach the hub, or pass a local model folder."
            )
        return ModelLocation(name, task, name)
    known = ", ".join(sorted(spec.name for spec in CATALOG))
    raise ModelNotAvailable(f"Unknown model '{name}': not in the catalog and not a folder. Known models: {known}.")


def get_server(name: str, task: str | None = None) -> Server:
    """The process-wide owner of `name`'s pipeline, built on first use; later calls return the same one.
    With SHOWROOM_SERVE_URL set, it is the Serve application's model instead."""
    settings = load_settings()
    if settings.serve_url:
        spec = catalog_entry(name)
        served_task = task or (spec.task if spec else None)
        token = serve_token(settings)
        if served_task == CHAT_TASK:
            return RemoteChatServer(settings.serve_url, name, settings.serve_timeout_seconds, token)
        return RemoteServer(settings.serve_url, name, served_task, settings.serve_timeout_seconds, token)
    return load(name, task).server


def serving_choice(name: str, settings: Settings | None = None) -> str:
    """`name`, or its stand-in while `name` is still being built and the stand-in is ready (the quick sentiment
    model while the fine-tuned one trains). Asked afresh for every request, so the better model takes over as
    soon as its folder lands, with no restart; a request runs on one model from start to end, so one in
    flight at that moment finishes on the model it started on."""
    settings = settings or load_settings()
    spec = catalog_entry(name)
    if spec is None or spec.stand_in is None or model_state(spec, settings) == "ready":
        return name
    stand_in = find_model(spec.stand_in)
    return stand_in.name if model_state(stand_in, settings) == "ready" else name


def get_chat(name: str) -> ChatOwner:
    """The chat model's owner, in this process or on the Serve application: either takes a `ChatRequest`
    and streams its answer, so the task never asks which one it holds."""
    owner = get_server(name, CHAT_TASK)
    assert isinstance(owner, ChatServer | RemoteChatServer)  # the task given makes it one
    return owner


def serve_token(settings: Settings) -> str:
    """The model server's token: SHOWROOM_SERVE_TOKEN, or the file `serve start` wrote on this machine."""
    if settings.serve_token:
        return settings.serve_token
    path = settings.serve_token_path
    return path.read_text(encoding="utf-8").strip() if path.is_file() else ""


def load(name: str, task: str | None = None) -> LoadedModel:
    """Load `name` unless it is loaded already (the home page's "Warm up" shows how long it took)."""
    settings = load_settings()
    served = _served.get(_catalog_location(name, settings) or name)
    if served is not None and task in (None, served.server.task) and served.server.healthy:  # the hot path
        return served
    model = resolve_model(name, task, settings)
    if not has_pipeline(model.task):
        raise ModelNotAvailable(f"'{name}' is {model.task} data, not a model with a pipeline to load.")
    served = _served.get(model.location)
    if served is not None and served.server.healthy:
        return served
    with _loading:  # and two sessions asking for a cold model at once load it once
        served = _served.get(model.location)
        if served is not None and not served.server.healthy:  # its thread died: load it afresh
            unload(served.server.name)
            served = None
        if served is None:
            served = _load(model, settings)
            _served[model.location] = served
    return served


def serving_dtype(task: str, settings: Settings) -> str:
    """The precision a model computes in. The Whisper and SmolLM2 folders are saved in float16 (half the
    size), but float16 runs 2-2.5x slower than float32 on the pool's CPUs without float16 instructions.
    Both compute in float32 unless the operator chooses otherwise (SHOWROOM_SPEECH_DTYPE,
    SHOWROOM_CHAT_DTYPE): bfloat16 is about twice as fast where the CPU has it, but its answers changed
    with the batch they were computed in. Figures: docs/models.md, "Speech to text"."""
    if task == CHAT_TASK:
        return settings.chat_dtype
    return settings.speech_dtype if task == "speech-to-text" else "float32"


def _catalog_location(name: str, settings: Settings) -> str | None:
    """A catalog model's folder under the current SHOWROOM_HOME: pipelines are cached by location."""
    spec = catalog_entry(name)
    return str(model_dir(spec, settings)) if spec else None


def loaded_models() -> list[str]:
    """Names of the models loaded in this process, in load order."""
    return [served.server.name for served in _served.values()]


def unload(name: str) -> bool:
    """Drop a loaded model so its memory goes back to the system; False if it was not loaded.

    Requests already queued are still answered; the next request loads the model again.
    """
    with _registry_lock:
        keys = [key for key, served in _served.items() if name in (served.server.name, key)]
        dropped = [_served.pop(key) for key in keys]
    for served in dropped:
        served.server.close()
    if dropped:
        release_freed_memory()
    return bool(dropped)


@atexit.register
def _close_every_model() -> None:
    """At exit, stop each model's threads first: a generation thread still inside a torch call while the
    interpreter tears down aborts the process ("terminate called without an active exception"), which
    happens when the guard stops an answer just before a CLI exits."""
    for served in list(_served.values()):
        served.server.close()


def _load(model: ModelLocation, settings: Settings) -> LoadedModel:
    import torch
    from transformers import pipeline

    import pipelines.architectures  # noqa: F401  (registers Showroom's own model classes)

    torch.set_num_threads(settings.torch_threads)
    tune_heap()  # before the first model's tensors, so they and every later request share two arenas
    started = time.perf_counter()
    # Loaded straight into its serving precision: casting a loaded copy left the freed weights
    # scattered through the heap, and unloading gave back less.
    dtype = serving_dtype(model.task, settings)
    loaded = pipeline(pipeline_task(model.task), model=model.location, device="cpu", dtype=dtype)
    if model.task == CHAT_TASK and dtype == "float32" and settings.chat_16bit_weights:
        from pipelines.runtime.half_stored import store_weights_in_16_bits

        store_weights_in_16_bits(loaded.model)
        release_freed_memory()  # the float32 copies' pages
    if model.task == "speech-to-text":
        from pipelines.runtime.beam_cache import share_audio_across_beams

        share_audio_across_beams(loaded.model)
    max_batch = min(settings.max_batch, BATCH_CAPS.get(model.task, settings.max_batch))
    nice = 0 if model.task == CHAT_TASK else settings.batch_nice  # the streamed chat goes first
    limits = ServingLimits(max_batch, settings.queue_size, settings.batch_window_seconds, nice)
    spec = catalog_entry(model.name)
    label = spec.display_name if spec else model.name
    if model.task == CHAT_TASK:
        server: Server = ChatServer(
            model.name,
            label,
            loaded,
            limits,
            settings.chat_prefix_sharing,
            settings.chat_cache_tokens,
            settings.chat_stall_seconds,
        )
    else:
        server = ModelServer(model.name, model.task, label, loaded, BATCH_CALLS[model.task], limits)
    return LoadedModel(server, time.perf_counter() - started)
