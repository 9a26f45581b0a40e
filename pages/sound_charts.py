"""The speech page's picture of a recording: its waveform over its log-mel spectrogram, on one time axis,
with the transcribed segments marked (shaded bands, their text in the tooltip) and the pauses where a long
recording was cut into Whisper's 30-second windows (dashed lines)."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from pages.ui import theme_accent
from pipelines.media.sound_pictures import SoundPicture
from pipelines.tasks.speech_to_text import Segment

CUT_COLOUR = "#D64545"


def sound_chart(picture: SoundPicture, segments: list[Segment], cuts: tuple[float, ...]) -> alt.VConcatChart:
    starts = np.arange(picture.low.size) * picture.column_seconds
    time = alt.X("start:Q", title="seconds", scale=alt.Scale(domain=[0, float(starts[-1] + picture.column_seconds)]))
    wave = (
        alt.Chart(pd.DataFrame({"start": starts, "low": picture.low, "high": picture.high}))
        .mark_area(color=theme_accent(), opacity=0.85)
        .encode(x=time, y=alt.Y("low:Q", title="waveform", scale=alt.Scale(domain=[-1, 1])), y2="high:Q")
        .properties(height=110)
    )
    spectrogram = (
        alt.Chart(_cells(picture, starts))
        .mark_rect()
        .encode(
            x=time,
            x2="end:Q",
            # A symlog scale with constant 700 is the mel scale (2595·log10(1 + f/700)), up to its factor.
            y=alt.Y("low_hz:Q", title="Hz (mel scale)", scale=alt.Scale(type="symlog", constant=700)),
            y2="high_hz:Q",
            color=alt.Color("db:Q", title="dB", scale=alt.Scale(scheme="magma", domain=[-80, 0])),
            tooltip=[alt.Tooltip("start:Q", title="s", format=".2f"), alt.Tooltip("db:Q", format=".0f")],
        )
        .properties(height=220)
    )
    marks = _marks(segments, cuts)
    return alt.vconcat(wave + marks, spectrogram + marks).resolve_scale(x="shared")


def _cells(picture: SoundPicture, starts: np.ndarray) -> pd.DataFrame:
    """One row per (band, column): the band's edges half-way to its neighbours' centres."""
    centres = picture.mel_hz
    edges = np.concatenate([[0.0], (centres[1:] + centres[:-1]) / 2, [centres[-1]]])
    bands, columns = picture.mel_db.shape
    return pd.DataFrame(
        {
            "start": np.tile(starts, bands),
            "end": np.tile(starts + picture.column_seconds, bands),
            "low_hz": np.repeat(edges[:-1], columns),
            "high_hz": np.repeat(edges[1:], columns),
            "db": picture.mel_db.ravel().round(1),
        }
    )


def _marks(segments: list[Segment], cuts: tuple[float, ...]) -> alt.LayerChart:
    bands = pd.DataFrame(
        [{"start": s.start, "end": s.end, "text": s.text, "shade": i % 2} for i, s in enumerate(segments)],
        columns=["start", "end", "text", "shade"],
    )
    shaded = (
        alt.Chart(bands)
        .mark_rect(color="#4C6EF5")
        .encode(
            x="start:Q",
            x2="end:Q",
            opacity=alt.Opacity("shade:N", scale=alt.Scale(range=[0.12, 0.22]), legend=None),
            tooltip=[alt.Tooltip("start:Q", format=".2f"), alt.Tooltip("end:Q", format=".2f"), "text:N"],
        )
    )
    lines = (
        alt.Chart(pd.DataFrame({"start": list(cuts)}, columns=["start"]))
        .mark_rule(color=CUT_COLOUR, strokeDash=[6, 4], strokeWidth=2)
        .encode(x="start:Q", tooltip=[alt.Tooltip("start:Q", title="cut at (s)", format=".2f")])
    )
    return shaded + lines
