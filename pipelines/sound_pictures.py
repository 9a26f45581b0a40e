"""A recording drawn: its waveform and its log-mel spectrogram, computed with librosa, small enough to chart.

librosa brings numba, llvmlite and scipy with it: ~200 MB the first time any of it runs, and ~1.6 s of
compiling. The server that holds the models does not take that on: the pictures are drawn by one worker
process, started on the first picture and stopped after `IDLE_SECONDS` without one, so a room that never
opens the speech page never pays for it and one that stops using it gets the memory back
(`python -m benchmarks.bench_memory` measures both ways).

The spectrogram is the one Whisper reads (80 mel bands of 25 ms frames every 10 ms, up to 8 kHz), pooled
in time to at most `MAX_COLUMNS` columns; the waveform is each column's lowest and highest sample.
"""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from pipelines.audio import SAMPLE_RATE

MEL_BANDS = 80
FRAME_SAMPLES = 400  # 25 ms
HOP_SAMPLES = 160  # 10 ms
MAX_COLUMNS = 240  # time columns a chart gets: 80 x 240 cells draw at once in a browser
TOP_DB = 80.0  # quieter than the loudest cell by more than this is drawn as the floor
IDLE_SECONDS = 120.0


@dataclass(frozen=True)
class SoundPicture:
    column_seconds: float  # each column's length in time
    low: np.ndarray  # (columns,) the lowest sample in each column, -1..1
    high: np.ndarray  # (columns,) the highest
    mel_hz: np.ndarray  # (MEL_BANDS,) each band's centre frequency
    mel_db: np.ndarray  # (MEL_BANDS, columns) loudness in dB below the loudest cell (0 at the loudest)


def sound_picture(samples: np.ndarray) -> SoundPicture:
    """The pictures of 16 kHz mono samples, computed here (in the worker process, see `draw`)."""
    import librosa

    samples = np.asarray(samples, dtype=np.float32)
    if samples.size < FRAME_SAMPLES:
        samples = np.pad(samples, (0, FRAME_SAMPLES - samples.size))
    power = librosa.feature.melspectrogram(
        y=samples, sr=SAMPLE_RATE, n_fft=FRAME_SAMPLES, hop_length=HOP_SAMPLES, n_mels=MEL_BANDS, fmax=SAMPLE_RATE / 2
    )
    frames_per_column = max(1, -(-power.shape[1] // MAX_COLUMNS))
    columns = -(-power.shape[1] // frames_per_column)
    padded = np.pad(power, ((0, 0), (0, columns * frames_per_column - power.shape[1])))
    pooled = padded.reshape(MEL_BANDS, columns, frames_per_column).mean(axis=2)
    mel_db = librosa.power_to_db(pooled, ref=np.max, top_db=TOP_DB)
    column_samples = frames_per_column * HOP_SAMPLES
    # librosa centres its frames, so the columns cover a little more than the recording: pad with silence.
    shaped = np.pad(samples, (0, max(0, columns * column_samples - samples.size)))[: columns * column_samples]
    shaped = shaped.reshape(columns, column_samples)
    return SoundPicture(
        column_seconds=column_samples / SAMPLE_RATE,
        low=shaped.min(axis=1),
        high=shaped.max(axis=1),
        mel_hz=librosa.mel_frequencies(n_mels=MEL_BANDS, fmax=SAMPLE_RATE / 2).astype(np.float32),
        mel_db=mel_db.astype(np.float32),
    )


class _Worker:
    """One worker process, started on demand and stopped when idle."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._busy = 0
        self._stopper: threading.Timer | None = None

    def run(self, samples: np.ndarray) -> SoundPicture:
        with self._lock:
            if self._stopper is not None:
                self._stopper.cancel()
                self._stopper = None
            if self._pool is None:
                # spawn, not fork: a forked copy of a server holding the models and their threads is unsafe.
                self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
            self._busy += 1
            pool = self._pool
        try:
            return pool.submit(sound_picture, samples).result()
        finally:
            with self._lock:
                self._busy -= 1
                if not self._busy:
                    self._stopper = threading.Timer(IDLE_SECONDS, self.stop)
                    self._stopper.daemon = True
                    self._stopper.start()

    def stop(self) -> None:
        """Stop the worker process now (its memory goes back); the next picture starts another."""
        with self._lock:
            if self._busy or self._pool is None:
                return
            pool, self._pool = self._pool, None
        pool.shutdown(wait=True)

    @property
    def running(self) -> bool:
        return self._pool is not None


WORKER = _Worker()


def draw(samples: np.ndarray) -> SoundPicture:
    """The pictures of a recording, drawn by the worker process."""
    return WORKER.run(samples)
