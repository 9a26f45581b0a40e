"""What a Serve replica checks before it reads a request: who sends it, how big it is, how fast it comes.

Ray Serve's HTTP proxy lets anyone who reaches its port call every model, reads bodies of any size, and
waits for a slow client as long as it likes. So each replica of the Serve application (`pipelines.scaleout.app`)
checks, before any JSON is parsed:
- the caller: `Authorization: Bearer <token>`, the same token Ray's own processes check
  (`RAY_AUTH_TOKEN`, or the file at `RAY_AUTH_TOKEN_PATH`, as Ray reads it), when token authentication is
  on (`RAY_AUTH_MODE=token`, which `serve start` sets); compared in constant time;
- the body's size: it must declare its length, and a length past the largest request a task accepts is
  refused unread. (A body without a declared length is refused too: Ray Serve pulls every chunk a client
  sends into the replica's queue whether the replica reads it or not, so only a declared length, which
  the HTTP server holds the client to, bounds it. HAProxy refuses a chunked body before a replica sees it,
  with the same sentence: `pipelines.runtime.haproxy_loopback` says why.) Every refusal closes the connection;
- the body's pace: all of it within SHOWROOM_SERVE_BODY_S seconds, or the request is refused, so a client
  that sends slowly and stops does not hold a replica's memory or a connection for good.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import os
from pathlib import Path

from starlette.requests import ClientDisconnect, Request

from pipelines.media.audio import SAMPLE_RATE
from pipelines.runtime.memory import return_free_heap
from pipelines.settings import load_settings

_BASE64_GROWTH = 4 / 3
_JSON_ROOM = 16 * 1024 * 1024  # everything around the samples: options, texts, escapes


class Refused(Exception):
    """A request the replica will not read: its HTTP status, its kind for the client, and one sentence."""

    def __init__(self, status: int, sentence: str, kind: str = "InputError") -> None:
        super().__init__(sentence)
        self.status = status
        self.kind = kind

    def event(self) -> dict[str, str]:
        """What the client reads: the sentence and its kind, as JSON."""
        return {"error": str(self), "kind": self.kind}


def chunked_refusal() -> Refused:
    """A body sent in chunks could go on for ever, and Serve pulls it all into the replica: it is not read."""
    return Refused(411, "The request must declare its length (Content-Length); a body sent in chunks is not read.")


def max_body_bytes() -> int:
    """The largest request any task accepts: the longest recording's samples as float32, in base64, and room."""
    samples = load_settings().max_audio_seconds * SAMPLE_RATE * 4
    return int(samples * _BASE64_GROWTH) + _JSON_ROOM


@functools.cache  # read once per replica: the file does not change while Ray runs
def caller_token() -> str | None:
    """The token callers must present, found where Ray finds its own; None when token authentication is off."""
    if os.environ.get("RAY_AUTH_MODE", "").strip().lower() != "token":
        return None
    if token := os.environ.get("RAY_AUTH_TOKEN", "").strip():
        return token
    path = Path(os.environ.get("RAY_AUTH_TOKEN_PATH", "") or Path.home() / ".ray" / "auth_token")
    token = path.read_text(encoding="utf-8").strip() if path.is_file() else ""
    if not token:
        raise RuntimeError(f"RAY_AUTH_MODE is token, but there is no token at {path}.")
    return token


def check_caller(authorization: str) -> None:
    """Refuse (401) a caller without the token, when the application has one."""
    token = caller_token()
    if token is None:
        return
    if not hmac.compare_digest(authorization.encode(), f"Bearer {token}".encode()):
        raise Refused(
            401,
            "This model server serves only callers with its token (Authorization: Bearer <token>, the token "
            "in SHOWROOM_HOME/serve/auth_token); this request has none, or another.",
            kind="ModelNotAvailable",
        )


async def read_body(request: Request) -> bytes:
    """The request's body, read within the size and time limits, or `Refused` with the reason."""
    most = max_body_bytes()
    declared = request.headers.get("content-length")
    if declared is None:
        raise chunked_refusal()
    if not declared.isdigit() or int(declared) > most:
        raise Refused(413, f"The request declares {declared} bytes; at most {most:,} are read.")
    seconds = load_settings().serve_body_seconds
    try:
        return await asyncio.wait_for(_bounded(request, most), seconds)
    except TimeoutError:
        raise Refused(408, f"The request's body did not arrive within {seconds:g} s (SHOWROOM_SERVE_BODY_S).") from None
    except ClientDisconnect:
        raise Refused(400, "The request's body ended before all of it arrived.") from None


async def _bounded(request: Request, most: int) -> bytes:
    parts, size = [], 0
    async for part in request.stream():
        size += len(part)
        if size > most:
            parts.clear()
            return_free_heap()  # what was read goes back to the system, not only to the heap
            raise Refused(413, f"The request's body passed {most:,} bytes, the most that is read.")
        parts.append(part)
    return b"".join(parts)
