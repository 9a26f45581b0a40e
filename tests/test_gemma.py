"""The optional base model, Gemma 3 270M: provisioned on request, it continues text."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines.errors import InputError
from pipelines.provisioning.catalog import find_model
from pipelines.provisioning.provision import pull
from pipelines.tasks.text_generation import GenerationSettings, chats, generate_reply, stream_chat, stream_completion
from tests.conftest import ROOT
from tests.test_text_generation import ask

GEMMA = "gemma-3-270m"
OPENING = "The three most important things to know about bicycles are"


@pytest.fixture(scope="module")
def gemma(provisioned: Path) -> str:
    (result,) = pull([GEMMA], report=lambda line: None)
    assert result.outcome != "failed", result.error
    return GEMMA


def test_gemma_is_not_in_the_default_set(provisioned: Path) -> None:
    assert GEMMA not in {result.name for result in pull(report=lambda line: None)}


def test_gemma_continues_a_text_in_streamed_chunks(gemma: str) -> None:
    greedy = GenerationSettings(max_new_tokens=24)
    reply = stream_completion(OPENING, gemma, greedy)
    chunks = list(reply)
    assert len(chunks) >= 3
    assert "".join(chunks) == generate_reply(OPENING, model=gemma, settings=greedy)
    assert len(reply.text.split()) >= 8 and not reply.text.startswith(OPENING)


def test_gemma_is_a_completion_model_not_a_chat_model(gemma: str) -> None:
    assert not chats(gemma) and chats()
    with pytest.raises(InputError, match="base model that continues text"):
        stream_chat(ask("Hello"), model=gemma)


def test_gemma_card_shows_its_terms_of_use(gemma: str) -> None:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    app.switch_page("pages/text_generation.py").run()
    app.selectbox(key="tg-model").set_value(find_model(gemma)).run()
    assert not app.exception
    assert "base model" in app.info[0].value
    assert any(text.value.startswith("Gemma Terms of Use") for text in app.text)


def test_cli_continues_text_with_gemma(gemma: str) -> None:
    command = [
        sys.executable,
        "-m",
        "pipelines",
        "run",
        "text-generation",
        OPENING,
        "--model",
        gemma,
        "--max-new-tokens",
        "12",
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(done.stdout)["generated_text"].strip()
