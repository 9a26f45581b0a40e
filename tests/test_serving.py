"""The serving layer on the real models: batches answer exactly what single calls do, every visitor gets
their own answer, a full queue says so at once, a cancelled request frees its slot, big jobs take turns."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from pipelines.assistant.chat_presets import PRESETS
from pipelines.errors import RequestCancelled, ServerBusy
from pipelines.media.audio import SAMPLE_RATE, prepare_audio
from pipelines.media.images import prepare_image
from pipelines.serving.batch_calls import BATCH_CALLS
from pipelines.serving.chat_prompt import ChatMessage
from pipelines.serving.chat_server import ChatServer
from pipelines.serving.loader import get_server
from pipelines.serving.model_server import ModelServer, ServingLimits
from pipelines.tasks.sentiment import analyse_sentiment
from pipelines.tasks.text_generation import GenerationSettings, stream_chat
from tests.conftest import IMAGES, ROOT

REVIEWS = [
    "I absolutely love this bike, best purchase of the year!",
    "The delivery was late again and nobody answered my emails.",
    "Fine.",
    "The shop opens at nine on weekdays, and on Saturdays it opens at ten and closes early in winter.",
    "Thanks for fixing my brakes so quickly, you made my day.",
]
PHOTOS = [IMAGES / f"{stem}.jpg" for stem in ("chelsea", "coffee", "astronaut", "rocket")]
CUSTOMER_SERVICE = next(preset for preset in PRESETS if preset.key == "customer-service")


def one_batch_and_one_at_a_time(name: str, items: list, options: tuple = ()) -> tuple[list, list]:
    """The same items served as one request (one batch) and as one request each, one after another."""
    server = get_server(name)
    return server.run(items, options), [server.run([item], options)[0] for item in items]


def same_scores(batched: list[dict], single: list[dict]) -> bool:
    return [item["label"] for item in batched] == [item["label"] for item in single] and np.allclose(
        [item["score"] for item in batched], [item["score"] for item in single], atol=1e-5
    )


def test_batched_sentiment_equals_single_calls(provisioned: Path) -> None:
    batched, single = one_batch_and_one_at_a_time("minilm-sentiment", REVIEWS)
    for (scores, length, limit), (alone, alone_length, _) in zip(batched, single, strict=True):
        assert same_scores(scores, alone) and length == alone_length and limit == 512


def test_batched_translation_equals_single_calls(provisioned: Path) -> None:
    pieces = ["Where is the nearest train station?", "Thanks!", "Room 214 is on the second floor, next to the lifts."]
    batched, single = one_batch_and_one_at_a_time("bergamot-en-pt", pieces)
    assert batched == single and all(batched)


@pytest.mark.parametrize("model", ["mobilenet-v2", "efficientnet-lite0"])
def test_batched_image_classification_equals_single_calls(provisioned: Path, model: str) -> None:
    images = [prepare_image(path).image for path in PHOTOS]
    batched, single = one_batch_and_one_at_a_time(model, images, (5,))
    assert all(same_scores(one, other) for one, other in zip(batched, single, strict=True))
    assert batched[1][0]["label"] == "espresso"


@pytest.mark.parametrize("model", ["centernet-coco", "nanodet-coco"])
def test_batched_detection_equals_single_calls(provisioned: Path, model: str) -> None:
    images = [prepare_image(path).image for path in PHOTOS]
    batched, single = one_batch_and_one_at_a_time(model, images, (0.3,))
    for found, alone in zip(batched, single, strict=True):
        assert same_scores(found, alone)
        assert [item["box"] for item in found] == [item["box"] for item in alone]
    assert "cat" in {item["label"] for item in batched[0]}


@pytest.mark.parametrize("model", ["whisper-tiny-en", "whisper-base"])
def test_batched_speech_windows_equal_single_calls(provisioned: Path, model: str) -> None:
    clips = [ROOT / "assets" / "audio" / name for name in ("support_call.wav", "weather_report.wav")]
    windows = [{"raw": prepare_audio(path).samples, "sampling_rate": SAMPLE_RATE} for path in clips]
    options = (False, (("language", "en"), ("task", "transcribe"))) if model == "whisper-base" else (False, ())
    batched, single = one_batch_and_one_at_a_time(model, windows, options)
    assert [answer["text"] for answer in batched] == [answer["text"] for answer in single]
    assert "sunny" in batched[1]["text"]


@pytest.mark.parametrize("model", ["whisper-tiny-en", "whisper-base"])
def test_beams_sharing_one_copy_of_the_audio_give_transformers_own_transcripts(
    provisioned: Path, model: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pipelines.runtime.beam_cache keeps each window's encoded audio once; in float32 nothing else changes.

    (In bfloat16 stacking the beams' queries rounds the attention differently: a comma may differ.)"""
    from transformers import pipeline
    from transformers.cache_utils import EncoderDecoderCache

    from pipelines.runtime.beam_cache import share_audio_across_beams
    from pipelines.serving.loader import resolve_model

    clips = [ROOT / "assets" / "audio" / "support_call.wav", ROOT / "assets" / "eval" / "audio" / "passage.wav"]
    windows = [{"raw": prepare_audio(path).samples, "sampling_rate": SAMPLE_RATE} for path in clips]
    pipe = pipeline("automatic-speech-recognition", model=resolve_model(model).location, dtype="float32")
    options = {"language": "en", "task": "transcribe"} if model == "whisper-base" else {}

    def transcripts() -> list[list]:
        calls = [dict(generate_kwargs=options, return_timestamps=timestamps) for timestamps in (False, True)]
        return [list(pipe([dict(window) for window in windows], batch_size=2, **call)) for call in calls]

    theirs = transcripts()
    share_audio_across_beams(pipe.model)
    copies: list[tuple[int, int]] = []  # (audio copies, beams) in the cache at each beam reordering
    reorder = EncoderDecoderCache.reorder_cache

    def spy(cache: EncoderDecoderCache, beam_idx: object) -> None:
        copies.append((cache.cross_attention_cache.layers[0].keys.shape[0], len(beam_idx)))  # type: ignore[arg-type]
        reorder(cache, beam_idx)

    monkeypatch.setattr(EncoderDecoderCache, "reorder_cache", spy)
    assert transcripts() == theirs
    assert copies and set(copies) == {(2, 10)}  # two windows, five beams each, the audio held twice


def test_batched_embeddings_equal_single_calls_and_ignore_padding(provisioned: Path) -> None:
    texts = ["Toy Story (1995). Genres: Animation, Children's, Comedy", "Heat", *REVIEWS]
    batched, single = one_batch_and_one_at_a_time("minilm-l6", texts)
    assert np.allclose(np.stack(batched), np.stack(single), atol=1e-5)


def test_concurrent_sentiment_and_chat_from_many_threads_equal_sequential_calls(provisioned: Path) -> None:
    questions = ["How long is the warranty on the frame?", "Are you open on Sunday?", "Do you repair electric bikes?"]
    short = GenerationSettings(max_new_tokens=24, repetition_penalty=1.0)

    def chat(question: str) -> str:
        return "".join(stream_chat([ChatMessage("user", question)], CUSTOMER_SERVICE.system_prompt(), settings=short))

    def sentiment(text: str) -> str:
        return analyse_sentiment([text]).results[0].label

    jobs = [(chat, question) for question in questions] + [(sentiment, text) for text in REVIEWS]
    sequential = [call(argument) for call, argument in jobs]
    barrier = threading.Barrier(len(jobs))

    def together(job: tuple) -> str:
        barrier.wait()
        return job[0](job[1])

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        assert list(pool.map(together, jobs)) == sequential


def test_two_visitors_with_different_chat_settings_in_one_batch_each_get_their_own(provisioned: Path) -> None:
    facts = (
        [ChatMessage("user", "How long does delivery take?")],
        CUSTOMER_SERVICE.system_prompt(),
        GenerationSettings(max_new_tokens=40, repetition_penalty=1.0),
    )
    free_form = (
        [ChatMessage("user", "What is the capital of France?")],
        "You are a helpful, concise assistant.",
        GenerationSettings(max_new_tokens=64, repetition_penalty=1.15),
    )
    sampled = (
        [ChatMessage("user", "Tell me a story about a bicycle.")],
        None,
        GenerationSettings(max_new_tokens=12, sample=True, temperature=0.9, top_p=0.8),
    )
    alone = [
        "".join(stream_chat(history, system, settings=settings)) for history, system, settings in (facts, free_form)
    ]
    # All three in flight at once:
    replies = [
        stream_chat(history, system, settings=settings) for history, system, settings in (facts, free_form, sampled)
    ]
    with ThreadPoolExecutor(max_workers=3) as pool:
        answers = list(pool.map(lambda reply: "".join(reply), replies))
    assert answers[:2] == alone
    assert "Paris" in answers[1] and answers[1].count("Paris") < 4  # the penalty kept it from looping
    assert replies[2].stats.new_tokens <= 12 and answers[2]
    ends = [reply.stream.submitted + reply.stats.seconds for reply in replies]
    assert all(reply.stream.submitted + reply.stats.first_token_seconds < min(ends) for reply in replies)  # overlap


def sentiment_server(provisioned: Path, limits: ServingLimits) -> ModelServer:
    """The real sentiment model behind a server of its own with `limits`."""
    from transformers import pipeline

    import pipelines.architectures.mean_pooled_classifier  # noqa: F401  (registers the model's architecture)

    pipe = pipeline("text-classification", model=str(provisioned / "models" / "minilm-sentiment"), device="cpu")
    return ModelServer("minilm-sentiment", "sentiment", "MiniLM sentiment", pipe, BATCH_CALLS["sentiment"], limits)


@pytest.fixture
def small_sentiment_server(provisioned: Path) -> Iterator[ModelServer]:
    """The real sentiment model behind a queue of two requests, four texts a batch."""
    server = sentiment_server(provisioned, LIMITS)
    yield server
    server.close()


LIMITS = ServingLimits(max_batch=4, queue_size=2, window_seconds=0.005)


def test_a_full_queue_answers_at_once_with_a_sentence_and_a_cancelled_request_frees_its_slot(
    small_sentiment_server: ModelServer,
) -> None:
    big = small_sentiment_server.submit(REVIEWS * 400)
    small = small_sentiment_server.submit(REVIEWS[:1])
    started = time.perf_counter()
    with pytest.raises(ServerBusy, match=r"^The MiniLM sentiment model is answering 2 people right now; try again"):
        small_sentiment_server.submit(REVIEWS[:1])
    assert time.perf_counter() - started < 0.1
    assert small.ahead() >= 1 or small.done
    big.cancel()
    third = small_sentiment_server.submit(REVIEWS[1:2])
    assert small.result()[0][0][0]["label"] and third.result()[0][0][0]["label"]
    with pytest.raises(RequestCancelled):
        big.result()
    assert small_sentiment_server.holding() == 0


def test_a_waiting_visitor_who_leaves_cancels_the_request(small_sentiment_server: ModelServer) -> None:
    big = small_sentiment_server.submit(REVIEWS * 400)

    def leave(ticket: object) -> None:
        raise KeyboardInterrupt  # what Streamlit raises in a page whose visitor left or clicked elsewhere

    with pytest.raises(KeyboardInterrupt):
        big.result(on_wait=leave)
    assert big.done and small_sentiment_server.holding() == 0


@pytest.mark.parametrize("company", [0, 1])
def test_a_request_withdrawn_while_it_waits_for_company_leaves_the_model_serving(
    provisioned: Path, company: int
) -> None:
    """A visitor who leaves in the few ms a lone request waits for others to batch with: the model goes on
    answering the rest (it once answered an empty batch, and its worker thread died for every visitor)."""
    limits = ServingLimits(max_batch=4, queue_size=4, window_seconds=0.5)  # a long window, to leave within it
    server = sentiment_server(provisioned, limits)
    try:
        leaving = server.submit(REVIEWS[:1])
        staying = [server.submit(REVIEWS[1:2]) for _ in range(company)]  # in line behind it, or nobody
        time.sleep(0.1)
        leaving.cancel()
        time.sleep(0.6)  # past the window
        later = server.submit(REVIEWS[1:2])
        labels = [max(ticket.result()[0][0], key=lambda score: score["score"])["label"] for ticket in [*staying, later]]
        assert server.healthy and labels == ["negative"] * (company + 1)
        with pytest.raises(RequestCancelled):
            leaving.result()
    finally:
        server.close()


def test_a_single_request_is_answered_while_a_ten_thousand_row_batch_runs(provisioned: Path) -> None:
    server = get_server("minilm-sentiment")
    big = server.submit([f"Review {number}: {REVIEWS[number % len(REVIEWS)]}" for number in range(10_000)])
    while big.progress == 0:
        time.sleep(0.01)
    small = server.submit(REVIEWS[:1])
    assert small.result()[0][0]
    assert not big.done and 0 < big.progress < 1
    big.cancel()


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="per-thread nice values are Linux's")
def test_a_niced_model_serves_from_a_lower_priority_thread_and_leaves_the_callers_alone(provisioned: Path) -> None:
    server = sentiment_server(provisioned, ServingLimits(max_batch=4, queue_size=2, window_seconds=0.005, nice=5))
    try:
        (scores,) = [item[0] for item in server.run(REVIEWS[:1])]
        assert max(scores, key=lambda score: score["score"])["label"] == "positive"
        own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        assert os.getpriority(os.PRIO_PROCESS, server._worker.native_id) == max(own, 5)
        assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == own
    finally:
        server.close()


def test_a_full_chat_queue_answers_with_a_sentence_and_stopping_frees_the_slot(provisioned: Path) -> None:
    from transformers import pipeline

    pipe = pipeline("text-generation", model=str(provisioned / "models" / "smollm2-135m-instruct"), device="cpu")
    server = ChatServer("smollm2-135m-instruct", "SmolLM2", pipe, ServingLimits(4, 1, 0.005))
    try:
        prompt = server.prompt_ids(server.fit_conversation(None, [ChatMessage("user", "Count to fifty.")], 1000))
        decoding = {"max_new_tokens": 200, "sample": False, "temperature": 1.0, "top_p": 1.0, "repetition_penalty": 1.0}
        first = server.submit(prompt, decoding)
        with pytest.raises(ServerBusy, match="The SmolLM2 model is answering 1 person right now"):
            server.submit(prompt, decoding)
        first.cancel()
        second = server.submit(prompt, decoding | {"max_new_tokens": 4})
        assert "".join(second) and second.new_tokens <= 4 and server.holding() == 0
    finally:
        server.close()
