"""The speech-to-text page through AppTest: an upload, the microphone, examples, silence, a bad file."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import ROOT
from tests.test_pages import open_page

AUDIO = ROOT / "assets" / "eval" / "audio"


def test_uploaded_clip_shows_text_segments_metrics_and_downloads(provisioned: Path) -> None:
    app = open_page("pages/speech_to_text.py")
    data = (AUDIO / "passage.m4a").read_bytes()
    app.file_uploader(key="st-upload").set_value(("meeting.m4a", data, "audio/mp4")).run()
    assert not app.exception and not app.error
    (text,) = [element.value for element in app.text]
    assert text.startswith("Please send me the quarterly report before Friday.")
    report = ["Word error rate", "Real-time factor"]  # the model's report card, above the upload
    assert [metric.label for metric in app.metric] == [*report, "Audio", "Transcribed in", "Real-time factor"]
    assert list(app.dataframe[-1].value.columns) == ["start", "end", "text"]
    downloads = {button.label: button for button in app.get("download_button")}
    assert set(downloads) == {"Text (TXT)", "Subtitles (SRT)", "Subtitles (WebVTT)"}
    assert any("resampled from 44,100 Hz" in caption.value for caption in app.caption)
    assert any(caption.value.startswith("Waveform and log-mel spectrogram") for caption in app.caption)
    (chart,) = app.get("vega_lite_chart")  # the waveform over the spectrogram, segments marked on both
    layers = json.loads(chart.proto.spec)["vconcat"]
    assert len(layers) == 2 and all(len(layer["layer"]) == 2 for layer in layers)


def test_microphone_recording_is_transcribed(provisioned: Path) -> None:
    app = open_page("pages/speech_to_text.py")
    app.toggle(key="st-capture-on").set_value(True).run()
    recording = (AUDIO / "passage_44khz_stereo.flac").read_bytes()
    app.audio_input(key="st-capture").set_value(("recording.wav", recording, "audio/wav")).run()
    assert not app.exception and not app.error
    assert "quarterly report" in app.text[0].value


def test_multilingual_model_offers_languages_and_timestamps_can_be_off(provisioned: Path) -> None:
    app = open_page("pages/speech_to_text.py")
    app.selectbox(key="st-model").select_index(1).run()
    language = app.selectbox(key="st-language")
    assert language.value == "auto" and language.options[0] == "Detect automatically"
    assert "Portuguese" in language.options
    app.toggle(key="st-timestamps").set_value(False).run()
    app.button(key="st-example-weather_report").click().run()
    assert not app.exception and "sunny" in app.text[0].value.lower()
    assert all(list(table.value.columns) != ["start", "end", "text"] for table in app.dataframe)  # no segments


def test_silence_and_a_broken_file_each_get_one_sentence(provisioned: Path) -> None:
    app = open_page("pages/speech_to_text.py")
    app.file_uploader(key="st-upload").set_value(("quiet.wav", (AUDIO / "silence.wav").read_bytes(), "audio/wav"))
    app.run()
    assert [info.value for info in app.info] == [
        "No speech detected: the recording is silent or too quiet to transcribe."
    ]
    app.file_uploader(key="st-upload").set_value(("notes.wav", b"not audio at all\n" * 30, "audio/wav")).run()
    assert not app.exception
    (error,) = app.error
    assert error.value.startswith("This file is not audio that can be decoded.")
