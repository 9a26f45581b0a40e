"""Speech to text: a recording or the microphone in, a transcript out, with timestamps and subtitle files."""

import hashlib

import pandas as pd
import streamlit as st

from pages import feedback, links, model_state, ui
from pages.links import LinkParameter
from pages.sound_charts import sound_chart
from pipelines.media.sound_pictures import SoundPicture, sound_picture
from pipelines.tasks import snippets
from pipelines.tasks.speech_to_text import TASK, Transcript, language_name, languages, transcribe
from pipelines.tasks.subtitles import to_srt, to_vtt

AUTO = "auto"

st.title("Speech to text")
st.caption(
    "Whisper transcribes uploads in any common format (WAV, FLAC, MP3, OGG, Opus, M4A, WebM) or the "
    "microphone, on this machine's CPU. Recordings over 30 s are cut at pauses and transcribed piece by piece."
)

links.open_from_link(
    "speech-to-text",
    [
        LinkParameter("example", "st-source", links.example_of(ui.example_files(ui.AUDIO))),
        LinkParameter("model", "st-model", links.model_of(TASK)),
    ],
)
model_column, language_column, timestamps_column = st.columns([3, 2, 2], vertical_alignment="bottom")
with model_column:
    spec = ui.pick_model(TASK, key="st-model")
model_state.wait_for(spec)
codes = ui.run_engine(languages, spec.name) or []
with language_column:
    language = (
        st.selectbox(
            "Language",
            [AUTO, *codes],
            format_func=lambda code: "Detect automatically" if code == AUTO else language_name(code),
            key="st-language",
        )
        if codes
        else None
    )
    if not codes:
        st.caption("English only: choose the multilingual model for other languages.")
with timestamps_column:
    timestamps = st.toggle("Timestamps", value=True, key="st-timestamps", help="Segments with start and end times")

ui.model_reports([spec])
picked = ui.media_input("st", ui.AUDIO)
links.keep_in_link(example=links.example_stem(st.session_state.get("st-source")), model=ui.unless_default(spec, TASK))
if picked is None:
    st.info("Upload a recording, record with the microphone, or click an example.", icon=":material/mic:")
    st.stop()
st.audio(picked.data)


chosen = None if language in (None, AUTO) else language


def cached_transcript(data: bytes, digest: str) -> tuple[Transcript | None, int | None]:
    """Transcribe once per recording and setting: a rerun (a download click, say) must not transcribe again.
    With the transcript, its request's row in the record of use."""
    key = (digest, spec.name, chosen, timestamps)
    cache = st.session_state.setdefault("st-transcripts", {})
    if key not in cache:
        with ui.place_in_line("Transcribing") as on_wait:
            result, request = ui.answer(TASK, spec.name, transcribe, data, spec.name, timestamps, chosen, on_wait)
        if result is None:
            return None, None
        cache.clear()  # keep only the latest recording: transcripts of long talks are not small
        cache[key] = result, request
    return cache[key]


digest = hashlib.sha256(picked.data).hexdigest()  # once per run: an upload may be 25 MB
transcript, request = cached_transcript(picked.data, digest)
if transcript is None:
    st.stop()
audio = transcript.audio
st.caption(
    f"{picked.name} · {audio.seconds:.1f} s · {audio.codec}, {audio.original_rate:,} Hz, "
    f"{audio.original_channels} channel{'s' if audio.original_channels > 1 else ''}"
    + "".join(f" · {note}" for note in audio.notes)
)
for notice in transcript.notices:
    st.info(notice, icon=":material/hearing_disabled:")
if not transcript.text:
    st.stop()

metrics = st.columns(3)
metrics[0].metric("Audio", f"{audio.seconds:.1f} s")
metrics[1].metric("Transcribed in", ui.latency(transcript.seconds))
metrics[2].metric(
    "Real-time factor", f"{transcript.real_time_factor:.2f}", help="Transcription time per second of audio"
)
st.container(border=True).text(transcript.text)
feedback.thumbs(request)


def cached_picture(digest: str) -> SoundPicture | None:
    """The recording's waveform and spectrogram, drawn once per recording."""
    kept = st.session_state.get("st-picture")
    if kept is None or kept[0] != digest:
        picture = ui.run_engine(sound_picture, audio.samples)
        if picture is None:
            return None
        st.session_state["st-picture"] = kept = (digest, picture)
    return kept[1]


if (picture := cached_picture(digest)) is not None:
    st.altair_chart(sound_chart(picture, transcript.segments, transcript.cuts), width="stretch")
    count = len(transcript.segments)
    marked = [f"{count} transcribed segment{'s' if count > 1 else ''} shaded"] if count else []
    if transcript.cuts:
        at = ", ".join(f"{cut:.1f} s" for cut in transcript.cuts)
        marked.append(f"cut into Whisper's 30-second windows at the pauses at {at} (dashed)")
    st.caption(" · ".join(["Waveform and log-mel spectrogram (what Whisper reads: 80 mel bands)", *marked]))
if timestamps and transcript.segments:
    table = pd.DataFrame([vars(segment) for segment in transcript.segments], columns=["start", "end", "text"])
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "start": st.column_config.NumberColumn("start (s)", format="%.2f"),
            "end": st.column_config.NumberColumn("end (s)", format="%.2f"),
        },
    )

stem = picked.name.rsplit(".", 1)[0].replace(" ", "_")
downloads = st.columns(3)
downloads[0].download_button(
    "Text (TXT)", transcript.text + "\n", f"{stem}.txt", "text/plain", key="st-txt", on_click="ignore"
)
subtitles_help = None if transcript.segments else "Turn on timestamps to make subtitles."
for column, (label, render, extension, mime) in zip(
    downloads[1:],
    (("Subtitles (SRT)", to_srt, "srt", "application/x-subrip"), ("Subtitles (WebVTT)", to_vtt, "vtt", "text/vtt")),
    strict=True,
):
    column.download_button(
        label,
        render(transcript.segments),
        f"{stem}.{extension}",
        mime,
        key=f"st-{extension}",
        disabled=not transcript.segments,
        help=subtitles_help,
        on_click="ignore",
    )
ui.show_code(snippets.speech_to_text(picked.path, spec.name, timestamps, chosen))
