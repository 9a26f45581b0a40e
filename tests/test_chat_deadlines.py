"""No chat answer waits for good: settings that could never be served are refused at load, a request that
could never be scheduled at once, a generation thread that dies or stalls ends its answers with a
sentence, and a request that fails half way leaves its slot free. On the real chat model."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipelines.errors import InputError, ModelNotAvailable, SettingsError
from pipelines.serving.chat_prompt import ChatMessage
from pipelines.serving.chat_server import ChatServer
from pipelines.serving.loader import get_server
from pipelines.serving.model_server import ServingLimits
from pipelines.settings import load_settings
from pipelines.tasks.text_generation import GenerationSettings, stream_chat

CHAT = "smollm2-135m-instruct"
DECODING = {"max_new_tokens": 300, "sample": False, "temperature": 1.0, "top_p": 1.0, "repetition_penalty": 1.0}


def test_a_context_longer_than_the_cache_is_refused_at_load_naming_both(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOWROOM_CHAT_CONTEXT_TOKENS", "4096")
    both = "SHOWROOM_CHAT_CONTEXT_TOKENS is 4096, more than SHOWROOM_CHAT_CACHE_TOKENS"
    with pytest.raises(SettingsError, match=both):
        load_settings()
    monkeypatch.setenv("SHOWROOM_CHAT_CACHE_TOKENS", "4096")
    assert load_settings().chat_cache_tokens == 4096


def test_max_new_tokens_that_leave_no_room_for_the_conversation_are_one_sentence(
    provisioned: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOWROOM_CHAT_CONTEXT_TOKENS", "128")
    with pytest.raises(InputError, match=r"Max new tokens \(100\) leaves no room .* context of 128 tokens"):
        stream_chat([ChatMessage("user", "Hello")], model=CHAT, settings=GenerationSettings(max_new_tokens=100))


@pytest.fixture(scope="module")
def chat_pipeline(provisioned: Path) -> Any:
    from transformers import pipeline

    return pipeline("text-generation", model=str(provisioned / "models" / CHAT), device="cpu")


@pytest.fixture
def server(chat_pipeline: Any) -> Iterator[ChatServer]:
    """A chat server of its own (its generation thread is the one these tests break), stalling after 2 s."""
    owned = ChatServer(CHAT, "SmolLM2", chat_pipeline, ServingLimits(4, 4, 0.005), cache_tokens=512, stall_seconds=2)
    yield owned
    owned.close()


def prompt(server: ChatServer, question: str = "Count from one to one hundred in words.") -> list[int]:
    return server.prompt_ids(server.fit_conversation(None, [ChatMessage("user", question)], 200))


def test_a_request_that_could_never_fit_the_cache_is_refused_at_once(server: ChatServer) -> None:
    started = time.monotonic()
    with pytest.raises(InputError, match=r"needs 1,\d{3} tokens .* more than the chat's cache holds \(512"):
        server.submit(prompt(server), DECODING | {"max_new_tokens": 1000})
    assert time.monotonic() - started < 1 and server.holding() == 0


def test_a_submit_that_fails_half_way_frees_its_slot(server: ChatServer, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the request queue is gone")

    monkeypatch.setattr(server._manager, "add_request", broken)
    with pytest.raises(RuntimeError, match="queue is gone"):
        server.submit(prompt(server), DECODING)
    assert server.holding() == 0
    monkeypatch.setattr(server._manager, "add_request", lambda *args, **kwargs: None)  # dropped while stopping
    with pytest.raises(ModelNotAvailable, match="stopped generating"):
        server.submit(prompt(server), DECODING)
    assert server.holding() == 0


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the thread dies on purpose
def test_a_generation_thread_that_dies_mid_answer_ends_it_with_a_sentence(
    server: ChatServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = server.submit(prompt(server), DECODING)
    chunks = iter(stream)
    assert next(chunks)

    def die(*args: object, **kwargs: object) -> bool:
        raise SystemExit  # not an Exception: transformers' loop does not catch it, and fails no request

    monkeypatch.setattr(server._manager, "_generation_loop_body", die)
    started = time.monotonic()
    with pytest.raises(ModelNotAvailable, match="stopped generating"):
        list(chunks)
    assert time.monotonic() - started < 5 and not server.healthy and server.holding() == 0
    with pytest.raises(ModelNotAvailable, match="stopped generating"):
        server.submit(prompt(server), DECODING)


def test_an_answer_that_gets_no_token_for_its_deadline_is_ended(
    server: ChatServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def idle(*args: object, **kwargs: object) -> bool:
        time.sleep(0.05)
        return True  # the loop goes on, alive, and generates nothing

    monkeypatch.setattr(server._manager, "_generation_loop_body", idle)
    stream = server.submit(prompt(server), DECODING)
    started = time.monotonic()
    while not stream.started(0.2):
        assert time.monotonic() - started < 10
    with pytest.raises(ModelNotAvailable, match=r"sent nothing for 2 s \(SHOWROOM_CHAT_STALL_S\)"):
        list(stream)
    assert 2 <= time.monotonic() - started < 5 and server.holding() == 0


def test_the_loader_replaces_a_chat_server_whose_thread_died(provisioned: Path) -> None:
    first = get_server(CHAT, "text-generation")
    first._manager.stop(block=True, timeout=30)  # as if its thread had ended
    assert not first.healthy
    second = get_server(CHAT, "text-generation")
    assert second is not first and second.healthy
    reply = stream_chat([ChatMessage("user", "Say hello.")], model=CHAT, settings=GenerationSettings(max_new_tokens=8))
    assert "".join(reply)
