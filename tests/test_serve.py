"""The Ray Serve application, started for real on loopback once for this module: every task through
SHOWROOM_SERVE_URL answers what the in-process engine answers, the app refuses malformed requests in
one sentence, and a server that is not there is one sentence too, at once. No Ray process outlives it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from benchmarks.server import free_port
from pipelines import serve_cluster
from pipelines.chat_prompt import ChatMessage
from pipelines.embeddings import embed
from pipelines.errors import InputError, ModelNotAvailable, ShowroomError
from pipelines.image_classification import classify_image
from pipelines.loader import loaded_models, unload
from pipelines.object_detection import detect_objects
from pipelines.sentiment import analyse_sentiment
from pipelines.speech_to_text import transcribe
from pipelines.text_generation import GenerationSettings, stream_chat
from pipelines.translation import translate
from tests.conftest import CAT_PHOTO, ROOT
from tests.test_pages import assistant_answers, model_controls, open_page

REVIEWS = ["I absolutely love this bike, best purchase of the year!", "The delivery was late again."]


@pytest.fixture(scope="module")
def serve_url(provisioned: Path) -> Iterator[str]:
    """`serve start` on a free loopback port for this module; `serve stop` after it, leaving no process."""
    state = serve_cluster.start(port=free_port())
    try:
        assert serve_cluster.ray_processes(Path(state.temp_dir))  # so the check below can fail
        yield state.url
    finally:
        stopped = serve_cluster.stop()
        assert len(stopped) > 1 and not [pid for pid in stopped if serve_cluster.running(pid)]
        assert not serve_cluster.ray_processes(Path(state.temp_dir))


def both_ways(monkeypatch: pytest.MonkeyPatch, url: str, call):
    """The call's answer in this process, then through the Serve application."""
    monkeypatch.delenv("SHOWROOM_SERVE_URL", raising=False)
    local = call()
    monkeypatch.setenv("SHOWROOM_SERVE_URL", url)
    return local, call()


def test_every_task_through_serve_gives_the_in_process_result(serve_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    local, remote = both_ways(monkeypatch, serve_url, lambda: analyse_sentiment(REVIEWS).results)
    assert [item.label for item in remote] == [item.label for item in local] == ["positive", "negative"]
    assert np.allclose([item.score for item in remote], [item.score for item in local], atol=1e-5)

    local, remote = both_ways(monkeypatch, serve_url, lambda: translate(["Where is the station?"], "en", "pt"))
    assert remote.results == local.results and "estação" in remote.results[0].text

    local, remote = both_ways(monkeypatch, serve_url, lambda: classify_image(CAT_PHOTO))
    assert [score.label for score in remote.scores] == [score.label for score in local.scores]
    assert np.allclose([s.score for s in remote.scores], [s.score for s in local.scores], atol=1e-5)

    local, remote = both_ways(monkeypatch, serve_url, lambda: detect_objects(CAT_PHOTO))
    assert [(found.label, found.box) for found in remote.found] == [(found.label, found.box) for found in local.found]
    assert "cat" in {found.label for found in remote.found}

    clip = ROOT / "assets" / "audio" / "weather_report.wav"
    local, remote = both_ways(monkeypatch, serve_url, lambda: transcribe(clip))
    assert remote.text == local.text and "sunny" in remote.text

    local, remote = both_ways(monkeypatch, serve_url, lambda: embed(REVIEWS))
    assert np.allclose(remote, local, atol=1e-5)


CHAT = "smollm2-135m-instruct"
QUESTION = [ChatMessage("user", "Name three colours of the rainbow.")]


def test_the_chat_streams_the_in_process_answer_through_serve(serve_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def answer() -> tuple[list[str], object]:
        reply = stream_chat(QUESTION, "Answer in one short sentence.", CHAT, GenerationSettings(max_new_tokens=40))
        return list(reply), reply

    (local, local_reply), (remote, remote_reply) = both_ways(monkeypatch, serve_url, answer)
    assert "".join(remote) == "".join(local) and len(remote) > 3  # the same greedy answer, in pieces as generated
    assert remote_reply.prompt == local_reply.prompt
    assert remote_reply.stats.new_tokens == local_reply.stats.new_tokens > 5
    assert 0 < remote_reply.stats.first_token_seconds < remote_reply.stats.seconds


def chat_facts(serve_url: str) -> dict:
    with urllib.request.urlopen(f"{serve_url}/models/{CHAT}", timeout=10) as answer:
        return json.loads(answer.read())


def test_stopping_a_reply_through_serve_frees_its_slot_on_the_replica(
    serve_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOWROOM_SERVE_URL", serve_url)
    reply = stream_chat(QUESTION, model=CHAT, settings=GenerationSettings(max_new_tokens=1000))
    chunks = iter(reply)
    next(chunks)
    assert chat_facts(serve_url) == {"is_chat": True, "answering": 1}
    reply.stop()
    deadline = time.monotonic() + 10
    while chat_facts(serve_url)["answering"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert chat_facts(serve_url)["answering"] == 0
    assert list(chunks) == [] and reply.stats.stopped_early and reply.stats.new_tokens < 1000


def test_the_chat_refuses_bad_input_with_the_engines_sentence_through_serve(
    serve_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refusal() -> str:
        with pytest.raises(InputError) as refused:
            stream_chat([ChatMessage("user", "  ")], model=CHAT)
        return str(refused.value)

    local, remote = both_ways(monkeypatch, serve_url, refusal)
    assert remote == local == "The message is empty. Type a question or an instruction for the assistant."
    body = json.dumps({"ask": {"history": [{"role": "user"}]}, "settings": {}}).encode()
    request = urllib.request.Request(f"{serve_url}/models/{CHAT}", data=body, method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    answer = json.loads(refused.value.read())
    assert refused.value.code == 422 and answer["kind"] == "InputError"
    assert answer["error"].startswith("The request is not a conversation with its settings (")


def test_the_pages_answer_through_serve_and_the_dashboard_loads_no_model(
    serve_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOWROOM_SERVE_URL", serve_url)
    for name in loaded_models():
        unload(name)
    home = open_page("pages/home.py")
    assert not home.exception and not model_controls(home)  # no Warm up, no Unload: the operator's, on the server
    assert serve_url in home.info[0].value
    chat = open_page("pages/text_generation.py")
    chat.selectbox(key="tg-preset").set_value(chat.selectbox(key="tg-preset").options[1]).run()  # free-form
    chat.chat_input[0].set_value("What is the capital of France?").run()
    assert not chat.exception
    assert "Paris" in assistant_answers(chat)[0]
    assert "first token" in chat.chat_message[1].caption[0].value
    assert loaded_models() == []


def replicas_of(name: str) -> set[int]:
    """The process ids of `name`'s Serve replicas (Ray titles them "ray::ServeReplica:<app>:<deployment>")."""
    listing = subprocess.run(["ps", "-ww", "-eo", "pid=,args="], capture_output=True, text=True, check=True).stdout
    return {int(line.split()[0]) for line in listing.splitlines() if f"ServeReplica:{name}:{name}" in line}


def test_a_killed_replica_is_replaced_and_every_visitor_gets_the_answer_or_a_sentence(
    serve_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOWROOM_SERVE_URL", serve_url)
    expected = [item.label for item in analyse_sentiment(REVIEWS).results]
    (victim,) = replicas_of("minilm-sentiment")

    def visitor() -> list[object]:
        outcomes: list[object] = []
        for _ in range(15):
            try:
                outcomes.append([item.label for item in analyse_sentiment(REVIEWS).results])
            except ShowroomError as error:
                outcomes.append(str(error))
            time.sleep(0.05)
        return outcomes

    with ThreadPoolExecutor(4) as pool:
        visitors = [pool.submit(visitor) for _ in range(4)]
        time.sleep(0.3)
        os.kill(victim, signal.SIGKILL)
        outcomes = [outcome for done in visitors for outcome in done.result()]
    sentences = [outcome for outcome in outcomes if isinstance(outcome, str)]
    assert all(outcome == expected for outcome in outcomes if not isinstance(outcome, str))
    assert all(sentence.endswith(".") and "Traceback" not in sentence for sentence in sentences)
    assert not serve_cluster.running(victim)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # Serve's controller starts a new replica, which loads the model
        try:
            assert [item.label for item in analyse_sentiment(REVIEWS).results] == expected
            break
        except ModelNotAvailable:
            time.sleep(1)
    else:
        pytest.fail("no replica answered within 120 s of the kill")
    assert replicas_of("minilm-sentiment") - {victim}
    while time.monotonic() < deadline:  # and says so: the status the operator reads is healthy again
        row = deployment_rows()["minilm-sentiment"]
        if row["state"] == "HEALTHY" and row["replicas"] == 1:
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"the status still read {row} 120 s after the kill")


def deployment_rows() -> dict[str, dict]:
    return {row["name"]: row for row in serve_cluster.status()["deployments"]}


def test_bad_input_gets_the_engines_sentence_through_serve(serve_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOWROOM_SERVE_URL", serve_url)
    with pytest.raises(InputError, match="There is no text to analyse"):
        analyse_sentiment([])
    request = urllib.request.Request(f"{serve_url}/models/minilm-sentiment", data=b"{not json", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    answer = json.loads(refused.value.read())
    assert refused.value.code == 422 and answer["kind"] == "InputError" and answer["error"].endswith(".")


def test_a_model_the_app_does_not_serve_is_one_sentence(serve_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOWROOM_SERVE_URL", serve_url)
    with pytest.raises(ModelNotAvailable, match="does not serve 'facebook/detr-resnet-50'"):
        detect_objects(CAT_PHOTO, model="facebook/detr-resnet-50")


def test_a_second_start_while_it_runs_says_so(serve_url: str) -> None:
    with pytest.raises(ModelNotAvailable, match=f"^The model server already runs at {serve_url}; stop it first"):
        serve_cluster.start(port=free_port())


def test_status_lists_every_deployment_with_its_replicas(serve_url: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pipelines", "serve", "status", "--json"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    rows = {row["name"]: row for row in report["deployments"]}
    assert report["url"] == serve_url and {"minilm-sentiment", "whisper-tiny-en", "bergamot-en-pt"} <= set(rows)
    assert [row for row in rows.values() if row["state"] != "HEALTHY" or row["replicas"] != 1] == []


@pytest.mark.parametrize(
    "task",
    [
        ["translation", "Where is the station?", "--source", "en", "--target", "pt"],
        ["text-generation", "Say hello.", "--max-new-tokens", "12"],
    ],
    ids=["translation", "chat"],
)
def test_the_cli_prints_the_same_json_through_serve(serve_url: str, task: list[str]) -> None:
    command = [sys.executable, "-m", "pipelines", "run", *task]
    local = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=_without_serve_url())
    remote = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, env=_without_serve_url() | {"SHOWROOM_SERVE_URL": serve_url}
    )
    assert local.returncode == remote.returncode == 0, remote.stderr
    assert json.loads(remote.stdout) == json.loads(local.stdout)


def test_the_cli_exits_2_with_a_sentence_when_the_server_is_not_there() -> None:
    command = [sys.executable, "-m", "pipelines", "run", "sentiment", "I love it"]
    environment = _without_serve_url() | {"SHOWROOM_SERVE_URL": f"http://127.0.0.1:{free_port()}"}
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=environment)
    assert done.returncode == 2 and done.stderr.startswith("error: The model server at http://127.0.0.1:")


def test_without_a_serve_url_ray_is_never_imported() -> None:
    script = "import sys; from pipelines.sentiment import analyse_sentiment; analyse_sentiment(['Great!']); "
    script += "print('ray' in sys.modules)"
    command = [sys.executable, "-c", script]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=_without_serve_url())
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_the_config_file_is_current_and_valid_for_serve_deploy() -> None:
    import yaml
    from ray.serve import Application
    from ray.serve.schema import ServeDeploySchema

    from pipelines import serve_app

    written = subprocess.run([sys.executable, "-m", "pipelines", "serve", "config"], cwd=ROOT, capture_output=True)
    assert written.returncode == 0 and written.stdout.decode() == (ROOT / "serve.yaml").read_text(encoding="utf-8")
    config = ServeDeploySchema.model_validate(yaml.safe_load(written.stdout))  # Ray's own check of the file
    assert [application.name for application in config.applications] == [n for n, _ in serve_app.servable_models()]
    for application in config.applications:
        module, builder = application.import_path.split(":")
        assert module == "pipelines.serve_app"
        assert isinstance(getattr(serve_app, builder)(application.args), Application)


def _without_serve_url() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key != "SHOWROOM_SERVE_URL"}


def test_a_server_that_is_not_there_is_one_sentence_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOWROOM_SERVE_URL", f"http://127.0.0.1:{free_port()}")
    started = time.perf_counter()
    with pytest.raises(ModelNotAvailable, match=r"^The model server at http://127\.0\.0\.1:\d+ did not answer"):
        analyse_sentiment(REVIEWS)
    assert time.perf_counter() - started < 5
