"""Backups of the whole database and restores from them (`flask backup`, `flask restore`).

A backup is the database in its own native form, so that the standard tools read it too:
- SQLite: a copy of the database file taken through SQLite's online backup API. The copy reads one
  snapshot (a read transaction held from start to end), so it is consistent while the app runs and writes.
- PostgreSQL: a `pg_dump --format=custom` archive, restored with `pg_restore`. The connection details go to
  the client tools through the environment (PGPASSWORD and friends), never on a command line.

The file is written to a temporary file beside the target, readable by its owner only (it holds personal
data), and renamed into place once complete. A restore never overwrites a database that holds data unless
asked to, and refuses a backup of the other kind of database.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import subprocess  # noqa: S404 - runs pg_dump, pg_restore and psql, with fixed arguments and no shell
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, Engine

SQLITE_HEADER = b"SQLite format 3\x00"
PG_DUMP_HEADER = b"PGDMP"
SQLITE_PAGES_PER_STEP = 256  # 1 MB a step at SQLite's default 4 KB pages
Progress = Callable[[int, int], None]  # (done, total)


class BackupError(Exception):
    """A backup or restore that cannot go ahead, with the reason in words for the person running it."""


@dataclass(frozen=True)
class BackupMade:
    """What `make_backup` wrote."""

    path: Path
    kind: str  # "SQLite" or "PostgreSQL"
    size: int
    alembic_version: str | None


@dataclass(frozen=True)
class Restored:
    """What `restore_backup` did."""

    kind: str
    tables_replaced: int  # tables that held data before the restore
    alembic_version: str | None


def _kind(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return "SQLite"
    if url.get_backend_name() == "postgresql":
        return "PostgreSQL"
    raise BackupError(f"Backups are made for SQLite and PostgreSQL databases only, not {url.get_backend_name()}.")


def describe(url: URL) -> str:
    """The database in words, without its password ("the SQLite database instance/socitm.db")."""
    if url.get_backend_name() == "sqlite":
        return f"the SQLite database {url.database}"
    return f"the PostgreSQL database {url.database} on {url.host or 'localhost'}:{url.port or 5432}"


def _where(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return f"{url.host or 'localhost'}:{url.port or 5432}/{url.database}"


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError("The database is held in memory; there is no file to back up or restore into.")
    return Path(url.database)


# Tables with rows ---------------------------------------------------------------------------------------------


def tables_with_data(engine: Engine) -> int:
    """How many tables of the app's (all but Alembic's version table) hold at least one row."""
    with engine.connect() as conn:
        names = [n for n in inspect(conn).get_table_names() if n != "alembic_version"]
        preparer = conn.dialect.identifier_preparer
        return sum(
            1
            for name in names
            if conn.execute(text(f"SELECT 1 FROM {preparer.quote(name)} LIMIT 1")).first()  # noqa: S608
        )


def _alembic_version(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if "alembic_version" not in inspect(conn).get_table_names():
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


# Output files -------------------------------------------------------------------------------------------------


def _temporary_beside(output: Path) -> tuple[int, Path]:
    """A new file (mode 0600) in the output's folder, for writing the backup before it is renamed into place."""
    if output.is_dir():
        raise BackupError(
            f"{output} is a folder; give the path of the backup file to write, such as {output}/app.backup."
        )
    folder = output.parent
    if not folder.is_dir():
        raise BackupError(f"Cannot write the backup to {output}: the folder {folder} does not exist.")
    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=f".{output.name}.", suffix=".partial")
    except OSError as exc:
        raise BackupError(
            f"Cannot write the backup to {output}: {exc.strerror or exc} (check the folder's permissions)."
        ) from None
    return fd, Path(name)


def _put_in_place(temporary: Path, output: Path) -> None:
    os.chmod(temporary, 0o600)
    with open(temporary, "rb") as done:
        os.fsync(done.fileno())
    try:
        os.replace(temporary, output)
    except OSError as exc:
        raise BackupError(f"Cannot write the backup to {output}: {exc.strerror or exc}.") from None


# Making a backup ----------------------------------------------------------------------------------------------


def make_backup(
    engine: Engine, output: Path, progress: Progress | None = None, pages_per_step: int = SQLITE_PAGES_PER_STEP
) -> BackupMade:
    """Write a backup of the database behind `engine` to `output`, atomically and readable by its owner only."""
    url = engine.url
    kind = _kind(url)
    output = Path(output)
    if kind == "PostgreSQL":
        check_client_version(engine)
    fd, temporary = _temporary_beside(output)
    try:
        if kind == "SQLite":
            os.close(fd)
            _sqlite_backup(_sqlite_path(url), temporary, progress, pages_per_step)
        else:
            with os.fdopen(fd, "wb") as out:
                _pg_dump(url, out, progress, table_count=len(inspect(engine).get_table_names()))
        _put_in_place(temporary, output)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return BackupMade(output, kind, output.stat().st_size, _alembic_version(engine))


def _sqlite_backup(source_path: Path, target: Path, progress: Progress | None, pages_per_step: int) -> None:
    if not source_path.exists():
        raise BackupError(f"There is no database at {source_path} to back up.")
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, isolation_level=None)
    copy = sqlite3.connect(target, isolation_level=None)
    try:
        # One read transaction for the whole copy: every step reads the same snapshot, and writers (WAL) carry on.
        source.execute("BEGIN")
        source.execute("SELECT count(*) FROM sqlite_master").fetchone()

        def step(_status: int, remaining: int, total: int) -> None:
            if progress:
                progress(total - remaining, total)

        source.backup(copy, pages=pages_per_step, progress=step)
        source.execute("COMMIT")
        # A self-contained file: no write-ahead log beside it.
        copy.execute("PRAGMA journal_mode = DELETE")
        if copy.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError("The copy of the SQLite database failed its integrity check; no backup was written.")
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite could not copy the database at {source_path}: {exc}.") from None
    finally:
        copy.close()
        source.close()


# PostgreSQL client tools --------------------------------------------------------------------------------------


def client_environment(url: URL) -> dict[str, str]:
    """The environment for pg_dump, pg_restore and psql: the connection from the URL, password included."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    for name, value in (
        ("PGHOST", url.host),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
    ):
        if value not in (None, ""):
            env[name] = str(value)
    for option, variable in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT"), ("host", "PGHOST")):
        value = url.query.get(option)
        if value:
            env[variable] = value if isinstance(value, str) else value[0]
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise BackupError(
            f"{name} is not installed; it comes with PostgreSQL's client tools "
            "(sudo apt-get install postgresql-client, or `make setup` as root)."
        )
    return path


def client_major_version(version_line: str) -> int:
    """The major version in `pg_dump --version`'s answer ("pg_dump (PostgreSQL) 15.20 (Debian …)" is 15)."""
    match = re.search(r"\(PostgreSQL\)\s+(\d+)", version_line) or re.search(r"(\d+)", version_line)
    return int(match.group(1)) if match else 0


def check_client_version(engine: Engine) -> int:
    """Refuse, in words, when pg_dump is older than the server (it cannot dump a newer server); the major version."""
    found = subprocess.run(  # noqa: S603
        [_tool("pg_dump"), "--version"], capture_output=True, text=True, check=False
    ).stdout
    client = client_major_version(found)
    with engine.connect() as conn:
        server = int(conn.execute(text("SHOW server_version_num")).scalar()) // 10000
    if client < server:
        raise BackupError(
            f"pg_dump is version {client} but the PostgreSQL server is version {server}; the client tools must be "
            f"at least the server's version. Install postgresql-client-{server} (from apt.postgresql.org) "
            "and try again."
        )
    return client


def _pg_dump(url: URL, out, progress: Progress | None, table_count: int) -> None:
    command = [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "--verbose"]
    with subprocess.Popen(  # noqa: S603
        command, stdout=out, stderr=subprocess.PIPE, env=client_environment(url), text=True
    ) as process:
        messages = _follow(process, "dumping contents of table", progress, table_count)
    if process.returncode != 0:
        raise BackupError(f"pg_dump could not back up {describe(url)}: {_last_error(messages)}")


def _follow(process: subprocess.Popen, marker: str, progress: Progress | None, total: int) -> list[str]:
    """Read a client tool's verbose messages, counting the tables it has done; keep its error lines."""
    done, errors = 0, []
    for line in process.stderr:
        if marker in line:
            done += 1
            if progress:
                progress(min(done, total), total)
        elif "error" in line.lower() or "fatal" in line.lower():
            errors.append(line.strip())
    return errors


def _last_error(messages: list[str]) -> str:
    return messages[-1] if messages else "it stopped without saying why"


# Restoring ----------------------------------------------------------------------------------------------------


def backup_kind(path: Path) -> str:
    """Which database a backup file is of ("SQLite" or "PostgreSQL"), or an error in words when it is none."""
    path = Path(path)
    if not path.exists():
        raise BackupError(f"There is no file at {path}.")
    if path.is_dir():
        raise BackupError(f"{path} is a folder, not a backup file.")
    try:
        with open(path, "rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise BackupError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    if head.startswith(SQLITE_HEADER):
        return "SQLite"
    if head.startswith(PG_DUMP_HEADER):
        return "PostgreSQL"
    raise BackupError(
        f"{path} is not a backup made by `flask backup` (neither a SQLite database nor a pg_dump archive)."
    )


def _sqlite_backup_version(path: Path) -> str | None:
    """Check a SQLite backup file is whole and this app's; its Alembic version."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise BackupError(f"{path} is damaged (SQLite's integrity check fails); it cannot be restored.")
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "alembic_version" not in tables:
                raise BackupError(
                    f"{path} is a SQLite database but not a backup of this app (it has no alembic_version)."
                )
            return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a readable SQLite backup: {exc}.") from None


def restore_backup(engine: Engine, source: Path, replace: bool = False, progress: Progress | None = None) -> Restored:
    """Replace the database behind `engine` with the backup at `source`.

    Refuses a backup of the other kind of database, and a database that holds data unless `replace` is set.
    """
    url = engine.url
    kind = _kind(url)
    source = Path(source)
    found = backup_kind(source)
    if found != kind:
        raise BackupError(
            f"{source} is a backup of a {found} database, but this app uses {describe(url)}; "
            f"a {found} backup cannot be restored into {kind}."
        )
    if kind == "SQLite":
        version = _sqlite_backup_version(source)
        target = _sqlite_path(url)
        if not target.parent.is_dir():
            raise BackupError(f"Cannot restore into {target}: the folder {target.parent} does not exist.")
    else:
        check_client_version(engine)
        version = None
    held = tables_with_data(engine) if kind == "PostgreSQL" or target.exists() else 0
    if held and not replace:
        raise BackupError(
            f"The database at {_where(url)} already holds {held} "
            f"{'table' if held == 1 else 'tables'} with data; add --yes to replace it."
        )
    engine.dispose()
    if kind == "SQLite":
        _sqlite_restore(source, target, progress)
    else:
        _pg_restore(url, source, progress, engine)
    engine.dispose()
    return Restored(kind, held, _alembic_version(engine) if kind == "PostgreSQL" else version)


def _sqlite_restore(source: Path, target: Path, progress: Progress | None) -> None:
    backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True, isolation_level=None)
    database = sqlite3.connect(target, isolation_level=None, timeout=15)
    try:

        def step(_status: int, remaining: int, total: int) -> None:
            if progress:
                progress(total - remaining, total)

        backup.backup(database, pages=SQLITE_PAGES_PER_STEP, progress=step)
        database.execute("PRAGMA journal_mode = WAL")
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite could not restore into {target}: {exc}.") from None
    finally:
        database.close()
        backup.close()


# Everything of the app's in the public schema, dropped in the same transaction as the restore.
_DROP_EVERYTHING = """
DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT viewname FROM pg_views WHERE schemaname = 'public' LOOP
    EXECUTE format('DROP VIEW IF EXISTS public.%I CASCADE', r.viewname); END LOOP;
  FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
    EXECUTE format('DROP TABLE IF EXISTS public.%I CASCADE', r.tablename); END LOOP;
  FOR r IN SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' LOOP
    EXECUTE format('DROP SEQUENCE IF EXISTS public.%I CASCADE', r.sequencename); END LOOP;
  FOR r IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
           WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd') LOOP
    EXECUTE format('DROP TYPE IF EXISTS public.%I CASCADE', r.typname); END LOOP;
END $$;
"""


def _pg_restore(url: URL, source: Path, progress: Progress | None, engine: Engine) -> None:
    """pg_restore writes the archive as SQL; psql runs it, after dropping what is there, as one transaction."""
    env = client_environment(url)
    total = _archive_tables(source, env)
    with tempfile.TemporaryFile() as psql_errors, tempfile.TemporaryFile() as reader_errors:
        psql = subprocess.Popen(  # noqa: S603
            [_tool("psql"), "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1", "--file=-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=psql_errors,
            env=env,
        )
        reader = subprocess.Popen(  # noqa: S603
            [_tool("pg_restore"), "--no-owner", "--no-privileges", "--file=-", str(source)],
            stdout=subprocess.PIPE,
            stderr=reader_errors,
            env=env,
        )
        try:
            psql.stdin.write(b"SET client_min_messages = warning;\n" + _DROP_EVERYTHING.encode())
            _copy_with_progress(reader, psql, progress, total)
        finally:
            reader.stdout.close()
            read_ok = reader.wait() == 0
            if not read_ok:
                psql.kill()  # before its input ends, so its transaction is rolled back, never committed part-way
            with contextlib.suppress(BrokenPipeError):
                psql.stdin.close()
        wrote_ok = psql.wait() == 0
        if not read_ok:
            reader_errors.seek(0)
            message = _first_line(reader_errors.read().decode(errors="replace"))
            raise BackupError(f"pg_restore could not read {source}, so nothing was changed: {message}")
        if not wrote_ok:
            psql_errors.seek(0)
            message = _first_line(psql_errors.read().decode(errors="replace"))
            raise BackupError(f"The restore into {describe(url)} failed and changed nothing: {message}")


def _archive_tables(source: Path, env: dict[str, str]) -> int:
    listing = subprocess.run(  # noqa: S603
        [_tool("pg_restore"), "--list", str(source)], capture_output=True, text=True, env=env, check=False
    )
    if listing.returncode != 0:
        raise BackupError(
            f"{source} is not a readable pg_dump archive, so nothing was changed: {_first_line(listing.stderr)}"
        )
    return sum(1 for line in listing.stdout.splitlines() if " TABLE DATA " in line)


def _copy_with_progress(
    reader: subprocess.Popen, psql: subprocess.Popen, progress: Progress | None, total: int
) -> None:
    done = 0
    for line in reader.stdout:
        if line.startswith(b"COPY "):
            done += 1
            if progress:
                progress(min(done, total), total)
        try:
            psql.stdin.write(line)
        except BrokenPipeError:  # psql stopped on an error: its message says why
            break


def _first_line(message: str) -> str:
    lines = [line.strip() for line in message.splitlines() if line.strip() and "warning" not in line.lower()]
    errors = [line for line in lines if "error" in line.lower()]
    return (errors or lines or ["no reason given"])[0]


def version_advice(version: str | None, migrations: Path) -> str:
    """What the restored database's Alembic version means for this code, in words."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    if not version:
        return "The backup records no database version; run `flask db upgrade` to bring it up to date."
    config = Config()
    config.set_main_option("script_location", str(migrations))
    scripts = ScriptDirectory.from_config(config)
    heads = set(scripts.get_heads())
    if version in heads:
        return f"The database is at version {version}, the same as this code's."
    try:
        known = scripts.get_revision(version) is not None
    except Exception:  # noqa: BLE001 - alembic raises several kinds for an unknown revision
        known = False
    if known:
        return (
            f"The database is at version {version}, the backup's, which is older than this code's "
            f"({', '.join(sorted(heads))}): run `flask db upgrade` before starting the app."
        )
    return (
        f"The database is at version {version}, the backup's, which this code does not know: the backup was made by "
        "newer code. Run that version of the app, or restore an older backup."
    )
