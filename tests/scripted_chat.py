"""A stand-in for the chat model, for one browser test only: it streams a fixed answer that invents a phone
number, so the test can watch the guard catch it on screen whatever the real model would have said.

It is the real chat server (the real SmolLM2, the real tokenizer and prompt) except for one question: for
a prompt that ends with `SCRIPTED_QUESTION`, the answer's tokens come from `SCRIPTED_ANSWER`, a few
characters at a time, at a model's pace. `python -m tests.scripted_chat run app.py ...` runs the dashboard
with it, as `streamlit run app.py ...` would.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

from pipelines.serving import loader
from pipelines.serving.chat_server import ChatServer, ChatStream

SCRIPTED_QUESTION = "Who else can I call about a repair?"
SCRIPTED_ANSWER = (
    "You can book a slot online or call 555-0100. "
    "Our manager also answers on 555-0199, every day from 7:00 to 23:00. "
    "We look forward to your call."
)
_PIECE_CHARACTERS = 3
_PIECE_SECONDS = 0.06  # ~17 pieces a second: SmolLM2's pace on one CPU thread


class ScriptedStream:
    """The scripted answer with `ChatStream`'s interface: iterate it for pieces; `cancel` ends it."""

    def __init__(self) -> None:
        self.submitted = time.perf_counter()
        self.first_token_seconds: float | None = None
        self.new_tokens = 0
        self.cancelled = False
        self._stopped = threading.Event()

    def ahead(self) -> int:
        return 0

    def cancel(self) -> None:
        self.cancelled = True
        self._stopped.set()

    def started(self, timeout: float) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        for start in range(0, len(SCRIPTED_ANSWER), _PIECE_CHARACTERS):
            if self._stopped.wait(_PIECE_SECONDS):
                return
            if self.first_token_seconds is None:
                self.first_token_seconds = time.perf_counter() - self.submitted
            self.new_tokens += 1
            yield SCRIPTED_ANSWER[start : start + _PIECE_CHARACTERS]


class ScriptedChatServer(ChatServer):
    """The real chat server, but the scripted question is answered by the script."""

    def submit(self, prompt_ids: list[int], decoding: dict[str, Any]) -> ChatStream:
        if SCRIPTED_QUESTION in self.decode(prompt_ids):
            return ScriptedStream()  # type: ignore[return-value]
        return super().submit(prompt_ids, decoding)


def main() -> None:
    from streamlit.web import cli

    loader.ChatServer = ScriptedChatServer  # the loader builds this class for the chat model
    sys.argv = ["streamlit", *sys.argv[1:]]
    cli.main()


if __name__ == "__main__":
    main()
