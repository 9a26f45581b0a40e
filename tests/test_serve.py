"""The Ray Serve application, started for real on loopback once for this module: every task through
SHOWROOM_SERVE_URL answers what the in-process engine answers, the app refuses malformed requests in
one sentence, and a server that is not there is one sentence too, at once. No Ray process outlives it."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from benchmarks.server import free_port
from pipelines.errors import InputError, ModelNotAvailable, ShowroomError
from pipelines.provisioning.staging import write_json
from pipelines.runtime import processes
from pipelines.runtime.memory import resident_mb
from pipelines.scaleout import cluster
from pipelines.serving.chat_prompt import ChatMessage
from pipelines.serving.loader import loaded_models, unload
from pipelines.settings import load_settings
from pipelines.tasks.embeddings import embed
from pipelines.tasks.image_classification import classify_image
from pipelines.tasks.object_detection import detect_objects
from pipelines.tasks.sentiment import analyse_sentiment
from pipelines.tasks.speech_to_text import transcribe
from pipelines.tasks.text_generation import GenerationSettings, stream_chat
from pipelines.tasks.translation import translate
from tests.conftest import CAT_PHOTO, ROOT
from tests.hostile_requests import CORPUS, send
from tests.listening_sockets import documented_sockets, listening_sockets
from tests.test_pages import assistant_answers, model_controls, open_page

REVIEWS = ["I absolutely love this bike, best purchase of the year!", "The delivery was late again."]


@pytest.fixture(scope="module")
def serve_url(provisioned: Path) -> Iterator[str]:
    """`serve start` on a free loopback port for this module; `serve stop` after it, leaving no process."""
    state = cluster.start(port=free_port())
    try:
        assert cluster.ray_processes(Path(state.temp_dir))  # so the check below can fail
        yield state.url
    finally:
        stopped = cluster.stop()
        assert len(stopped) > 1 and not [pid for pid in stopped if processes.running(pid)]
        assert not cluster.ray_processes(Path(state.temp_dir))


def authorised(url: str, body: bytes | None = None) -> urllib.request.Request:
    """A request to the model server with its token, as the dashboard sends it."""
    token = load_settings().serve_token_path.read_text(encoding="utf-8").strip()
    return urllib.request.Request(url, data=body, headers={"Authorization": f"Bearer {token}"})


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
    with urllib.request.urlopen(authorised(f"{serve_url}/models/{CHAT}"), timeout=10) as answer:
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
    request = authorised(f"{serve_url}/models/{CHAT}", body)
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
    return {pid for pid, (_, command) in processes.process_table().items() if f"ServeReplica:{name}:{name}" in command}


def test_a_killed_replica_is_replaced_and_every_visitor_gets_the_answer_or_a_sentence(
    serve_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOWROOM_SERVE_URL", serve_url)
    expected = [item.label for item in analyse_sentiment(REVIEWS).results]
    (victim,) = replicas_of("light")  # the process that holds the sentiment model, with the other light models

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
    assert not processes.running(victim)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # Serve's controller starts a new replica, which loads the model
        try:
            assert [item.label for item in analyse_sentiment(REVIEWS).results] == expected
            break
        except ModelNotAvailable:
            time.sleep(1)
    else:
        pytest.fail("no replica answered within 120 s of the kill")
    assert replicas_of("light") - {victim}
    while time.monotonic() < deadline:  # and says so: the status the operator reads is healthy again
        row = deployment_rows()["light"]
        if row["state"] == "HEALTHY" and row["replicas"] == 1:
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"the status still read {row} 120 s after the kill")


def deployment_rows() -> dict[str, dict]:
    return {row["name"]: row for row in cluster.status()["deployments"]}


def test_bad_input_gets_the_engines_sentence_through_serve(serve_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOWROOM_SERVE_URL", serve_url)
    with pytest.raises(InputError, match="There is no text to analyse"):
        analyse_sentiment([])
    request = authorised(f"{serve_url}/models/minilm-sentiment", b"{not json")
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
        cluster.start(port=free_port())


def test_status_lists_every_deployment_with_its_replicas(serve_url: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pipelines", "serve", "status", "--json"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    rows = {row["name"]: row for row in report["deployments"]}
    assert report["url"] == serve_url and {"light", "smollm2-135m-instruct"} <= set(rows)
    assert {"minilm-sentiment", "bergamot-en-pt", "whisper-tiny-en"} <= set(rows["light"]["models"])  # one process
    assert rows["smollm2-135m-instruct"]["models"] == ["smollm2-135m-instruct"]  # a process of its own
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


def test_without_a_serve_url_ray_is_never_imported(provisioned: Path) -> None:
    script = "import sys; from pipelines.tasks.sentiment import analyse_sentiment; analyse_sentiment(['Great!']); "
    script += "print('ray' in sys.modules)"
    command = [sys.executable, "-c", script]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=_without_serve_url())
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_the_config_file_is_current_and_valid_for_serve_deploy() -> None:
    import yaml
    from ray.serve import Application
    from ray.serve.schema import ServeDeploySchema

    from pipelines.scaleout import app

    written = subprocess.run([sys.executable, "-m", "pipelines", "serve", "config"], cwd=ROOT, capture_output=True)
    assert written.returncode == 0 and written.stdout.decode() == (ROOT / "serve.yaml").read_text(encoding="utf-8")
    config = ServeDeploySchema.model_validate(yaml.safe_load(written.stdout))  # Ray's own check of the file
    light, alone = app.layout(app.servable_models())
    assert [application.name for application in config.applications] == [app.LIGHT, *(name for name, _ in alone)]
    assert [tuple(model) for model in config.applications[0].args["models"]] == light  # one process, at /models
    assert [application.route_prefix for application in config.applications[1:]] == [f"/models/{n}" for n, _ in alone]
    for application in config.applications:
        module, builder = application.import_path.split(":")
        assert module == "pipelines.scaleout.app"
        assert isinstance(getattr(app, builder)(application.args), Application)


def test_a_pin_keeps_an_applications_replicas_on_the_nodes_that_offer_its_resource() -> None:
    from ray.serve.schema import ServeDeploySchema

    from pipelines.scaleout.app import LIGHT, serve_config

    config = serve_config(pins={CHAT: "chat_node"})
    ServeDeploySchema.model_validate(config)
    options = {
        application["name"]: application["deployments"][0]["ray_actor_options"]
        for application in config["applications"]
    }
    assert options == {LIGHT: {"num_cpus": 1}, CHAT: {"num_cpus": 1, "resources": {"chat_node": 0.01}}}
    with pytest.raises(InputError, match=r"^chat: not an application of the config; it has light, smollm2"):
        serve_config(pins={"chat": "chat_node"})
    command = [sys.executable, "-m", "pipelines", "serve", "config", "--pin", f"{CHAT}=chat node"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2 and "is not APPLICATION=RESOURCE" in done.stderr


def test_the_status_of_a_cluster_whose_dashboard_is_not_there_is_one_sentence() -> None:
    address = f"http://127.0.0.1:{free_port()}"
    command = [sys.executable, "-m", "pipelines", "serve", "status", "--address", address]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.startswith(f"error: No Ray dashboard answers at {address} (")
    assert len(done.stderr.strip().splitlines()) == 1


def _without_serve_url() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key != "SHOWROOM_SERVE_URL"}


def test_a_server_that_is_not_there_is_one_sentence_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOWROOM_SERVE_URL", f"http://127.0.0.1:{free_port()}")
    started = time.perf_counter()
    with pytest.raises(ModelNotAvailable, match=r"^The model server at http://127\.0\.0\.1:\d+ did not answer"):
        analyse_sentiment(REVIEWS)
    assert time.perf_counter() - started < 5


def replica_memory_mb(name: str) -> float:
    return sum(resident_mb(pid) for pid in replicas_of(name))


def test_the_hostile_corpus_gets_a_4xx_and_one_sentence_each_and_the_replicas_stay_well(
    serve_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tests/hostile_requests.py against the real application: too much, options past their bounds or not on
    the list, malformed bodies, and clients that stall, send forever or bring no token. Sent again and
    again, the replica's memory levels off (glibc settles its heap in the first rounds): nothing refused is kept."""
    monkeypatch.setenv("SHOWROOM_SERVE_URL", serve_url)
    expected = [item.label for item in analyse_sentiment(REVIEWS).results]
    token = load_settings().serve_token_path.read_text(encoding="utf-8").strip()
    wrong = []
    for request in CORPUS:
        answer = send(serve_url, token, request)
        sentence = json.loads(answer.body)["error"] if answer.body.startswith(b"{") else ""
        quick = answer.seconds < (load_settings().serve_body_seconds + 3 if request.send == "stall" else 3)
        if answer.status != request.status or not sentence.endswith(".") or "Traceback" in sentence or not quick:
            wrong.append((request.name, answer.status, round(answer.seconds, 1), answer.body[:200]))
    assert len(CORPUS) >= 25 and wrong == []
    assert [item.label for item in analyse_sentiment(REVIEWS).results] == expected  # still serving, the same
    assert classify_image(CAT_PHOTO).top.label
    memory = []
    for _ in range(4):
        memory.append(replica_memory_mb("minilm-sentiment"))
        for request in CORPUS:
            if request.send != "stall":  # the stalls take their 5 s each; the first round had them
                assert send(serve_url, token, request).status == request.status
    assert [item.label for item in analyse_sentiment(REVIEWS).results] == expected
    assert replica_memory_mb("minilm-sentiment") < memory[2] + 16, memory  # it levels off: nothing kept


def test_the_token_file_is_its_owners_alone_and_every_ray_process_reads_it(serve_url: str) -> None:
    path = load_settings().serve_token_path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(path.read_text(encoding="utf-8").strip()) >= 32
    state = cluster.read_state()
    # A worker that retitles itself ("ray::ServeReplica:…") writes over its environment's memory, so only the
    # others are read (gcs_server, the raylet, Ray's dashboard and monitor); the replicas show theirs by asking
    # for the token (the corpus's "no token" above).
    untitled = [
        pid
        for pid in cluster.ray_processes(Path(state.temp_dir))
        if not processes.command_line(pid).startswith("ray::")
    ]
    readable = [Path(f"/proc/{pid}/environ").read_bytes().split(b"\0") for pid in untitled]
    assert len(readable) >= 3
    for environment in readable:
        assert b"RAY_AUTH_MODE=token" in environment and f"RAY_AUTH_TOKEN_PATH={path}".encode() in environment
        assert b"MALLOC_ARENA_MAX=2" in environment  # the allocator's limits, from each process's start


def test_a_ray_client_without_the_token_is_refused_and_one_with_it_is_served(serve_url: str) -> None:
    """A second driver connecting to the application's Ray: refused by the control service without the
    token, connected with it (Ray's own client, not a mock)."""
    address = cluster.read_state().gcs_address
    refused = _ray_driver(address, with_token=False)
    assert refused.returncode != 0 and "Authentication token is missing or incorrect" in refused.stderr
    served = _ray_driver(address, with_token=True)
    assert served.returncode == 0 and "'CPU'" in served.stdout, served.stderr


def _ray_driver(address: str, *, with_token: bool) -> subprocess.CompletedProcess:
    """Ray's own client in a process of its own, connecting to `address` and printing the cluster's resources:
    with no token of this user's (HOME points nowhere), and with the application's only when asked."""
    script = "import ray, sys; ray.init(address=sys.argv[1], logging_level='ERROR'); print(ray.cluster_resources())"
    local = {"PATH": os.environ["PATH"], "HOME": str(ROOT / "nonexistent"), "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
    token = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(load_settings().serve_token_path)}
    command = [sys.executable, "-c", script, address]
    environment = local | token if with_token else local
    return subprocess.run(command, capture_output=True, text=True, env=environment, timeout=180)


def test_ray_clients_server_refuses_a_client_without_the_token(serve_url: str) -> None:
    """`ray start` starts Ray Client's server (`ray://`) whatever it is asked; Showroom never uses it, but it listens
    (SECURITY.md), so it must hold to the token too, and `stop` must find it (it names no temp dir). (A client with
    the token is served when it comes first; right after a refused one, Ray's per-client server can still hold its
    port, so that is not asserted here.)"""
    state = cluster.read_state()
    listening = listening_sockets(cluster.ray_processes(Path(state.temp_dir)))
    (port,) = {socket.port for socket in listening if socket.process == "ray client server"}
    refused = _ray_driver(f"ray://127.0.0.1:{port}", with_token=False)
    assert refused.returncode != 0 and "ConnectionError" in refused.stderr and "'CPU'" not in refused.stdout


def test_security_md_lists_every_socket_ray_listens_on_and_what_guards_it(serve_url: str) -> None:
    state = cluster.read_state()
    listening = listening_sockets(cluster.ray_processes(Path(state.temp_dir)))
    assert {socket.process for socket in listening} >= {"gcs_server", "raylet", "ray::ServeReplica", "haproxy"}
    assert {(socket.process, socket.scope) for socket in listening} == documented_sockets(ROOT / "SECURITY.md")
    http = [socket for socket in listening if socket.port == int(serve_url.rsplit(":", 1)[1])]
    assert [(socket.process, socket.scope) for socket in http] == [("haproxy", "loopback")]


def test_stop_stops_only_processes_of_its_own_temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A state file left behind names a temp dir no process runs under; a process whose id it might once have had
    is somebody else's: stop leaves it be, and forgets the state."""
    monkeypatch.setenv("SHOWROOM_HOME", str(tmp_path))
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        serve_dir = tmp_path / "serve"
        serve_dir.mkdir()
        state = cluster.ServeState("http://127.0.0.1:1", str(tmp_path / "gone"), "127.0.0.1:1", {"light": []})
        write_json(serve_dir / "state.json", asdict(state))
        assert not state.is_running()
        assert cluster.stop() == [] and processes.running(stranger.pid)
        assert not (serve_dir / "state.json").exists()
    finally:
        stranger.kill()
        stranger.wait()
