"""Chat benchmark: time to first token and tokens per second, engine vs raw pipeline, and the
saved dtype (float16 vs float32, both converted from the same GGUF, same greedy text?).

    python -m benchmarks.bench_text_generation [--repeats N] [--new-tokens N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import pipelines  # noqa: F401  (quiets transformers before it is imported)
from benchmarks.report import RESULTS

MODEL = "smollm2-135m-instruct"
PROMPTS = (
    "What is the capital of France?",
    "Explain what a neural network is in two sentences.",
    "Give me three tips for a good presentation.",
)


def raw_run(pipe: object, prompt: str, new_tokens: int) -> tuple[str, float, float]:
    """Greedy answer from a plain transformers pipeline: (text, first-token s, tokens/s after it)."""
    from transformers import TextIteratorStreamer

    times: list[float] = []

    class TimedStreamer(TextIteratorStreamer):
        def put(self, value: object) -> None:
            if not self.next_tokens_are_prompt:
                times.append(time.perf_counter())
            super().put(value)

    streamer = TimedStreamer(pipe.tokenizer, skip_prompt=True, skip_special_tokens=True)
    messages = [{"role": "user", "content": prompt}]
    settings = {"max_new_tokens": new_tokens, "do_sample": False, "repetition_penalty": 1.15}
    started = time.perf_counter()
    worker = threading.Thread(target=pipe, args=(messages,), kwargs={"streamer": streamer, **settings})
    worker.start()
    text = "".join(streamer)
    worker.join()
    decode = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
    return text, times[0] - started, decode


def engine_run(prompt: str, new_tokens: int) -> tuple[str, float, float]:
    from pipelines.serving.chat_prompt import ChatMessage
    from pipelines.tasks.text_generation import GenerationSettings, stream_chat

    reply = stream_chat([ChatMessage("user", prompt)], model=MODEL, settings=GenerationSettings(new_tokens))
    text = "".join(reply)
    return text, reply.stats.first_token_seconds or 0.0, reply.stats.tokens_per_second


def summarise(runs: list[tuple[str, float, float]]) -> dict[str, float]:
    return {
        "first_token_s": statistics.median(run[1] for run in runs),
        "tokens_per_s": statistics.median(run[2] for run in runs),
    }


def float32_copy(work: Path) -> Path:
    """The same GGUF converted to float32, with the recipe's own converter."""
    from pipelines.provisioning.catalog import find_model
    from pipelines.provisioning.fetch import model_sources
    from pipelines.provisioning.recipes.gguf_causal_lm import convert_gguf
    from pipelines.settings import load_settings

    sources = model_sources(find_model(MODEL), load_settings().downloads_dir, work / "source", lambda line: None)
    (gguf,) = sources.values()
    convert_gguf(gguf, work / "float32", "float32")
    return work / "float32"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--new-tokens", type=int, default=64)
    args = parser.parse_args()

    import torch
    from transformers import pipeline

    from pipelines.provisioning.catalog import find_model
    from pipelines.provisioning.provision import model_dir
    from pipelines.serving.loader import get_server

    torch.set_num_threads(1)
    get_server(MODEL)
    float16 = pipeline("text-generation", model=str(model_dir(find_model(MODEL))), device="cpu")
    runs: dict[str, list] = {"engine": [], "raw float16": [], "raw float32": []}
    with tempfile.TemporaryDirectory() as work:
        float32 = pipeline("text-generation", model=str(float32_copy(Path(work))), device="cpu")
        for variant in (float16, float32):  # warm-up
            raw_run(variant, PROMPTS[0], 8)
        for _ in range(args.repeats):
            for prompt in PROMPTS:  # interleaved, so drift on a shared machine hits every variant
                runs["engine"].append(engine_run(prompt, args.new_tokens))
                runs["raw float16"].append(raw_run(float16, prompt, args.new_tokens))
                runs["raw float32"].append(raw_run(float32, prompt, args.new_tokens))
    same_text = sum(a[0] == b[0] for a, b in zip(runs["raw float16"], runs["raw float32"], strict=True))
    rows = {name: summarise(measured) for name, measured in runs.items()}
    engine, raw16, raw32 = rows["engine"], rows["raw float16"], rows["raw float32"]
    table = (
        "| variant | time to first token | tokens/s |\n|---|---|---|\n"
        + "".join(
            f"| {name} | {row['first_token_s']:.3f} s | {row['tokens_per_s']:.1f} |\n" for name, row in rows.items()
        )
        + f"\nEngine / raw float16: first token {engine['first_token_s'] / raw16['first_token_s']:.2f}, "
        f"tokens/s {engine['tokens_per_s'] / raw16['tokens_per_s']:.2f}. "
        f"float16 / float32 tokens/s: {raw16['tokens_per_s'] / raw32['tokens_per_s']:.2f}; "
        f"identical greedy text in {same_text} of {len(runs['raw float16'])} answers.\n"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "text_generation.json").write_text(json.dumps({"rows": rows, "same_text": same_text}, indent=2))
    (RESULTS / "text_generation.md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
