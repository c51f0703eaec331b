"""`flask deployment-check`: will the web servers' database connections fit in PostgreSQL's limit?

Every worker process holds up to DB_POOL_SIZE + DB_MAX_OVERFLOW connections, so the whole service may
open NODES × WEB_CONCURRENCY × (pool + overflow) of them. PostgreSQL refuses connections beyond
`max_connections` less those it keeps for superusers; the check wants a margin (HEADROOM) on top for
migrations, backups, background-job workers and someone's psql.
"""

from __future__ import annotations

from dataclasses import dataclass

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from config import declared_nodes, declared_workers

HEADROOM = 10  # connections kept free for everything that is not a web worker


@dataclass(frozen=True)
class ConnectionBudget:
    """The web service's most connections against what the database server allows."""

    nodes: int
    workers: int
    per_worker: int
    max_connections: int
    reserved: int

    @property
    def needed(self) -> int:
        """Connections the web servers may hold at their busiest."""
        return self.nodes * self.workers * self.per_worker

    @property
    def available(self) -> int:
        """Connections the server gives ordinary users, less the headroom."""
        return self.max_connections - self.reserved - HEADROOM

    @property
    def fits(self) -> bool:
        return self.needed <= self.available

    def describe(self) -> str:
        """One sentence with the sum, for the command's output."""
        return (
            f"{self.nodes} node(s) × {self.workers} worker(s) × {self.per_worker} connection(s) "
            f"(DB_POOL_SIZE + DB_MAX_OVERFLOW) = {self.needed}; PostgreSQL allows {self.max_connections} "
            f"(max_connections) less {self.reserved} reserved for superusers and {HEADROOM} kept free "
            f"= {self.available}."
        )


def connection_budget() -> ConnectionBudget:
    """The budget for this configuration, asking the database for its limits."""
    options = current_app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    per_worker = options.get("pool_size", 5) + options.get("max_overflow", 10)
    with db.engine.connect() as connection:
        max_connections = int(connection.execute(text("SHOW max_connections")).scalar_one())
        reserved = int(connection.execute(text("SHOW superuser_reserved_connections")).scalar_one())
    return ConnectionBudget(declared_nodes(), declared_workers(), per_worker, max_connections, reserved)


@click.command("deployment-check")
@with_appcontext
def deployment_check() -> None:
    """Check that NODES × WEB_CONCURRENCY × (DB_POOL_SIZE + DB_MAX_OVERFLOW) fits PostgreSQL's max_connections."""
    if db.engine.dialect.name == "sqlite":
        nodes = declared_nodes()
        if nodes > 1:
            raise click.ClickException(
                f"NODES is {nodes} but the database is a SQLite file, which only one machine can use: "
                "set DATABASE_URL to a PostgreSQL server shared by every node."
            )
        click.echo("SQLite database: one machine only, no connection limit to check.")
        return
    try:
        budget = connection_budget()
    except SQLAlchemyError as exc:
        raise click.ClickException(f"Could not ask the database for its connection limit: {exc.orig or exc}") from None
    if not budget.fits:
        raise click.ClickException(
            "Too many database connections: " + budget.describe() + " Lower DB_POOL_SIZE, DB_MAX_OVERFLOW or "
            "WEB_CONCURRENCY, or raise max_connections (or put PgBouncer in front of PostgreSQL)."
        )
    click.echo("Database connections fit: " + budget.describe())
