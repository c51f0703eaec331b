"""Browse and filter the audit log (admins)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from flask import render_template, request
from sqlalchemy import func, select

from app.audit import bp
from app.audit.labels import action_label, object_type_label
from app.audit.models import AuditEvent
from app.auth.decorators import role_required
from app.auth.roles import ADMIN
from app.extensions import db
from app.numbers import requested_page
from app.searches import apply_search_form, remembered_search


def _date(value: str) -> datetime | None:
    try:
        return datetime.combine(datetime.strptime(value, "%Y-%m-%d").date(), time(), tzinfo=UTC)
    except ValueError:
        return None


@bp.route("/", methods=["GET", "POST"])
@role_required(ADMIN)
def index():
    """Newest first; filter by action, person (kept out of the URL), object type and date range."""
    if request.method == "POST":
        return apply_search_form(
            "audit", personal=("actor",), public=("action", "object_type", "object_id", "from", "to")
        )
    # Who did it is searched only through the form (kept in the session): never from the URL.
    args = {**{k: v for k, v in request.args.items() if k != "actor"}, **remembered_search("audit")}
    query = select(AuditEvent).order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    errors: dict[str, str] = {}
    if args.get("action"):
        query = query.where(AuditEvent.action == args["action"])
    if args.get("actor"):
        query = query.where(func.lower(AuditEvent.actor_label).like(f"%{args['actor'].strip().lower()}%"))
    if args.get("object_type"):
        query = query.where(AuditEvent.object_type == args["object_type"])
    if args.get("object_id"):
        query = query.where(AuditEvent.object_id == args["object_id"].strip())
    for name, op in (("from", "ge"), ("to", "lt")):
        if args.get(name):
            moment = _date(args[name])
            if moment is None:
                errors[name] = f"Enter the '{name}' date as YYYY-MM-DD, for example 2026-03-01"
            elif op == "ge":
                query = query.where(AuditEvent.occurred_at >= moment)
            else:
                query = query.where(AuditEvent.occurred_at < moment + timedelta(days=1))
    codes = db.session.scalars(select(AuditEvent.action).distinct()).all()
    actions = sorted(((code, action_label(code)) for code in codes), key=lambda pair: pair[1])
    kinds = db.session.scalars(select(AuditEvent.object_type).where(AuditEvent.object_type.is_not(None)).distinct())
    object_types = sorted(((kind, object_type_label(kind)) for kind in kinds), key=lambda pair: pair[1])
    page = db.paginate(query, page=requested_page(request.args), per_page=50, error_out=False)
    return render_template(
        "audit/index.html",
        page=page,
        actions=actions,
        object_types=object_types,
        args=args,
        errors=errors,
        action_label=action_label,
        object_type_label=object_type_label,
    )
