"""`flask backup` and `flask restore`: whole-database round trips on SQLite and PostgreSQL (every table compared
row by row), the refusal to overwrite data without --yes, an online SQLite backup beside a busy writer, and
every bad input answered in words."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, select, text
from sqlalchemy.engine import make_url

from app import create_app
from app.audit.models import AuditEvent
from app.backup import client_environment, client_major_version, make_backup
from app.extensions import db
from app.organisations.models import Organisation
from tests.conftest import _config_for, _create_postgres_database

PG_SERVER = os.environ.get("TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"


def _postgres_answers() -> bool:
    try:
        import psycopg

        psycopg.connect(PG_SERVER.replace("+psycopg", ""), connect_timeout=3).close()
    except Exception:  # noqa: BLE001 - any failure means "no server here"
        return False
    return True


def _rows(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order (all columns where a table has no primary key)."""
    engine = create_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as conn:
            return {
                name: [tuple(r) for r in conn.execute(select(t).order_by(*(t.primary_key.columns or t.columns)))]
                for name, t in metadata.tables.items()
            }
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def two_databases(request, tmp_path):
    """A migrated database full of demo data and an empty one, both thrown away afterwards."""
    if request.param == "sqlite":
        source, target, drops = f"sqlite:///{tmp_path / 'source.db'}", f"sqlite:///{tmp_path / 'target.db'}", []
    else:
        if not _postgres_answers():
            pytest.skip(f"no PostgreSQL server answers at {PG_SERVER}")
        (source, drop_source), (target, drop_target) = (
            _create_postgres_database(PG_SERVER),
            _create_postgres_database(PG_SERVER),
        )
        drops = [drop_source, drop_target]
    app = create_app(_config_for(source))
    with app.app_context():
        from flask_migrate import upgrade

        from app.demo import load_demo_data

        upgrade()
        load_demo_data("demo-password-1")
        db.session.remove()
        db.engine.dispose()
    yield app, source, create_app(_config_for(target)), target
    for drop in drops:
        drop()


def test_round_trip_keeps_every_row_of_every_table(two_databases, tmp_path):
    source_app, source_url, target_app, target_url = two_databases
    backup = tmp_path / "demo.backup"
    with source_app.app_context():
        made = source_app.test_cli_runner().invoke(args=["backup", "--output", str(backup)])
        db.engine.dispose()
    assert made.exit_code == 0, made.output
    assert "Backing up" in made.output and f"written to {backup}" in made.output
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]

    with target_app.app_context():
        restored = target_app.test_cli_runner().invoke(args=["restore", "--input", str(backup)])
        db.engine.dispose()
    assert restored.exit_code == 0, restored.output
    assert "Restoring" in restored.output and "the same as this code's" in restored.output

    before, after = _rows(source_url), _rows(target_url)
    # The source gained the record of its own backup after the copy was taken; the target its restore.
    events = before.pop("audit_event"), after.pop("audit_event")
    assert before.keys() == after.keys() and len(before) >= 30
    for name in before:
        assert after[name] == before[name], f"table {name} differs after the round trip"
    assert sum(len(rows) for rows in before.values()) > 1000
    copied, restored_events = events[0][:-1], events[1][:-1]
    assert restored_events == copied  # every audit event the backup held, then the restore's own
    with target_app.app_context():
        last = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert last.action == "backup.restored"
        db.session.remove()
        db.engine.dispose()


def test_restore_refuses_to_replace_data_without_yes(runner, make_organisation, tmp_path):
    make_organisation(name="Kept Council")
    backup = tmp_path / "one.backup"
    assert runner.invoke(args=["backup", "--output", str(backup)]).exit_code == 0
    assert db.session.scalar(select(AuditEvent.action)) == "backup.made"
    make_organisation(name="Added After The Backup")

    refused = runner.invoke(args=["restore", "--input", str(backup)])
    assert refused.exit_code != 0
    assert "already holds" in refused.output and "tables with data; add --yes to replace it" in refused.output
    assert "Traceback" not in refused.output
    names = set(db.session.scalars(select(Organisation.name)))
    assert names == {"Kept Council", "Added After The Backup"}
    db.session.remove()

    replaced = runner.invoke(args=["restore", "--input", str(backup), "--yes"])
    assert replaced.exit_code == 0, replaced.output
    assert "0014" in replaced.output or "version" in replaced.output
    assert set(db.session.scalars(select(Organisation.name))) == {"Kept Council"}


def test_restore_of_an_older_backup_says_to_upgrade(runner, make_organisation, tmp_path):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the version is edited in the SQLite backup file")
    make_organisation()
    backup = tmp_path / "old.backup"
    assert runner.invoke(args=["backup", "--output", str(backup)]).exit_code == 0
    with sqlite3.connect(backup) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0013_outbox_attachments'")
    conn.close()
    db.session.remove()
    result = runner.invoke(args=["restore", "--input", str(backup), "--yes"])
    assert result.exit_code == 0, result.output
    assert "at version 0013_outbox_attachments, the backup's" in result.output
    assert "run `flask db upgrade`" in result.output
    # The schema is the code's: only the recorded version was made older. Put it back for the tests that follow.
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0014_member_invitations'"))


def _sqlite_only():
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's online backup")
    return Path(db.engine.url.database)


def test_online_backup_beside_an_open_write_transaction_is_consistent(app, make_organisation, tmp_path):
    database = _sqlite_only()
    for n in range(20):
        make_organisation(name=f"Committed Council {n}")
    db.session.remove()
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute(
        "INSERT INTO organisation (name, region, council_type) VALUES ('Uncommitted Council', 'south-east', 'county')"
    )
    try:
        result = app.test_cli_runner().invoke(args=["backup", "--output", str(tmp_path / "busy.backup")])
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    # The backup stands even though the writer kept the audit log from recording it in time.
    assert result.exit_code == 0, result.output
    assert "written to" in result.output
    copy = sqlite3.connect(tmp_path / "busy.backup")
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    names = {row[0] for row in copy.execute("SELECT name FROM organisation")}
    copy.close()
    assert names == {f"Committed Council {n}" for n in range(20)}


def test_online_backup_copies_one_snapshot_while_writes_commit_between_its_steps(app, make_organisation, tmp_path):
    database = _sqlite_only()
    for n in range(200):
        make_organisation(name=f"Council {n} " + "x" * 150)
    db.session.remove()
    writer = sqlite3.connect(database, isolation_level=None)
    steps = []

    def write_between_steps(done: int, total: int) -> None:
        steps.append((done, total))
        writer.execute(
            "INSERT INTO organisation (name, region, council_type) VALUES (?, 'south-east', 'county')",
            (f"Written during step {len(steps)}",),
        )

    try:
        make_backup(db.engine, tmp_path / "moving.backup", progress=write_between_steps, pages_per_step=2)
    finally:
        writer.close()
    assert len(steps) > 3 and steps[-1][0] == steps[-1][1]  # several steps, progress up to the last page
    copy = sqlite3.connect(tmp_path / "moving.backup")
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("SELECT count(*) FROM organisation").fetchone()[0] == 200
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    copy.close()


def test_bad_inputs_are_answered_in_words(runner, make_organisation, tmp_path):
    make_organisation()
    kind = "SQLite" if db.engine.dialect.name == "sqlite" else "PostgreSQL"
    other = "PostgreSQL" if kind == "SQLite" else "SQLite"
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("minutes of the meeting\n")
    foreign_sqlite = tmp_path / "other-app.db"
    sqlite3.connect(foreign_sqlite).execute("CREATE TABLE t (x)").connection.close()
    wrong_kind = tmp_path / "wrong.backup"
    if other == "PostgreSQL":
        wrong_kind.write_bytes(b"PGDMP\x01\x0e\x00" + b"\x00" * 100)
    else:
        wrong_kind.write_bytes(foreign_sqlite.read_bytes())
    cases = [
        (["restore", "--input", str(tmp_path / "missing.backup")], f"There is no file at {tmp_path}/missing.backup."),
        (["restore", "--input", str(not_a_backup)], "is not a backup made by `flask backup`"),
        (["restore", "--input", str(tmp_path)], "is a folder, not a backup file"),
        (["restore", "--input", str(wrong_kind)], f"a {other} backup cannot be restored into {kind}"),
        (["backup", "--output", str(tmp_path / "no-such-folder" / "x.backup")], "the folder"),
        (["backup", "--output", str(not_a_backup / "x.backup")], "Cannot write the backup to"),
    ]
    if kind == "SQLite":
        cases.append((["restore", "--input", str(foreign_sqlite), "--yes"], "not a backup of this app"))
    else:
        truncated = tmp_path / "truncated.backup"
        assert runner.invoke(args=["backup", "--output", str(truncated)]).exit_code == 0
        truncated.write_bytes(truncated.read_bytes()[:2000])
        cases.append((["restore", "--input", str(truncated), "--yes"], "nothing was changed"))
    for args, words in cases:
        db.session.remove()
        result = runner.invoke(args=args)
        assert result.exit_code != 0, (args, result.output)
        assert words in result.output, (args, result.output)
        assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    assert db.session.scalar(select(Organisation.id)) is not None  # nothing was changed by any of them
    if os.geteuid() != 0:  # root writes anywhere, so the folder without permission only tells for others
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        result = runner.invoke(args=["backup", "--output", str(locked / "x.backup")])
        assert result.exit_code != 0 and "Cannot write the backup to" in result.output


def test_client_tools_get_the_connection_through_the_environment_only():
    env = client_environment(make_url("postgresql+psycopg://app:s3cret@db.internal:6543/research?sslmode=require"))
    assert (env["PGHOST"], env["PGPORT"], env["PGUSER"], env["PGPASSWORD"], env["PGDATABASE"], env["PGSSLMODE"]) == (
        "db.internal",
        "6543",
        "app",
        "s3cret",
        "research",
        "require",
    )
    assert client_major_version("pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)") == 15
    assert client_major_version("pg_dump (PostgreSQL) 9.6.24") == 9
