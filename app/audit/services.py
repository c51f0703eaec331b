"""The one audit-log helper."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import has_request_context
from flask_login import current_user

from app.audit.models import AuditEvent
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
