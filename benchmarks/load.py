"""Many visitors at once against a real Showroom server on loopback: nothing fails, nothing mixes up.

`python -m benchmarks.load` starts `streamlit run app.py` on 127.0.0.1, records each task's answer to
each of its inputs with one visitor at a time (the references, which also warm every model), then lets
16 simulated visitors (`benchmarks.streamlit_client`, each its own websocket and server session) click
through all seven demos for 5 minutes. Every answer is compared with the reference for the visitor's
own input: another input's answer is a mix-up, anything else (a red error, a traceback, a timeout, a
different text) is an error. The report gives both counts, p50/p95 latency per task and the server's
RSS at each stage (fresh; every default model loaded from the home page; after warm-up; at the end; the
peak; after unloading every model from the home page). Options: --sessions, --seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import numpy as np

from benchmarks.report import markdown_table, save
from benchmarks.server import serve
from benchmarks.streamlit_client import Render, StreamlitSession
from pipelines.catalog import CATALOG, has_pipeline
from pipelines.memory import resident_mb

DEFAULT_MODELS = [spec.name for spec in CATALOG if spec.pulled_by_default and has_pipeline(spec.task)]
TIMEOUT = 300.0  # one request, queued behind every other session's on a 2-core machine
Answer = tuple[str, ...]


@dataclass(frozen=True)
class Task:
    """One demo: its page, its inputs, and how a visitor asks and reads the answer."""

    name: str
    inputs: tuple[str, ...]
    ask: Callable[[StreamlitSession, str], Awaitable[Render]]
    answer: Callable[[Render], Answer]

    @property
    def page(self) -> str:
        """Each page's URL path is its file name: the task's name with underscores."""
        return self.name.replace("-", "_")


def _clicking_examples(name: str, key_prefix: str, stems: tuple[str, ...], answer: Callable[[Render], Answer]) -> Task:
    """A demo whose inputs are its one-click examples (assets/images, assets/audio)."""
    return Task(name, stems, lambda session, stem: _click(session, f"{key_prefix}-example-{stem}"), answer)


async def _type(session: StreamlitSession, key: str, text: str) -> Render:
    return await session.set(key, TIMEOUT, string_value=text)


async def _click(session: StreamlitSession, key: str) -> Render:
    return await session.set(key, TIMEOUT, trigger_value=True)


async def _chat(session: StreamlitSession, question: str) -> Render:
    """A fresh conversation each time, short answers: the reference must not depend on earlier turns."""
    if not session.values:
        maximum = next(key for key in session.widget_ids if key.endswith("-max"))
        await session.set(maximum, TIMEOUT, double_array_value={"data": [32]})
    await _click(session, "tg-clear")
    return await session.set("tg-chat", TIMEOUT, chat_input_value={"data": question})


def _texts(render: Render) -> Answer:
    """What the page shows with st.text: a translation, a transcript."""
    return tuple(render.texts("text"))


def _last_markdown(render: Render) -> Answer:
    return tuple(render.texts("markdown")[-1:])


def _metric(render: Render) -> Answer:
    """The headline metric with its score: "Top label=espresso 98.8% confident"."""
    metrics = render.of_kind("metric")
    return tuple(f"{metric.label}={metric.body} {metric.delta}" for metric in metrics if metric.label.endswith("abel"))


def _markdown_with(marker: str) -> Callable[[Render], Answer]:
    """Markdown blocks containing `marker` (the detection counts, the ranked list), plus any notices."""
    return lambda render: (
        tuple(text for text in render.texts("markdown") if marker in text)
        + tuple(alert.body for alert in render.of_kind("alert"))
    )


PHOTOS = ("chelsea", "coffee", "astronaut", "rocket")  # assets/images
TASKS = (
    Task(
        "sentiment",
        (
            "I absolutely love this bike, best purchase of the year!",
            "The delivery was late again and nobody answered my emails.",
            "The shop opens at nine on weekdays.",
            "Order 4417 arrived with a broken chain and a scratched frame.",
            "Thanks for fixing my brakes so quickly, you made my day.",
            "My helmet is blue and it fits well enough, I suppose.",
        ),
        lambda session, text: _type(session, "sa-text", text),
        _metric,
    ),
    Task(
        "translation",
        (
            "Where is the nearest train station?",
            "Room 214 is on the second floor, next to the lifts.",
            "Our new bikes arrive next week. Book a test ride online!",
            "Please bring your receipt when you return the helmet.",
            "The workshop closes at six o'clock on Saturdays.",
        ),
        lambda session, text: _type(session, "tr-text", text),
        _texts,
    ),
    Task(
        "text-generation",
        (
            "How long is the warranty on the frame?",
            "Are you open on Sunday?",
            "Do you repair electric bikes?",
        ),
        _chat,
        _last_markdown,
    ),
    _clicking_examples("image-classification", "ic", PHOTOS, _metric),
    _clicking_examples("object-detection", "od", PHOTOS, _markdown_with(" × ")),
    _clicking_examples("speech-to-text", "st", ("support_call", "weather_report"), _texts),
    Task(
        "recommender",
        (
            "a funny animated movie for kids",
            "a scary horror film",
            "a romantic comedy set in New York",
            "space battles and aliens",
            "a courtroom drama",
        ),
        lambda session, text: _type(session, "rec-query", text),
        _markdown_with("similarity"),
    ),
)


@dataclass
class Tally:
    """What the visitors saw, per task."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: {task.name: [] for task in TASKS})
    errors: list[str] = field(default_factory=list)
    mixups: list[str] = field(default_factory=list)


async def _visit(session: StreamlitSession, task: Task, item: str) -> tuple[Answer, float]:
    if session.page != task.page:
        await session.go(task.page, TIMEOUT)
    started = time.perf_counter()
    render = await task.ask(session, item)
    seconds = time.perf_counter() - started
    if render.errors():
        raise RuntimeError("; ".join(render.errors()))
    return task.answer(render), seconds


async def references(url: str) -> dict[str, dict[str, Answer]]:
    """Each input's answer with one visitor at a time: what every concurrent answer must equal."""
    session = StreamlitSession(url, "home")
    await session.open(TIMEOUT)
    try:
        found: dict[str, dict[str, Answer]] = {}
        for task in TASKS:
            found[task.name] = {}
            for item in task.inputs:
                answer, _ = await _visit(session, task, item)
                if not answer or not any(answer):
                    raise RuntimeError(f"{task.name} gave no answer to {item!r} even with one visitor")
                found[task.name][item] = answer
        return found
    finally:
        await session.close()


async def visitor(number: int, url: str, expected: dict[str, dict[str, Answer]], deadline: float, tally: Tally) -> None:
    """One tab: the demos in turn (each visitor starting elsewhere), a different input each time."""
    session = StreamlitSession(url, "home")
    await session.open(TIMEOUT)
    try:
        turn = 0
        while time.monotonic() < deadline:
            task = TASKS[(number + turn) % len(TASKS)]
            item = task.inputs[(number * 3 + turn) % len(task.inputs)]
            turn += 1
            where = f"visitor {number}, {task.name}, {item!r}"
            try:
                answer, seconds = await _visit(session, task, item)
            except Exception as error:  # counted and reported; the visitor reconnects and carries on
                tally.errors.append(f"{where}: {type(error).__name__}: {error}")
                await session.close()
                session = StreamlitSession(url, "home")
                await session.open(TIMEOUT)
                continue
            if answer == expected[task.name][item]:
                tally.latencies[task.name].append(seconds)
            elif answer in expected[task.name].values():
                tally.mixups.append(f"{where}: got the answer to another input: {answer}")
            else:
                tally.errors.append(f"{where}: unexpected answer {answer}")
    finally:
        await session.close()


async def _through_the_home_page(url: str, selector: str, button: str, names: list[str]) -> None:
    """Pick each model in a home-page selector and press its button, as an operator would."""
    session = StreamlitSession(url, "home")
    await session.open(TIMEOUT)
    try:
        for name in names:
            await session.set(selector, TIMEOUT, string_value=name)
            render = await _click(session, button)
            if render.errors():
                raise RuntimeError(f"{button} {name}: {'; '.join(render.errors())}")
    finally:
        await session.close()


@dataclass(frozen=True)
class Memory:
    """The server's RSS in MB at each stage."""

    fresh: float  # before any model
    all_loaded: float  # every page run, then every default model warmed from the home page
    after_warmup: float  # after the first minute (or tenth) of load
    end: float  # when the visitors stop
    peak: float  # the highest of one sample a second during the load
    unloaded: float  # after unloading every model from the home page


@dataclass
class LoadReport:
    sessions: int
    seconds: float
    memory: Memory
    tally: Tally

    @property
    def requests(self) -> int:
        return sum(len(times) for times in self.tally.latencies.values())

    @property
    def growth(self) -> float:
        return self.memory.end / self.memory.after_warmup - 1

    def table(self) -> str:
        rows = [
            [name, str(len(times)), *(f"{np.percentile(times, q):.2f}" if times else "-" for q in (50, 95))]
            for name, times in self.tally.latencies.items()
        ]
        return markdown_table(["task", "requests", "p50 (s)", "p95 (s)"], rows)

    def summary(self) -> str:
        return (
            f"{self.sessions} sessions for {self.seconds:.0f} s: {self.requests} requests served, "
            f"{len(self.tally.errors)} errors, {len(self.tally.mixups)} mix-ups. Server RSS: "
            f"{self.memory.fresh:.0f} MB fresh, {self.memory.all_loaded:.0f} MB with every page run and every "
            f"default model loaded, {self.memory.after_warmup:.0f} MB after warm-up, {self.memory.end:.0f} MB "
            f"at the end ({self.growth:+.1%}), {self.memory.peak:.0f} MB at the peak, "
            f"{self.memory.unloaded:.0f} MB after unloading every model from the home page."
        )


async def _load(url: str, pid: int, sessions: int, seconds: float) -> LoadReport:
    start = resident_mb(pid)
    expected = await references(url)
    await _through_the_home_page(url, "home-warm-model", "home-warm", DEFAULT_MODELS)  # the ones no page used
    warm = resident_mb(pid)
    tally = Tally()
    began = time.monotonic()
    deadline = began + seconds
    visitors = asyncio.gather(*(visitor(number, url, expected, deadline, tally) for number in range(sessions)))
    samples: list[float] = []
    after_warmup = 0.0
    while not visitors.done():
        samples.append(resident_mb(pid))
        if not after_warmup and time.monotonic() - began >= min(60.0, seconds / 10):
            after_warmup = samples[-1]
        await asyncio.sleep(1)
    await visitors
    end = resident_mb(pid)
    seconds_loaded = time.monotonic() - began
    await _through_the_home_page(url, "home-unload-model", "home-unload", DEFAULT_MODELS)
    memory = Memory(start, warm, after_warmup or end, end, max(samples), resident_mb(pid))
    return LoadReport(sessions, seconds_loaded, memory, tally)


def run_load(sessions: int = 16, seconds: float = 300) -> LoadReport:
    """Start a server, load it, stop it; the report of what the visitors saw."""
    with serve() as server:
        return asyncio.run(_load(server.url, server.pid, sessions, seconds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=300)
    arguments = parser.parse_args()
    report = run_load(arguments.sessions, arguments.seconds)
    problems = [f"- {problem}" for problem in [*report.tally.errors, *report.tally.mixups]]
    save("load.md", "\n".join([report.summary(), "", report.table(), *problems[:50]]) + "\n")
    if report.tally.errors or report.tally.mixups:
        sys.exit(1)


if __name__ == "__main__":
    main()
