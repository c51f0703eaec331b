"""Refused requests (403, and requests failing the CSRF check) in the audit log, at most one per person
(or client address), kind of refusal and page per window.

A crawler or a script probing pages it may not see would otherwise write one event per request. The
count is kept in the database, so the limit holds across every worker and server: an event is written
only when the log holds none for the same person or address and endpoint within `REFUSAL_WINDOW`, and
the check and the write are one transaction (SQLite's write lock; on PostgreSQL, a transaction lock on
the pair, so two workers refusing the same crawler at once still write one event).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import request
from flask_login import current_user
from sqlalchemy import select, text

from app.audit.models import AuditEvent
from app.audit.services import record
from app.clock import utcnow
from app.database import write_transaction
from app.extensions import client_address, db

REFUSAL_WINDOW = timedelta(minutes=10)
REFUSED = "security.access_refused"
CSRF_REFUSED = "security.csrf_check_failed"
PATH_KEPT = 200  # characters of the refused path kept in the event


def _lock_key(action: str, who: str, endpoint: str) -> int:
    digest = hashlib.sha256(f"{action}|{who}|{endpoint}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _path_without_secrets() -> str:
    """The refused path with every secret it carries (a link's token) replaced: a CSRF failure on a
    password-reset or volunteer link must not put a still-working token in front of every admin."""
    from app.email.link_secrets import HIDDEN, SECRET_ARGUMENTS

    path = request.path
    for name, value in (request.view_args or {}).items():
        if name in SECRET_ARGUMENTS and value:
            path = path.replace(str(value), HIDDEN)
    return path


def record_refusal(status: int = 403, action: str = REFUSED, **detail) -> bool:
    """Log that this request was refused (`action`: REFUSED or CSRF_REFUSED), unless the same person (or,
    for visitors, the same client address) was refused the same way at the same endpoint within
    `REFUSAL_WINDOW`. Runs in its own transaction after rolling back what the refused request had begun.
    Returns whether an event was written."""
    endpoint = (request.endpoint or "unknown")[:60]
    actor = current_user._get_current_object() if current_user.is_authenticated else None
    actor_id = actor.id if actor is not None else None
    address = client_address()
    db.session.rollback()  # nothing the refused request did is kept
    same_person = AuditEvent.actor_id == actor_id if actor_id is not None else AuditEvent.ip_address == address
    since = utcnow() - REFUSAL_WINDOW
    with write_transaction() as session:
        if session.get_bind().dialect.name == "postgresql":
            who = f"user:{actor_id}" if actor_id is not None else f"address:{address}"
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(action, who, endpoint)})
        already = session.scalar(
            select(AuditEvent.id)
            .where(
                AuditEvent.action == action,
                AuditEvent.object_type == "endpoint",
                AuditEvent.object_id == endpoint,
                same_person,
                AuditEvent.occurred_at >= since,
            )
            .limit(1)
        )
        if already is not None:
            return False
        record(
            action,
            actor=actor,
            object_type="endpoint",
            object_id=endpoint,
            status=status,
            method=request.method,
            path=_path_without_secrets()[:PATH_KEPT],
            **detail,
        )
    return True
