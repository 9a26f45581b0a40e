"""What one request to a model may hold, checked by the model's owner itself (`ModelServer.submit`).

The pages and the CLI check a visitor's input before it reaches a model, but a Ray Serve replica is
reached by whatever can open its port, with any number of items and any options. So the owner checks
every request against the same bounds, in process and on a replica alike: how many items, how much
text, how many pixels and seconds of audio, and which options, each within its range. An oversized or
malformed request is refused at once with one sentence (HTTP 422 on a replica), before any model runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np
from PIL import Image

from pipelines.errors import InputError
from pipelines.media.audio import SAMPLE_RATE
from pipelines.media.text_tables import MAX_CSV_BYTES, MAX_ROWS
from pipelines.settings import load_settings

TRANSLATION_CHARACTERS = 20_000  # per request: about eight pages, translated in a few seconds
MAX_TOP_K = 20  # image classification's labels per answer
MAX_IMAGES = 16  # per request (a page sends one; a benchmark a few)
WINDOW_SECONDS = 30.0  # Whisper's window; the speech task never sends a longer one
# Whisper's decoding options a request may set, each with what it accepts (the speech task's DECODINGS).
_SPEECH_OPTIONS: dict[str, Callable[[Any], bool]] = {
    "task": lambda value: value == "transcribe",
    "language": lambda value: value is None or (isinstance(value, str) and 0 < len(value) <= 8),
    "num_beams": lambda value: whole_number(value) and 1 <= value <= 5,
    "temperature": lambda value: (
        isinstance(value, tuple)
        and 0 < len(value) <= 6
        and all(finite_number(item) and 0 <= item <= 1 for item in value)
    ),
    "compression_ratio_threshold": lambda value: finite_number(value) and 0 < value <= 10,
    "logprob_threshold": lambda value: finite_number(value) and -10 <= value <= 0,
}


def check_request(task: str, items: Sequence[Any], options: Hashable) -> None:
    """Refuse, with one sentence, a request this task's model should not run; return quietly otherwise."""
    check = _CHECKS.get(task)
    if check is not None:
        check(items, options)


def _texts(most_items: int, most_characters: int) -> Callable[[Sequence[Any], Hashable], None]:
    def check(items: Sequence[Any], options: Hashable) -> None:
        _count(items, most_items, "texts")
        if not all(isinstance(item, str) for item in items):
            raise InputError("Every item must be a text.")
        total = sum(len(item) for item in items)
        if total > most_characters:
            raise InputError(f"The request holds {total:,} characters of text; at most {most_characters:,} are served.")
        _no_options(options)

    return check


def _images(check_options: Callable[[Hashable], None]) -> Callable[[Sequence[Any], Hashable], None]:
    def check(items: Sequence[Any], options: Hashable) -> None:
        _count(items, MAX_IMAGES, "images")
        side = load_settings().max_image_side
        for item in items:
            if not isinstance(item, Image.Image):
                raise InputError("Every item must be an image.")
            if max(item.size) > side or min(item.size) < 1:
                width, height = item.size
                raise InputError(f"An image is {width} x {height} pixels; at most {side} on each side are served.")
        check_options(options)

    return check


def _top_k(options: Hashable) -> None:
    if not (
        isinstance(options, tuple) and len(options) == 1 and whole_number(options[0]) and 1 <= options[0] <= MAX_TOP_K
    ):
        raise InputError(f"The options must be (top_k,), a whole number from 1 to {MAX_TOP_K}.")


def _threshold(options: Hashable) -> None:
    if not (isinstance(options, tuple) and len(options) == 1 and finite_number(options[0]) and 0 < options[0] < 1):
        raise InputError("The options must be (threshold,), a score between 0 and 1 (exclusive).")


def _audio_windows(items: Sequence[Any], options: Hashable) -> None:
    most_seconds = load_settings().max_audio_seconds
    _count(items, math.ceil(most_seconds / (WINDOW_SECONDS / 2)) + 1, "audio windows")
    total = 0.0
    for item in items:
        if not isinstance(item, dict) or set(item) != {"raw", "sampling_rate"} or item["sampling_rate"] != SAMPLE_RATE:
            raise InputError(f'Every item must be {{"raw": samples, "sampling_rate": {SAMPLE_RATE}}}.')
        raw = item["raw"]
        if not isinstance(raw, np.ndarray) or raw.ndim != 1 or raw.dtype != np.float32:
            raise InputError("Every window's samples must be one channel of float32.")
        seconds = len(raw) / SAMPLE_RATE
        if seconds > WINDOW_SECONDS + 1:
            raise InputError(f"A window holds {seconds:.0f} s of audio; at most {WINDOW_SECONDS:.0f} s are served.")
        total += seconds
    if total > most_seconds:
        raise InputError(f"The request holds {total:.0f} s of audio; at most {most_seconds:.0f} s are served.")
    _speech_options(options)


def _speech_options(options: Hashable) -> None:
    accepted = ", ".join(sorted(_SPEECH_OPTIONS))
    shape = f"The options must be (timestamps, ((name, value), ...)) with names from: {accepted}."
    if not (isinstance(options, tuple) and len(options) == 2 and isinstance(options[0], bool)):
        raise InputError(shape)
    pairs = options[1]
    if not isinstance(pairs, tuple) or not all(isinstance(pair, tuple) and len(pair) == 2 for pair in pairs):
        raise InputError(shape)
    for name, value in pairs:
        if name not in _SPEECH_OPTIONS:
            raise InputError(f"The decoding option {name!r} is not accepted; accepted: {accepted}.")
        if not _SPEECH_OPTIONS[name](value):
            raise InputError(f"The decoding option {name} = {value!r} is out of its range.")


def _count(items: Sequence[Any], most: int, what: str) -> None:
    if not isinstance(items, list | tuple):
        raise InputError("The items must be a list.")
    if len(items) > most:
        raise InputError(f"The request holds {len(items):,} {what}; at most {most:,} are served in one request.")


def _no_options(options: Hashable) -> None:
    if options != ():
        raise InputError("This model takes no options.")


def whole_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def finite_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


_CHECKS: dict[str, Callable[[Sequence[Any], Hashable], None]] = {
    "sentiment": _texts(MAX_ROWS, MAX_CSV_BYTES),
    "translation": _texts(TRANSLATION_CHARACTERS, TRANSLATION_CHARACTERS),
    "feature-extraction": _texts(MAX_ROWS, MAX_CSV_BYTES),
    "image-classification": _images(_top_k),
    "object-detection": _images(_threshold),
    "speech-to-text": _audio_windows,
}
