"""Report cards measured at provisioning: speech-to-text's word error rate and translation's chrF.

Each card is computed through the engine, as a visitor's request would be, on the project's own data:
the espeak-ng clips with what they say (tests/data/audio/transcripts.json) and the English-Portuguese
sentence pairs (tests/data/translation_pairs.tsv, both directions). The pages show the card of the model
in use: the metric, what it was measured on and how much, and the items it got most wrong. A card is
keyed on its data, this code and the model's build, so `--if-outdated` (as `make models` runs it)
measures again only when one of them changed.

    python -m pipelines.report_cards [--if-outdated]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import inspect
import json
import time
from collections.abc import Callable
from pathlib import Path

from pipelines.catalog import ModelSpec, models_for_task
from pipelines.provision import build_key, model_state
from pipelines.settings import load_settings
from pipelines.staging import write_json
from pipelines.transcript_quality import word_error_rate
from pipelines.translation_quality import chrf

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
ROOT = DATA.parent.parent
CLIPS = {
    "passage": DATA / "audio" / "passage.wav",
    "support_call": ROOT / "assets" / "audio" / "support_call.wav",
    "weather_report": ROOT / "assets" / "audio" / "weather_report.wav",
    "talk": DATA / "audio" / "talk.opus",
}
SAID = DATA / "audio" / "transcripts.json"
PAIRS = DATA / "translation_pairs.tsv"
WORST = 5  # items shown as what the model got most wrong


def speech_card(spec: ModelSpec) -> dict:
    """Corpus WER over the clips (English), with each clip's own WER."""
    from pipelines.speech_to_text import transcribe

    said = json.loads(SAID.read_text(encoding="utf-8"))
    items, seconds, audio_seconds = [], 0.0, 0.0
    for name, path in CLIPS.items():
        transcript = transcribe(path, spec.name, language="en")
        seconds += transcript.seconds
        audio_seconds += transcript.audio.seconds
        error = word_error_rate([transcript.text], [said[name]])
        items.append({"item": name, "expected": said[name], "got": transcript.text, "score": error})
    hypotheses, references = [item["got"] for item in items], [item["expected"] for item in items]
    return {
        "metric": "Word error rate",
        "value": word_error_rate(hypotheses, references),
        "lower_is_better": True,
        "data": f"{len(items)} espeak-ng clips, {audio_seconds:.0f} s of English speech "
        f"({sum(len(text.split()) for text in references)} words)",
        "real_time_factor": seconds / audio_seconds,
        "worst": sorted((item for item in items if item["score"] > 0), key=lambda item: -item["score"])[:WORST],
    }


def translation_card(spec: ModelSpec) -> dict:
    """Corpus chrF over the sentence pairs in the model's direction, with each sentence's own chrF."""
    from pipelines.translation import translate

    source, target = spec.language_pair or ("en", "pt")
    rows = list(csv.DictReader(PAIRS.open(encoding="utf-8"), delimiter="\t"))
    sources, references = [row[source] for row in rows], [row[target] for row in rows]
    translated = [result.text for result in translate(sources, source, target, spec.name).results]
    items = [
        {"item": text, "expected": reference, "got": got, "score": chrf([got], [reference])}
        for text, reference, got in zip(sources, references, translated, strict=True)
    ]
    return {
        "metric": "chrF",
        "value": chrf(translated, references),
        "lower_is_better": False,
        "data": f"{len(rows)} hand-written sentence pairs, {source} → {target}",
        "worst": sorted(items, key=lambda item: item["score"])[:WORST],
    }


CARDS: dict[str, Callable[[ModelSpec], dict]] = {"speech-to-text": speech_card, "translation": translation_card}


def card_key(spec: ModelSpec) -> str:
    """What a card depends on: its data, this module and the metrics' code, the model's build."""
    inputs = [SAID.read_text(encoding="utf-8"), PAIRS.read_text(encoding="utf-8")]
    inputs += [hashlib.sha256(path.read_bytes()).hexdigest() for path in CLIPS.values()]
    inputs += [inspect.getsource(word_error_rate), inspect.getsource(chrf), Path(__file__).read_text()]
    inputs.append(build_key(spec))
    return hashlib.sha256("\n".join(inputs).encode()).hexdigest()[:16]


def card_path(model: str) -> Path:
    return load_settings().home / "reports" / "cards" / f"{model}.json"


def load_card(model: str) -> dict | None:
    """The model's card, or None when it was never measured (a model from a path or the hub)."""
    path = card_path(model)
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def measure(spec: ModelSpec) -> dict:
    started = time.perf_counter()
    card = CARDS[spec.task](spec)
    card.update(model=spec.name, key=card_key(spec), seconds=time.perf_counter() - started)
    write_json(card_path(spec.name), card)
    return card


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--if-outdated", action="store_true", help="measure only cards whose inputs changed")
    arguments = parser.parse_args()
    for task in CARDS:
        for spec in models_for_task(task):
            if model_state(spec) != "ready":
                continue
            written = load_card(spec.name)
            if arguments.if_outdated and written is not None and written.get("key") == card_key(spec):
                print(f"{spec.name}: report card up to date")
                continue
            card = measure(spec)
            print(f"{spec.name}: {card['metric']} {card['value']:.3f} on {card['data']} ({card['seconds']:.0f} s)")


if __name__ == "__main__":
    main()
