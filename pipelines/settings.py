"""One settings object, read from the environment, so every limit lives in one place."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from pipelines.errors import SettingsError

# The Showroom folder, whatever the working directory: the samples and evaluation data live in its assets/.
PROJECT = Path(__file__).resolve().parent.parent
ASSETS = PROJECT / "assets"


def _default_home() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "showroom"


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    if value:
        raise SettingsError(f"{name} is {value!r}; it must be 1 or 0 (also true/false, yes/no, on/off).")
    return default


def _choice(name: str, allowed: tuple[str, ...]) -> str:
    value = os.environ.get(name, allowed[0]).strip().lower()
    if value not in allowed:
        raise SettingsError(f"{name} is {value!r}; it must be one of {', '.join(allowed)} (default {allowed[0]}).")
    return value


def _number(name: str, default: float, least: float, most: float | None = None) -> float:
    """A number from the environment, whole when `default` is: a typo is one sentence, not a traceback."""
    text = os.environ.get(name, "").strip() or str(default)
    whole = isinstance(default, int)
    kind = "a whole number" if whole else "a number"
    limits = f"from {least} to {most}" if most is not None else f"of at least {least}"
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        value = None
    if value is None or not math.isfinite(value) or value < least or (most is not None and value > most):
        shown = default if whole else f"{default:g}"
        raise SettingsError(f"{name} is {text!r}; it must be {kind} {limits} (default {shown}).")
    return value


@dataclass(frozen=True)
class Settings:
    """Engine-wide configuration; README, "Configuration", lists every variable (generated from `_read_settings`)."""

    home: Path
    allow_hub: bool
    torch_threads: int
    max_image_pixels: int
    max_image_side: int
    chat_context_tokens: int
    chat_cache_tokens: int
    chat_stall_seconds: float
    max_audio_seconds: float
    max_batch: int
    queue_size: int
    batch_window_seconds: float
    batch_nice: int
    chat_prefix_sharing: bool
    chat_dtype: str
    chat_16bit_weights: bool
    speech_decoding: str
    speech_dtype: str
    serve_url: str
    operator_token: str
    serve_timeout_seconds: float
    serve_token: str
    serve_body_seconds: float
    serve_layout: str
    branding_file: str
    database_url: str
    keep_inputs: bool
    keep_days: int

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def downloads_dir(self) -> Path:
        return self.home / "downloads"

    @property
    def audience_url(self) -> str:
        """Where the record of use is kept: SHOWROOM_DATABASE_URL, or a SQLite file in the home folder."""
        return self.database_url or f"sqlite:///{self.home / 'audience.db'}"

    @property
    def serve_token_path(self) -> Path:
        """Where `serve start` keeps the token Ray and the model server's callers share (mode 0600)."""
        return self.home / "serve" / "auth_token"


def load_settings() -> Settings:
    """Read the settings afresh, so tests and the CLI can point SHOWROOM_HOME elsewhere; settings that
    depend on each other are checked together."""
    settings = _read_settings()
    scheme = urlsplit(settings.serve_url).scheme.lower()
    if settings.serve_url and scheme not in ("http", "https"):
        raise SettingsError(
            f"SHOWROOM_SERVE_URL is {settings.serve_url!r}; it must start with http:// or https:// "
            "(e.g. http://127.0.0.1:8000)."
        )
    if settings.chat_context_tokens > settings.chat_cache_tokens:
        raise SettingsError(
            f"SHOWROOM_CHAT_CONTEXT_TOKENS is {settings.chat_context_tokens}, more than SHOWROOM_CHAT_CACHE_TOKENS "
            f"({settings.chat_cache_tokens}): a prompt that long could never fit the chat's cache, so its answer "
            "would wait for good; lower the first or raise the second."
        )
    return settings


def _read_settings() -> Settings:
    return Settings(
        # Where models, their downloads, report cards and pictures are written; never the repository.
        home=Path(os.environ.get("SHOWROOM_HOME") or _default_home()).expanduser(),
        # On a machine that can reach the Hugging Face Hub, a hub id may be given for a model; off, only
        # catalog models and local folders load, and transformers is kept offline.
        allow_hub=_flag("SHOWROOM_ALLOW_HUB"),
        # One thread: on a loaded 2-core machine, two OpenMP threads made latencies 5-70x worse.
        torch_threads=int(_number("SHOWROOM_TORCH_THREADS", 1, 1)),
        # Anything above this is refused as a likely decompression bomb (PIL's own limit is ~89 MP).
        max_image_pixels=int(_number("SHOWROOM_MAX_IMAGE_PIXELS", 40_000_000, 1)),
        # Larger images are downscaled before inference: no model here looks at more than ~1 MP.
        max_image_side=int(_number("SHOWROOM_MAX_IMAGE_SIDE", 1600, 1)),
        # Chat prompts are cut to this many tokens (or the model's own window, if smaller): past
        # ~2k tokens a 135M model on one CPU thread takes seconds before its first token.
        chat_context_tokens=int(_number("SHOWROOM_CHAT_CONTEXT_TOKENS", 2048, 64)),
        # The chat's KV cache, every running answer's tokens together (142 MB for SmolLM2 in float32): an
        # answer that does not fit waits for others to finish, so no prompt may be longer than it.
        chat_cache_tokens=int(_number("SHOWROOM_CHAT_CACHE_TOKENS", 3072, 256)),
        # A chat answer that gets no new token for this long is ended with a sentence instead of waited on.
        chat_stall_seconds=_number("SHOWROOM_CHAT_STALL_S", 60.0, 1),
        # Longer recordings are refused before they are decoded: ten minutes take a few minutes to transcribe.
        max_audio_seconds=_number("SHOWROOM_MAX_AUDIO_SECONDS", 600.0, 1),
        # Items (texts, images, audio windows, chat answers) one model call serves at once; 1 serves
        # one at a time, which is what the load test compares batching with.
        max_batch=int(_number("SHOWROOM_MAX_BATCH", 16, 1)),
        # Requests a model holds (running and waiting) before the next visitor is told it is busy.
        queue_size=int(_number("SHOWROOM_QUEUE_SIZE", 32, 1)),
        # How long an idle model waits after a request for others to join its batch.
        batch_window_seconds=_number("SHOWROOM_BATCH_WINDOW_MS", 5.0, 0, 1000) / 1000,
        # The nice value of the threads serving every model but the chat: on a busy CPU a streaming
        # answer's next token goes first, since a visitor is watching it arrive (docs/serving.md, "Load and memory").
        batch_nice=int(_number("SHOWROOM_BATCH_NICE", 5, 0, 19)),
        # Chat answers that start with the same tokens (a preset's system prompt) share their cache pages.
        chat_prefix_sharing=_flag("SHOWROOM_CHAT_PREFIX_SHARING", default=True),
        # The precision the chat model is served in (why float32: pipelines/serving/chat_server.py).
        chat_dtype=_choice("SHOWROOM_CHAT_DTYPE", ("float32", "bfloat16", "float16")),
        # A float32 chat model keeps its weights in 16 bits, widened for each product: the same answers
        # in half the memory (pipelines/runtime/half_stored.py); off keeps float32 copies, for comparison.
        chat_16bit_weights=_flag("SHOWROOM_CHAT_16BIT_WEIGHTS", default=True),
        # How Whisper decodes (pipelines/tasks/speech_to_text.py, DECODINGS; measured in docs/models.md).
        speech_decoding=_choice("SHOWROOM_SPEECH_DECODING", ("beams", "beams-fallback", "greedy")),
        # The precision Whisper computes in. float32: with bfloat16 on AMX a transcript changed with the
        # batch it was decoded in (docs/models.md, "Speech to text"), which a visitor must never see.
        speech_dtype=_choice("SHOWROOM_SPEECH_DTYPE", ("float32", "bfloat16", "float16")),
        # A Ray Serve application of Showroom's models (`pipelines.scaleout.app`): set, every model is
        # served there instead of in this process; unset (the default), Ray is never imported.
        serve_url=os.environ.get("SHOWROOM_SERVE_URL", "").strip(),
        # Whoever opens the home page with ?operator=<this> may warm and unload models (pages/operator.py).
        operator_token=os.environ.get("SHOWROOM_OPERATOR_TOKEN", "").strip(),
        # How long a request to that application may go without a word (it sends one every 0.2 s).
        serve_timeout_seconds=_number("SHOWROOM_SERVE_TIMEOUT_S", 30.0, 1),
        # The model server's token, for a dashboard on another machine; on the server's own machine it is
        # read from SHOWROOM_HOME/serve/auth_token, where `serve start` wrote it.
        serve_token=os.environ.get("SHOWROOM_SERVE_TOKEN", "").strip(),
        # How long a replica waits for a request's whole body before refusing it (a client that stalls).
        serve_body_seconds=_number("SHOWROOM_SERVE_BODY_S", 5.0, 0.1),
        # How `serve start` and `serve config` lay the models out on Ray Serve: "grouped", every model but the
        # chat in one replica process (pipelines/scaleout/app.py), or "per-model", a process for each.
        serve_layout=_choice("SHOWROOM_SERVE_LAYOUT", ("grouped", "per-model")),
        # The branding file: name, logo, accent colour and theme (pages/branding.py); unset,
        # .streamlit/branding.toml where it exists.
        branding_file=os.environ.get("SHOWROOM_BRANDING", "").strip(),
        # The record of use (pipelines/audience/record.py), as an SQLAlchemy URL: unset, SQLite at
        # SHOWROOM_HOME/audience.db; a postgresql:// URL (psycopg) lets several dashboards share one database.
        database_url=os.environ.get("SHOWROOM_DATABASE_URL", "").strip(),
        # Whether the record keeps what a visitor typed (never a picture or a recording's bytes); off, it
        # keeps only which demo, model, time and outcome (SECURITY.md, "What is recorded").
        keep_inputs=_flag("SHOWROOM_KEEP_INPUTS"),
        # Rows of the record older than this many days are deleted.
        keep_days=int(_number("SHOWROOM_KEEP_DAYS", 30, 1)),
    )
