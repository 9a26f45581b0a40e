"""A model served by the Ray Serve application (`pipelines.serve_app`) at SHOWROOM_SERVE_URL, with the
in-process owner's `run`: the same items in, the same results out, the same sentences on bad input.

Plain HTTP from the standard library: a dashboard pointed at a Serve URL never imports Ray. Every wait is
bounded: the replica sends a line every 0.2 s while a request waits, so a server that stops answering is
noticed within SHOWROOM_SERVE_TIMEOUT_S seconds and reported in one sentence, never waited on forever.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from pipelines import errors
from pipelines.serving import WaitCallback
from pipelines.wire import decode, encode

_KINDS: dict[str, type[Exception]] = {
    kind.__name__: kind
    for kind in (errors.InputError, errors.ModelNotAvailable, errors.ServerBusy, errors.RequestCancelled)
}


@dataclass
class _Waiting:
    """The replica's last word on a waiting request, in the shape `on_wait` callbacks read."""

    places_ahead: int
    progress: float

    def ahead(self) -> int:
        return self.places_ahead


class RemoteServer:
    """The owner of `name` on the Serve application, seen from the dashboard or the CLI."""

    def __init__(self, url: str, name: str, task: str | None, timeout_seconds: float) -> None:
        self.url = url.rstrip("/")
        self.name = name
        self.task = task
        self.label = name
        self.timeout_seconds = timeout_seconds

    def run(self, items: Sequence[Any], options: Hashable = (), on_wait: WaitCallback | None = None) -> list[Any]:
        """Every item's result, in order; an exception from `on_wait` (a visitor leaving) hangs up,
        which cancels the request on the replica."""
        body = json.dumps({"items": encode(list(items)), "options": encode(options)}).encode()
        try:
            return self._answer(body, on_wait)
        except urllib.error.HTTPError as error:
            raise self._refusal(error) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
            reason = getattr(error, "reason", error)
            if isinstance(reason, BrokenPipeError | ConnectionResetError):
                raise self._why_it_hung_up() from None  # it answered before reading the whole request
            raise errors.ModelNotAvailable(
                f"The model server at {self.url} did not answer for {self.name} ({reason or type(error).__name__}); "
                "ask the operator to check it (`python -m pipelines serve status`)."
            ) from None

    def _post(self, body: bytes) -> http.client.HTTPResponse:
        request = urllib.request.Request(
            f"{self.url}/models/{quote(self.name, safe='')}",
            data=body,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        return urllib.request.urlopen(request, timeout=self.timeout_seconds)

    def _answer(self, body: bytes, on_wait: WaitCallback | None) -> list[Any]:
        with self._post(body) as response:
            for line in response:
                try:
                    event = json.loads(line)
                except ValueError:
                    sentence = f"{self.url} answered, but not as Showroom's model server."
                    raise errors.ModelNotAvailable(sentence) from None
                if "results" in event:
                    return decode(event["results"])
                if "error" in event:
                    raise _error(event)
                if on_wait is not None:
                    on_wait(_Waiting(int(event["ahead"]), float(event["progress"])))
        raise errors.ModelNotAvailable(f"The model server at {self.url} hung up before answering for {self.name}.")

    def _why_it_hung_up(self) -> Exception:
        """Serve's proxy refuses a model it does not serve before the request is sent: ask again, small."""
        try:
            self._post(b"{}").close()
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return self._refusal(error)
        except OSError:
            pass
        return errors.ModelNotAvailable(f"The model server at {self.url} hung up on the request for {self.name}.")

    def _refusal(self, error: urllib.error.HTTPError) -> Exception:
        """An HTTP error status: the replica's own sentence, or, from Serve's proxy, an unknown model."""
        try:
            return _error(json.loads(error.read()))
        except (ValueError, KeyError, TypeError):
            if error.code == 404:
                return errors.ModelNotAvailable(f"The model server at {self.url} does not serve '{self.name}'.")
            return errors.ModelNotAvailable(f"The model server at {self.url} refused {self.name} (HTTP {error.code}).")


def _error(event: dict[str, str]) -> Exception:
    return _KINDS.get(event["kind"], RuntimeError)(event["error"])
