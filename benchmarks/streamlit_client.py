"""A headless Streamlit session over the server's own websocket protocol, as a browser tab speaks it.

The load test needs many real sessions against a real server (its session manager, script threads,
widget state and caches), but sixteen browsers would measure Chromium, not Showroom. This client sends
the same protobuf messages a tab sends (a rerun with the page and widget states) and reads back the
elements the page drew, so each simulated visitor can check the answer it got.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

_FINISHED_OK = {"FINISHED_SUCCESSFULLY"}


@dataclass
class Render:
    """What one script run drew: every element by its place on the page, in page order."""

    elements: dict[tuple[int, ...], Any] = field(default_factory=dict)
    finished: str = ""
    sent_at: float = 0.0  # time.perf_counter() when the rerun that drew it was asked for
    timeline: list[tuple[float, Any]] = field(default_factory=list)  # every element as it arrived, updates too

    def of_kind(self, kind: str) -> list[Any]:
        return [
            getattr(element, kind) for _, element in sorted(self.elements.items()) if element.WhichOneof("type") == kind
        ]

    def texts(self, kind: str) -> list[str]:
        """Bodies of `kind` ("text" or "markdown"; captions are left out: they carry timings)."""
        items = self.of_kind(kind)
        if kind == "markdown":
            items = [item for item in items if item.element_type != item.CAPTION]
        return [item.body for item in items]

    def errors(self) -> list[str]:
        """Red error boxes and tracebacks: what a visitor would see as a failure."""
        alerts = [alert.body for alert in self.of_kind("alert") if alert.format == alert.ERROR]
        return alerts + [f"{item.type}: {item.message}" for item in self.of_kind("exception")]


class StreamlitSession:
    """One visitor's tab: its own websocket, its own server session, its own widget values."""

    def __init__(self, url: str, page: str) -> None:
        self.url = url.replace("http", "ws", 1).rstrip("/") + "/_stcore/stream"
        self.page = page
        self.widget_ids: dict[str, str] = {}  # the page's user keys → the ids the server gave the widgets
        self.values: dict[str, WidgetState] = {}  # what the "browser" remembers between runs
        self._socket: Any = None

    async def open(self, timeout: float) -> Render:
        self._socket = await websockets.connect(self.url, subprotocols=["streamlit"], max_size=None)
        return await self.rerun(timeout=timeout)

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close()

    async def go(self, page: str, timeout: float) -> Render:
        """Open another page in the same tab: the previous page's widget values are forgotten."""
        self.page = page
        self.values.clear()
        return await self.rerun(timeout=timeout)

    async def set(self, key: str, timeout: float, **value: Any) -> Render:
        """Give widget `key` a value (e.g. string_value="…", trigger_value=True) and rerun, as a tab does."""
        state = WidgetState(id=self.widget_ids[key], **value)
        one_shot = any(name.endswith("trigger_value") or name == "chat_input_value" for name in value)
        if not one_shot:
            self.values[state.id] = state
        return await self.rerun(extra=[state] if one_shot else [], timeout=timeout)

    async def rerun(self, extra: list[WidgetState] | None = None, timeout: float = 120) -> Render:
        message = BackMsg()
        message.rerun_script.page_name = self.page
        message.rerun_script.widget_states.widgets.extend([*self.values.values(), *(extra or [])])
        sent_at = time.perf_counter()
        await self._socket.send(message.SerializeToString())
        return await asyncio.wait_for(self._read_run(sent_at), timeout)

    async def _read_run(self, sent_at: float) -> Render:
        render = Render(sent_at=sent_at)
        started = False
        while True:
            message = ForwardMsg()
            message.ParseFromString(await self._socket.recv())
            kind = message.WhichOneof("type")
            if kind == "new_session":
                started = True
                render = Render(sent_at=sent_at, timeline=render.timeline)  # a page's st.rerun() starts over
            elif kind == "delta" and started and message.delta.WhichOneof("type") == "new_element":
                element = message.delta.new_element
                render.elements[tuple(message.metadata.delta_path)] = element
                render.timeline.append((time.perf_counter(), element))
                self._remember_id(element)
            elif kind == "script_finished" and started:
                render.finished = ForwardMsg.ScriptFinishedStatus.Name(message.script_finished)
                if render.finished in _FINISHED_OK:
                    return render
                if render.finished != "FINISHED_EARLY_FOR_RERUN":
                    raise RuntimeError(f"the script run ended with {render.finished}")

    def _remember_id(self, element: Any) -> None:
        widget = getattr(element, element.WhichOneof("type"))
        widget_id = getattr(widget, "id", "")
        if widget_id.startswith("$$ID-") and widget_id.count("-") >= 2:
            self.widget_ids[widget_id.split("-", 2)[2]] = widget_id
