"""The speech page's pictures of a recording: the log-mel spectrogram Whisper reads, checked against librosa's."""

from __future__ import annotations

import librosa
import numpy as np
import pytest

from pipelines.media.audio import SAMPLE_RATE, prepare_audio
from pipelines.media.sound_pictures import MAX_COLUMNS, MEL_BANDS, SLICE_FRAMES, sound_picture
from pipelines.tasks.speech_to_text import split_at_pauses
from tests.conftest import ROOT

CLIP = ROOT / "assets" / "audio" / "support_call.wav"
TALK = ROOT / "assets" / "eval" / "audio" / "talk.opus"


def librosas_picture(samples: np.ndarray, frames_per_column: int) -> tuple[np.ndarray, np.ndarray]:
    """librosa's mel power of the same frames, pooled the same way, in dB: (mel_db, band centres)."""
    power = librosa.feature.melspectrogram(
        y=samples, sr=SAMPLE_RATE, n_fft=400, hop_length=160, n_mels=MEL_BANDS, fmax=8_000, pad_mode="reflect"
    )
    columns = np.array_split(power, range(frames_per_column, power.shape[1], frames_per_column), axis=1)
    pooled = np.stack([column.mean(axis=1) for column in columns], axis=1)
    centres = librosa.mel_frequencies(n_mels=MEL_BANDS + 2, fmax=8_000)[1:-1]
    return librosa.power_to_db(pooled, ref=np.max, top_db=80), centres


@pytest.mark.parametrize("path", [CLIP, TALK], ids=["clip", "talk"])
def test_the_picture_is_librosas_log_mel_spectrogram(path: object) -> None:
    samples = prepare_audio(path).samples
    picture = sound_picture(samples)
    frames_per_column = round(picture.column_seconds * SAMPLE_RATE / 160)
    mel_db, centres = librosas_picture(samples, frames_per_column)
    assert picture.mel_db.shape == mel_db.shape == (MEL_BANDS, picture.low.size)
    assert np.allclose(picture.mel_db, mel_db, atol=1e-3) and np.allclose(picture.mel_hz, centres, rtol=1e-4)
    assert picture.mel_db.max() == 0 and picture.mel_db.min() >= -80  # dB below the loudest cell


def test_a_clip_is_drawn_whole_with_its_waveforms_extremes_and_speech_in_the_lower_bands() -> None:
    samples = prepare_audio(CLIP).samples
    picture = sound_picture(samples)
    assert picture.low.size <= MAX_COLUMNS
    assert picture.column_seconds * picture.low.size >= len(samples) / SAMPLE_RATE  # the whole clip is drawn
    assert picture.high.max() == pytest.approx(samples.max()) and picture.low.min() == pytest.approx(samples.min())
    assert np.all(np.diff(picture.mel_hz) > 0) and picture.mel_hz[-1] <= SAMPLE_RATE / 2
    # espeak's voice is loudest well below 4 kHz: the lower bands hold more energy than the upper ones
    lower = picture.mel_hz < 2_000
    assert picture.mel_db[lower].mean() > picture.mel_db[~lower].mean() + 10


def test_a_long_talk_is_pooled_to_the_charts_width_in_slices_and_its_cuts_fall_inside_it() -> None:
    samples = prepare_audio(TALK).samples
    assert len(samples) / 160 > 2 * SLICE_FRAMES  # transformed in more than two slices
    picture = sound_picture(samples)
    drawn = picture.column_seconds * picture.low.size
    assert MAX_COLUMNS - 2 <= picture.low.size <= MAX_COLUMNS  # 90 s in at most 240 columns, not 9,000 frames
    assert len(samples) / SAMPLE_RATE <= drawn < len(samples) / SAMPLE_RATE + picture.column_seconds
    cuts = [start / SAMPLE_RATE for start, _ in split_at_pauses(samples)[1:]]
    assert len(cuts) >= 2 and all(0 < cut < drawn for cut in cuts)


def test_a_recording_shorter_than_a_frame_still_draws() -> None:
    picture = sound_picture(np.full(100, 0.25, dtype=np.float32))
    assert picture.mel_db.shape[0] == MEL_BANDS and picture.low.size >= 1 and np.isfinite(picture.mel_db).all()
