"""Report cards measured at provisioning: speech-to-text's word error rate, translation's chrF, image
classification's top-1 and top-5 accuracy, and object detection's precision and recall at IoU 0.5.

Each card is computed through the engine, as a visitor's request would be, on the project's own data:
espeak-ng clips in five voices and real recorded speech (LibriVox, shipped in pocketsphinx's source
package) with what they say (assets/eval/audio/transcripts.json, .../librivox/transcripts.json), the English-Portuguese
sentence pairs (assets/eval/translation_pairs.tsv, both directions), and real photos from registry
packages' sample data with hand labels and boxes (assets/eval/images/truth.json). The pages show the card
of the model in use: the figures, what they were measured on and how much, and the items it got most
wrong. A card is keyed on its own data, its code and the model's build, so `--if-outdated` (as
`make models` runs it) measures again only when one of them changed.

    python -m pipelines.reports.report_cards [--if-outdated]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import inspect
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from pipelines.metrics import image_quality, transcript_quality, translation_quality
from pipelines.metrics.image_quality import Matches, first_right_rank, match, top_k_accuracy
from pipelines.metrics.transcript_quality import word_error_rate
from pipelines.metrics.translation_quality import chrf
from pipelines.provisioning.catalog import ModelSpec, models_for_task
from pipelines.provisioning.provision import build_key, model_dir, model_state
from pipelines.provisioning.staging import write_json
from pipelines.settings import ASSETS, load_settings

DATA = ASSETS / "eval"
ROOT = DATA.parent.parent
SYNTHETIC = {
    "passage": DATA / "audio" / "passage.wav",
    "support_call": ROOT / "assets" / "audio" / "support_call.wav",
    "weather_report": ROOT / "assets" / "audio" / "weather_report.wav",
    "talk": DATA / "audio" / "talk.opus",
    **{
        name: DATA / "audio" / f"{name}.opus"
        for name in ("british_fast", "scottish_slow", "american_female", "caribbean")
    },
}
RECORDED = {f"librivox_{path.stem}": path for path in sorted((DATA / "audio" / "librivox").glob("*.wav"))}
CLIPS = SYNTHETIC | RECORDED
TRANSCRIPTS = (DATA / "audio" / "transcripts.json", DATA / "audio" / "librivox" / "transcripts.json")
PAIRS = DATA / "translation_pairs.tsv"
TRUTH = DATA / "images" / "truth.json"
WORST = 5  # items shown as what the model got most wrong


def speech_card(spec: ModelSpec) -> dict:
    """Corpus WER over the clips (English), with each clip's own WER."""
    from pipelines.tasks.speech_to_text import transcribe

    said = spoken()
    items, seconds, audio_seconds = [], 0.0, 0.0
    for name, path in CLIPS.items():
        transcript = transcribe(path, spec.name, language="en")
        seconds += transcript.seconds
        audio_seconds += transcript.audio.seconds
        error = word_error_rate([transcript.text], [said[name]])
        items.append({"item": name, "expected": said[name], "got": transcript.text, "score": error})
    hypotheses, references = [item["got"] for item in items], [item["expected"] for item in items]
    words = sum(len(text.split()) for text in references)
    return {
        **_figure(
            "Word error rate",
            word_error_rate(hypotheses, references),
            ".1%",
            "Lower is better: words missed, added or changed, over the words said",
        ),
        "also": [_figure("Real-time factor", seconds / audio_seconds, ".2f", "Seconds of work per second of audio")],
        "data": f"{len(SYNTHETIC)} espeak-ng clips (5 voices, 125-190 words a minute) and {len(RECORDED)} "
        f"LibriVox recordings, {audio_seconds:.0f} s of English speech ({words} words)",
        "score_name": "Word error rate",
        "worst": _most_wrong(items),
    }


def spoken() -> dict[str, str]:
    """What each clip says: the synthetic clips' texts and the recordings' transcripts."""
    return {name: text for path in TRANSCRIPTS for name, text in json.loads(path.read_text(encoding="utf-8")).items()}


def translation_card(spec: ModelSpec) -> dict:
    """Corpus chrF over the sentence pairs in the model's direction, with each sentence's own chrF."""
    from pipelines.tasks.translation import translate

    source, target = spec.language_pair or ("en", "pt")
    rows = list(csv.DictReader(PAIRS.open(encoding="utf-8"), delimiter="\t"))
    sources, references = [row[source] for row in rows], [row[target] for row in rows]
    translated = [result.text for result in translate(sources, source, target, spec.name).results]
    items = [
        {"item": text, "expected": reference, "got": got, "score": chrf([got], [reference])}
        for text, reference, got in zip(sources, references, translated, strict=True)
    ]
    return {
        **_figure(
            "chrF",
            chrf(translated, references),
            ".1f",
            "Character n-gram F-score against the reference translation, 0-100",
        ),
        "also": [],
        "data": f"{len(rows)} hand-written sentence pairs, {source} → {target}",
        "score_name": "chrF",
        "worst": sorted(items, key=lambda item: item["score"])[:WORST],
    }


def photos() -> list[dict]:
    """The labelled photos: file (from the repository root), ImageNet class indices, COCO boxes."""
    return json.loads(TRUTH.read_text(encoding="utf-8"))["photos"]


def classification_card(spec: ModelSpec) -> dict:
    """Top-1 and top-5 accuracy on the photos that some ImageNet class names, any accepted class a hit."""
    from pipelines.tasks.image_classification import classify_image

    config = json.loads((model_dir(spec) / "config.json").read_text(encoding="utf-8"))
    items, ranks = [], []
    for photo in (photo for photo in photos() if photo["imagenet"]):
        accepted = {config["id2label"][str(index)] for index in photo["imagenet"]}
        scores = classify_image(ROOT / photo["file"], spec.name, top_k=5).scores
        ranks.append(first_right_rank([score.label for score in scores], accepted))
        items.append(
            {
                "item": Path(photo["file"]).name,
                "expected": ", ".join(sorted(accepted)),
                "got": ", ".join(f"{score.label} {score.score:.2f}" for score in scores[:3]),
                "score": max((score.score for score in scores if score.label in accepted), default=0.0),
            }
        )
    return {
        **_figure("Top-1 accuracy", top_k_accuracy(ranks, 1), ".0%", "The best class is a right one"),
        "also": [_figure("Top-5 accuracy", top_k_accuracy(ranks, 5), ".0%", "A right class among the five best")],
        "data": f"{len(ranks)} real photos (registry packages' sample data), hand-labelled with the ImageNet "
        "classes that fit each (any of them counts)",
        "score_name": "Score of a right class",
        "worst": sorted(
            (item for item, rank in zip(items, ranks, strict=True) if rank != 1), key=lambda item: item["score"]
        )[:WORST],
    }


def detection_card(spec: ModelSpec) -> dict:
    """Precision and recall at IoU 0.5 over hand-labelled boxes, at the page's default score threshold;
    photos with nothing labelled count every detection in them as false."""
    from pipelines.tasks.object_detection import DEFAULT_THRESHOLD, detect_objects

    labelled = photos()
    items, total = [], Matches(0, 0, 0)
    for photo in labelled:
        found = detect_objects(ROOT / photo["file"], spec.name).found
        truth = [(box["label"], tuple(box["box"])) for box in photo["objects"]]
        detected = [
            (item.label, item.score, (item.box.xmin, item.box.ymin, item.box.xmax, item.box.ymax)) for item in found
        ]
        matches = match(detected, truth)
        total += matches
        items.append(
            {
                "item": Path(photo["file"]).name,
                "expected": ", ".join(label for label, _ in truth) or "nothing",
                "got": ", ".join(f"{item.label} {item.score:.2f}" for item in found) or "nothing",
                "score": matches.false + matches.missed,
            }
        )
    labels = {box["label"] for photo in labelled for box in photo["objects"]}
    return {
        **_figure("Precision", total.precision, ".0%", "Detections that match a labelled box"),
        "also": [_figure("Recall", total.recall, ".0%", "Labelled objects found")],
        "data": f"{len(items)} real photos (registry packages' sample data), {total.right + total.missed} "
        f"hand-labelled boxes of {len(labels)} COCO classes; a detection is right when it overlaps a box of "
        f"its class by IoU ≥ {image_quality.MATCHING_IOU}, at the page's default score threshold {DEFAULT_THRESHOLD}",
        "score_name": "Errors (missed + false)",
        "worst": _most_wrong(items),
    }


def _figure(metric: str, value: float, format_spec: str, help_text: str) -> dict:
    """One figure of a card as the page shows it: the headline's keys sit in the card itself."""
    return {"metric": metric, "value": value, "format": format_spec, "help": help_text}


def _photo_files() -> list[Path]:
    return [TRUTH, *(ROOT / photo["file"] for photo in photos())]


def _most_wrong(items: list[dict]) -> list[dict]:
    """The items with any error (their score counts errors), most first."""
    return sorted((item for item in items if item["score"] > 0), key=lambda item: -item["score"])[:WORST]


@dataclass(frozen=True)
class CardRecipe:
    """How a task's card is measured, and what it reads and scores with (so its key covers them)."""

    measure: Callable[[ModelSpec], dict]
    data: Callable[[], list[Path]]
    metrics: ModuleType


CARDS: dict[str, CardRecipe] = {
    "speech-to-text": CardRecipe(speech_card, lambda: [*TRANSCRIPTS, *CLIPS.values()], transcript_quality),
    "translation": CardRecipe(translation_card, lambda: [PAIRS], translation_quality),
    "image-classification": CardRecipe(classification_card, _photo_files, image_quality),
    "object-detection": CardRecipe(detection_card, _photo_files, image_quality),
}


def card_key(spec: ModelSpec) -> str:
    """What a card depends on: its data, this module and its metrics' code, the model's build."""
    recipe = CARDS[spec.task]
    inputs = [hashlib.sha256(path.read_bytes()).hexdigest() for path in recipe.data()]
    inputs += [inspect.getsource(recipe.metrics), Path(__file__).read_text(), build_key(spec)]
    return hashlib.sha256("\n".join(inputs).encode()).hexdigest()[:16]


def card_path(model: str) -> Path:
    return load_settings().home / "reports" / "cards" / f"{model}.json"


def load_card(model: str) -> dict | None:
    """The model's card, or None when it was never measured (a model from a path or the hub)."""
    path = card_path(model)
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def measure(spec: ModelSpec) -> dict:
    started = time.perf_counter()
    card = CARDS[spec.task].measure(spec)
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
            figures = ", ".join(
                f"{figure['metric']} {figure['value']:{figure['format']}}" for figure in [card, *card["also"]]
            )
            print(f"{spec.name}: {figures} on {card['data']} ({card['seconds']:.0f} s)")


if __name__ == "__main__":
    main()
