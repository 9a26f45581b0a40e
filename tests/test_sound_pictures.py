"""The speech page's pictures of a recording, computed with librosa in the engine's worker process."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.audio import SAMPLE_RATE, prepare_audio
from pipelines.sound_pictures import MAX_COLUMNS, MEL_BANDS, WORKER, draw, sound_picture
from pipelines.speech_to_text import split_at_pauses
from tests.conftest import ROOT

CLIP = ROOT / "assets" / "audio" / "support_call.wav"
TALK = ROOT / "tests" / "data" / "audio" / "talk.opus"


def test_the_worker_draws_librosas_pictures_of_a_clip_and_starts_again_after_stopping() -> None:
    samples = prepare_audio(CLIP).samples
    picture = draw(samples)
    assert WORKER.running
    assert picture.mel_db.shape == (MEL_BANDS, picture.low.size) and picture.low.size <= MAX_COLUMNS
    assert picture.mel_db.max() == 0 and picture.mel_db.min() >= -80  # dB below the loudest cell
    assert picture.column_seconds * picture.low.size >= len(samples) / SAMPLE_RATE  # the whole clip is drawn
    assert picture.high.max() == pytest.approx(samples.max()) and picture.low.min() == pytest.approx(samples.min())
    assert np.all(np.diff(picture.mel_hz) > 0) and picture.mel_hz[-1] <= SAMPLE_RATE / 2
    # espeak's voice is loudest well below 4 kHz: the lower bands hold more energy than the upper ones
    lower = picture.mel_hz < 2_000
    assert picture.mel_db[lower].mean() > picture.mel_db[~lower].mean() + 10
    here = sound_picture(samples)
    assert np.array_equal(here.mel_db, picture.mel_db) and np.array_equal(here.high, picture.high)
    WORKER.stop()
    assert not WORKER.running
    assert np.array_equal(draw(samples).mel_db, picture.mel_db)  # a fresh worker on the next picture
    WORKER.stop()


def test_a_long_talk_is_pooled_to_the_charts_width_and_its_cuts_fall_inside_it() -> None:
    samples = prepare_audio(TALK).samples
    picture = draw(samples)
    drawn = picture.column_seconds * picture.low.size
    assert MAX_COLUMNS - 2 <= picture.low.size <= MAX_COLUMNS  # 90 s in at most 240 columns, not 9,000 frames
    assert len(samples) / SAMPLE_RATE <= drawn < len(samples) / SAMPLE_RATE + picture.column_seconds
    cuts = [start / SAMPLE_RATE for start, _ in split_at_pauses(samples)[1:]]
    assert len(cuts) >= 2 and all(0 < cut < drawn for cut in cuts)
    WORKER.stop()
