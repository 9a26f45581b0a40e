"""The hostile-request corpus for the Serve application: what anybody who reaches a replica's port could
send, instead of what the dashboard sends. Each entry is raw HTTP (a body, or the bytes of a client that
misbehaves on the wire), with the status it must get: a 4xx and one sentence, within a few seconds.
"""

from __future__ import annotations

import base64
import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import numpy as np

SENTIMENT, TRANSLATION = "minilm-sentiment", "bergamot-en-pt"
CLASSIFIER, DETECTOR, WHISPER, CHAT = "mobilenet-v2", "centernet-coco", "whisper-tiny-en", "smollm2-135m-instruct"
NO_OPTIONS = {"$tuple": []}


@dataclass(frozen=True)
class HostileRequest:
    name: str
    model: str
    status: int  # the 4xx it must get
    body: Callable[[], bytes] = lambda: b""
    headers: dict[str, str] = field(default_factory=dict)
    send: str = "whole"  # "whole", "stall" (part of the body, then silence), "chunked" (a body without end)
    token: bool = True  # whether it carries the model server's token


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    seconds: float


def _json(value: object) -> Callable[[], bytes]:
    return lambda: json.dumps(value).encode()


def _items(items: list, options: object = NO_OPTIONS) -> Callable[[], bytes]:
    return _json({"items": items, "options": options})


def _image(width: int, height: int, mode: str = "RGB", data: str | None = None) -> dict:
    channels = {"RGB": 3, "L": 1, "RGBA": 4, "CMYK": 4}[mode]
    data = data if data is not None else base64.b64encode(bytes(width * height * channels)).decode()
    return {"$image": {"mode": mode, "size": [width, height], "data": data}}


def _window(seconds: float, dtype: str = "float32", rate: int = 16_000) -> dict:
    samples = np.zeros(int(seconds * rate), dtype=dtype)
    array = {"dtype": dtype, "shape": [len(samples)], "data": base64.b64encode(samples.tobytes()).decode()}
    return {"raw": {"$ndarray": array}, "sampling_rate": rate}


def _speech(options: list, windows: list | None = None) -> Callable[[], bytes]:
    return _items(windows or [_window(1)], {"$tuple": [False, {"$tuple": options}]})


def _chat(settings: dict | None = None, history: list | None = None) -> Callable[[], bytes]:
    settings = {"max_new_tokens": 16, "sample": False, "temperature": 0.7, "top_p": 0.9, "repetition_penalty": 1.0} | (
        settings or {}
    )
    history = history if history is not None else [{"role": "user", "content": "Hello"}]
    return _json({"ask": {"history": history, "system": None, "text": None}, "settings": settings})


def _pair(name: str, value: object) -> dict:
    return {"$tuple": [name, value]}


CORPUS: list[HostileRequest] = [
    # Too much: items, text, pixels, seconds, bytes.
    HostileRequest("50,000 texts", SENTIMENT, 422, _items(["A fine bike."] * 50_000)),
    HostileRequest("10,001 texts, one past the CSV limit", SENTIMENT, 422, _items(["Fine."] * 10_001)),
    HostileRequest("one text of 5 MB and a character", SENTIMENT, 422, _items(["a" * 5_000_001])),
    HostileRequest("20,001 characters to translate", TRANSLATION, 422, _items(["b" * 20_001])),
    HostileRequest("17 images", CLASSIFIER, 422, _items([_image(8, 8)] * 17, {"$tuple": [5]})),
    HostileRequest("an image 4,000 pixels wide", CLASSIFIER, 422, _items([_image(4_000, 10)], {"$tuple": [5]})),
    HostileRequest("a 60-second audio window", WHISPER, 422, _speech([], [_window(60)])),
    HostileRequest("a body that declares 200 MB", SENTIMENT, 413, lambda: b"{", {"Content-Length": "200000000"}),
    HostileRequest("a chunked body of 200 MB", SENTIMENT, 411, send="chunked"),
    HostileRequest("2,000 chat messages", CHAT, 422, _chat(history=[{"role": "user", "content": "Hi"}] * 2_000)),
    # Options past their bounds, or not on the list.
    HostileRequest("top_k of a billion", CLASSIFIER, 422, _items([_image(8, 8)], {"$tuple": [10**9]})),
    HostileRequest("top_k as text", CLASSIFIER, 422, _items([_image(8, 8)], {"$tuple": ["5"]})),
    HostileRequest("a detection threshold of 5", DETECTOR, 422, _items([_image(8, 8)], {"$tuple": [5]})),
    HostileRequest("options for a model that takes none", SENTIMENT, 422, _items(["Fine."], {"$tuple": [5]})),
    HostileRequest("64 beams", WHISPER, 422, _speech([_pair("num_beams", 64)])),
    HostileRequest("100,000 new tokens for Whisper", WHISPER, 422, _speech([_pair("max_new_tokens", 100_000)])),
    HostileRequest("a billion new chat tokens", CHAT, 422, _chat({"max_new_tokens": 10**9})),
    HostileRequest("a temperature as text", CHAT, 422, _chat({"temperature": "hot"})),
    # Malformed: types, base64, arrays, images, JSON.
    HostileRequest("items that are numbers", SENTIMENT, 422, _items([1, 2, 3])),
    HostileRequest("items that are one text", SENTIMENT, 422, _json({"items": "Fine.", "options": NO_OPTIONS})),
    HostileRequest("a JSON list for a body", SENTIMENT, 422, _json(["Fine."])),
    HostileRequest("a JSON text for a body", SENTIMENT, 422, _json("Fine.")),
    HostileRequest("an image in bad base64", CLASSIFIER, 422, _items([_image(8, 8, data="%%%")], {"$tuple": [5]})),
    HostileRequest(
        "an image shorter than its size", CLASSIFIER, 422, _items([_image(8, 8, data="AAAA")], {"$tuple": [5]})
    ),
    HostileRequest("an image in CMYK", CLASSIFIER, 422, _items([_image(8, 8, "CMYK")], {"$tuple": [5]})),
    HostileRequest("audio sampled at 8 kHz", WHISPER, 422, _speech([], [_window(1, rate=8_000)])),
    HostileRequest("audio as 16-bit integers", WHISPER, 422, _speech([], [_window(1, dtype="int16")])),
    HostileRequest("a chat message without a role", CHAT, 422, _chat(history=[{"content": "Hi"}])),
    HostileRequest("a chat request without settings", CHAT, 422, _json({"ask": {"history": []}})),
    HostileRequest("not JSON", SENTIMENT, 422, lambda: b"{not json"),
    HostileRequest("not UTF-8", SENTIMENT, 422, lambda: b"\xff\xfe\x00garbage"),
    HostileRequest("JSON cut half way", SENTIMENT, 422, lambda: b'{"items": ["Fine.", "Goo'),
    # Clients that misbehave on the wire, or come without the token.
    HostileRequest("a client that sends slowly and stops", SENTIMENT, 408, lambda: b'{"items": [', send="stall"),
    HostileRequest(
        "a body shorter than it declares", SENTIMENT, 408, lambda: b'{"items": []}', {"Content-Length": "1000"}, "stall"
    ),
    HostileRequest("no token", SENTIMENT, 401, _items(["Fine."]), token=False),
    HostileRequest("a wrong token", SENTIMENT, 401, _items(["Fine."]), {"Authorization": "Bearer guess"}, token=False),
]


def send(url: str, token: str, request: HostileRequest, timeout: float = 30) -> Answer:
    """Send `request` over a socket of its own, as the misbehaving client would; the answer's status and body."""
    address = urlsplit(url)
    started = time.monotonic()
    with socket.create_connection((address.hostname, address.port), timeout=timeout) as connection:
        body = request.body()
        headers = {"Host": address.netloc, "Content-Type": "application/json"}
        if request.token:
            headers["Authorization"] = f"Bearer {token}"
        if request.send == "chunked":
            headers["Transfer-Encoding"] = "chunked"
        else:
            headers["Content-Length"] = str(len(body))
        headers |= request.headers
        head = f"POST /models/{request.model} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        connection.sendall(head.encode() + b"\r\n")
        try:
            if request.send == "chunked":
                chunk = b"%x\r\n" % (1 << 20) + b"a" * (1 << 20) + b"\r\n"
                for _ in range(200):  # 200 MB, unless refused on the way
                    connection.sendall(chunk)
            elif request.send == "stall":
                connection.sendall(body[: max(1, len(body) // 2)])  # and then nothing, with the line open
            else:
                connection.sendall(body)
        except OSError:
            pass  # refused while sending: the answer is waiting to be read
        status, answer = _read_answer(connection)
    return Answer(status, answer, time.monotonic() - started)


def _read_answer(connection: socket.socket) -> tuple[int, bytes]:
    received = b""
    while b"\r\n\r\n" not in received:
        part = connection.recv(65536)
        if not part:
            break
        received += part
    head, _, body = received.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head else 0
    length = next(
        (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")), None
    )
    while length is not None and len(body) < length and (part := connection.recv(65536)):
        body += part
    return status, body
