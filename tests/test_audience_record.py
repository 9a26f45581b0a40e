"""The record of use on a real SQLite file and a real PostgreSQL (started on loopback by the test where the server
binaries are installed): what is kept, what is not, and that a database that is locked, full or unreachable costs
the visitor nothing but that row."""

from __future__ import annotations

import itertools
import logging
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, func, select, text, update

from pipelines.audience.record import REQUESTS, AudienceRecord, Request
from tests.postgres_server import postgres, server_binaries

ANSWERED = Request("visitor-1", "sentiment", "sentiment", "minilm-sentiment", 0.12, given="Lovely bike, great service.")
REFUSED = Request("visitor-2", "translation", "translation", "bergamot-en-pt", 0.01, "refused", "The text is empty.")
_databases = itertools.count()


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[str]:
    if server_binaries() is None:
        reason = "PostgreSQL's server binaries are missing: `make test` installs Debian's postgresql when run as root"
        if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
            pytest.fail(reason + " (CI is set, so their absence fails the run)", pytrace=False)
        pytest.skip(reason)
    # Not pytest's temporary folder: as root, that one is closed to the `postgres` user the server runs as.
    with tempfile.TemporaryDirectory(prefix="showroom-postgres-") as folder, postgres(Path(folder)) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database's URL: a SQLite file, or a new database on the test's PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'audience.db'}"
    server = request.getfixturevalue("postgres_server")
    name = f"audience_{next(_databases)}"
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return server.rsplit("/", 1)[0] + "/" + name


def test_requests_and_their_feedback_are_kept_in_order_without_what_the_visitor_typed(database: str) -> None:
    record = AudienceRecord(database)
    first, second = record.add(ANSWERED), record.add(REFUSED)
    assert record.give_feedback(first, thumbs_up=True, comment="  spot on  ")
    assert not record.give_feedback(999, thumbs_up=False)  # no such request: nothing changed
    rows = record.rows()
    assert [row["id"] for row in rows] == [first, second]
    assert (rows[0]["outcome"], rows[0]["thumbs_up"], rows[0]["comment"], rows[0]["given"]) == (
        "answered",
        1,
        "spot on",
        None,
    )
    assert (rows[1]["outcome"], rows[1]["sentence"], rows[1]["thumbs_up"]) == ("refused", "The text is empty.", None)
    with create_engine(database).connect() as raw:  # what a visitor typed is in no column of the database
        assert raw.execute(select(func.count()).where(REQUESTS.c.given.is_not(None))).scalar() == 0


def test_sqlite_runs_in_write_ahead_log_mode_so_the_operator_reads_while_visitors_write(tmp_path: Path) -> None:
    AudienceRecord(f"sqlite:///{tmp_path / 'audience.db'}").add(ANSWERED)
    with sqlite3.connect(tmp_path / "audience.db") as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_what_a_visitor_typed_is_kept_only_when_the_operator_says_so(database: str) -> None:
    record = AudienceRecord(database, keep_inputs=True)
    record.add(ANSWERED)
    assert record.rows()[0]["given"] == "Lovely bike, great service."


def test_rows_older_than_the_retention_are_deleted(database: str) -> None:
    record = AudienceRecord(database, keep_days=7)
    old, recent = record.add(ANSWERED), record.add(REFUSED)
    with record._open().begin() as connection:  # a row written eight days ago
        connection.execute(update(REQUESTS).where(REQUESTS.c.id == old).values(at=datetime.now(UTC) - timedelta(8)))
    assert record.forget_old() == 1
    assert [row["id"] for row in record.rows()] == [recent]


def test_a_locked_database_drops_the_row_within_a_second_with_one_line_in_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "audience.db"
    record = AudienceRecord(f"sqlite:///{path}")
    record.add(ANSWERED)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holds the file
    try:
        started = datetime.now(UTC)
        with caplog.at_level(logging.WARNING, logger="showroom.audience"):
            assert record.add(REFUSED) is None
        assert (datetime.now(UTC) - started).total_seconds() < 3
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    (line,) = [entry.getMessage() for entry in caplog.records]
    assert line.startswith("could not record a request in sqlite:///") and "locked" in line
    assert record.add(REFUSED) is not None  # the lock gone, recording goes on


def test_a_full_database_drops_each_row_with_one_line_in_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    record = AudienceRecord(f"sqlite:///{tmp_path / 'audience.db'}", keep_inputs=True)  # long rows need new pages
    record.add(ANSWERED)
    engine = record._open()
    engine.dispose()  # new connections from here on, each capped at the pages the file has: a full disk
    event.listen(engine, "connect", lambda connection, _: connection.execute("PRAGMA max_page_count = 1"))
    with caplog.at_level(logging.WARNING, logger="showroom.audience"):
        kept = [record.add(Request("visitor-3", "chat", "chat", "smollm2", 1.0, given="x" * 5000)) for _ in range(3)]
    assert kept == [None, None, None]
    assert all("full" in entry.getMessage() for entry in caplog.records)


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////proc/no-such-folder/audience.db",  # a folder that cannot exist
        "postgresql://showroom:secret@127.0.0.1:9/showroom",  # a server that is not there (or no driver)
        "not a url",
    ],
)
def test_an_unreachable_database_costs_nothing_but_the_row(url: str, caplog: pytest.LogCaptureFixture) -> None:
    record = AudienceRecord(url)
    with caplog.at_level(logging.WARNING, logger="showroom.audience"):
        assert record.add(ANSWERED) is None
        assert record.rows() == []
    assert all(entry.getMessage().startswith("could not ") for entry in caplog.records)
    assert "secret" not in caplog.text  # the password never reaches the log
