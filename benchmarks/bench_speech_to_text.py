"""Whisper here: real-time factor and word error rate per model, precision and decoding.

    python -m benchmarks.bench_speech_to_text

On the committed espeak-ng clips (assets/eval/audio, assets/audio): for each provisioned Whisper model, the
raw transformers pipeline in float32, float16 and bfloat16 (same text? how fast?), then Showroom's
engine in its serving precision (`pipelines.serving.loader.serving_dtype`) with each of its decodings
(`SHOWROOM_SPEECH_DECODING`: 5 beams, 5 beams with temperature fallback, greedy). Real-time factor =
transcription seconds / audio seconds (below 1 is faster than real time); one torch thread, as the app
runs.
"""

from __future__ import annotations

import json
import os
import time

import pipelines  # noqa: F401  (quiets transformers before it is imported)
from benchmarks.report import markdown_table, save
from pipelines.media.audio import SAMPLE_RATE, prepare_audio
from pipelines.metrics.transcript_quality import word_error_rate
from pipelines.provisioning.catalog import find_model, models_for_task
from pipelines.provisioning.provision import model_dir, model_state
from pipelines.reports import report_cards
from pipelines.serving.loader import serving_dtype
from pipelines.settings import load_settings
from pipelines.tasks.speech_to_text import DECODINGS, TASK, transcribe

SAID = report_cards.spoken()
CLIPS = report_cards.CLIPS  # the clips the speech models' report cards are measured on


def raw_run(name: str, dtype: str) -> dict:
    """The plain pipeline on each clip (long ones with Whisper's own long-form decoding)."""
    import torch
    from transformers import pipeline

    recogniser = pipeline(
        "automatic-speech-recognition", model=str(model_dir(find_model(name))), dtype=getattr(torch, dtype)
    )
    multilingual = recogniser.model.generation_config.is_multilingual
    options = {"generate_kwargs": {"task": "transcribe", "language": "en"}} if multilingual else {}
    texts, seconds, audio_seconds = [], 0.0, 0.0
    for path in CLIPS.values():
        samples = prepare_audio(path).samples
        started = time.perf_counter()
        answer = recogniser({"raw": samples, "sampling_rate": SAMPLE_RATE}, return_timestamps=True, **options)
        seconds += time.perf_counter() - started
        audio_seconds += len(samples) / SAMPLE_RATE
        texts.append(answer["text"])
    return {"texts": texts, "rtf": seconds / audio_seconds}


def engine_run(name: str) -> dict:
    transcripts = [transcribe(path, name, timestamps=True, language=None) for path in CLIPS.values()]
    seconds = sum(transcript.seconds for transcript in transcripts)
    audio_seconds = sum(transcript.audio.seconds for transcript in transcripts)
    return {"texts": [transcript.text for transcript in transcripts], "rtf": seconds / audio_seconds}


def main() -> int:
    import torch

    torch.set_num_threads(1)
    references = [SAID[name] for name in CLIPS]
    rows = []
    for spec in models_for_task(TASK):
        if model_state(spec) != "ready":
            continue
        transcribe(CLIPS["passage"], spec.name)  # load the engine's copy outside the timings
        variants = {f"raw pipeline, {dtype}": raw_run(spec.name, dtype) for dtype in ("float32", "float16", "bfloat16")}
        for decoding in DECODINGS:  # each of the engine's decodings, in its serving precision
            os.environ["SHOWROOM_SPEECH_DECODING"] = decoding
            variants[f"engine ({serving_dtype(TASK, load_settings())}), {decoding}"] = engine_run(spec.name)
        del os.environ["SHOWROOM_SPEECH_DECODING"]
        baseline = variants["raw pipeline, float32"]["texts"]
        for variant, run in variants.items():
            rows.append(
                {
                    "model": spec.name,
                    "variant": variant,
                    "wer": word_error_rate(run["texts"], references),
                    "rtf": run["rtf"],
                    "same_text_as_float32": sum(
                        a.strip() == b.strip() for a, b in zip(run["texts"], baseline, strict=True)
                    ),
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    save(
        "speech_to_text.md",
        markdown_table(
            ["model", "variant", "WER", "real-time factor", "same text as float32"],
            [
                [
                    r["model"],
                    r["variant"],
                    f"{r['wer']:.1%}",
                    f"{r['rtf']:.2f}",
                    f"{r['same_text_as_float32']}/{len(CLIPS)}",
                ]
                for r in rows
            ],
        ),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
