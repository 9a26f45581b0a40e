"""The code behind a result: the Showroom command and the plain transformers code that reproduce it.

What the Hugging Face model widgets call "Use in Transformers", with this call's exact model and
settings: an engineer in the room copies it and gets the same answer outside the dashboard. The Python
loads the provisioned folder with `transformers.pipeline`, as the engine does (Showroom's own model
classes are registered by importing `pipelines.architectures`, so those snippets run from a Showroom
checkout); where the model has a hub id, a comment gives it for machines with a hub.
"""

from __future__ import annotations

import functools
import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipelines.provisioning.catalog import catalog_entry, pipeline_task
from pipelines.provisioning.provision import model_dir
from pipelines.serving.loader import serving_dtype
from pipelines.settings import load_settings

_REGISTER = "import pipelines.architectures  # Showroom's own model classes (run from the Showroom folder)"
_LAST_MESSAGE = '[0]["generated_text"][-1]["content"]'  # the chat pipeline returns the conversation, answer last


@dataclass(frozen=True)
class CodeSnippet:
    shell: str  # `python -m pipelines run …`, from the Showroom folder
    python: str  # plain transformers on the provisioned folder


def _folder(model: str) -> tuple[str, str]:
    """The model's folder (or the name given, for a folder or hub id) and a comment naming its hub id."""
    spec = catalog_entry(model)
    if spec is None:
        return model, ""
    hub = f"  # with a hub: model={spec.hub_id!r}" if spec.hub_id else ""
    return str(model_dir(spec, load_settings())), hub


@functools.cache  # every rerun of a page shows its code: read each folder's config once per process
def _showroom_class(folder: str) -> bool:
    """Whether the folder's model type is one transformers lacks (Showroom's own, `pipelines.architectures`)."""
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES

    config = Path(folder) / "config.json"
    if not config.is_file():
        return False
    return json.loads(config.read_text()).get("model_type") not in CONFIG_MAPPING_NAMES


def _shell(task: str, arguments: Sequence[str]) -> str:
    return shlex.join(["python", "-m", "pipelines", "run", task, *arguments])


def _pipeline_lines(task: str, model: str) -> list[str]:
    folder, hub = _folder(model)
    lines = [_REGISTER] if _showroom_class(folder) else []
    lines += ["from transformers import pipeline", ""]
    dtype = serving_dtype(task, load_settings())  # the precision the engine computes in, so the answer is the same
    lines.append(f"pipe = pipeline({pipeline_task(task)!r}, model={folder!r}, dtype={dtype!r}){hub}")
    return lines


def _python(task: str, model: str, setup: Sequence[str], call: str, notes: Sequence[str] = ()) -> str:
    pipeline_lines = _pipeline_lines(task, model)
    imports = [line for line in setup if line.startswith(("import ", "from "))]
    body = [line for line in setup if line not in imports]
    return "\n".join([*imports, *pipeline_lines, *body, *(f"# {note}" for note in notes), f"print({call})"]) + "\n"


def _keywords(values: dict[str, object]) -> str:
    return "".join(f", {name}={value!r}" for name, value in values.items())


def sentiment(texts: Sequence[str], model: str) -> CodeSnippet:
    return CodeSnippet(
        _shell("sentiment", [*texts, "--model", model]),
        _python("sentiment", model, [f"texts = {list(texts)!r}"], "pipe(texts, top_k=None, truncation=True)"),
    )


def translation(texts: Sequence[str], source: str, target: str, model: str) -> CodeSnippet:
    return CodeSnippet(
        _shell("translation", [*texts, "--source", source, "--target", target, "--model", model]),
        _python(
            "translation",
            model,
            [f"texts = {list(texts)!r}"],
            "pipe(texts)",
            ["Showroom also cuts a long text into sentences and keeps tags and emoji in place."],
        ),
    )


def image_task(task: str, image: str, model: str, options: dict[str, object]) -> CodeSnippet:
    """Image classification (`top_k`) or object detection (`threshold`) of the image file `image`."""
    flags = [part for name, value in options.items() for part in (f"--{name.replace('_', '-')}", str(value))]
    return CodeSnippet(
        _shell(task, [image, *flags, "--model", model]),
        _python(
            task, model, ["from PIL import Image", f"image = Image.open({image!r})"], f"pipe(image{_keywords(options)})"
        ),
    )


def speech_to_text(recording: str, model: str, timestamps: bool, language: str | None) -> CodeSnippet:
    flags = (["--timestamps"] if timestamps else []) + (["--language", language] if language else [])
    keywords: dict[str, object] = {"return_timestamps": True} if timestamps else {}
    if language:
        keywords["generate_kwargs"] = {"language": language, "task": "transcribe"}
    return CodeSnippet(
        _shell("speech-to-text", [recording, *flags, "--model", model]),
        _python(
            "speech-to-text",
            model,
            ["import librosa", f"audio, rate = librosa.load({recording!r}, sr=16000)"],
            f'pipe({{"raw": audio, "sampling_rate": rate}}{_keywords(keywords)})["text"]',
            ["Showroom cuts a recording over 30 s into windows at its pauses (chunk_length_s=30 comes close)."],
        ),
    )


def chat(
    question: str, system: str, model: str, generation: dict[str, object], preset: str | None = None
) -> CodeSnippet:
    """One chat answer; `generation` holds the call's `generate()` settings (`GenerationSettings.generate_kwargs`).

    The CLI takes the preset (which retrieves the facts itself) or the system prompt, and the temperature
    when sampling; the Python asks with the very system prompt of this answer, retrieved facts included."""
    arguments = [question, "--max-new-tokens", str(generation["max_new_tokens"]), "--model", model]
    arguments += ["--preset", preset] if preset else ["--system", system]
    arguments += ["--repetition-penalty", str(generation["repetition_penalty"])]
    if generation.get("do_sample"):
        arguments += ["--temperature", str(generation["temperature"]), "--top-p", str(generation["top_p"])]
    messages = [{"role": "system", "content": system}, {"role": "user", "content": question}]
    note = "The customer-service assistant asks with the facts it retrieved, as here, then checks the answer."
    return CodeSnippet(
        _shell("text-generation", arguments),
        _python(
            "text-generation",
            model,
            [f"messages = {messages!r}"],
            f"pipe(messages{_keywords(generation)})" + _LAST_MESSAGE,
            [note] if preset else (),
        ),
    )


def recommender(flag: str, value: str | int | Sequence[str], options: dict[str, object]) -> CodeSnippet:
    """A recommender call (`--similar-to`, `--query`, `--user` or `--likes`); no pipeline, Showroom's own code."""
    values = [str(item) for item in value] if isinstance(value, list | tuple) else [str(value)]
    flags = [part for name, option in options.items() for part in (f"--{name}", str(option))]
    function = {"--similar-to": "similar_movies", "--query": "search", "--user": "for_user", "--likes": "from_likes"}[
        flag
    ]
    first = repr(value if function != "from_likes" else list(values))
    python = f"from pipelines.tasks.recommender import {function}\n\nprint({function}({first}{_keywords(options)}))\n"
    return CodeSnippet(_shell("recommender", [flag, *values, *flags]), python)
