"""One settings object, read from the environment, so every limit lives in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def _default_home() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "showroom"


def _flag(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "").strip().lower() in {"1", "true", "yes", "on"}


def _choice(name: str, allowed: tuple[str, ...]) -> str:
    value = os.environ.get(name, allowed[0]).strip().lower()
    if value not in allowed:
        raise ValueError(f"{name} is {value!r}; it must be one of {', '.join(allowed)}.")
    return value


@dataclass(frozen=True)
class Settings:
    """Engine-wide configuration; see README "Configuration" for the environment variables."""

    home: Path
    allow_hub: bool
    torch_threads: int
    max_image_pixels: int
    max_image_side: int
    chat_context_tokens: int
    max_audio_seconds: float
    max_batch: int
    queue_size: int
    batch_window_seconds: float
    batch_nice: int
    chat_prefix_sharing: bool
    chat_dtype: str
    serve_url: str
    serve_timeout_seconds: float

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def downloads_dir(self) -> Path:
        return self.home / "downloads"


def load_settings() -> Settings:
    """Read the settings afresh, so tests and the CLI can point SHOWROOM_HOME elsewhere."""
    return Settings(
        home=Path(os.environ.get("SHOWROOM_HOME") or _default_home()).expanduser(),
        allow_hub=_flag("SHOWROOM_ALLOW_HUB"),
        # One thread: on a loaded 2-core machine, two OpenMP threads made latencies 5-70x worse.
        torch_threads=int(os.environ.get("SHOWROOM_TORCH_THREADS", "1")),
        # Anything above this is refused as a likely decompression bomb (PIL's own limit is ~89 MP).
        max_image_pixels=int(os.environ.get("SHOWROOM_MAX_IMAGE_PIXELS", str(40_000_000))),
        # Larger images are downscaled before inference: no model here looks at more than ~1 MP.
        max_image_side=int(os.environ.get("SHOWROOM_MAX_IMAGE_SIDE", "1600")),
        # Chat prompts are cut to this many tokens (or the model's own window, if smaller): past
        # ~2k tokens a 135M model on one CPU thread takes seconds before its first token.
        chat_context_tokens=int(os.environ.get("SHOWROOM_CHAT_CONTEXT_TOKENS", "2048")),
        # Longer recordings are refused before they are decoded: ten minutes take a few minutes to transcribe.
        max_audio_seconds=float(os.environ.get("SHOWROOM_MAX_AUDIO_SECONDS", "600")),
        # Items (texts, images, audio windows, chat answers) one model call serves at once; 1 serves
        # one at a time, which is what the load test compares batching with.
        max_batch=int(os.environ.get("SHOWROOM_MAX_BATCH", "16")),
        # Requests a model holds (running and waiting) before the next visitor is told it is busy.
        queue_size=int(os.environ.get("SHOWROOM_QUEUE_SIZE", "32")),
        # How long an idle model waits after a request for others to join its batch.
        batch_window_seconds=float(os.environ.get("SHOWROOM_BATCH_WINDOW_MS", "5")) / 1000,
        # The nice value of the threads serving every model but the chat: on a busy CPU a streaming
        # answer's next token goes first, since a visitor is watching it arrive (README, "Load and memory").
        batch_nice=int(os.environ.get("SHOWROOM_BATCH_NICE", "5")),
        # Chat answers that start with the same tokens (a preset's system prompt) share their cache pages.
        chat_prefix_sharing=_flag("SHOWROOM_CHAT_PREFIX_SHARING", default=True),
        # The precision the chat model is served in (why float32: pipelines/chat_serving.py).
        chat_dtype=_choice("SHOWROOM_CHAT_DTYPE", ("float32", "bfloat16", "float16")),
        # A Ray Serve application of Showroom's models (`pipelines.serve_app`): set, every model is
        # served there instead of in this process; unset (the default), Ray is never imported.
        serve_url=os.environ.get("SHOWROOM_SERVE_URL", "").strip(),
        # How long a request to that application may go without a word (it sends one every 0.2 s).
        serve_timeout_seconds=float(os.environ.get("SHOWROOM_SERVE_TIMEOUT_S", "30")),
    )
