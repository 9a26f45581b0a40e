"""What the two largest models hold in memory, and what each way of serving them costs in time.

    python -m benchmarks.bench_memory

Each variant runs in a fresh process through the engine, so its resident size (RSS) and peak (the
kernel's high-water mark, reset before the work) are its own:
- the chat model (float32) with its weights held in 16 bits (the default, `pipelines.runtime.half_stored`) and
  as float32 copies: RSS once loaded and after 8 customer-service questions at once, their seconds,
  and whether both give the same answers;
- Whisper tiny.en on a 2-minute recording (four 30-second windows) with 1, 2 and 4 windows per batch:
  seconds, and the peak above the RSS before it;
- MobileNetV2 on the four example photos twice, 1, 2 and 8 photos per batch: the same two figures;
- the speech page's pictures of that recording (`pipelines.media.sound_pictures`): seconds (first and second
  picture) and the peak over the RSS before.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from benchmarks.questions import CUSTOMER_QUESTIONS
from benchmarks.report import markdown_table, save
from pipelines.runtime.memory import resident_mb

ROOT = Path(__file__).resolve().parent.parent
CLIPS = [ROOT / "assets" / "audio" / name for name in ("support_call.wav", "weather_report.wav")]
RECORDING_SECONDS = 116  # four windows of at most 30 s
WINDOWS_PER_BATCH = (1, 2, 4)
PHOTOS_PER_BATCH = (1, 2, 8)


def peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # "5" resets the high-water mark to the current RSS


def chat_child() -> dict:
    from pipelines.assistant.chat_presets import CUSTOMER_SERVICE
    from pipelines.serving.loader import load
    from pipelines.tasks.text_generation import generate_reply

    load("smollm2-135m-instruct", "text-generation")
    loaded = resident_mb()
    questions = CUSTOMER_QUESTIONS[:8]
    started = time.perf_counter()
    with ThreadPoolExecutor(len(questions)) as pool:
        answers = list(pool.map(lambda q: generate_reply(q, CUSTOMER_SERVICE.system_prompt()), questions))
    seconds = time.perf_counter() - started
    return {"loaded_mb": loaded, "after_mb": resident_mb(), "seconds": seconds, "answers": answers}


def recording() -> np.ndarray:
    """RECORDING_SECONDS of the example clips, one after the other and again, at 16 kHz."""
    from pipelines.media.audio import SAMPLE_RATE, prepare_audio

    speech = np.concatenate([prepare_audio(clip).samples for clip in CLIPS])
    return np.tile(speech, RECORDING_SECONDS * SAMPLE_RATE // len(speech) + 1)[: RECORDING_SECONDS * SAMPLE_RATE]


def pictures_child() -> dict:
    """The speech page's pictures of the recording, twice, in this process as in the server."""
    import torch  # noqa: F401  (as in the server, where the models' libraries are loaded first)

    from pipelines.media.sound_pictures import sound_picture

    samples = recording()
    before = resident_mb()
    reset_peak()
    times = []
    for _ in range(2):
        started = time.perf_counter()
        sound_picture(samples)
        times.append(time.perf_counter() - started)
    return {"first_s": times[0], "second_s": times[1], "peak_over_mb": peak_mb() - before}


def speech_child(windows_per_batch: int) -> dict:
    import soundfile

    from pipelines.media.audio import SAMPLE_RATE
    from pipelines.serving import batch_calls
    from pipelines.serving.loader import load
    from pipelines.tasks.speech_to_text import transcribe

    batch_calls.BATCH_CAPS["speech-to-text"] = windows_per_batch  # before the model's owner reads it
    load("whisper-tiny-en", "speech-to-text")
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"showroom-bench-memory-{os.getpid()}.wav"
    soundfile.write(path, recording(), SAMPLE_RATE)
    try:
        before = resident_mb()
        reset_peak()
        started = time.perf_counter()
        transcript = transcribe(path)
        seconds = time.perf_counter() - started
    finally:
        path.unlink()
    return {"seconds": seconds, "peak_over_mb": peak_mb() - before, "words": len(transcript.text.split())}


def classification_child(photos_per_batch: int) -> dict:
    from pipelines.media.images import prepare_image
    from pipelines.serving import batch_calls
    from pipelines.tasks.image_classification import classify_image

    batch_calls.BATCH_CAPS["image-classification"] = photos_per_batch  # before the model's owner reads it
    photos = [prepare_image(path).image for path in sorted((ROOT / "assets" / "images").glob("*.jpg"))] * 2
    classify_image(photos[0])  # loaded, and its first call's allocations made
    before = resident_mb()
    reset_peak()
    started = time.perf_counter()
    with ThreadPoolExecutor(len(photos)) as pool:  # eight visitors at once: the owner batches them
        labels = [result.scores[0].label for result in pool.map(classify_image, photos)]
    return {"seconds": time.perf_counter() - started, "peak_over_mb": peak_mb() - before, "labels": labels}


def in_fresh_process(arguments: list[str], environment: dict[str, str] | None = None) -> dict:
    command = [sys.executable, "-m", "benchmarks.bench_memory", *arguments]
    done = subprocess.run(command, cwd=ROOT, env=os.environ | (environment or {}), capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(arguments)} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    if sys.argv[1:2] == ["--chat"]:
        print(json.dumps(chat_child()))
        return 0
    if sys.argv[1:2] == ["--speech"]:
        print(json.dumps(speech_child(int(sys.argv[2]))))
        return 0
    if sys.argv[1:2] == ["--pictures"]:
        print(json.dumps(pictures_child()))
        return 0
    if sys.argv[1:2] == ["--classification"]:
        print(json.dumps(classification_child(int(sys.argv[2]))))
        return 0
    chats = {
        "16 bits (default)": in_fresh_process(["--chat"]),
        "float32 copies": in_fresh_process(["--chat"], {"SHOWROOM_CHAT_16BIT_WEIGHTS": "0"}),
    }
    same = chats["16 bits (default)"]["answers"] == chats["float32 copies"]["answers"]
    rows = [
        [weights, f"{run['loaded_mb']:,.0f} MB", f"{run['after_mb']:,.0f} MB", f"{run['seconds']:.1f} s"]
        for weights, run in chats.items()
    ]
    text = "Chat model (SmolLM2, float32), 8 customer-service questions at once:\n\n"
    text += markdown_table(["weights held as", "RSS loaded", "RSS after", "8 answers"], rows)
    text += f"\nSame 8 answers both ways: {same}\n\n"
    speech = {n: in_fresh_process(["--speech", str(n)]) for n in WINDOWS_PER_BATCH}
    rows = [[str(n), f"{run['seconds']:.1f} s", f"+{run['peak_over_mb']:,.0f} MB"] for n, run in speech.items()]
    text += f"Whisper tiny.en, a {RECORDING_SECONDS}-second recording (four windows), 5-beam decoding:\n\n"
    text += markdown_table(["windows per batch", "transcription", "peak over RSS before"], rows)
    photos = {n: in_fresh_process(["--classification", str(n)]) for n in PHOTOS_PER_BATCH}
    rows = [[str(n), f"{run['seconds']:.2f} s", f"+{run['peak_over_mb']:,.0f} MB"] for n, run in photos.items()]
    text += "\nMobileNetV2, eight photos sent at once (the four examples twice):\n\n"
    text += markdown_table(["photos per batch", "all eight", "peak over RSS before"], rows)
    text += f"\nSame labels every way: {len({tuple(run['labels']) for run in photos.values()}) == 1}\n"
    pictures = in_fresh_process(["--pictures"])
    text += f"\nThe speech page's waveform and log-mel spectrogram of the {RECORDING_SECONDS}-second recording: "
    text += f"first {pictures['first_s']:.2f} s, second {pictures['second_s']:.2f} s, "
    text += f"peak +{pictures['peak_over_mb']:,.0f} MB over the RSS before\n"
    save("memory.md", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
