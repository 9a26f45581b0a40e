"""Transcripts as files people open elsewhere: plain text, SubRip (.srt) and WebVTT (.vtt) subtitles."""

from __future__ import annotations

from pipelines.tasks.speech_to_text import Segment


def _clock(seconds: float, separator: str) -> str:
    milliseconds = round(seconds * 1000)
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}{separator}{rest % 1000:03d}"


def to_srt(segments: list[Segment]) -> str:
    """Numbered cues with comma-separated milliseconds, as SubRip players expect."""
    cues = [
        f"{number}\n{_clock(s.start, ',')} --> {_clock(s.end, ',')}\n{s.text}\n"
        for number, s in enumerate(segments, start=1)
    ]
    return "\n".join(cues)


def to_vtt(segments: list[Segment]) -> str:
    """WebVTT: a header, then cues with dot-separated milliseconds (what browsers' <track> reads)."""
    cues = [f"{_clock(s.start, '.')} --> {_clock(s.end, '.')}\n{s.text}\n" for s in segments]
    return "WEBVTT\n\n" + "\n".join(cues)
