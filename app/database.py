"""Database engine set-up: SQLite pragmas and write transactions that take the lock up front.

SQLite's default deferred transactions fail with "database is locked" when two requests
read and then both try to write. With WAL, a busy timeout and `BEGIN IMMEDIATE` for writes,
concurrent writers queue instead of failing.

Erased data leaves SQLite's files too: every connection runs with `secure_delete` (freed space is
overwritten with zeros), and after an erasure commits the write-ahead log, which still holds the old
pages, is checkpointed and truncated (`checkpoint_after_commit`). PostgreSQL keeps old row versions
until VACUUM reclaims them; running it (autovacuum, or `VACUUM` after an erasure) is the operator's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask, current_app, has_request_context, request
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.extensions import db

log = logging.getLogger(__name__)
_CHECKPOINT = "checkpoint_after_commit"


def configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """Turn on WAL, foreign keys, secure deletion and a busy timeout, and let us choose how transactions begin."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - exercised on every connect
        # Let SQLAlchemy, not the driver, emit BEGIN (pysqlite's own handling is broken).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
        # Deleted and overwritten content is zeroed, so an erased value leaves no copy in free space.
        cursor.execute("PRAGMA secure_delete = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        mode = connection.get_execution_options().get("sqlite_begin") or default_begin_mode()
        connection.exec_driver_sql(f"BEGIN {mode}")


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def default_begin_mode() -> str:
    """How a SQLite transaction starts when the code does not say.

    A request that may change data (POST and the like) takes the write lock at its first statement,
    so it can never fail part-way through with "database is locked" when it comes to write; except
    in views marked `@reads_first`, which do every write through `write_transaction()`. Reads (GET)
    start deferred and run side by side; the few GETs that also write (an audit record, a page visit)
    do so through `write_transaction()`. Work outside requests (commands, background jobs) starts
    deferred and writes through `write_transaction()` too.
    """
    if has_request_context() and request.method not in SAFE_METHODS:
        view = current_app.view_functions.get(request.endpoint or "")
        if getattr(view, "reads_first", False):
            return "DEFERRED"
        return "IMMEDIATE"
    return "DEFERRED"


def reads_first(view: Callable) -> Callable:
    """Mark a view that writes only inside `write_transaction()` blocks (and reads before them).

    On SQLite its requests read without the write lock, so the busiest pages (answering the survey,
    signing in, where the password check alone takes tens of milliseconds) do not queue behind one
    another for the whole request, only for their writes. A write outside `write_transaction()` in
    such a view could meet "database is locked", so only views that keep that rule are marked.
    Decorators made with `functools.wraps` carry the mark outwards.
    """
    view.reads_first = True
    return view


def init_database(app: Flask) -> None:
    """Apply engine settings once the engine exists."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            configure_sqlite(engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
        elif engine.dialect.name == "postgresql":
            keep_prepared_statements(app)


def keep_prepared_statements(app: Flask) -> None:
    """End each request's reading with COMMIT rather than ROLLBACK (PostgreSQL).

    psycopg prepares a statement once it has run five times on a connection, so PostgreSQL stops
    planning it again; but it forgets them all at every ROLLBACK, which is how a request's read-only
    transaction ends when the session is closed. For a transaction that changed nothing, COMMIT and
    ROLLBACK are the same to the database. Whether it changed anything is asked of PostgreSQL itself
    (a transaction that has written holds a transaction id), so no way of writing can slip past;
    anything written, or pending in the session, is rolled back as before.
    """

    @app.teardown_request
    def _end_read_transaction(exc):
        if not db.session.registry.has():
            return  # the request never used the database session (the health check): none to make now
        session = db.session()
        if exc is not None or not session.in_transaction() or session.new or session.dirty or session.deleted:
            return
        try:
            wrote = session.execute(text("SELECT pg_current_xact_id_if_assigned() IS NOT NULL")).scalar()
            if wrote:
                session.rollback()
            else:
                session.commit()
        except Exception:  # noqa: BLE001 - a broken transaction: rolled back as before
            session.rollback()


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


def checkpoint_after_commit() -> None:
    """Once the current transaction commits, leave no old copy of what it erased in SQLite's log.

    Called by erasure (app/auth/erasure.py). The write-ahead log keeps every page as it was written
    until a checkpoint copies the latest into the database; TRUNCATE then empties the file. A no-op
    on PostgreSQL.
    """
    db.session().info[_CHECKPOINT] = True


@event.listens_for(Session, "after_commit")
def _checkpoint_if_asked(session: Session) -> None:
    if session.info.pop(_CHECKPOINT, False):
        checkpoint_sqlite_log()


def checkpoint_sqlite_log() -> bool:
    """Copy SQLite's write-ahead log into the database and truncate it; True when it is now empty.

    Runs on a connection of its own outside any transaction. A reader still holding an old snapshot
    makes it wait up to the busy timeout and then give up (logged); the next erasure or checkpoint
    finishes the job.
    """
    engine = db.engine
    if engine.dialect.name != "sqlite":
        return True
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        busy = cursor.fetchone()[0]
        cursor.close()
    finally:
        connection.close()
    if busy:
        log.warning("The SQLite log could not be emptied after an erasure: a reader was busy")
    return not busy


def in_list(column: str, values) -> str:
    """SQL for a CHECK constraint: `column` holds one of `values` (slugs from the code's vocabularies)."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"
