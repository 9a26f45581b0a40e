"""The chat model serving a room: many visitors' questions at once, batched or one at a time.

    python -m benchmarks.bench_chat_serving [--requests 16] [--interval 0.25] [--new-tokens 32]

Each variant runs in a fresh process (its settings are environment variables, read at load): 16
customer-service questions (a different one each, greedy, the preset's settings), one submitted every
0.25 s from its own thread through the engine (`stream_chat`), each streamed to the end. Reported:
time to first token and to the whole answer (p50 and max, from each visitor's submission) and the
tokens per second of all answers together, and whether each answer is word for word what one visitor
alone is told. Variants: continuous batching (the default), the same without prefix sharing, in
bfloat16, with two torch threads, and one answer at a time (SHOWROOM_MAX_BATCH=1); each with the
default facts and with a long facts box (the facts written out five times, as a presenter pasting a
long FAQ).

Precision: one model forward pass for 16 answers' next tokens (a decoding step) and for a 64-token
prompt, in float32, bfloat16 and float16, one thread.

Also, the reason the engine applies a repetition penalty inside continuous batching: greedy answers
to the free-form and "ten-year-old" presets' examples with their penalty and without, and the share of
repeated 4-grams in each.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from benchmarks.questions import CUSTOMER_QUESTIONS
from benchmarks.report import markdown_table, save

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "one at a time (SHOWROOM_MAX_BATCH=1)"
VARIANTS = {
    "continuous batching": {},
    "continuous batching, no prefix sharing": {"SHOWROOM_CHAT_PREFIX_SHARING": "0"},
    "continuous batching, bfloat16": {"SHOWROOM_CHAT_DTYPE": "bfloat16"},
    "continuous batching, 2 torch threads": {"SHOWROOM_TORCH_THREADS": "2"},
    BASELINE: {"SHOWROOM_MAX_BATCH": "1"},
}
PRECISIONS = ("float32", "bfloat16", "float16")
LONG_FACTS_REPEATS = 5


def facts(long: bool) -> str:
    from pipelines.assistant.chat_presets import DEFAULT_FAQ

    if not long:
        return DEFAULT_FAQ
    return "\n".join(f"{line} (Section {number}.)" for number in range(1, 6) for line in DEFAULT_FAQ.splitlines())


def room(requests: int, interval: float, new_tokens: int, long_facts: bool) -> dict:
    """In this process: the visitors' questions, one every `interval` seconds, each in its own thread."""
    from pipelines.assistant.chat_presets import PRESETS
    from pipelines.serving.chat_prompt import ChatMessage
    from pipelines.tasks.text_generation import GenerationSettings, generate_reply, stream_chat

    preset = next(preset for preset in PRESETS if preset.key == "customer-service")
    system = preset.system_prompt(facts(long_facts))
    settings = GenerationSettings(new_tokens, repetition_penalty=preset.settings.repetition_penalty)
    generate_reply(CUSTOMER_QUESTIONS[0], system, settings=settings)  # load and warm
    answers: dict[int, dict] = {}  # by visitor
    began = time.perf_counter()

    def visitor(number: int) -> None:
        time.sleep(number * interval)
        question = CUSTOMER_QUESTIONS[number % len(CUSTOMER_QUESTIONS)]
        reply = stream_chat([ChatMessage("user", question)], system, settings=settings)
        text = "".join(reply)
        answers[number] = {
            "first_token_s": reply.stats.first_token_seconds,
            "answer_s": reply.stats.seconds,
            "tokens": reply.stats.new_tokens,
            "text": text,
        }

    threads = [threading.Thread(target=visitor, args=(number,)) for number in range(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    first, whole = [a["first_token_s"] for a in answers.values()], [a["answer_s"] for a in answers.values()]
    return {
        "first_token_p50_s": statistics.median(first),
        "first_token_max_s": max(first),
        "answer_p50_s": statistics.median(whole),
        "answer_max_s": max(whole),
        "tokens_per_s": sum(a["tokens"] for a in answers.values()) / elapsed,
        "texts": [answers[number]["text"] for number in sorted(answers)],
    }


def precision_steps() -> list[list[str]]:
    """Milliseconds of one forward pass per precision: 16 sequences' next token, and one 64-token prompt."""
    import torch
    from transformers import AutoModelForCausalLM

    from pipelines.provisioning.catalog import default_model
    from pipelines.provisioning.provision import model_dir

    torch.set_num_threads(1)
    rows = []
    for precision in PRECISIONS:
        model = AutoModelForCausalLM.from_pretrained(model_dir(default_model("text-generation")), dtype=precision)
        timings = []
        for shape in ((16, 1), (1, 64)):
            tokens = torch.randint(100, 1000, shape)
            with torch.inference_mode():
                model(tokens)  # warm-up
                runs = []
                for _ in range(3):
                    started = time.perf_counter()
                    model(tokens)
                    runs.append(time.perf_counter() - started)
            timings.append(statistics.median(runs) * 1000)
        rows.append([precision, f"{timings[0]:.0f}", f"{timings[1]:.0f}", f"{64 / timings[1] * 1000:.0f}"])
    return rows


def repetition(new_tokens: int) -> list[dict]:
    """Greedy answers to the presets' own examples with their repetition penalty and without."""
    from pipelines.assistant.chat_presets import PRESETS
    from pipelines.serving.chat_prompt import ChatMessage
    from pipelines.tasks.text_generation import GenerationSettings, stream_chat

    rows = []
    for preset in PRESETS:
        if preset.settings.repetition_penalty == 1.0:
            continue
        for question in preset.examples:
            row = {"preset": preset.key, "question": question}
            for penalty in (preset.settings.repetition_penalty, 1.0):
                settings = GenerationSettings(preset.settings.max_new_tokens, repetition_penalty=penalty)
                reply = stream_chat([ChatMessage("user", question)], preset.system_prompt(), settings=settings)
                words = "".join(reply).split()
                grams = [tuple(words[i : i + 4]) for i in range(len(words) - 3)]
                repeated = 1 - len(set(grams)) / len(grams) if grams else 0.0
                row[f"penalty {penalty}"] = {"tokens": reply.stats.new_tokens, "repeated_4grams": repeated}
            rows.append(row)
    return rows


def in_fresh_process(variant: str, long_facts: bool, args: argparse.Namespace) -> dict:
    command = [sys.executable, "-m", "benchmarks.bench_chat_serving", "--variant", variant]
    command += ["--requests", str(args.requests), "--interval", str(args.interval)]
    command += ["--new-tokens", str(args.new_tokens)]
    command += ["--long-facts"] if long_facts else []
    environment = os.environ | VARIANTS[variant]
    done = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _child(flag: str) -> list:
    command = [sys.executable, "-m", "benchmarks.bench_chat_serving", flag]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=16)
    parser.add_argument("--interval", type=float, default=0.25)
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--variant", choices=list(VARIANTS), help=argparse.SUPPRESS)
    parser.add_argument("--long-facts", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--repetition", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--precision", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:  # the child process of one variant
        print(json.dumps(room(args.requests, args.interval, args.new_tokens, args.long_facts)))
        return 0
    if args.repetition:
        print(json.dumps(repetition(args.new_tokens)))
        return 0
    if args.precision:
        print(json.dumps(precision_steps()))
        return 0
    results, rows = {}, []
    for long_facts in (False, True):
        measured = {variant: in_fresh_process(variant, long_facts, args) for variant in VARIANTS}
        alone = measured[BASELINE]["texts"]
        for variant, figures in measured.items():
            results[f"{variant}{', long facts' if long_facts else ''}"] = figures
            rows.append(
                [
                    variant,
                    "long (×5)" if long_facts else "default",
                    f"{figures['first_token_p50_s']:.2f} / {figures['first_token_max_s']:.2f}",
                    f"{figures['answer_p50_s']:.2f} / {figures['answer_max_s']:.2f}",
                    f"{figures['tokens_per_s']:.1f}",
                    f"{sum(a == b for a, b in zip(figures['texts'], alone, strict=True))}/{len(alone)}",
                ]
            )
    headers = ["variant", "facts", "first token p50 / max (s)", "answer p50 / max (s)", "tokens/s (all)"]
    headers.append("answers as told alone")
    loops = _child("--repetition")
    steps = _child("--precision")
    loop_rows = [
        [row["preset"], row["question"]]
        + [f"{row[key]['tokens']} tokens, {row[key]['repeated_4grams']:.0%}" for key in list(row)[2:]]
        for row in loops
    ]
    report = (
        f"{args.requests} customer-service questions, one every {args.interval} s, {args.new_tokens} new tokens, "
        "greedy\n\n"
        + markdown_table(headers, rows)
        + "\nOne forward pass, one thread (ms):\n\n"
        + markdown_table(["precision", "16 answers' next tokens", "a 64-token prompt", "prompt tokens/s"], steps)
        + "\nRepetition penalty inside continuous batching (greedy; repeated 4-grams of words):\n\n"
        + markdown_table(["preset", "question", "with the preset's penalty", "penalty 1.0"], loop_rows)
    )
    save("chat_serving.md", report)
    save("chat_serving.json", json.dumps({"rooms": results, "repetition": loops, "precision": steps}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
