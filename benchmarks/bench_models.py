"""Benchmark the shared loader against plain `transformers.pipeline` on the same model folders.

For every provisioned catalog model: cold load (fresh process each time, imports excluded),
warm call (median of repeated calls, engine vs raw pipeline, in one process), a warm loader hit,
the process RSS once the model is loaded, and the time of a pull that has nothing to do. Writes Markdown
and JSON to benchmarks/results/.

    python -m benchmarks.bench_models [--repeats N] [--calls N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pipelines  # noqa: F401  (quiets transformers before it is imported)
from benchmarks.report import RESULTS
from pipelines.runtime.memory import resident_mb

ROOT = Path(__file__).resolve().parent.parent
CAT_PHOTO = str(ROOT / "assets" / "images" / "chelsea.jpg")
COFFEE_PHOTO = str(ROOT / "assets" / "images" / "coffee.jpg")
SPEECH_CLIP = ROOT / "assets" / "eval" / "audio" / "passage.wav"
QUESTION = "What is the capital of France?"
REVIEW = "The delivery was late again and nobody answered my emails."
SENTENCES = {"en": "Our new bikes arrive next week.", "pt": "As nossas bicicletas novas chegam na próxima semana."}
# Generating costs ~1 s a call, classifying ~40 ms: fewer repeated calls for the chat model.
CALLS_SCALE = {
    "text-generation": 0.2,
    "sentiment": 1.0,
    "translation": 1.0,
    "image-classification": 1.0,
    "object-detection": 0.5,
    "speech-to-text": 0.2,
}


def task_calls(task: str, name: str, raw: Callable[..., object]) -> tuple[Callable[[], object], Callable[[], object]]:
    """The engine's call and the raw pipeline's call on the same input, for one task."""
    if task == "text-generation":
        from pipelines.tasks.text_generation import GenerationSettings, chats, generate_reply

        settings = GenerationSettings(max_new_tokens=16)
        # A chat model gets the question as a conversation; a base model continues it as plain text.
        prompt = [{"role": "user", "content": QUESTION}] if chats(name) else QUESTION
        return (lambda: generate_reply(QUESTION, model=name, settings=settings)), (
            lambda: raw(prompt, **settings.generate_kwargs())
        )
    if task == "sentiment":
        from pipelines.tasks.sentiment import analyse_sentiment

        return (lambda: analyse_sentiment([REVIEW], name)), (lambda: raw([REVIEW], top_k=None, truncation=True))
    if task == "translation":
        from pipelines.provisioning.catalog import find_model
        from pipelines.tasks.translation import translate

        source, target = find_model(name).language_pair
        sentence = SENTENCES[source]
        return (lambda: translate([sentence], source, target, name)), (lambda: raw(sentence))
    if task == "speech-to-text":
        from pipelines.media.audio import SAMPLE_RATE, prepare_audio
        from pipelines.tasks.speech_to_text import transcribe

        samples = prepare_audio(SPEECH_CLIP).samples
        return (lambda: transcribe(SPEECH_CLIP, name)), (
            lambda: raw({"raw": samples, "sampling_rate": SAMPLE_RATE}, **_speech_options(raw))
        )
    if task == "object-detection":
        from PIL import Image

        from pipelines.tasks.object_detection import detect_objects

        photo = Image.open(COFFEE_PHOTO)
        return (lambda: detect_objects(COFFEE_PHOTO, name)), (lambda: raw(photo, threshold=0.3))
    from pipelines.tasks.image_classification import classify_image

    return (lambda: classify_image(CAT_PHOTO, name)), (lambda: raw(CAT_PHOTO))


def _speech_options(raw: Callable[..., object]) -> dict:
    """What the engine passes a multilingual Whisper: transcribe (not translate) the detected language."""
    multilingual = raw.model.generation_config.is_multilingual
    return {"generate_kwargs": {"task": "transcribe", "language": None}} if multilingual else {}


def cold_load(name: str, how: str) -> dict[str, float]:
    """Run in a fresh process: time one load of `name`, through the loader or raw transformers."""
    import torch
    from transformers import pipeline

    import pipelines.architectures  # noqa: F401
    from pipelines.provisioning.catalog import find_model, pipeline_task
    from pipelines.provisioning.provision import model_dir
    from pipelines.serving.loader import get_server

    torch.set_num_threads(1)
    spec = find_model(name)
    started = time.perf_counter()
    if how == "loader":
        get_server(name)
    else:
        pipeline(pipeline_task(spec.task), model=str(model_dir(spec)), device="cpu")
    return {"seconds": time.perf_counter() - started, "rss_mb": resident_mb()}


def cold_loads(name: str, repeats: int) -> dict[str, float]:
    """Alternate loader and raw loads in fresh processes, so drift on a shared machine hits both."""
    seconds: dict[str, list[float]] = {"loader": [], "raw": []}
    rss = []
    for _ in range(repeats):
        for how in ("loader", "raw"):
            command = [sys.executable, "-m", "benchmarks.bench_models", "--cold", name, how]
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
            measured = json.loads(done.stdout.strip().splitlines()[-1])
            seconds[how].append(measured["seconds"])
            if how == "loader":
                rss.append(measured["rss_mb"])
    return {
        "cold_loader_s": statistics.median(seconds["loader"]),
        "cold_raw_s": statistics.median(seconds["raw"]),
        "rss_after_load_mb": statistics.median(rss),
    }


def warm_calls(name: str, calls: int) -> dict[str, float]:
    """Median latency of the engine's task call vs the raw pipeline on the same input, interleaved."""
    from transformers import pipeline

    from pipelines.provisioning.catalog import find_model, pipeline_task
    from pipelines.provisioning.provision import model_dir
    from pipelines.serving.loader import get_server

    spec = find_model(name)
    calls = max(3, round(calls * CALLS_SCALE[spec.task]))
    served = get_server(name)
    engine_call, raw_call = task_calls(
        spec.task, name, pipeline(pipeline_task(spec.task), model=str(model_dir(spec)), device="cpu")
    )
    engine_times, raw_times, hit_times = [], [], []
    for _ in range(3):  # warm-up
        engine_call()
        raw_call()
    for _ in range(calls):
        started = time.perf_counter()
        engine_call()
        engine_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        raw_call()
        raw_times.append(time.perf_counter() - started)
    for _ in range(1000):
        started = time.perf_counter()
        assert get_server(name) is served
        hit_times.append(time.perf_counter() - started)
    engine, plain = statistics.median(engine_times), statistics.median(raw_times)
    return {
        "two_threads_ratio": _two_threads_vs_one(engine_call, calls),
        "warm_engine_ms": engine * 1000,
        "warm_raw_ms": plain * 1000,
        "warm_ratio": engine / plain,
        "loader_hit_us": statistics.median(hit_times) * 1e6,
    }


def _two_threads_vs_one(call: Callable[[], object], calls: int) -> float:
    """Median latency with two torch threads over one, interleaved; above 1 means one thread wins."""
    import torch

    times: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(calls):
        for threads in (1, 2):
            torch.set_num_threads(threads)
            started = time.perf_counter()
            call()
            times[threads].append(time.perf_counter() - started)
    torch.set_num_threads(1)
    return statistics.median(times[2]) / statistics.median(times[1])


def parallel_two_threads_vs_one(names: list[str], calls: int) -> float:
    """Two sessions classifying at once on different models: wall time with two torch threads over one."""
    from concurrent.futures import ThreadPoolExecutor

    import torch

    from pipelines.tasks.image_classification import classify_image

    def session(name: str) -> None:
        for _ in range(calls):
            classify_image(CAT_PHOTO, name)

    walls = {}
    for threads in (1, 2):
        torch.set_num_threads(threads)
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=len(names)) as pool:
            list(pool.map(session, names))
        walls[threads] = time.perf_counter() - started
    torch.set_num_threads(1)
    return walls[2] / walls[1]


def sentiment_throughput(name: str, texts: int = 1000) -> dict[str, float]:
    """Texts per second for a 1,000-line batch: the engine (checks, notices) vs the raw pipeline."""
    from transformers import pipeline

    from pipelines.provisioning.catalog import find_model, pipeline_task
    from pipelines.provisioning.provision import model_dir
    from pipelines.tasks.sentiment import analyse_sentiment

    batch = [f"{REVIEW} ({index})" for index in range(texts)]
    raw = pipeline(pipeline_task("sentiment"), model=str(model_dir(find_model(name))), device="cpu")
    timings: dict[str, list[float]] = {"engine": [], "raw": []}
    for _ in range(3):
        started = time.perf_counter()
        analyse_sentiment(batch, name)
        timings["engine"].append(time.perf_counter() - started)
        started = time.perf_counter()
        raw(batch, top_k=None, truncation=True, batch_size=32)
        timings["raw"].append(time.perf_counter() - started)
    engine, plain = (texts / statistics.median(timings[key]) for key in ("engine", "raw"))
    return {"engine_texts_per_s": engine, "raw_texts_per_s": plain, "ratio": engine / plain}


def markdown_table(rows: list[dict]) -> str:
    header = (
        "| model | cold load: loader | cold load: raw pipeline | ratio | warm call: engine | warm call: raw | "
        "ratio | 2 threads / 1 | loader hit | RSS after load |\n|---|---|---|---|---|---|---|---|---|---|\n"
    )
    lines = [
        f"| {r['model']} | {r['cold_loader_s']:.2f} s | {r['cold_raw_s']:.2f} s | "
        f"{r['cold_loader_s'] / r['cold_raw_s']:.2f} | {r['warm_engine_ms']:.1f} ms | {r['warm_raw_ms']:.1f} ms | "
        f"{r['warm_ratio']:.2f} | {r['two_threads_ratio']:.2f} | {r['loader_hit_us']:.1f} µs | "
        f"{r['rss_after_load_mb']:.0f} MB |"
        for r in rows
    ]
    return header + "\n".join(lines) + "\n"


def second_pull_seconds(repeats: int) -> float:
    """Median wall time of a pull that finds every model up to date: what `make run` pays on each start."""
    from pipelines.provisioning.provision import pull

    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        pull(report=lambda _line: None)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes per cold-load variant")
    parser.add_argument("--calls", type=int, default=30, help="warm calls per variant")
    parser.add_argument("--cold", nargs=2, metavar=("NAME", "HOW"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cold:
        print(json.dumps(cold_load(*args.cold)))
        return 0

    import torch

    from pipelines.provisioning.provision import model_statuses

    torch.set_num_threads(1)
    rows = []
    ready = [status.spec for status in model_statuses() if status.state == "ready" and status.spec.task in CALLS_SCALE]
    for spec in ready:
        print(f"benchmarking {spec.name} …", file=sys.stderr)
        rows.append({"model": spec.name, **cold_loads(spec.name, args.repeats), **warm_calls(spec.name, args.calls)})
    classifiers = [spec.name for spec in ready if spec.task == "image-classification"]
    parallel = parallel_two_threads_vs_one(classifiers, args.calls) if len(classifiers) > 1 else None
    sentiment = [spec.name for spec in ready if spec.task == "sentiment"]
    throughput = sentiment_throughput(sentiment[0]) if sentiment else None
    RESULTS.mkdir(parents=True, exist_ok=True)
    noop_pull = second_pull_seconds(args.repeats)
    results = {
        "models": rows,
        "parallel_two_threads_ratio": parallel,
        "sentiment_batch": throughput,
        "second_pull_seconds": noop_pull,
    }
    (RESULTS / "bench.json").write_text(json.dumps(results, indent=2))
    table = markdown_table(rows)
    if throughput is not None:
        table += (
            f"\nSentiment, a batch of 1,000 texts: engine {throughput['engine_texts_per_s']:.0f} texts/s, raw "
            f"pipeline {throughput['raw_texts_per_s']:.0f} texts/s (ratio {throughput['ratio']:.2f})\n"
        )
    if parallel is not None:
        table += (
            f"\nTwo sessions at once ({' and '.join(classifiers)}), wall time with 2 torch threads / 1: "
            f"{parallel:.2f}\n"
        )
    table += f"\nA second `models pull`, every model up to date: {noop_pull:.2f} s (median of {args.repeats})\n"
    (RESULTS / "bench.md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
