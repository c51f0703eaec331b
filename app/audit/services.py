"""The one audit-log helper."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from app.audit.models import AuditEvent
from app.clock import aware
from app.extensions import client_address, db

_without_address: ContextVar[bool] = ContextVar("audit_without_address", default=False)


@contextmanager
def without_addresses() -> Iterator[None]:
    """Events recorded inside this block keep no IP address (a person's own erasure, say)."""
    token = _without_address.set(True)
    try:
        yield
    finally:
        _without_address.reset(token)


def record(
    action: str,
    obj: Any = None,
    *,
    actor: Any = None,
    object_type: str | None = None,
    object_id: Any = None,
    **detail: Any,
) -> AuditEvent:
    """Add an audit event to the current transaction: `action` done by `actor` (default: the
    signed-in person) to `obj` (any model with an id), with extra detail as keyword arguments.

    The caller commits, so the event lands exactly when the change it describes does.
    """
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    if obj is not None:
        object_type = object_type or obj.__class__.__name__.lower()
        object_id = getattr(obj, "id", object_id)
    event = AuditEvent(
        action=action,
        actor_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "email", "") or "",
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        ip_address=client_address() if has_request_context() and not _without_address.get() else None,
        detail={k: v for k, v in detail.items() if v is not None},
    )
    db.session.add(event)
    return event


def anonymise_events(
    label: str,
    *,
    actor_id: int | None,
    objects: Iterable[tuple[str, str]],
    mentioned: Callable[..., ColumnElement[bool]],
    redact: Callable[[str], str],
    redact_json: Callable[[Any], Any],
) -> int:
    """Make the audit log forget a person while keeping what happened (part of erasure; the caller commits).

    Their own actions (`actor_id`) are credited to `label` and lose their IP address; so do actions on
    their own records (`objects`) done without an account (a failed sign-in, a volunteer's answer),
    and events whose label or detail mentions them (`mentioned`, a SQL condition on columns), whose
    detail is redacted. Returns how many events changed.
    """
    own = [(AuditEvent.object_type == kind) & (AuditEvent.object_id == key) for kind, key in objects]
    changed = 0
    if actor_id is not None:
        changed += db.session.execute(
            update(AuditEvent)
            .where(AuditEvent.actor_id == actor_id)
            .values(actor_label=label, ip_address=None)
            .execution_options(synchronize_session=False)
        ).rowcount
    if own:
        changed += db.session.execute(
            update(AuditEvent)
            .where(AuditEvent.actor_id.is_(None), AuditEvent.ip_address.is_not(None), or_(*own))
            .values(ip_address=None)
            .execution_options(synchronize_session=False)
        ).rowcount
    for event in db.session.scalars(select(AuditEvent).where(mentioned(AuditEvent.actor_label, AuditEvent.detail))):
        if event.actor_id is None or event.actor_id == actor_id:
            event.ip_address = None
        event.actor_label = redact(event.actor_label or "")[:254]
        event.detail = redact_json(event.detail or {})
        changed += 1
    return changed


def recorded_since(action: str, object_type: str, object_id: Any, since: datetime) -> list[dict]:
    """The details of the `action` events on one object at or after `since` (what a job run twice asks:
    did this batch already do it?). Times are compared to the second before `since`, as SQLite keeps
    the events' times to the second: an event in that second counts as the batch's."""
    after = aware(since).replace(microsecond=0) - timedelta(seconds=1)
    details = db.session.scalars(
        select(AuditEvent.detail).where(
            AuditEvent.action == action,
            AuditEvent.object_type == object_type,
            AuditEvent.object_id == str(object_id),
            AuditEvent.occurred_at >= after,
        )
    )
    return [detail if isinstance(detail, dict) else {} for detail in details]
