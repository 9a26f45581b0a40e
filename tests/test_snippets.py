"""The code behind a result reproduces it: the Showroom command in the CLI, the Python in a fresh interpreter."""

from __future__ import annotations

import ast
import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines import cli
from pipelines.tasks import snippets
from pipelines.tasks.image_classification import classify_image
from pipelines.tasks.object_detection import detect_objects
from pipelines.tasks.sentiment import analyse_sentiment
from pipelines.tasks.speech_to_text import transcribe
from pipelines.tasks.text_generation import GenerationSettings, generate_reply
from tests.conftest import CAT_PHOTO, ROOT

CHAT = "smollm2-135m-instruct"
WEATHER = ROOT / "assets" / "audio" / "weather_report.wav"
COFFEE = ROOT / "assets" / "images" / "coffee.jpg"


def run_shell(command: str, capsys: pytest.CaptureFixture[str]) -> object:
    """The snippet's `python -m pipelines run …`, through the CLI's own entry point."""
    words = shlex.split(command)
    assert words[:3] == ["python", "-m", "pipelines"]
    capsys.readouterr()
    assert cli.main(words[3:]) == 0
    return json.loads(capsys.readouterr().out)


def run_python(code: str) -> str:
    """The snippet in a fresh interpreter from the Showroom folder: the last line it prints."""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def run_python_value(code: str) -> object:
    """What the snippet prints (a pipeline's list of dicts), read back as a Python literal."""
    return ast.literal_eval(run_python(code))


def test_sentiment_code_gives_the_page_result(provisioned: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "I absolutely love this bike, best purchase of the year!"
    engine = analyse_sentiment([text]).results[0]
    code = snippets.sentiment([text], "minilm-sentiment")
    assert run_shell(code.shell, capsys)[0]["label"] == engine.label
    scores = run_python_value(code.python)[0]
    best = max(scores, key=lambda item: item["score"])
    assert best["label"] == engine.label == "positive"
    assert best["score"] == pytest.approx(engine.score, abs=1e-4)


@pytest.mark.parametrize("model", ["mobilenet-v2", "efficientnet-lite0"])
def test_image_classification_code_gives_the_page_result(
    provisioned: Path, capsys: pytest.CaptureFixture[str], model: str
) -> None:
    engine = classify_image(COFFEE, model, top_k=3)
    code = snippets.image_task("image-classification", str(COFFEE), model, {"top_k": 3})
    assert [item["label"] for item in run_shell(code.shell, capsys)[0]] == [score.label for score in engine.scores]
    raw = run_python_value(code.python)
    assert [item["label"] for item in raw] == [score.label for score in engine.scores]
    assert engine.top.label == "espresso"


def test_detection_code_finds_the_page_objects(provisioned: Path, capsys: pytest.CaptureFixture[str]) -> None:
    engine = detect_objects(CAT_PHOTO, "centernet-coco", threshold=0.3)
    code = snippets.image_task("object-detection", str(CAT_PHOTO), "centernet-coco", {"threshold": 0.3})
    assert "pipelines.architectures" in code.python  # transformers lacks the TF.js graph's model class
    found = sorted(item.label for item in engine.found)
    assert sorted(item["label"] for item in run_shell(code.shell, capsys)[0]) == found
    raw = run_python_value(code.python)
    assert sorted(item["label"] for item in raw) == found
    assert "cat" in {item["label"] for item in raw}


def test_speech_code_transcribes_as_the_page(provisioned: Path, capsys: pytest.CaptureFixture[str]) -> None:
    engine = transcribe(WEATHER, "whisper-tiny-en")
    code = snippets.speech_to_text(str(WEATHER), "whisper-tiny-en", timestamps=False, language=None)
    assert "librosa.load" in code.python and "pipelines.architectures" not in code.python
    assert run_shell(code.shell, capsys)[0]["text"] == engine.text
    assert run_python(code.python) == engine.text
    assert "sunny" in engine.text


def test_chat_code_gives_the_answer_the_engine_streams(provisioned: Path, capsys: pytest.CaptureFixture[str]) -> None:
    question, system = "What is the capital of France?", "You are a helpful assistant. Answer in one sentence."
    settings = GenerationSettings(max_new_tokens=24)
    engine = generate_reply(question, system, CHAT, settings)
    code = snippets.chat(question, system, CHAT, settings.generate_kwargs())
    assert run_shell(code.shell, capsys)["generated_text"] == engine
    assert run_python(code.python) == engine.strip()
    assert "Paris" in engine


def test_every_snippet_is_a_command_the_cli_takes_and_python_that_compiles(provisioned: Path) -> None:
    codes = [
        snippets.translation(["Good morning, how are you?"], "en", "pt", "bergamot-en-pt"),
        snippets.speech_to_text("talk.m4a", "whisper-base", timestamps=True, language="pt"),
        snippets.chat("Are you open on Sunday?", "Answer briefly.", CHAT, GenerationSettings(64).generate_kwargs()),
        snippets.chat("Hi", "Be kind.", CHAT, GenerationSettings(32, sample=True).generate_kwargs()),
        snippets.recommender("--similar-to", "Toy Story (1995)", {"by": "co-ratings", "k": 5}),
        snippets.recommender("--likes", ["Heat (1995)", "Fargo (1996)"], {"k": 5}),
        snippets.recommender("--user", 42, {"method": "ease", "k": 10}),
    ]
    parser = cli.build_parser()
    for code in codes:
        parser.parse_args(shlex.split(code.shell)[3:])  # exits (fails the test) on an argument the CLI lacks
        compile(code.python, "<snippet>", "exec")
    assert "--temperature 0.7" in codes[3].shell and "temperature=0.7" in codes[3].python
    assert "generate_kwargs={'language': 'pt', 'task': 'transcribe'}" in codes[1].python
    assert "from_likes(['Heat (1995)', 'Fargo (1996)'], k=5)" in codes[5].python
