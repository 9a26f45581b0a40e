"""Many visitors at once against a real Showroom server on loopback: nothing fails, nothing mixes up.

`python -m benchmarks.load --scenario mixed|chat --sessions N --seconds S [--json PATH] [--baseline]`
starts `streamlit run app.py` on 127.0.0.1, records each task's answer to each of its inputs with one
visitor at a time (the references, which also warm every model), then lets N simulated visitors
(`benchmarks.streamlit_client`, each its own websocket and server session) work for S seconds.
"mixed": each visitor clicks through all seven demos, a different input each time, and one of them
scores a 10,000-line batch of sentiment again and again (a big job that must not hold the model for
everybody else). "chat": every visitor chats at once with the customer-service preset, a different
question each. Every answer is compared with the reference for the visitor's own input: another
input's answer is a mix-up, anything else (a red error, a traceback, a timeout, a different text) an
error. The report gives both counts, p50/p95 latency per task (and for the chat, the time until the
first streamed text appears in the visitor's session, and the tokens per second of all answers
together), and the RSS of the server, with the process it starts to draw recordings, at each stage
(fresh; every default model loaded from the home page; after warm-up; at the end; the peak; after
unloading every model from the home page). `--baseline`
runs the same scenario again on a server with SHOWROOM_MAX_BATCH=1 (one request at a time per model).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import re
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.questions import CUSTOMER_QUESTIONS
from benchmarks.report import markdown_table, save
from benchmarks.server import free_port, serve
from benchmarks.streamlit_client import Render, StreamlitSession
from pipelines.provisioning.catalog import CATALOG, default_model, has_pipeline
from pipelines.runtime.memory import family_resident_mb, resident_mb
from pipelines.scaleout import cluster

DEFAULT_MODELS = [spec.name for spec in CATALOG if spec.pulled_by_default and has_pipeline(spec.task)]
MEMORY_BUDGET_MB = 2048  # every default model loaded and every page run: the budget README states
TIMEOUT = 300.0  # one request, queued behind every other session's on a 2-core machine
Answer = tuple[str, ...]
Expected = dict[str, dict[str, Answer]]  # per task, per input: the answer a lone visitor got


@dataclass(frozen=True)
class Task:
    """One demo: its page, its inputs, and how a visitor asks and reads the answer."""

    name: str
    inputs: tuple[str, ...]
    ask: Callable[[StreamlitSession, str], Awaitable[Render]]
    answer: Callable[[Render], Answer]
    page_task: str = ""  # the demo whose page it uses, when its name says more (a big batch)

    @property
    def page(self) -> str:
        """Each page's URL path is its file name: the task's name with underscores."""
        return (self.page_task or self.name).replace("-", "_")


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


def first_streamed_text(render: Render) -> float | None:
    """Seconds from the question until the first words of the answer reached the visitor's session:
    the first non-empty text drawn after the chat's Stop button (which the page draws before streaming)."""
    stop_drawn = False
    for arrived, element in render.timeline:
        kind = element.WhichOneof("type")
        if kind == "button" and element.button.id.endswith("-tg-stop"):
            stop_drawn = True
        elif stop_drawn and kind == "markdown" and _is_text(element.markdown):
            return arrived - render.sent_at
    return None


def _is_text(markdown: Any) -> bool:
    """Written text, not a caption or the empty placeholder a stream starts with."""
    return markdown.element_type != markdown.CAPTION and bool(markdown.body.strip())


_TOKENS = re.compile(r"· (\d+) tokens")


def answer_tokens(render: Render) -> int:
    """New tokens of the last answer, from the caption under it ("… · 15.2 tokens/s · 32 tokens")."""
    captions = [item.body for item in render.of_kind("markdown") if item.element_type == item.CAPTION]
    counts = [int(match.group(1)) for caption in captions if (match := _TOKENS.search(caption))]
    return counts[-1] if counts else 0


def _batch_summary(render: Render) -> Answer:
    """ "10,000 texts": the batch's caption without its timing, and the label counts of its table."""
    captions = [item.body for item in render.of_kind("markdown") if item.element_type == item.CAPTION]
    return tuple(caption.split(" in ")[0] for caption in captions if " texts in " in caption)


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
CHAT = Task("text-generation", CUSTOMER_QUESTIONS, _chat, _last_markdown)
BIG_JOB_LINES = 10_000
BIG_JOB = Task(
    f"sentiment ({BIG_JOB_LINES:,} lines)",
    ("\n".join(CUSTOMER_QUESTIONS[number % len(CUSTOMER_QUESTIONS)] for number in range(BIG_JOB_LINES)),),
    lambda session, lines: _type(session, "sa-lines", lines),
    _batch_summary,
    page_task="sentiment",
)
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
    Task("text-generation", CUSTOMER_QUESTIONS[:3], _chat, _last_markdown),
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


@dataclass(frozen=True)
class Scenario:
    """Who does what: every visitor cycles through `tasks`; the first may have a big job of its own."""

    name: str
    tasks: tuple[Task, ...]
    big_job: Task | None = None

    def tasks_of(self, visitor: int) -> tuple[Task, ...]:
        return (self.big_job,) if visitor == 0 and self.big_job else self.tasks

    @property
    def every_task(self) -> tuple[Task, ...]:
        return self.tasks + ((self.big_job,) if self.big_job else ())


SCENARIOS = {
    "mixed": Scenario("mixed", TASKS, BIG_JOB),
    "chat": Scenario("chat", (CHAT,)),
}


@dataclass
class Tally:
    """What the visitors saw, per task."""

    latencies: dict[str, list[float]]
    first_tokens: list[float] = field(default_factory=list)  # the chat's, in seconds
    chat_tokens: int = 0
    errors: list[str] = field(default_factory=list)
    mixups: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Visit:
    answer: Answer
    seconds: float
    render: Render


async def _visit(session: StreamlitSession, task: Task, item: str) -> Visit:
    if session.page != task.page:
        await session.go(task.page, TIMEOUT)
    started = time.perf_counter()
    render = await task.ask(session, item)
    seconds = time.perf_counter() - started
    if render.errors():
        raise RuntimeError("; ".join(render.errors()))
    return Visit(task.answer(render), seconds, render)


async def references(url: str, tasks: tuple[Task, ...]) -> Expected:
    """Each input's answer with one visitor at a time: what every concurrent answer must equal."""
    session = StreamlitSession(url, "home")
    await session.open(TIMEOUT)
    try:
        found: Expected = {}
        for task in tasks:
            found[task.name] = {}
            for item in task.inputs:
                answer = (await _visit(session, task, item)).answer
                if not answer or not any(answer):
                    raise RuntimeError(f"{task.name} gave no answer to {item!r} even with one visitor")
                found[task.name][item] = answer
        return found
    finally:
        await session.close()


async def visitor(
    number: int, url: str, tasks: tuple[Task, ...], expected: Expected, deadline: float, tally: Tally
) -> None:
    """One tab: the tasks in turn (each visitor starting elsewhere), a different input each time."""
    session = StreamlitSession(url, "home")
    await session.open(TIMEOUT)
    try:
        turn = 0
        while time.monotonic() < deadline:
            task = tasks[(number + turn) % len(tasks)]
            item = task.inputs[(number * 3 + turn) % len(task.inputs)]
            turn += 1
            where = f"visitor {number}, {task.name}, {item[:60]!r}"
            try:
                visit = await _visit(session, task, item)
            except Exception as error:  # counted and reported; the visitor reconnects and carries on
                tally.errors.append(f"{where}: {type(error).__name__}: {error}")
                await session.close()
                session = StreamlitSession(url, "home")
                await session.open(TIMEOUT)
                continue
            if visit.answer == expected[task.name][item]:
                tally.latencies[task.name].append(visit.seconds)
                if task.name == CHAT.name:
                    tally.first_tokens.append(first_streamed_text(visit.render) or visit.seconds)
                    tally.chat_tokens += answer_tokens(visit.render)
            elif visit.answer in expected[task.name].values():
                tally.mixups.append(f"{where}: got the answer to another input: {visit.answer}")
            else:
                tally.errors.append(f"{where}: unexpected answer {visit.answer}")
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
    scenario: str
    sessions: int
    seconds: float
    memory: Memory
    tally: Tally
    max_batch: str
    served_by: str = "the dashboard's process"
    dashboard_peak_mb: float | None = None  # through Serve: the Streamlit process alone (its sessions, no model)

    @property
    def requests(self) -> int:
        return sum(len(times) for times in self.tally.latencies.values())

    @property
    def budget_verdict(self) -> str:
        """Reported, not asserted: what the models take depends on the host (Whisper computes in bfloat16
        only where the CPU has bfloat16 instructions, in float32 elsewhere: +220 MB)."""
        over = self.memory.all_loaded - MEMORY_BUDGET_MB
        return f"{abs(over):.0f} MB {'over' if over > 0 else 'under'} the {MEMORY_BUDGET_MB} MB budget"

    @property
    def growth(self) -> float:
        return self.memory.end / self.memory.after_warmup - 1

    def table(self) -> str:
        rows = [
            [name, str(len(times)), *(f"{np.percentile(times, q):.2f}" if times else "-" for q in (50, 95))]
            for name, times in self.tally.latencies.items()
        ]
        if self.tally.first_tokens:
            rows.append(
                [
                    "text-generation, first streamed text",
                    str(len(self.tally.first_tokens)),
                    *(f"{np.percentile(self.tally.first_tokens, q):.2f}" for q in (50, 95)),
                ]
            )
        return markdown_table(["task", "requests", "p50 (s)", "p95 (s)"], rows)

    def as_json(self) -> dict:
        """The machine-readable report (`--json`)."""
        tasks = {}
        for name, times in self.tally.latencies.items():
            tasks[name] = {"requests": len(times), **_percentiles(times, "")}
            if name == CHAT.name and self.tally.first_tokens:
                tasks[name] |= _percentiles(self.tally.first_tokens, "first_token_")
                tasks[name]["tokens_per_s"] = self.tally.chat_tokens / self.seconds
        return {
            "scenario": self.scenario,
            "sessions": self.sessions,
            "seconds": self.seconds,
            "max_batch": self.max_batch,
            "served_by": self.served_by,
            "errors": len(self.tally.errors),
            "mixups": len(self.tally.mixups),
            "rss_peak_mb": self.memory.peak,
            "rss_all_loaded_mb": self.memory.all_loaded,
            "rss_budget_mb": MEMORY_BUDGET_MB,
            "dashboard_rss_peak_mb": self.dashboard_peak_mb,
            "tasks": tasks,
        }

    def summary(self) -> str:
        return (
            f"Scenario {self.scenario!r}, served by {self.served_by}, SHOWROOM_MAX_BATCH={self.max_batch}: "
            f"{self.sessions} sessions for {self.seconds:.0f} s: {self.requests} requests served, "
            f"{len(self.tally.errors)} errors, {len(self.tally.mixups)} mix-ups. Server RSS: "
            f"{self.memory.fresh:.0f} MB fresh, {self.memory.all_loaded:.0f} MB with every page run and every "
            f"default model loaded ({self.budget_verdict}), {self.memory.after_warmup:.0f} MB after warm-up, "
            f"{self.memory.end:.0f} MB at the end ({self.growth:+.1%}), {self.memory.peak:.0f} MB at the peak, "
            f"{self.memory.unloaded:.0f} MB after unloading every model from the home page."
            + (f" The dashboard alone: {self.dashboard_peak_mb:.0f} MB at its peak." if self.dashboard_peak_mb else "")
        )


def _percentiles(times: list[float], prefix: str) -> dict[str, float | None]:
    return {f"{prefix}p{q}_s": float(np.percentile(times, q)) if times else None for q in (50, 95)}


async def _load(
    url: str, measure: Callable[[], float], scenario: Scenario, sessions: int, seconds: float, remote: bool
) -> tuple[Memory, Tally, float]:
    start = measure()
    expected = await references(url, scenario.every_task)
    if not remote:  # through Serve every model is loaded already, and the home page offers no loading
        await _through_the_home_page(url, "home-warm-model", "home-warm", DEFAULT_MODELS)  # the ones no page used
    warm = measure()
    tally = Tally({task.name: [] for task in scenario.every_task})
    began = time.monotonic()
    deadline = began + seconds
    visitors = asyncio.gather(
        *(visitor(number, url, scenario.tasks_of(number), expected, deadline, tally) for number in range(sessions))
    )
    samples: list[float] = []
    after_warmup = 0.0
    while not visitors.done():
        samples.append(measure())
        if not after_warmup and time.monotonic() - began >= min(60.0, seconds / 10):
            after_warmup = samples[-1]
        await asyncio.sleep(1)
    await visitors
    end = measure()
    seconds_loaded = time.monotonic() - began
    if not remote:
        await _through_the_home_page(url, "home-unload-model", "home-unload", DEFAULT_MODELS)
    memory = Memory(start, warm, after_warmup or end, end, max(samples), measure())
    return memory, tally, seconds_loaded


def run_load(scenario: str = "mixed", sessions: int = 16, seconds: float = 300, max_batch: str = "") -> LoadReport:
    """Start a server (with SHOWROOM_MAX_BATCH=`max_batch` when given), load it, stop it; what the visitors saw."""
    environment = {"SHOWROOM_MAX_BATCH": max_batch} if max_batch else {}
    with serve(environment=environment) as server:
        measure = functools.partial(family_resident_mb, server.pid)
        run = _load(server.url, measure, SCENARIOS[scenario], sessions, seconds, remote=False)
        memory, tally, loaded = asyncio.run(run)
    return LoadReport(scenario, sessions, loaded, memory, tally, max_batch or "default")


def run_load_through_serve(scenario: str, sessions: int, seconds: float, chat_replicas: int) -> LoadReport:
    """The same, with the dashboard pointed at a Serve application started for it on loopback (the chat with
    `chat_replicas` replicas) and stopped afterwards. Memory is the dashboard's and every Ray process's."""
    state = cluster.start(port=free_port(), replicas={default_model(CHAT.name).name: chat_replicas})
    try:
        ray = Path(state.temp_dir)
        dashboard: list[float] = []
        with serve(environment={"SHOWROOM_SERVE_URL": state.url}) as server:

            def measure() -> float:
                dashboard.append(family_resident_mb(server.pid))
                return dashboard[-1] + sum(map(resident_mb, cluster.ray_processes(ray)))

            run = _load(server.url, measure, SCENARIOS[scenario], sessions, seconds, remote=True)
            memory, tally, loaded = asyncio.run(run)
    finally:
        cluster.stop()
    label = f"Serve, {chat_replicas} chat replica{'s' if chat_replicas > 1 else ''}"
    return LoadReport(scenario, sessions, loaded, memory, tally, "default", label, max(dashboard))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=list(SCENARIOS), default="mixed")
    parser.add_argument("--sessions", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--json", type=Path, help="also write the report as JSON here")
    parser.add_argument("--baseline", action="store_true", help="run again with SHOWROOM_MAX_BATCH=1 and compare")
    parser.add_argument(
        "--through-serve", type=int, nargs="*", default=[], metavar="N", help="run again through Serve, N chat replicas"
    )
    arguments = parser.parse_args()
    reports = [run_load(arguments.scenario, arguments.sessions, arguments.seconds)]
    if arguments.baseline:
        reports.append(run_load(arguments.scenario, arguments.sessions, arguments.seconds, max_batch="1"))
    for replicas in arguments.through_serve:
        reports.append(run_load_through_serve(arguments.scenario, arguments.sessions, arguments.seconds, replicas))
    lines = []
    for report in reports:
        problems = [f"- {problem}" for problem in [*report.tally.errors, *report.tally.mixups]]
        lines += [report.summary(), "", report.table(), *problems[:50], ""]
    save(f"load-{arguments.scenario}.md", "\n".join(lines))
    if arguments.json:
        document = reports[0].as_json() | ({"one_at_a_time": reports[1].as_json()} if arguments.baseline else {})
        document["through_serve"] = [report.as_json() for report in reports[1 + arguments.baseline :]]
        arguments.json.write_text(json.dumps(document, indent=2) + "\n")
    if any(report.tally.errors or report.tally.mixups for report in reports):
        sys.exit(1)


if __name__ == "__main__":
    main()
