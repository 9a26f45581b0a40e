"""Speech to text: any recording in, a transcript out, with segment timestamps when asked.

Whisper reads 30-second windows. Longer recordings are cut at the quietest moment near each window's end
(so no word is split between two windows), transcribed window by window (which also gives a progress
fraction and lets other sessions use the model in between), and stitched back with shifted timestamps.
Silent recordings are answered "no speech" without running the model, which would invent a sentence.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

import numpy as np

from pipelines.errors import InputError
from pipelines.media.audio import SAMPLE_RATE, AudioSource, PreparedAudio, prepare_audio
from pipelines.provisioning.catalog import default_model
from pipelines.serving.loader import get_server, resolve_model
from pipelines.serving.model_server import WaitCallback
from pipelines.settings import load_settings

TASK = "speech-to-text"
WINDOW_SECONDS = 30.0
_PAUSE_SEARCH_SECONDS = 8.0  # where to look for the quietest moment: the last 8 s of a window
_PAUSE_FRAME = SAMPLE_RATE // 10  # 100 ms
# Whisper's decodings (SHOWROOM_SPEECH_DECODING): the folders' own 5-beam search; the same with the
# reference's temperature fallback (a window whose text compresses too well, a loop, or whose mean
# log-probability is too low, is decoded again by sampling at rising temperatures); or greedy.
DECODINGS: dict[str, dict] = {
    "beams": {},
    "beams-fallback": {
        "temperature": (0.0, 0.2, 0.4, 0.6, 0.8, 1.0),
        "compression_ratio_threshold": 1.35,  # transformers' measure (zlib over tokens) for OpenAI's 2.4
        "logprob_threshold": -1.0,
    },
    "greedy": {"num_beams": 1},
}
NO_SPEECH = "No speech detected: the recording is silent or too quiet to transcribe."


@dataclass(frozen=True)
class Segment:
    start: float  # seconds from the start of the recording
    end: float
    text: str


@dataclass(frozen=True)
class Transcript:
    text: str
    segments: list[Segment]  # empty unless timestamps were asked for
    model: str
    audio: PreparedAudio
    seconds: float  # time spent transcribing, decoding excluded
    notices: tuple[str, ...] = ()
    cuts: tuple[float, ...] = ()  # seconds where a window ends and the next begins (the pauses it was cut at)

    @property
    def real_time_factor(self) -> float:
        """Transcription time per second of audio: below 1 is faster than real time."""
        return self.seconds / self.audio.seconds if self.audio.seconds else 0.0

    def as_json(self, timestamps: bool) -> dict:
        """The CLI's shape, which is the transformers pipeline's: {"text", "chunks": [{"timestamp", "text"}]}."""
        answer: dict = {"text": self.text}
        if timestamps:
            answer["chunks"] = [{"timestamp": [s.start, s.end], "text": s.text} for s in self.segments]
        return answer


def languages(model: str | None = None) -> list[str]:
    """Language codes a model can be told to transcribe (empty for English-only models).

    Read from the model's generation config, not the loaded model, so a page can list them without
    loading Whisper."""
    config = _generation_config(resolve_model(model or default_model(TASK).name, TASK).location)
    if not getattr(config, "is_multilingual", False):
        return []
    return [token.strip("<|>") for token in config.lang_to_id]


def language_name(code: str) -> str:
    """ "fr" -> "French": Whisper's own table of the languages it was trained on (the code itself if unknown)."""
    from transformers.models.whisper.tokenization_whisper import LANGUAGES

    return LANGUAGES.get(code, code).title()


@functools.cache  # read once per model folder, not on every recording
def _generation_config(location: str):
    from transformers import GenerationConfig

    return GenerationConfig.from_pretrained(location)


def transcribe(
    source: AudioSource,
    model: str | None = None,
    timestamps: bool = False,
    language: str | None = None,
    on_wait: WaitCallback | None = None,
) -> Transcript:
    """Transcribe one recording; `language` (multilingual models only) skips automatic detection.

    Its windows are one request to the model's owner: served in batches, a slice at a time for a long
    recording, taking turns with other visitors; `on_wait` sees the ticket's progress meanwhile."""
    name = model or default_model(TASK).name
    audio = prepare_audio(source)
    if not audio.has_sound:
        return Transcript("", [], name, audio, 0.0, (NO_SPEECH,))
    location = resolve_model(name, TASK).location
    options = _generate_options(_generation_config(location), language) | DECODINGS[load_settings().speech_decoding]
    windows = split_at_pauses(audio.samples)
    server = get_server(name, TASK)
    started = time.perf_counter()
    answers = server.run(
        [{"raw": audio.samples[start:end], "sampling_rate": SAMPLE_RATE} for start, end in windows],
        (timestamps, tuple(sorted(options.items()))),
        on_wait,
    )
    seconds = time.perf_counter() - started
    texts, segments = [], []
    for answer, (start, end) in zip(answers, windows, strict=True):
        texts.append(answer["text"].strip())
        segments += _shifted(answer.get("chunks", []), start / SAMPLE_RATE, end / SAMPLE_RATE)
    text = " ".join(part for part in texts if part)
    cuts = tuple(round(start / SAMPLE_RATE, 2) for start, _ in windows[1:])
    return Transcript(text, segments, name, audio, seconds, () if text else (NO_SPEECH,), cuts)


def _generate_options(config, language: str | None) -> dict:
    if not getattr(config, "is_multilingual", False):
        if language not in (None, "en"):
            raise InputError(f"This model transcribes English only; choose the multilingual model for '{language}'.")
        return {}
    if language is not None and f"<|{language}|>" not in config.lang_to_id:
        raise InputError(f"Whisper does not know the language '{language}'. Use a code such as en, pt, de or fr.")
    # Without an explicit task a multilingual Whisper may translate, or loop on its own output.
    return {"task": "transcribe", "language": language}


def split_at_pauses(samples: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) sample ranges of at most WINDOW_SECONDS, each cut at the quietest 100 ms near its end."""
    window = int(WINDOW_SECONDS * SAMPLE_RATE)
    search = int(_PAUSE_SEARCH_SECONDS * SAMPLE_RATE)
    ranges, start = [], 0
    while len(samples) - start > window:
        region = samples[start + window - search : start + window]
        frames = region[: len(region) // _PAUSE_FRAME * _PAUSE_FRAME].reshape(-1, _PAUSE_FRAME)
        quietest = int(np.argmin(np.sqrt(np.mean(frames**2, axis=1))))
        cut = start + window - search + quietest * _PAUSE_FRAME + _PAUSE_FRAME // 2
        ranges.append((start, cut))
        start = cut
    ranges.append((start, len(samples)))
    return ranges


def _shifted(chunks: list[dict], offset: float, window_end: float) -> list[Segment]:
    """Window-relative chunks → recording-relative segments; an open-ended last chunk ends with its window."""
    segments = []
    for chunk in chunks:
        start, end = chunk["timestamp"]
        segments.append(
            Segment(
                round(offset + (start or 0.0), 2),
                round(min(offset + end, window_end) if end is not None else window_end, 2),
                chunk["text"].strip(),
            )
        )
    return segments
