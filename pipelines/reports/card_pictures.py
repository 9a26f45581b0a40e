"""The home page's pictures: one per demo, of that demo's real model on its bundled example.

    python -m pipelines.reports.card_pictures [--if-outdated]

`make models` runs it after provisioning (the models are loaded once, here, not by the dashboard), and
writes SHOWROOM_HOME/pictures/<task>.png with a key of what they depend on: the examples, this module's
drawing code and the default models' builds; `--if-outdated` does nothing while the key matches. Every
picture is drawn by this code from a model's output, never a screenshot: the detector's boxes on the cat,
the classifier's top labels beside the coffee, the spectrogram of the support call with its transcript...
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import inspect
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont, ImageOps

from pipelines.provisioning.catalog import default_model, find_model
from pipelines.provisioning.provision import build_key
from pipelines.runtime.streamlit_font import source_sans_files
from pipelines.settings import ASSETS, load_settings
from pipelines.tasks.showcase import SHOWCASE

SIZE = (640, 360)
BACKGROUND, INK, ACCENT, MUTED = "#F5F3F0", "#1F2328", "#E8590C", "#9AA0A6"
CHAT_QUESTION = SHOWCASE["text-generation"]["text"]
REVIEW = SHOWCASE["sentiment"]["text"]
SENTENCE = SHOWCASE["translation"]["text"]
MOVIE = SHOWCASE["recommender"]["movie"]
PHOTO = ASSETS / "images" / f"{SHOWCASE['image-classification']['example']}.jpg"
DETECTED = ASSETS / "images" / f"{SHOWCASE['object-detection']['example']}.jpg"
CLIP = ASSETS / "audio" / f"{SHOWCASE['speech-to-text']['example']}.wav"
TASKS = ("text-generation", "sentiment", "translation", "image-classification", "object-detection")
TASKS += ("speech-to-text", "recommender")
# magma-like stops for the spectrogram, from the quietest (black) to the loudest (pale yellow)
_MAGMA = np.array([[0, 0, 4], [81, 18, 124], [183, 55, 121], [252, 137, 97], [252, 253, 191]], dtype=float)


def pictures_dir() -> Path:
    return load_settings().home / "pictures"


def picture_path(task: str) -> Path:
    return pictures_dir() / f"{task}.png"


def pictures_key() -> str:
    from pipelines.media import sound_pictures

    inputs = [inspect.getsource(inspect.getmodule(pictures_key)), inspect.getsource(sound_pictures)]
    inputs += [path.name + hashlib.sha256(path.read_bytes()).hexdigest() for path in (PHOTO, DETECTED, CLIP)]
    inputs += [build_key(default_model(task)) for task in TASKS if task != "recommender"]
    inputs += [build_key(find_model("minilm-l6"))]
    return hashlib.sha256("\n".join(inputs).encode()).hexdigest()[:16]


def _canvas() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGB", SIZE, BACKGROUND)
    return image, ImageDraw.Draw(image)


@functools.cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    """Source Sans, the dashboard's own typeface; Pillow's default where a release moved its files."""
    found = source_sans_files()
    if not found:
        return ImageFont.load_default(size=size)
    font = ImageFont.truetype(str(found[0]), size)
    font.set_variation_by_axes([400])  # a variable font: its first instance is the lightest weight
    return font


def _wrapped(draw: ImageDraw.ImageDraw, text: str, width: int, font: ImageFont.FreeTypeFont) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and draw.textlength(candidate, font=font) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return [*lines, line] if line else lines


def _text_block(draw: ImageDraw.ImageDraw, origin: tuple[int, int], text: str, size: int, fill: str, width: int) -> int:
    """Draw wrapped text from `origin`; returns the y below it."""
    font = _font(size)
    x, y = origin
    for line in _wrapped(draw, text, width, font):
        draw.text((x, y), line, fill=fill, font=font)
        y += round(size * 1.3)
    return y


def _bar(draw: ImageDraw.ImageDraw, left: int, top: int, span: int, score: float) -> None:
    """A score 0..1 as the pages' charts draw it: an accent bar with its percentage after it."""
    right = left + max(4, round(span * score))
    draw.rounded_rectangle([left, top, right, top + 28], 4, fill=ACCENT)
    draw.text((right + 8, top), f"{score:.0%}", fill=INK, font=_font(22))


def _chat() -> Image.Image:
    from pipelines.assistant.chat_presets import PRESETS
    from pipelines.assistant.replies import answer_from_facts
    from pipelines.serving.chat_prompt import ChatMessage

    preset = next(preset for preset in PRESETS if preset.grounded)
    answer = answer_from_facts([ChatMessage("user", CHAT_QUESTION)], preset.facts(None))
    answer.read()
    image, draw = _canvas()
    draw.rounded_rectangle([200, 24, 616, 96], 16, fill="#FFFFFF", outline=MUTED)
    _text_block(draw, (220, 44), CHAT_QUESTION, 26, INK, 380)
    lines = len(_wrapped(draw, answer.text, 500, _font(26)))
    draw.rounded_rectangle([24, 120, 560, 148 + lines * 34], 16, fill=ACCENT)
    _text_block(draw, (44, 140), answer.text, 26, "#FFFFFF", 500)
    return image


def _sentiment() -> Image.Image:
    from pipelines.tasks.sentiment import analyse_sentiment

    (result,) = analyse_sentiment([REVIEW]).results
    image, draw = _canvas()
    below = _text_block(draw, (32, 28), f"“{REVIEW}”", 26, INK, 576)
    for index, (label, score) in enumerate(sorted(result.scores.items(), key=lambda item: -item[1])):
        top = below + 30 + index * 44
        draw.text((32, top), label, fill=INK, font=_font(22))
        _bar(draw, 202, top, 320, score)
    return image


def _translation() -> Image.Image:
    from pipelines.tasks.translation import translate

    (result,) = translate([SENTENCE], "en", "pt").results
    image, draw = _canvas()
    draw.text((32, 32), "English", fill=MUTED, font=_font(22))
    _text_block(draw, (32, 66), SENTENCE, 30, INK, 576)
    draw.text((32, 176), "Portuguese", fill=ACCENT, font=_font(22))
    _text_block(draw, (32, 210), result.text, 30, INK, 576)
    return image


def _classification() -> Image.Image:
    from pipelines.tasks.image_classification import classify_image

    result = classify_image(PHOTO, top_k=3)
    image, draw = _canvas()
    image.paste(ImageOps.fit(Image.open(PHOTO).convert("RGB"), (260, 360)), (0, 0))
    for index, score in enumerate(result.scores):
        top = 60 + index * 96
        draw.text((284, top), score.label, fill=INK, font=_font(24))
        _bar(draw, 284, top + 36, 250, score.score)
    return image


def _detection() -> Image.Image:
    from pipelines.tasks.object_detection import annotate, detect_objects

    return ImageOps.pad(annotate(detect_objects(DETECTED)), SIZE, color=BACKGROUND)


def _speech() -> Image.Image:
    from pipelines.media.audio import prepare_audio
    from pipelines.media.sound_pictures import sound_picture
    from pipelines.tasks.speech_to_text import transcribe

    picture = sound_picture(prepare_audio(CLIP).samples)
    levels = (picture.mel_db[::-1] + 80) / 80 * (len(_MAGMA) - 1)  # high frequencies at the top
    low = np.clip(np.floor(levels).astype(int), 0, len(_MAGMA) - 2)
    share = (levels - low)[..., None]
    colours = (_MAGMA[low] * (1 - share) + _MAGMA[low + 1] * share).astype(np.uint8)
    image, draw = _canvas()
    image.paste(Image.fromarray(colours).resize((SIZE[0], 240), Image.Resampling.BILINEAR), (0, 0))
    _text_block(draw, (24, 256), transcribe(CLIP).text, 22, INK, 592)
    return image


def _recommender() -> Image.Image:
    from pipelines.tasks.recommender import similar_movies

    image, draw = _canvas()
    draw.text((32, 28), f"People who liked {MOVIE} also watched", fill=MUTED, font=_font(22))
    font = _font(28)
    for index, recommendation in enumerate(similar_movies(MOVIE, by="co-ratings", k=5)):
        y = 76 + index * 54
        draw.rounded_rectangle([32, y, 608, y + 44], 8, fill="#FFFFFF", outline=MUTED)
        draw.text((48, y + 7), recommendation.movie.label, fill=INK, font=font)
    return image


DRAWERS: dict[str, Callable[[], Image.Image]] = {
    "text-generation": _chat,
    "sentiment": _sentiment,
    "translation": _translation,
    "image-classification": _classification,
    "object-detection": _detection,
    "speech-to-text": _speech,
    "recommender": _recommender,
}


def write_pictures(folder: Path | None = None) -> list[Path]:
    """Draw every picture into a fresh folder, then swap it in whole: a page never sees half a set."""
    folder = folder or pictures_dir()
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".pictures-", dir=folder.parent))
    try:
        for task, drawer in DRAWERS.items():
            drawer().save(staging / f"{task}.png", optimize=True)
        (staging / "key.txt").write_text(pictures_key() + "\n")
    except BaseException:
        shutil.rmtree(staging)
        raise
    if folder.exists():
        retired = folder.with_name(f".retired-{folder.name}-{os.getpid()}")
        folder.rename(retired)
        staging.rename(folder)
        for old in retired.iterdir():
            old.unlink()
        retired.rmdir()
    else:
        staging.rename(folder)
    return sorted(folder.glob("*.png"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--if-outdated", action="store_true", help="do nothing when the pictures are current")
    arguments = parser.parse_args()
    key_file = pictures_dir() / "key.txt"
    if arguments.if_outdated and key_file.is_file() and key_file.read_text().strip() == pictures_key():
        print(f"home-page pictures: up to date ({pictures_dir()})")
        return
    for path in write_pictures():
        print(f"written {path}")


if __name__ == "__main__":
    main()
