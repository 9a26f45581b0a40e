"""Translation between the language pairs the catalog has models for, one document or a column of texts.

Documents are cut into sentence pieces (pipelines.media.text_layout), every piece of a request is translated
in length-sorted batches through the transformers "translation" pipeline, and the document is rebuilt
around the translations.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from pipelines.errors import InputError
from pipelines.media.languages import guess_language, language_name
from pipelines.media.text_layout import Layout, split_text
from pipelines.media.unicode_text import well_formed
from pipelines.provisioning.catalog import CATALOG, ModelSpec
from pipelines.serving.loader import get_server
from pipelines.serving.model_server import WaitCallback
from pipelines.serving.request_limits import TRANSLATION_CHARACTERS

TASK = "translation"


@dataclass(frozen=True)
class Translation:
    """One translated document; `notices` say what to keep in mind about it."""

    text: str
    notices: tuple[str, ...] = ()

    def as_json(self) -> dict:
        """The transformers pipeline's shape, which the CLI prints."""
        return {"translation_text": self.text}


@dataclass(frozen=True)
class TranslationBatch:
    results: list[Translation]
    source: str
    target: str
    model: str
    pieces: int
    seconds: float


def available_pairs() -> list[tuple[str, str]]:
    """(source, target) language codes with a catalog model, in catalog order."""
    return [spec.language_pair for spec in CATALOG if spec.task == TASK and spec.language_pair]


def describe_pair(source: str, target: str) -> str:
    return f"{language_name(source)} → {language_name(target)}"


def model_for_pair(source: str, target: str) -> ModelSpec:
    """The catalog's default model for a language pair; an unavailable pair gets the list of available ones."""
    for spec in CATALOG:
        if spec.task == TASK and spec.language_pair == (source, target) and spec.task_default:
            return spec
    available = ", ".join(describe_pair(*pair) for pair in available_pairs())
    if source == target:
        raise InputError(f"Source and target are both {language_name(source)}. Available pairs: {available}.")
    raise InputError(f"{describe_pair(source, target)} is not available. Available pairs: {available}.")


def translate(
    texts: list[str], source: str, target: str, model: str | None = None, on_wait: WaitCallback | None = None
) -> TranslationBatch:
    """Translate each text; `model` (a catalog name, folder or hub id) overrides the pair's default.

    A long batch is served in slices that take turns with other visitors' requests; `on_wait` is called
    while it waits (with the ticket: its place in line and progress)."""
    name = model or model_for_pair(source, target).name
    _check(texts, source)
    texts = [well_formed(text) for text in texts]
    layouts = [split_text(text) for text in texts]
    pieces = [piece for layout in layouts for piece in layout.pieces]
    started = time.perf_counter()
    translated = iter(_translate_pieces(pieces, name, on_wait))
    seconds = time.perf_counter() - started
    results = [
        Translation(layout.join([next(translated) for _ in layout.pieces]), _notices(text, layout, source, target))
        for text, layout in zip(texts, layouts, strict=True)
    ]
    return TranslationBatch(results, source, target, name, len(pieces), seconds)


def _check(texts: list[str], source: str) -> None:
    if not texts or not any(text.strip() for text in texts):
        raise InputError(f"There is no text to translate. Type or paste some {language_name(source)} text.")
    total = sum(len(text) for text in texts)
    if total > TRANSLATION_CHARACTERS:
        raise InputError(
            f"The text is {total:,} characters long; at most {TRANSLATION_CHARACTERS:,} characters (about eight pages) "
            "can be translated at once. Translate it in parts."
        )


def _translate_pieces(pieces: list[str], name: str, on_wait: WaitCallback | None) -> list[str]:
    """Submitted shortest first, so each batch holds pieces of similar length and little padding;
    returned in input order."""
    if not pieces:
        return []
    order = sorted(range(len(pieces)), key=lambda index: len(pieces[index]))
    outputs = get_server(name, TASK).run([pieces[index] for index in order], on_wait=on_wait)
    translations = [""] * len(pieces)
    for index, output in zip(order, outputs, strict=True):
        translations[index] = output
    return translations


def _notices(text: str, layout: Layout, source: str, target: str) -> tuple[str, ...]:
    if text.strip() and not layout.pieces:
        return ("There are no words to translate here (only numbers, symbols, emoji or markup); it is kept as it is.",)
    guessed = guess_language(text)
    if guessed == target and guessed != source:
        return (
            f"This text looks like {language_name(target)} already. To translate it into "
            f"{language_name(source)}, swap the direction.",
        )
    return ()
