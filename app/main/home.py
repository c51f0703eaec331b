"""A signed-in person's home page: the parts the features provide for each of their roles (hook `HOME`),
and the administrator's own part, from the platform: invitations not yet accepted, recent refusals
(failed sign-ins and codes, refused pages and forms, as the audit log records them) and their pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import render_template
from markupsafe import Markup
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.audit.refusals import CSRF_REFUSED, REFUSED
from app.auth.models import AccountToken, User
from app.auth.roles import ADMIN
from app.clock import aware, utcnow
from app.email.models import OutboxMessage
from app.extensions import db
from app.hooks import HOME, HOME_ORDER, HomeSection, collect
from app.organisations.models import Organisation

INVITATIONS_SHOWN = 5
REFUSALS_SHOWN = 5
REFUSALS_SINCE = timedelta(days=7)

#: What the audit log records when someone is refused, as the home page names it: (one, several).
REFUSALS = {
    "auth.sign_in_failed": ("Failed sign-in", "Failed sign-ins"),
    "auth.sign_in_code_failed": ("Wrong sign-in code", "Wrong sign-in codes"),
    "auth.reauthentication_failed": ("Failed identity check", "Failed identity checks"),
    REFUSED: ("Page refused", "Pages refused"),
    CSRF_REFUSED: ("Form refused (expired or forged)", "Forms refused (expired or forged)"),
}


@dataclass(frozen=True)
class PendingInvitation:
    """Someone invited who has not set a password yet, and until when their link works."""

    user_id: int
    name: str
    email: str
    invited_at: datetime
    link_expires_at: datetime | None  # None: no working link (used up, cancelled or never sent)
    expired: bool


@dataclass(frozen=True)
class Refusal:
    """One refusal from the audit log, in words."""

    occurred_at: datetime
    what: str
    who: str
    where: str | None


@dataclass(frozen=True)
class AdminOverview:
    """The administrator's part of the home page."""

    invitations: list[PendingInvitation]
    invitations_total: int
    refusal_counts: list[tuple[str, str, int]]  # (action, label, how many) in the last `REFUSALS_SINCE`
    refusals: list[Refusal]
    people: int
    organisations: int
    outbox: int


def pending_invitations(now: datetime, limit: int = INVITATIONS_SHOWN) -> tuple[list[PendingInvitation], int]:
    """The newest invitations not yet accepted (at most `limit`) with their links' expiry, and how many there are."""
    waiting = User.password_hash.is_(None), User.disabled.is_(False), User.erased_at.is_(None)
    total = db.session.scalar(select(func.count(User.id)).where(*waiting))
    link = (
        select(AccountToken.user_id, func.max(AccountToken.expires_at).label("expires_at"))
        .where(AccountToken.purpose == "invitation", AccountToken.used_at.is_(None))
        .group_by(AccountToken.user_id)
        .subquery()
    )
    rows = db.session.execute(
        select(User.id, User.name, User.email, User.created_at, link.c.expires_at)
        .outerjoin(link, link.c.user_id == User.id)
        .where(*waiting)
        .order_by(User.created_at.desc(), User.id.desc())
        .limit(limit)
    ).all()
    found = [
        PendingInvitation(
            row.id,
            row.name,
            row.email,
            aware(row.created_at),
            aware(row.expires_at),
            row.expires_at is None or aware(row.expires_at) <= now,
        )
        for row in rows
    ]
    return found, total


def recent_refusals(now: datetime, limit: int = REFUSALS_SHOWN) -> tuple[list[tuple[str, str, int]], list[Refusal]]:
    """How many of each kind of refusal the audit log holds from the last week, and the newest few."""
    recent = AuditEvent.action.in_(list(REFUSALS)), AuditEvent.occurred_at >= now - REFUSALS_SINCE
    counts = dict(
        db.session.execute(select(AuditEvent.action, func.count()).where(*recent).group_by(AuditEvent.action)).all()
    )
    events = db.session.scalars(
        select(AuditEvent).where(*recent).order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).limit(limit)
    ).all()
    refusals = [
        Refusal(
            occurred_at=aware(event.occurred_at),
            what=REFUSALS[event.action][0],
            who=event.actor_label or (event.detail or {}).get("email") or "Someone not signed in",
            where=(event.detail or {}).get("path"),
        )
        for event in events
    ]
    kinds = [(action, plural, counts[action]) for action, (_one, plural) in REFUSALS.items() if counts.get(action)]
    return kinds, refusals


def admin_overview(now: datetime | None = None) -> AdminOverview:
    """Invitations waiting, recent refusals and the counts beside the administrator's pages."""
    now = now or utcnow()
    invitations, invitations_total = pending_invitations(now)
    refusal_counts, refusals = recent_refusals(now)
    return AdminOverview(
        invitations=invitations,
        invitations_total=invitations_total,
        refusal_counts=refusal_counts,
        refusals=refusals,
        people=db.session.scalar(select(func.count(User.id)).where(User.erased_at.is_(None))),
        organisations=db.session.scalar(select(func.count(Organisation.id))),
        outbox=db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.status == "outbox")),
    )


def home_sections(user) -> list[HomeSection]:
    """Every part of `user`'s home page, one for each line of work their roles give them, in `HOME_ORDER`."""
    sections = list(collect(HOME, user=user))
    if user.has_role(ADMIN):
        sections.append(
            HomeSection(
                heading="Administration",
                template="main/home_admin.html",
                order=HOME_ORDER["administration"],
                context={"overview": admin_overview()},
            )
        )
    return sorted(sections, key=lambda section: section.order)


def render_section(section: HomeSection) -> Markup:
    """What goes under a section's heading: its template, rendered with its context alone."""
    return Markup(render_template(section.template, **section.context))  # noqa: S704 - a rendered template
