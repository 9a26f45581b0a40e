"""A recording drawn: its waveform and the log-mel spectrogram Whisper reads, small enough to chart.

The spectrogram is computed as Whisper's feature extractor computes it (transformers' own window and
mel filter bank: 80 Slaney mel bands of 25 ms Hann frames every 10 ms up to 8 kHz, the recording padded
by reflection at both ends), in slices of `SLICE_FRAMES` frames pooled as they come, so a 10-minute talk
holds a few MB at a time. The first version drew with librosa in a worker process, because librosa
brings numba, llvmlite and scipy (~250 MB for the worker, ~1.8 s for its first picture); this is the
same picture (tests/test_sound_pictures.py compares it with librosa's) in ~0.3 s and no process.
Columns are pooled in time to at most `MAX_COLUMNS`; the waveform is each column's lowest and highest
sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.media.audio import SAMPLE_RATE

MEL_BANDS = 80
FRAME_SAMPLES = 400  # 25 ms
HOP_SAMPLES = 160  # 10 ms
MAX_COLUMNS = 240  # time columns a chart gets: 80 x 240 cells draw at once in a browser
TOP_DB = 80.0  # quieter than the loudest cell by more than this is drawn as the floor
SLICE_FRAMES = 2_048  # frames transformed at once: ~7 MB of spectrum


@dataclass(frozen=True)
class SoundPicture:
    column_seconds: float  # each column's length in time
    low: np.ndarray  # (columns,) the lowest sample in each column, -1..1
    high: np.ndarray  # (columns,) the highest
    mel_hz: np.ndarray  # (MEL_BANDS,) each band's centre frequency
    mel_db: np.ndarray  # (MEL_BANDS, columns) loudness in dB below the loudest cell (0 at the loudest)


def sound_picture(samples: np.ndarray) -> SoundPicture:
    """The pictures of 16 kHz mono samples."""
    samples = np.asarray(samples, dtype=np.float32)
    if samples.size < FRAME_SAMPLES:
        samples = np.pad(samples, (0, FRAME_SAMPLES - samples.size))
    frames = 1 + samples.size // HOP_SAMPLES  # centred frames, one every hop
    frames_per_column = max(1, -(-frames // MAX_COLUMNS))
    columns = -(-frames // frames_per_column)
    power = _pooled_mel_power(samples, frames, frames_per_column, columns)
    floor = 10 * np.log10(max(float(power.max()), 1e-10))
    mel_db = np.maximum(10 * np.log10(np.maximum(power, 1e-10)) - floor, -TOP_DB)
    column_samples = frames_per_column * HOP_SAMPLES
    # Centred frames cover a little more than the recording: the waveform's last column is padded with silence.
    shaped = np.pad(samples, (0, max(0, columns * column_samples - samples.size)))[: columns * column_samples]
    shaped = shaped.reshape(columns, column_samples)
    return SoundPicture(
        column_seconds=column_samples / SAMPLE_RATE,
        low=shaped.min(axis=1),
        high=shaped.max(axis=1),
        mel_hz=_band_centres().astype(np.float32),
        mel_db=mel_db.astype(np.float32),
    )


def _pooled_mel_power(samples: np.ndarray, frames: int, frames_per_column: int, columns: int) -> np.ndarray:
    """(MEL_BANDS, columns): the mean mel power of each column's frames, transformed a slice at a time."""
    from transformers.audio_utils import window_function

    padded = np.pad(samples, FRAME_SAMPLES // 2, mode="reflect")
    framed = np.lib.stride_tricks.sliding_window_view(padded, FRAME_SAMPLES)[::HOP_SAMPLES][:frames]
    window, filters = window_function(FRAME_SAMPLES, "hann"), _filters()
    summed = np.zeros((columns, MEL_BANDS))
    step = SLICE_FRAMES // frames_per_column * frames_per_column or frames_per_column  # whole columns per slice
    for start in range(0, frames, step):
        spectrum = np.abs(np.fft.rfft(framed[start : start + step] * window)) ** 2
        mel = spectrum @ filters
        first = start // frames_per_column
        np.add.at(summed, first + np.arange(len(mel)) // frames_per_column, mel)
    counts = np.minimum(frames_per_column, frames - np.arange(columns) * frames_per_column)
    return (summed / counts[:, None]).T


def _filters() -> np.ndarray:
    from transformers.audio_utils import mel_filter_bank

    return mel_filter_bank(
        num_frequency_bins=1 + FRAME_SAMPLES // 2,
        num_mel_filters=MEL_BANDS,
        min_frequency=0.0,
        max_frequency=SAMPLE_RATE / 2,
        sampling_rate=SAMPLE_RATE,
        norm="slaney",
        mel_scale="slaney",
    )


def _band_centres() -> np.ndarray:
    """Each triangular filter peaks at the middle of its three mel points."""
    from transformers.audio_utils import hertz_to_mel, mel_to_hertz

    top = hertz_to_mel(SAMPLE_RATE / 2, mel_scale="slaney")
    return mel_to_hertz(np.linspace(0.0, top, MEL_BANDS + 2)[1:-1], mel_scale="slaney")
