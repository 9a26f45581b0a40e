"""Any audio a phone, laptop or browser records → 16 kHz mono float samples, or one sentence saying why not.

Decoding happens here, at the edge, with PyAV (its wheel bundles FFmpeg's decoders, so no system ffmpeg
is needed): the speech pipeline then gets a plain array and never shells out or resamples itself. The
duration limit is checked from the container's header before decoding, and again while decoding for
files whose header does not say.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from pipelines.errors import InputError
from pipelines.settings import Settings, load_settings

SAMPLE_RATE = 16_000  # what Whisper's feature extractor expects
ACCEPTED = "WAV, FLAC, MP3, OGG, Opus, M4A or WebM"
UPLOAD_TYPES = ("wav", "flac", "mp3", "ogg", "oga", "opus", "m4a", "mp4", "aac", "webm")
_SPEECH_LEVEL = 0.005  # RMS of a 20 ms frame (about -46 dBFS): quieter than any voice near a microphone
_SPEECH_FRAMES = 10  # at least 0.2 s of frames that loud count as possible speech

AudioSource = bytes | str | Path | BinaryIO


@dataclass(frozen=True)
class PreparedAudio:
    """Samples ready for Whisper, and what the file was (shown to the user)."""

    samples: np.ndarray  # float32, mono, SAMPLE_RATE
    original_rate: int
    original_channels: int
    codec: str
    notes: tuple[str, ...] = ()

    @property
    def seconds(self) -> float:
        return len(self.samples) / SAMPLE_RATE

    @property
    def has_sound(self) -> bool:
        """Whether any stretch is loud enough to be speech (silence makes Whisper invent sentences)."""
        frame = SAMPLE_RATE // 50
        usable = len(self.samples) // frame * frame
        if not usable:
            return False
        energy = np.sqrt(np.mean(self.samples[:usable].reshape(-1, frame) ** 2, axis=1))
        return int(np.sum(energy > _SPEECH_LEVEL)) >= _SPEECH_FRAMES


def prepare_audio(source: AudioSource, settings: Settings | None = None) -> PreparedAudio:
    """Decode, downmix and resample one recording; bad input raises InputError with a sentence."""
    import av

    settings = settings or load_settings()
    data = _read_bytes(source)
    if not data:
        raise InputError(f"The audio file is empty (0 bytes). Upload a recording: {ACCEPTED}.")
    try:
        container = av.open(io.BytesIO(data))
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as error:
        raise InputError(f"This file is not audio that can be decoded. Upload a recording: {ACCEPTED}.") from error
    with container:
        if not container.streams.audio:
            raise InputError(
                f"This file has no audio track (it is a picture or a video without sound). Upload {ACCEPTED}."
            )
        stream = container.streams.audio[0]
        declared = _declared_seconds(container, stream)
        if declared is not None and declared > settings.max_audio_seconds:
            raise _too_long(declared, settings.max_audio_seconds)
        samples, notes = _decode(container, stream, settings.max_audio_seconds)
        rate, channels, codec = stream.rate, stream.channels, stream.codec_context.name
    if not len(samples):
        raise InputError(f"No audio could be decoded from this file; it may be damaged. Upload {ACCEPTED}.")
    if declared and len(samples) < 0.9 * declared * SAMPLE_RATE - SAMPLE_RATE // 2 and not notes:
        notes.append(f"the file seems cut short: {len(samples) / SAMPLE_RATE:.1f} s of its {declared:.1f} s decoded")
    if channels > 1:
        notes.insert(0, f"mixed down from {channels} channels")
    if rate != SAMPLE_RATE:
        notes.insert(0, f"resampled from {rate:,} Hz to {SAMPLE_RATE:,} Hz")
    return PreparedAudio(samples, rate, channels, codec, tuple(notes))


def _read_bytes(source: AudioSource) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise InputError(f"There is no file at {path}. Give the path of a recording: {ACCEPTED}.")
        return path.read_bytes()
    return source.read()


def _too_long(seconds: float, limit: float) -> InputError:
    return InputError(
        f"The recording is {_duration(seconds)} long; at most {_duration(limit)} can be transcribed. "
        "Trim it or split it into parts."
    )


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    if minutes >= 60:
        return f"{minutes // 60} h {minutes % 60:02d} min"
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def _declared_seconds(container, stream) -> float | None:
    """The length the file's header claims, if it claims one."""
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000  # microseconds
    return None


def _decode(container, stream, limit: float) -> tuple[np.ndarray, list[str]]:
    """Decode to 16 kHz mono float32; a file that breaks off part-way keeps what came before, with a note."""
    import av

    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    chunks: list[np.ndarray] = []
    decoded = 0
    notes: list[str] = []
    try:
        for frame in container.decode(stream):
            for converted in resampler.resample(frame):
                chunk = converted.to_ndarray().reshape(-1)
                chunks.append(chunk)
                decoded += len(chunk)
            if decoded > limit * SAMPLE_RATE:
                raise _too_long(decoded / SAMPLE_RATE, limit)
    except av.error.FFmpegError as error:
        if not decoded:
            raise InputError(
                f"The audio file is damaged or truncated and cannot be decoded. Upload a complete {ACCEPTED} file."
            ) from error
        notes.append(f"the file breaks off after {decoded / SAMPLE_RATE:.1f} s; the rest could not be decoded")
    chunks.extend(converted.to_ndarray().reshape(-1) for converted in resampler.resample(None))
    samples = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, dtype=np.float32)
    return samples, notes
