"""Database set-up: SQLite pragmas, atomic writes under concurrency, and migrations matching models."""

from __future__ import annotations

import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event, func, select, text, update
from sqlalchemy.exc import IntegrityError

from app.auth.decorators import public
from app.database import default_begin_mode, write_transaction
from app.extensions import csrf, db
from app.organisations.models import Organisation


def test_migrations_and_models_agree(app):
    """Autogenerate against the migrated database finds nothing to change."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_sqlite_runs_with_wal_foreign_keys_and_a_busy_timeout(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite settings")
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == app.config["SQLITE_BUSY_TIMEOUT_MS"]


def test_posts_take_the_write_lock_first_except_in_views_that_read_first(app):
    """On SQLite a POST begins with the write lock, unless its view does every write in
    `write_transaction()` (signing in, answering the survey); reads never take it."""
    for path in ("/sign-in", "/surveys/schools-ict/start", "/surveys/schools-ict/questions/size"):
        with app.test_request_context(path, method="POST"):
            assert default_begin_mode() == "DEFERRED", path
    for path in ("/sign-out", "/surveys/manage/new"):
        with app.test_request_context(path, method="POST"):
            assert default_begin_mode() == "IMMEDIATE", path
    with app.test_request_context("/surveys/schools-ict/questions/size"):
        assert default_begin_mode() == "DEFERRED"
    assert default_begin_mode() == "DEFERRED"  # outside requests: commands and background jobs


def test_constraints_live_in_the_database(app):
    with pytest.raises(IntegrityError):
        db.session.execute(
            text(
                "INSERT INTO organisation (name, region, council_type, created_at) "
                "VALUES ('Atlantis', 'atlantis', 'county', CURRENT_TIMESTAMP)"
            )
        )
    db.session.rollback()


def test_write_transaction_rolls_back_on_error(app):
    with pytest.raises(RuntimeError), write_transaction():
        db.session.add(Organisation(name="Half done", region="wales", council_type="welsh"))
        db.session.flush()
        raise RuntimeError("stop")
    assert db.session.scalar(select(func.count(Organisation.id))) == 0


def test_concurrent_read_then_write_transactions_all_succeed(app):
    """Eight threads each read, then write, at the same moment: none fails with 'database is locked'."""
    db.session.add(Organisation(name="Counter", region="wales", council_type="welsh", contact_email="0@x.example"))
    db.session.commit()
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def worker(n: int) -> None:
        with app.app_context():
            try:
                start.wait(timeout=10)
                for i in range(5):
                    with write_transaction():
                        org = db.session.scalar(select(Organisation).where(Organisation.name == "Counter"))
                        count = int(org.contact_email.split("@")[0])
                        org.contact_email = f"{count + 1}@x.example"
                        db.session.add(Organisation(name=f"Worker {n}-{i}", region="wales", council_type="welsh"))
            except BaseException as exc:  # noqa: BLE001 - collected and reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    db.session.expire_all()
    counter = db.session.scalar(select(Organisation).where(Organisation.name == "Counter"))
    if db.engine.dialect.name == "sqlite":
        assert counter.contact_email == "40@x.example"  # every increment serialised, none lost
    assert db.session.scalar(select(func.count(Organisation.id))) == 41


def test_a_request_that_changed_nothing_ends_its_transaction_with_commit(app, client, make_user):
    """PostgreSQL: so psycopg keeps the statements it has prepared (a ROLLBACK makes it forget them all)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("psycopg's prepared statements")
    from tests.conftest import sign_in

    user = make_user("analyst")
    sign_in(client, user.email)
    ended: list[str] = []

    @event.listens_for(db.engine, "commit")
    def _commit(_conn):
        ended.append("commit")

    @event.listens_for(db.engine, "rollback")
    def _rollback(_conn):
        ended.append("rollback")

    try:
        assert client.get("/account").status_code == 200
    finally:
        event.remove(db.engine, "commit", _commit)
        event.remove(db.engine, "rollback", _rollback)
    assert ended and ended[-1] == "commit"


@pytest.mark.parametrize(
    "how",
    ["orm", "core update", "connection", "returning"],
)
def test_a_change_a_request_did_not_commit_is_still_rolled_back(app, client, how):
    """Ending reads with COMMIT never saves what a view changed and left uncommitted, however it wrote."""
    db.session.add(Organisation(name="Kept", region="wales", council_type="welsh"))
    db.session.commit()

    @app.route("/test-uncommitted", methods=["POST"])
    @public
    @csrf.exempt
    def uncommitted():
        if how == "orm":
            db.session.add(Organisation(name="Never saved", region="wales", council_type="welsh"))
            db.session.flush()
        elif how == "core update":
            db.session.execute(update(Organisation).values(name="Changed"))
        elif how == "connection":
            db.session.connection().execute(text("UPDATE organisation SET name = 'Changed'"))
        else:
            db.session.execute(
                text("UPDATE organisation SET name = 'Changed' RETURNING id").columns(Organisation.id)
            ).all()
        return "done"

    assert client.post("/test-uncommitted").status_code == 200
    db.session.rollback()
    assert db.session.scalars(select(Organisation.name)).all() == ["Kept"]
