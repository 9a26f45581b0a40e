"""The dashboard's client of the model server, against a bare loopback socket that records what arrives:
https:// speaks TLS, another scheme is one sentence, and every request carries the server's token."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.errors import ModelNotAvailable, SettingsError
from pipelines.settings import load_settings
from pipelines.tasks.sentiment import analyse_sentiment


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A loopback port that reads the first request's bytes, then hangs up: its port and what it read."""
    server = socket.create_server(("127.0.0.1", 0))
    received: list[bytes] = []

    def accept() -> None:
        connection, _ = server.accept()
        with connection:
            connection.settimeout(5)
            try:
                received.append(connection.recv(65536))
            except OSError:
                received.append(b"")

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], received
    thread.join(timeout=10)
    server.close()


def test_an_https_url_speaks_tls(listener: tuple[int, list[bytes]], monkeypatch: pytest.MonkeyPatch) -> None:
    port, received = listener
    monkeypatch.setenv("SHOWROOM_SERVE_URL", f"https://127.0.0.1:{port}")
    with pytest.raises(ModelNotAvailable, match=rf"^The model server at https://127\.0\.0\.1:{port} did not answer"):
        analyse_sentiment(["Great!"], model="minilm-sentiment")
    assert received and received[0][:1] == b"\x16"  # a TLS handshake record, not "POST /models/..."


def test_a_url_that_is_neither_http_nor_https_is_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOWROOM_SERVE_URL", "ftp://127.0.0.1:8000")
    with pytest.raises(SettingsError, match=r"^SHOWROOM_SERVE_URL is 'ftp://127\.0\.0\.1:8000'; it must start with"):
        load_settings()


@pytest.mark.parametrize("given", [True, False], ids=["SHOWROOM_SERVE_TOKEN", "the token file"])
def test_every_request_carries_the_model_servers_token(
    listener: tuple[int, list[bytes]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, given: bool
) -> None:
    port, received = listener
    monkeypatch.setenv("SHOWROOM_HOME", str(tmp_path))
    monkeypatch.setenv("SHOWROOM_SERVE_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("SHOWROOM_SERVE_TIMEOUT_S", "1")  # the listener answers nothing: do not wait 30 s
    if given:
        monkeypatch.setenv("SHOWROOM_SERVE_TOKEN", "t0ken-from-the-environment")
    else:
        monkeypatch.delenv("SHOWROOM_SERVE_TOKEN", raising=False)
        load_settings().serve_token_path.parent.mkdir(parents=True)
        load_settings().serve_token_path.write_text("t0ken-from-the-file\n", encoding="utf-8")
    with pytest.raises(ModelNotAvailable):
        analyse_sentiment(["Great!"], model="minilm-sentiment")
    expected = "t0ken-from-the-environment" if given else "t0ken-from-the-file"
    assert f"Authorization: Bearer {expected}\r\n".encode() in received[0]
