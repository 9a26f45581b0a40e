"""Sentiment: negative / neutral / positive scores for one text or thousands, with the model's
held-out evaluation report."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

from pipelines.errors import InputError, ModelNotAvailable
from pipelines.media.languages import COMMON_WORDS
from pipelines.media.unicode_text import well_formed
from pipelines.provisioning.catalog import default_model, find_model
from pipelines.provisioning.progress import TRAINING_FILE, live_training_path, read_training
from pipelines.provisioning.provision import model_dir, model_state
from pipelines.serving.loader import get_server, resolve_model, serving_choice
from pipelines.serving.model_server import WaitCallback

TASK = "sentiment"
LABELS = ("negative", "neutral", "positive")
REPORT_FILE = "evaluation.json"
_WORD = re.compile(r"[^\W\d_]", re.UNICODE)  # any letter, in any script


@dataclass(frozen=True)
class Sentiment:
    """The label and all three class scores for one text; `notices` say what to keep in mind."""

    label: str
    score: float
    scores: dict[str, float]
    notices: tuple[str, ...] = ()

    def as_json(self) -> dict:
        """The CLI's shape: {"label", "score", "scores": {label: score}}."""
        return {"label": self.label, "score": self.score, "scores": self.scores}


@dataclass
class SentimentBatch:
    results: list[Sentiment]
    seconds: float
    model: str


def analyse_sentiment(
    texts: list[str], model: str | None = None, on_wait: WaitCallback | None = None
) -> SentimentBatch:
    """Score every text, in order; texts the model cannot read are refused with a sentence.

    A long batch is served in slices that take turns with other visitors' requests; `on_wait` is called
    while it waits (with the ticket: its place in line and progress)."""
    if not texts:
        raise InputError("There is no text to analyse. Type a sentence, paste lines, or upload a CSV.")
    texts = [well_formed(text) for text in texts]
    for position, text in enumerate(texts, start=1):
        _check_readable(text, position if len(texts) > 1 else None)
    name = serving_choice(model or default_model(TASK).name)  # the result names the model that gave it
    server = get_server(name, TASK)
    started = time.perf_counter()
    scored = server.run(texts, on_wait=on_wait)
    seconds = time.perf_counter() - started
    results = [_sentiment(text, *answer) for text, answer in zip(texts, scored, strict=True)]
    return SentimentBatch(results, seconds, name)


def _check_readable(text: str, position: int | None) -> None:
    where = f"Line {position}" if position else "The text"
    if not text.strip():
        raise InputError(f"{where} is empty. Type a sentence to analyse.")
    if not _WORD.search(text):
        raise InputError(
            f"{where} has no words, only emoji, digits or symbols, which this model cannot read. Add at least one word."
        )


def _sentiment(text: str, scores: list[dict], tokens: int, limit: int) -> Sentiment:
    by_label = {item["label"]: float(item["score"]) for item in scores}
    label = max(by_label, key=by_label.get)
    notices = []
    if tokens > limit:
        notices.append(f"The text is {tokens:,} tokens long; only its first {limit} tokens were read.")
    if not _looks_english(text):
        notices.append(
            "This text does not look like English; the model was trained on English tweets, so "
            "treat its scores with caution."
        )
    return Sentiment(label, by_label[label], {name: by_label.get(name, 0.0) for name in LABELS}, tuple(notices))


def _looks_english(text: str) -> bool:
    """A cheap guess: mostly Latin letters, and (past a few words) some common English words."""
    letters = _WORD.findall(text)
    latin = sum(letter.isascii() for letter in letters)
    if letters and latin / len(letters) < 0.5:
        return False
    words = re.findall(r"[a-z']+", text.lower())
    return len(words) < 4 or any(word in COMMON_WORDS["en"] for word in words)


def training_run(model: str | None = None) -> dict | None:
    """The fine-tuning's curves (loss per step, validation macro-F1 per evaluation): live while the model
    trains, then the finished run's, saved with the model; None for a model that was not fine-tuned here."""
    spec = find_model(model or default_model(TASK).name)
    if model_state(spec) == "ready":
        return read_training(model_dir(spec) / TRAINING_FILE)
    return read_training(live_training_path(spec.name))


def load_report(model: str | None = None) -> dict:
    """The held-out evaluation written next to the model when it was trained."""
    name = model or default_model(TASK).name
    report = Path(resolve_model(name, TASK).location) / REPORT_FILE
    if not report.is_file():
        raise ModelNotAvailable(f"Model '{name}' has no evaluation report; only models trained by Showroom do.")
    return json.loads(report.read_text())
