"""Database engine set-up: SQLite pragmas and write transactions that take the lock up front.

SQLite's default deferred transactions fail with "database is locked" when two requests
read and then both try to write. With WAL, a busy timeout and `BEGIN IMMEDIATE` for writes,
concurrent writers queue instead of failing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.extensions import db


def configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """Turn on WAL, foreign keys and a busy timeout, and let us choose how transactions begin."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - exercised on every connect
        # Let SQLAlchemy, not the driver, emit BEGIN (pysqlite's own handling is broken).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        mode = connection.get_execution_options().get("sqlite_begin") or default_begin_mode()
        connection.exec_driver_sql(f"BEGIN {mode}")


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def default_begin_mode() -> str:
    """How a SQLite transaction starts when the code does not say.

    A request that may change data (POST and the like) takes the write lock at its first statement,
    so it can never fail part-way through with "database is locked" when it comes to write. Reads
    (GET) start deferred and run side by side; the few GETs that also write (an audit record, a page
    visit) do so through `write_transaction()`. Work outside requests (commands, background jobs)
    starts deferred and writes through `write_transaction()` too.
    """
    if has_request_context() and request.method not in SAFE_METHODS:
        return "IMMEDIATE"
    return "DEFERRED"


def init_database(app: Flask) -> None:
    """Apply engine settings once the engine exists."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            configure_sqlite(engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])


@contextmanager
def write_transaction() -> Iterator[Session]:
    """Run a block as one atomic write: commit at the end, roll back on any error.

    Any read transaction still open is ended first, so on SQLite the write starts with
    `BEGIN IMMEDIATE` and waits its turn rather than failing on a stale snapshot.
    """
    session = db.session()
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def in_list(column: str, values) -> str:
    """SQL for a CHECK constraint: `column` holds one of `values` (slugs from the code's vocabularies)."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"
