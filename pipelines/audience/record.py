"""The record of use: every request a visitor made (when, on which page, which task and model, how long it took,
how it ended) and the thumbs and comment given on its result, in a real database through SQLAlchemy.

SQLite at `SHOWROOM_HOME/audience.db` by default, in write-ahead-log mode so the operator's page reads while
visitors write; `SHOWROOM_DATABASE_URL` points several dashboards at one PostgreSQL instead. Recording never
costs a visitor anything: a database that is full, locked or unreachable drops that row with one line in the
log, and the demo answers as it would have. What a visitor typed is kept only when the operator turns
`SHOWROOM_KEEP_INPUTS` on; rows older than `SHOWROOM_KEEP_DAYS` are deleted.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from pipelines.settings import Settings, load_settings

Outcome = Literal["answered", "refused", "failed"]
LOCK_WAIT_SECONDS = 1.0  # the longest a visitor's request waits on a locked SQLite file before its row is dropped
_log = logging.getLogger("showroom.audience")

_metadata = MetaData()
REQUESTS = Table(
    "requests",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("session", String(64), nullable=False),  # an anonymous id per browser session: visitors, not people
    Column("page", String(64), nullable=False),
    Column("task", String(64), nullable=False),
    Column("model", String(128), nullable=False),
    Column("seconds", Float, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("sentence", Text, nullable=False),  # what a refused or failed request was told
    Column("given", Text),  # what the visitor typed, only with SHOWROOM_KEEP_INPUTS
    Column("thumbs_up", Integer),  # 1 or 0 once the visitor gave feedback
    Column("comment", Text),
)


@dataclass(frozen=True)
class Request:
    session: str
    page: str
    task: str
    model: str
    seconds: float
    outcome: Outcome = "answered"
    sentence: str = ""
    given: str = ""  # kept only when the operator keeps inputs


class AudienceRecord:
    """One database's record; every write is one short transaction, and none of them raises."""

    def __init__(self, url: str, keep_inputs: bool = False, keep_days: int = 30) -> None:
        self.url, self.keep_inputs, self.keep_days = url, keep_inputs, keep_days
        self._engine: Engine | None = None

    def add(self, request: Request) -> int | None:
        """The request's row id, or None when the database could not take it (logged, never raised)."""
        row = {
            "at": datetime.now(UTC),
            "session": request.session,
            "page": request.page,
            "task": request.task,
            "model": request.model,
            "seconds": request.seconds,
            "outcome": request.outcome,
            "sentence": request.sentence,
            "given": request.given if self.keep_inputs and request.given else None,
        }
        return self._run(
            "record a request", lambda connection: connection.execute(insert(REQUESTS), row).inserted_primary_key[0]
        )

    def give_feedback(self, request_id: int, thumbs_up: bool, comment: str = "") -> bool:
        """Thumbs and comment on the result of request `request_id`; False when they could not be kept."""
        values = {"thumbs_up": int(thumbs_up), "comment": comment.strip() or None}
        statement = update(REQUESTS).where(REQUESTS.c.id == request_id).values(**values)
        return bool(self._run("record feedback", lambda connection: connection.execute(statement).rowcount))

    def rows(self, since: datetime | None = None) -> list[dict]:
        """Every row (since `since`), oldest first, for the operator's page and its CSV; [] when unreadable. The
        rows past the retention go first, so a server that runs for weeks keeps no more than it says."""
        self.forget_old()
        statement = select(REQUESTS).order_by(REQUESTS.c.at)
        if since is not None:
            statement = statement.where(REQUESTS.c.at >= since)
        read = self._run(
            "read the record", lambda connection: [dict(row._mapping) for row in connection.execute(statement)]
        )
        return read or []

    def forget_old(self) -> int:
        """Delete the rows older than the retention; how many went."""
        cutoff = datetime.now(UTC) - timedelta(days=self.keep_days)
        statement = delete(REQUESTS).where(REQUESTS.c.at < cutoff)
        return self._run("delete old rows", lambda connection: connection.execute(statement).rowcount) or 0

    def _run(self, doing: str, work):
        try:
            with self._open().begin() as connection:
                return work(connection)
        except (SQLAlchemyError, OSError, ImportError) as error:
            _log.warning("could not %s in %s, so it was dropped: %s", doing, _shown(self.url), _first_line(error))
            return None

    def _open(self) -> Engine:
        """The engine and the table, made on first use: a database that is down at start-up may come back."""
        if self._engine is None:
            engine = create_engine(self.url, **_options(self.url))
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", _write_ahead_log)
            _metadata.create_all(engine)
            self._engine = engine
            self.forget_old()
        return self._engine


def _options(url: str) -> dict:
    if not url.startswith("sqlite"):
        return {"pool_pre_ping": True, "connect_args": {"connect_timeout": 3} if "postgresql" in url else {}}
    return {"connect_args": {"timeout": LOCK_WAIT_SECONDS}}


def _write_ahead_log(connection, _record) -> None:
    """SQLite in write-ahead-log mode: readers (the operator's page) never block the visitors' writes."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _shown(url: str) -> str:
    """The URL without its password, for the log."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except (SQLAlchemyError, ValueError):
        return "the configured database"


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


@functools.cache
def _record_for(url: str, keep_inputs: bool, keep_days: int) -> AudienceRecord:
    return AudienceRecord(url, keep_inputs, keep_days)


def audience_record(settings: Settings | None = None) -> AudienceRecord:
    """This process's record of use, per the settings (one engine, and one connection pool, per database)."""
    settings = settings or load_settings()
    return _record_for(settings.audience_url, settings.keep_inputs, settings.keep_days)
