"""The handout: one visitor's session as a single HTML file to take away, every result in the order it was made.

It opens offline in any browser: pictures and recordings are embedded as data URIs, the style is inline, and no
address outside the file is named. Each result shows what was given, what the page showed, how long it took and
the model's report-card line, so a stakeholder reads after the meeting what the room saw. Where Chromium is
installed, the same document prints to PDF. Nothing is written on the server: the page builds it on the click.
"""

from __future__ import annotations

import base64
import functools
import io
import json
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path

import numpy as np
from PIL import Image

from pipelines.errors import ShowroomError
from pipelines.media.audio import SAMPLE_RATE, PreparedAudio
from pipelines.provisioning.catalog import catalog_entry
from pipelines.reports.report_cards import load_card
from pipelines.tasks.image_classification import Classification
from pipelines.tasks.object_detection import Detections, annotate
from pipelines.tasks.recommender import Recommendation
from pipelines.tasks.sentiment import LABELS, SentimentBatch, load_report
from pipelines.tasks.sentiment import TASK as SENTIMENT
from pipelines.tasks.speech_to_text import Transcript
from pipelines.tasks.translation import TranslationBatch

PICTURE_SIDE = 480  # pixels: "shown small", and a handout of twenty photos stays a few megabytes
RECORDING_SECONDS = 60  # longer recordings are described, not embedded (a 16 kHz minute is 1.9 MB)
ROWS = 50  # a batch's first rows; the page's CSV download has them all
PDF_SECONDS = 60
NOT_MEASURED = "No report card: the model was not measured on this server."


@dataclass(frozen=True)
class ChatTurn:
    """One question to the assistant and its answer, as the chat page showed it."""

    question: str
    answer: str
    sources: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()


@dataclass(frozen=True)
class HandoutItem:
    """One result, already rendered: the session keeps these, not the models' outputs."""

    demo: str
    model: str
    at: datetime
    seconds: float
    given: str  # HTML
    shown: str  # HTML
    report: str = ""


def item(demo: str, model: str, result: object, given: list[str], seconds: float, at: datetime) -> HandoutItem:
    """A result as the handout shows it. `given`: the texts the visitor gave (the pictures and recordings are
    taken from the result, as the model saw them)."""
    given_html, shown_html = _rendered(result, given)
    return HandoutItem(demo, _model_name(model), at, seconds, given_html, shown_html, report_line(model))


def report_line(model: str) -> str:
    """The model's headline figure, as its report card on the page states it."""
    card = load_card(model)
    if card is not None:
        return f"{card['metric']} {format(card['value'], card['format'])} on {card['data']}"
    spec = catalog_entry(model)
    if spec is not None and spec.task == SENTIMENT:  # trained here: its held-out evaluation is its card
        try:
            domains = load_report(model)["domains"]
        except ShowroomError:  # not built on this server (yet)
            return NOT_MEASURED
        return "Held out: " + ", ".join(f"{line['domain']} {line['metric']} {line['value']:.2f}" for line in domains)
    return NOT_MEASURED


def document(
    items: list[HandoutItem], made: datetime, name: str = "Showroom", accent: str = "#E8590C", logo: Path | None = None
) -> str:
    """The whole handout, one self-contained HTML file, in the dashboard's branding."""
    logo_html = f'<img class="logo" src="{_file_uri(logo)}" alt="{escape(name)} logo">' if logo else ""
    sections = "\n".join(_section(number, entry) for number, entry in enumerate(items, start=1))
    title = f"{name}: session of {made:%-d %B %Y}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title><style>{_STYLE.replace("ACCENT", accent)}</style></head>
<body><header>{logo_html}<div><h1>{escape(title)}</h1>
<p>{len(items)} result{"s" if len(items) != 1 else ""}, in the order they were made, from {made:%H:%M} UTC.
Every model ran on the presenter's server; nothing here needs the internet.</p></div></header>
<main>{sections or "<p>No result was made in this session.</p>"}</main></body></html>
"""


def pdf(html: str) -> bytes:
    """The handout printed by headless Chromium; a sentence where Chromium is missing or fails."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise ShowroomError("The PDF needs Chromium on the server; the HTML handout has the same content.")
    with tempfile.TemporaryDirectory() as work:
        page, printed = Path(work) / "handout.html", Path(work) / "handout.pdf"
        page.write_text(html, encoding="utf-8")
        command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer"]
        try:
            subprocess.run(
                [*command, f"--print-to-pdf={printed}", page.as_uri()],
                capture_output=True,
                timeout=PDF_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise ShowroomError(
                "Chromium took too long to print the PDF; the HTML handout has the same content."
            ) from None
        if not printed.is_file():
            raise ShowroomError("Chromium could not print the PDF; the HTML handout has the same content.")
        return printed.read_bytes()


def _section(number: int, entry: HandoutItem) -> str:
    return f"""<article><h2>{number}. {escape(entry.demo)} <span>· {escape(entry.model)}</span></h2>
<p class="meta">{entry.at:%H:%M:%S} UTC · {latency(entry.seconds)} · {escape(entry.report)}</p>
<div class="given"><h3>Given</h3>{entry.given}</div><div class="shown"><h3>Result</h3>{entry.shown}</div></article>"""


@functools.singledispatch
def _rendered(result: object, given: list[str]) -> tuple[str, str]:
    """(what was given, what the page showed), as HTML; a result without a view of its own shows its JSON."""
    as_json = result.as_json() if hasattr(result, "as_json") else repr(result)
    return _texts(given), f"<pre>{escape(json.dumps(as_json, indent=2, ensure_ascii=False))}</pre>"


@_rendered.register
def _(result: SentimentBatch, given: list[str]) -> tuple[str, str]:
    rows = [
        [text, answer.label, *(f"{answer.scores[label]:.1%}" for label in LABELS)]
        for text, answer in zip(given, result.results, strict=True)
    ]
    return _texts(given) if len(given) == 1 else f"<p>{len(given):,} texts</p>", _table(
        ["text", "label", *LABELS], rows
    )


@_rendered.register
def _(result: TranslationBatch, given: list[str]) -> tuple[str, str]:
    if len(given) == 1:
        return _texts(given), f"<blockquote>{escape(result.results[0].text)}</blockquote>"
    rows = [[text, answer.text] for text, answer in zip(given, result.results, strict=True)]
    return f"<p>{len(given):,} texts</p>", _table([result.source, result.target], rows)


@_rendered.register
def _(result: Classification, given: list[str]) -> tuple[str, str]:
    rows = [[score.label, f"{score.score:.1%}"] for score in result.scores]
    top = result.top.label
    return _picture(result.image.image, f"The photo given, classified as {top}"), _table(["label", "score"], rows)


@_rendered.register
def _(result: Detections, given: list[str]) -> tuple[str, str]:
    counts = ", ".join(f"{label} × {count}" for label, count in result.counts().items()) or "nothing"
    rows = [[found.label, f"{found.score:.1%}"] for found in result.found]
    picture = _picture(annotate(result), f"The photo given, with boxes around what was found: {counts}")
    return picture, f"<p>Found: {escape(counts)}</p>" + (_table(["label", "score"], rows) if rows else "")


@_rendered.register
def _(result: Transcript, given: list[str]) -> tuple[str, str]:
    segments = [[f"{segment.start:.2f} s", f"{segment.end:.2f} s", segment.text] for segment in result.segments]
    shown = f"<blockquote>{escape(result.text) or '(no speech)'}</blockquote>"
    return _recording(result.audio), shown + (_table(["start", "end", "text"], segments) if segments else "")


@_rendered.register
def _(result: list, given: list[str]) -> tuple[str, str]:
    picks: list[Recommendation] = result
    lines = "".join(
        f"<li><b>{escape(pick.movie.label)}</b> · {escape(', '.join(pick.movie.genres))} · score {pick.score:.2f}"
        + (f"<br><small>{escape(pick.reason)}</small>" if pick.reason else "")
        + "</li>"
        for pick in picks
    )
    return _texts(given), f"<ol>{lines}</ol>"


@_rendered.register
def _(result: ChatTurn, given: list[str]) -> tuple[str, str]:
    notices = "".join(f"<p class='notice'>{escape(notice)}</p>" for notice in result.notices)
    sources = "".join(f"<li>{escape(source)}</li>" for source in result.sources)
    cited = f"<p>Answered from these facts:</p><ul>{sources}</ul>" if sources else ""
    return _texts([result.question]), f"{notices}<blockquote>{escape(result.answer)}</blockquote>{cited}"


def _texts(texts: list[str]) -> str:
    return "".join(f"<blockquote>{escape(text)}</blockquote>" for text in texts) or "<p>(nothing typed)</p>"


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(str(name))}</th>" for name in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(cell))}</td>" for cell in row) + "</tr>" for row in rows[:ROWS])
    more = f"<p>…and {len(rows) - ROWS:,} more rows.</p>" if len(rows) > ROWS else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


def _picture(image: Image.Image, description: str) -> str:
    small = image.convert("RGB")
    small.thumbnail((PICTURE_SIDE, PICTURE_SIDE))
    buffer = io.BytesIO()
    small.save(buffer, format="JPEG", quality=85)
    uri = "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()
    return f'<img src="{uri}" alt="{escape(description)}">'


def _recording(audio: PreparedAudio) -> str:
    seconds = len(audio.samples) / SAMPLE_RATE
    if seconds > RECORDING_SECONDS:
        return f"<p>A recording of {seconds:.1f} s (longer than {RECORDING_SECONDS} s, so not embedded).</p>"
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(SAMPLE_RATE)
        sound.writeframes((np.clip(audio.samples, -1, 1) * 32767).astype("<i2").tobytes())
    uri = "data:audio/wav;base64," + base64.b64encode(buffer.getvalue()).decode()
    return f'<audio controls src="{uri}" aria-label="The recording given, {seconds:.1f} s"></audio>'


def _file_uri(path: Path) -> str:
    kinds = {".svg": "image/svg+xml", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
    kind = kinds.get(path.suffix.lower(), f"image/{path.suffix.lower().lstrip('.')}")
    return f"data:{kind};base64," + base64.b64encode(path.read_bytes()).decode()


def _model_name(model: str) -> str:
    spec = catalog_entry(model)  # None: a recommender method, or a model from a path, named as it is
    return spec.display_name if spec else model


def latency(seconds: float) -> str:
    """A duration as a visitor reads it: milliseconds below ten seconds."""
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


_STYLE = """
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;max-width:960px;margin:0 auto;
padding:24px}
header{display:flex;gap:16px;align-items:center;border-bottom:4px solid ACCENT;padding-bottom:12px;margin-bottom:24px}
.logo{max-height:64px;max-width:160px}h1{margin:0;font-size:1.6em}h2{font-size:1.2em;margin:0 0 4px}
h2 span{font-weight:normal;color:#57606a}h3{font-size:.8em;text-transform:uppercase;letter-spacing:.05em;
color:#57606a;margin:12px 0 4px}
article{border:1px solid #d0d7de;border-left:4px solid ACCENT;border-radius:6px;padding:16px;margin:0 0 16px;
break-inside:avoid}
.meta{color:#57606a;font-size:.9em;margin:0}blockquote{margin:4px 0;padding:8px 12px;background:#f6f8fa;
border-radius:4px;white-space:pre-wrap}
table{border-collapse:collapse;width:100%;font-size:.9em}th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;
vertical-align:top}th{background:#f6f8fa}img{max-width:100%;border-radius:4px}.notice{color:#9a6700}
@media print{body{padding:0}article{page-break-inside:avoid}}
"""
