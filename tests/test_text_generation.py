"""The chat assistant on the real SmolLM2-135M-Instruct."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pipelines.errors import InputError
from pipelines.serving.chat_prompt import ChatMessage, count_prompt_tokens, fit_to_window
from pipelines.serving.loader import get_server
from pipelines.tasks.text_generation import GenerationSettings, generate_reply, stream_chat

CAPITAL = "What is the capital of France?"


def ask(text: str) -> list[ChatMessage]:
    return [ChatMessage("user", text)]


def reply_within(seconds: float, question: str) -> str:
    """A greedy reply, or a failure after `seconds`: a model left held would otherwise hang the suite.

    A daemon thread, not an executor, so a stuck call cannot keep the test process alive at exit."""
    answers: list[str] = []
    worker = threading.Thread(target=lambda: answers.append(generate_reply(question)), daemon=True)
    worker.start()
    worker.join(seconds)
    assert answers, f"no reply within {seconds:.0f} s: the model was not freed"
    return answers[0]


@pytest.fixture(scope="module")
def tokenizer(provisioned: Path) -> object:
    return get_server("smollm2-135m-instruct")._tokenizer


def test_capital_of_france_is_paris(provisioned: Path) -> None:
    assert "Paris" in generate_reply(CAPITAL)


def test_stream_arrives_in_chunks_that_add_up_to_the_greedy_answer(provisioned: Path) -> None:
    reply = stream_chat(ask(CAPITAL))
    chunks = list(reply)
    assert len(chunks) >= 3
    assert "".join(chunks) == reply.text == generate_reply(CAPITAL)
    assert reply.stats.first_token_seconds is not None and reply.stats.first_token_seconds > 0
    assert reply.stats.new_tokens >= len(chunks) and reply.stats.tokens_per_second > 0
    assert not reply.stats.stopped_early


def test_stop_ends_generation_early_and_frees_the_model(provisioned: Path) -> None:
    reply = stream_chat(
        ask("Write a long story about a dragon who learns to cook."), settings=GenerationSettings(max_new_tokens=400)
    )
    for count, _ in enumerate(reply, start=1):
        if count == 5:
            reply.stop()
    assert reply.stats.stopped_early
    assert reply.stats.new_tokens < 40
    assert "Paris" in reply_within(60, CAPITAL)  # the model is free again


def test_abandoned_stream_frees_its_slot(provisioned: Path) -> None:
    server = get_server("smollm2-135m-instruct")
    reply = stream_chat(ask("Count from one to one hundred in words."), settings=GenerationSettings(max_new_tokens=400))
    iterator = iter(reply)
    next(iterator)
    assert server.holding() == 1
    iterator.close()  # what a Streamlit rerun does to a page's stream
    assert server.holding() == 0 and reply.stats.stopped_early


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_prompt_gets_a_sentence(provisioned: Path, text: str) -> None:
    with pytest.raises(InputError, match="The message is empty"):
        stream_chat(ask(text))


def test_bad_parameters_get_a_sentence(provisioned: Path) -> None:
    with pytest.raises(InputError, match="temperature"):
        generate_reply(CAPITAL, settings=GenerationSettings(sample=True, temperature=0))
    with pytest.raises(InputError, match="Max new tokens"):
        generate_reply(CAPITAL, settings=GenerationSettings(max_new_tokens=0))


def test_a_100000_character_prompt_is_cut_with_a_notice(provisioned: Path) -> None:
    reply = stream_chat(
        ask("Summarise this. " + "The quick brown fox jumps over the lazy dog. " * 2300),
        settings=GenerationSettings(max_new_tokens=16),
    )
    assert "".join(reply)
    assert reply.prompt.truncated_tokens > 10_000
    assert any("too long" in notice for notice in reply.prompt.notices)


def test_long_conversations_drop_their_oldest_turns(tokenizer: object) -> None:
    turn = "Tell me about bicycles. " * 40
    history = []
    for index in range(12):
        history += [ChatMessage("user", f"{index}: {turn}"), ChatMessage("assistant", turn)]
    history.append(ChatMessage("user", "And what about helmets?"))
    fitted = fit_to_window("Be brief.", history, tokenizer, budget=1000)
    assert fitted.prompt_tokens <= 1000
    assert fitted.dropped_messages > 0 and fitted.dropped_messages % 2 == 0
    assert fitted.messages[0].role == "system" and fitted.messages[1].role == "user"
    assert fitted.messages[-1].content == "And what about helmets?"
    assert fitted.prompt_tokens == count_prompt_tokens(fitted.messages, tokenizer)
    assert "oldest" in fitted.notices[0]


def test_two_sessions_chatting_at_once_each_get_their_own_answer(provisioned: Path) -> None:
    questions = {CAPITAL: "Paris", "What is the capital of Italy?": "Rome"}
    barrier = threading.Barrier(2)

    def session(question: str) -> str:
        barrier.wait()
        return "".join(stream_chat(ask(question), settings=GenerationSettings(max_new_tokens=24)))

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = dict(zip(questions, pool.map(session, questions), strict=True))
    for question, city in questions.items():
        assert city in answers[question]
