"""`python -m benchmarks.bench_serve`: what the HTTP hop to the Ray Serve application costs, per task.

Starts the application on a free loopback port (`pipelines.scaleout.cluster`, every provisioned model),
then times the same call in this process and through SHOWROOM_SERVE_URL, in turns, on an otherwise idle
machine: the median of 7 calls each way after one warm-up call, and their ratio (through Serve / in process).
Also what each part of the application holds in memory: every replica's RSS and PSS by model after it has
served, and Ray's own processes together. Stops the application at the end.
Both layouts in one run (SHOWROOM_SERVE_LAYOUT): a process per model, then every model but the chat grouped.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import pipelines  # noqa: F401  (quiets transformers before it is imported)
from benchmarks.report import markdown_table, save
from benchmarks.server import free_port
from pipelines.runtime.memory import proportional_mb, resident_mb
from pipelines.scaleout import cluster
from pipelines.tasks.embeddings import embed
from pipelines.tasks.image_classification import classify_image
from pipelines.tasks.object_detection import detect_objects
from pipelines.tasks.sentiment import analyse_sentiment
from pipelines.tasks.speech_to_text import transcribe
from pipelines.tasks.text_generation import GenerationSettings, generate_reply
from pipelines.tasks.translation import translate

ROOT = Path(__file__).resolve().parent.parent
CAT = ROOT / "assets" / "images" / "chelsea.jpg"
CALLS: dict[str, Callable[[], object]] = {
    "sentiment (one text)": lambda: analyse_sentiment(["The delivery was late again."]),
    "translation (one sentence)": lambda: translate(["Where is the nearest train station?"], "en", "pt"),
    "image classification (one photo)": lambda: classify_image(CAT),
    "object detection (one photo)": lambda: detect_objects(CAT),
    "speech to text (5.9 s clip)": lambda: transcribe(ROOT / "assets" / "audio" / "weather_report.wav"),
    "embeddings (five texts)": lambda: embed(["a", "bike shop", "opening hours", "warranty", "returns"]),
    "chat (a 24-token answer, streamed)": lambda: generate_reply("Say hello.", settings=GenerationSettings(24)),
}
REPEATS = 7


def paired_medians(call: Callable[[], object], url: str) -> tuple[float, float]:
    """The median of REPEATS calls in this process and of REPEATS through Serve, taken in turns (one each way, then
    again), so that a slow spell of the machine falls on both sides; after one warm-up call each way (it loads the
    model in process and warms the replica's connection)."""
    times: dict[str | None, list[float]] = {None: [], url: []}
    for way in times:
        _send_to(way)
        call()
    for _ in range(REPEATS):
        for way, taken in times.items():
            _send_to(way)
            started = time.perf_counter()
            call()
            taken.append(time.perf_counter() - started)
    _send_to(None)
    return statistics.median(times[None]), statistics.median(times[url])


def _send_to(url: str | None) -> None:
    """Calls go to the Serve application at `url`, or stay in this process."""
    if url is None:
        os.environ.pop("SHOWROOM_SERVE_URL", None)
    else:
        os.environ["SHOWROOM_SERVE_URL"] = url


def memory_by_part(state: cluster.ServeState) -> list[list[str]]:
    """RSS and PSS of each replica (Ray titles them "ray::ServeReplica:<app>:<deployment>") and of the rest of Ray:
    every process of the application (the deployer that started it has left). The sum of RSS counts each page the
    processes share (Python, Ray's libraries) once per process; PSS counts it once in all."""
    parts: dict[str, list[tuple[float, float]]] = {}
    for pid in cluster.ray_processes(Path(state.temp_dir)):
        title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        replica = title.split("ServeReplica:", 1)[1].split(":", 1)[0] if "ServeReplica:" in title else ""
        part = replica or "Ray itself (GCS, raylet, Serve controller, proxies, HAProxy)"
        parts.setdefault(part, []).append((resident_mb(pid), proportional_mb(pid)))
    rows = [_memory_row(part, sizes) for part, sizes in sorted(parts.items())]
    return [*rows, _memory_row("all of it", [size for sizes in parts.values() for size in sizes])]


def _memory_row(part: str, sizes: list[tuple[float, float]]) -> list[str]:
    return [part, str(len(sizes)), f"{sum(rss for rss, _ in sizes):,.0f}", f"{sum(pss for _, pss in sizes):,.0f}"]


def measure(layout: str) -> tuple[list[list[str]], list[list[str]]]:
    """The hop per task and the memory by part, with the application laid out as `layout` says."""
    os.environ["SHOWROOM_SERVE_LAYOUT"] = layout
    state = cluster.start(port=free_port())
    rows = []
    try:
        for label, call in CALLS.items():
            local, remote = paired_medians(call, state.url)
            rows.append([label, f"{local * 1000:.0f} ms", f"{remote * 1000:.0f} ms", f"{remote / local:.2f}"])
        return rows, memory_by_part(state)  # after every replica has served
    finally:
        _send_to(None)
        cluster.stop()


def main() -> None:
    sections = []
    for layout in ("per-model", "grouped"):
        hop, parts = measure(layout)
        sections += [
            f"### {layout}",
            markdown_table(["task", "in process", "through Serve", "ratio"], hop),
            markdown_table(["part", "processes", "RSS (MB)", "PSS (MB)"], parts),
        ]
    save("serve.md", "\n\n".join(sections))


if __name__ == "__main__":
    main()
