"""Speech to text on the real Whisper models: word error rate, every format, long audio, bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.errors import InputError
from pipelines.media.audio import prepare_audio
from pipelines.metrics.transcript_quality import normalise, word_error_rate
from pipelines.reports import report_cards
from pipelines.tasks.speech_to_text import NO_SPEECH, split_at_pauses, transcribe
from pipelines.tasks.subtitles import to_srt, to_vtt
from tests.conftest import ROOT
from tests.test_cli import cli

AUDIO = ROOT / "assets" / "eval" / "audio"
SAID = json.loads((AUDIO / "transcripts.json").read_text())
MODELS = ["whisper-tiny-en", "whisper-base"]
FORMATS = ["wav", "flac", "mp3", "ogg", "opus", "m4a", "webm"]
VOICES = ["british_fast", "scottish_slow", "american_female", "caribbean"]


@pytest.mark.parametrize("model", MODELS)
def test_word_error_rate_on_espeak_clips_is_at_most_15_percent(provisioned: Path, model: str) -> None:
    clips = {"passage": AUDIO / "passage.wav", "support_call": ROOT / "assets" / "audio" / "support_call.wav"}
    clips["weather_report"] = ROOT / "assets" / "audio" / "weather_report.wav"
    heard = [transcribe(path, model).text for path in clips.values()]
    assert word_error_rate(heard, [SAID[name] for name in clips]) <= 0.15


# Accents, a female variant and 125-190 words a minute (espeak-ng: 14-15% WER when measured, both
# models), and a person reading a novel aloud (LibriVox, from pocketsphinx's test data: 1.4%, only the
# reader's own slip missed): what the report card measures beyond the clips above.
@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize(("clips", "ceiling"), [("voices", 0.25), ("recorded", 0.10)])
def test_other_voices_and_recorded_speech_are_heard(provisioned: Path, model: str, clips: str, ceiling: float) -> None:
    names = VOICES if clips == "voices" else list(report_cards.RECORDED)
    said = report_cards.spoken()
    heard = [transcribe(report_cards.CLIPS[name], model, language="en").text for name in names]
    assert word_error_rate(heard, [said[name] for name in names]) <= ceiling


def test_every_format_gives_the_same_text(provisioned: Path) -> None:
    texts = {extension: transcribe(AUDIO / f"passage.{extension}").text for extension in FORMATS}
    assert len({" ".join(normalise(text)) for text in texts.values()}) == 1, texts
    assert word_error_rate([texts["wav"]], [SAID["passage"]]) <= 0.15


# Telephone-band audio (8 kHz) loses everything above 4 kHz, where espeak's "s" and "f" live: Whisper
# still gets most words, but not to the 15% bar that full-band audio meets.
@pytest.mark.parametrize(("clip", "ceiling"), [("passage_8khz_mono.wav", 0.35), ("passage_44khz_stereo.flac", 0.15)])
def test_other_sample_rates_and_channel_counts_are_converted(provisioned: Path, clip: str, ceiling: float) -> None:
    result = transcribe(AUDIO / clip)
    assert abs(result.audio.seconds - prepare_audio(AUDIO / "passage.wav").seconds) < 0.1
    assert word_error_rate([result.text], [SAID["passage"]]) <= ceiling
    assert any(note.startswith("resampled from") for note in result.audio.notes)


def test_a_long_talk_keeps_every_sentence_with_timestamps(provisioned: Path) -> None:
    waits: list[float] = []
    result = transcribe(AUDIO / "talk.opus", timestamps=True, on_wait=lambda ticket: waits.append(ticket.progress))
    assert result.audio.seconds > 75
    windows = split_at_pauses(result.audio.samples)
    assert len(windows) >= 3 and waits  # cut into windows; the page heard the wait
    assert result.cuts == tuple(round(start / 16_000, 2) for start, _ in windows[1:])  # the page marks them
    assert word_error_rate([result.text], [SAID["talk"]]) <= 0.15
    heard = set(normalise(result.text))
    for sentence in SAID["talk"].split(". "):  # no sentence lost, at a window's edge or anywhere
        words = normalise(sentence)
        assert sum(word in heard for word in words) >= 0.7 * len(words), f"lost: {sentence}"
    starts = [segment.start for segment in result.segments]
    assert starts == sorted(starts) and result.segments[-1].end <= result.audio.seconds + 0.5
    assert result.segments[-1].start > 70  # the last sentence is placed near the end of the talk


def test_silence_is_no_speech_not_an_invented_sentence(provisioned: Path) -> None:
    result = transcribe(AUDIO / "silence.wav")
    assert result.text == "" and result.notices == (NO_SPEECH,)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda folder: b"", r"^The audio file is empty \(0 bytes\)\."),
        (lambda folder: b"just some text, renamed to .wav\n" * 20, r"^This file is not audio that can be decoded\."),
        (lambda folder: (AUDIO / "passage.wav").read_bytes()[:40], r"^This file is not audio that can be decoded\."),
        (lambda folder: (AUDIO / "video_only.webm").read_bytes(), r"^This file has no audio track"),
    ],
)
def test_bad_files_get_one_sentence(provisioned: Path, make, message: str) -> None:
    with pytest.raises(InputError, match=message):
        transcribe(make(None))


def test_a_file_cut_off_midway_transcribes_what_is_there(provisioned: Path) -> None:
    data = (AUDIO / "passage.mp3").read_bytes()
    result = transcribe(data[: len(data) // 2])
    assert "quarterly report" in result.text.lower()
    assert any("cut short" in note for note in result.audio.notes)


def test_recordings_over_the_limit_are_refused_before_decoding(
    provisioned: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOWROOM_MAX_AUDIO_SECONDS", "60")
    with pytest.raises(InputError, match=r"^The recording is 1 min 21 s long; at most 1 min 00 s can be transcribed"):
        prepare_audio(AUDIO / "talk.opus")


def test_multilingual_model_takes_a_language_and_refuses_an_unknown_one(provisioned: Path) -> None:
    result = transcribe(AUDIO / "passage.wav", "whisper-base", language="en")
    assert word_error_rate([result.text], [SAID["passage"]]) <= 0.15
    with pytest.raises(InputError, match="does not know the language 'xx'"):
        transcribe(AUDIO / "passage.wav", "whisper-base", language="xx")
    with pytest.raises(InputError, match="English only"):
        transcribe(AUDIO / "passage.wav", "whisper-tiny-en", language="pt")


def test_a_plain_transformers_pipeline_loads_the_folder_with_timestamp_tokens(provisioned: Path) -> None:
    from transformers import pipeline

    from pipelines.provisioning.catalog import find_model
    from pipelines.provisioning.provision import model_dir

    recogniser = pipeline("automatic-speech-recognition", model=str(model_dir(find_model("whisper-tiny-en"))))
    assert recogniser.tokenizer.convert_tokens_to_ids("<|0.00|>") == 50363
    samples = prepare_audio(AUDIO / "passage.flac").samples
    answer = recogniser({"raw": samples, "sampling_rate": 16_000}, return_timestamps=True)
    assert len(answer["chunks"]) == 2 and answer["chunks"][1]["timestamp"][1] > 5


def test_subtitles_are_well_formed(provisioned: Path) -> None:
    segments = transcribe(AUDIO / "passage.wav", timestamps=True).segments
    srt, vtt = to_srt(segments), to_vtt(segments)
    assert srt.startswith("1\n00:00:00,000 --> 00:00:0") and "\n\n2\n00:00:0" in srt
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:0")


def test_cli_prints_text_and_chunks_per_file(provisioned: Path) -> None:
    done = cli("run", "speech-to-text", str(AUDIO / "passage.ogg"), str(AUDIO / "silence.wav"), "--timestamps")
    assert done.returncode == 0, done.stderr
    passage, silence = json.loads(done.stdout)
    assert set(passage) == {"text", "chunks"} and passage["chunks"]
    assert all(len(chunk["timestamp"]) == 2 and chunk["text"] for chunk in passage["chunks"])
    assert silence == {"text": "", "chunks": []}
    plain = json.loads(cli("run", "speech-to-text", str(AUDIO / "passage.opus")).stdout)
    assert set(plain[0]) == {"text"}


@pytest.mark.parametrize("decoding", ["greedy", "beams-fallback"])
def test_each_decoding_hears_the_passage(provisioned: Path, decoding: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOWROOM_SPEECH_DECODING", decoding)
    heard = transcribe(AUDIO / "passage.wav", "whisper-tiny-en").text
    assert word_error_rate([heard], [SAID["passage"]]) <= 0.15


def test_fallback_decodes_a_failed_window_again_each_time_with_a_fresh_cache(
    provisioned: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A log-probability threshold no text reaches makes every temperature run: each `generate` of the
    fallback gets its own cache (pipelines.runtime.beam_cache), so none reads another attempt's keys and values."""
    from pipelines.serving.loader import get_server
    from pipelines.tasks import speech_to_text

    monkeypatch.setenv("SHOWROOM_SPEECH_DECODING", "beams-fallback")
    unreachable = dict(speech_to_text.DECODINGS["beams-fallback"], logprob_threshold=0.0)
    monkeypatch.setitem(speech_to_text.DECODINGS, "beams-fallback", unreachable)
    model = get_server("whisper-tiny-en")._pipeline.model
    prepare, caches = model._prepare_cache_for_generation, []

    def counting(generation_config: object, model_kwargs: dict, *args: object) -> object:
        answer = prepare(generation_config, model_kwargs, *args)
        cache = model_kwargs["cache"]
        assert cache.get_seq_length() == 0  # nothing from an earlier attempt in it
        caches.append(cache)  # kept alive, so no later cache can reuse its id
        return answer

    monkeypatch.setattr(model, "_prepare_cache_for_generation", counting)
    transcript = transcribe(AUDIO / "passage.wav", "whisper-tiny-en")
    assert len(caches) == len(unreachable["temperature"]) == len({id(cache) for cache in caches})  # one each
    assert isinstance(transcript.text, str)


def test_an_unknown_decoding_is_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines.errors import SettingsError
    from pipelines.settings import load_settings

    monkeypatch.setenv("SHOWROOM_SPEECH_DECODING", "beam")
    with pytest.raises(SettingsError, match="must be one of beams, beams-fallback, greedy"):
        load_settings()
