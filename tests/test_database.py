"""Database set-up: SQLite pragmas, atomic writes under concurrency, and migrations matching models."""

from __future__ import annotations

import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from app.database import write_transaction
from app.extensions import db
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
