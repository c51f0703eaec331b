"""How long each kind of personal data is kept, and the work that enforces it.

One schedule (`RULES`, with the periods read from the configuration) serves both the privacy notice,
which states the periods, and `flask retention apply`, which carries them out: first
`plan_retention` lists what is due (a dry run stops there), then `apply_retention` erases, deletes or
redacts it in small transactions and records one audit event with the counts.

A volunteer is erased through the focus groups' own withdrawal (`withdraw_volunteer`), so retention
removes exactly what a volunteer's own withdrawal removes, and no more is copied here.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Text, cast, delete, func, or_, select, update

from app.audit.models import AuditEvent
from app.audit.services import record
from app.auth.models import AccountToken
from app.clock import aware, utcnow
from app.database import write_transaction
from app.email.models import OutboxAttachment, OutboxMessage
from app.extensions import db
from app.jobs.models import Job
from app.jobs.retention import delete_job_files, delete_jobs, due_job_files, old_job

BATCH = 500  # rows changed per transaction, so a long run never holds SQLite's write lock for long


class RetentionSettingError(ValueError):
    """A retention period in the configuration is not a whole number of at least 1."""


@dataclass(frozen=True)
class RetentionRule:
    """One kind of personal data: how its period is set, and what happens when the period ends."""

    kind: str  # as the command and the audit event name it
    title: str  # for people: "Volunteer records"
    setting: str  # the configuration key (and environment variable) holding the period, or the
    # dotted name of the constant fixing it where the feature that owns the data sets it
    unit: str  # "months", "days" or "hours"
    after: str  # what the period runs from, completing "kept for 12 months ..."
    outcome: str  # what then happens to it
    holds: str  # what the kind of data is, for the privacy notice


RULES: tuple[RetentionRule, ...] = (
    RetentionRule(
        "volunteers",
        "Focus-group volunteer records",
        "RETENTION_VOLUNTEER_MONTHS",
        "months",
        "after the study's last session (or after volunteering, for a study with no sessions)",
        "name, email address, job role, organisation and access needs are erased, as when a volunteer "
        "withdraws; the pseudonym, region, council type and attendance stay",
        "a volunteer's name, email address, organisation, job role, access needs and availability",
    ),
    RetentionRule(
        "draft_responses",
        "Unsubmitted survey responses",
        "RETENTION_DRAFT_RESPONSE_MONTHS",
        "months",
        "after the survey closes",
        "deleted with their answers (submitted responses are kept for the research)",
        "answers saved but never submitted, with who last changed each one",
    ),
    RetentionRule(
        "audit_addresses",
        "IP addresses in the audit log",
        "RETENTION_AUDIT_ADDRESS_DAYS",
        "days",
        "after the event",
        "the IP address is removed; the record of what was done, and by whom, stays",
        "the network address each recorded action came from",
    ),
    RetentionRule(
        "outbox_bodies",
        "Email texts",
        "RETENTION_OUTBOX_BODY_DAYS",
        "days",
        "after sending",
        "the text is deleted; the recipient, subject, date and delivery status stay",
        "the text of emails the service sent, where it keeps one",
    ),
    RetentionRule(
        "job_files",
        "Downloaded export files",
        "RETENTION_JOB_FILE_HOURS",
        "hours",
        "after they were made",
        "the file is deleted",
        "files made for download by background work (survey exports, for example)",
    ),
    RetentionRule(
        "job_records",
        "Background work records",
        "RETENTION_JOB_RECORD_DAYS",
        "days",
        "after the work ended",
        "the record, and any file it made, is deleted",
        "the progress and outcome of background work, such as who was sent invitations",
    ),
    RetentionRule(
        "account_tokens",
        "Used and expired sign-in links",
        "RETENTION_TOKEN_DAYS",
        "days",
        "after the link was used or expired",
        "the record of the link is deleted",
        "records of invitation and password-reset links (only a hash of each link is kept)",
    ),
    RetentionRule(
        "pending_changes",
        "Volunteers' unconfirmed changes",
        "app.focus_groups.recruitment.volunteering.CHANGE_LIFETIME",
        "days",
        "after they were given, when the confirmation link expires (or as soon as it is used)",
        "the new details are deleted; the record of the link follows 30 days after it expired",
        "new details given on the volunteer form for an address already in the pool, until its owner confirms them",
    ),
    RetentionRule(
        "pending_uploads",
        "Projects uploaded for import, awaiting confirmation",
        "app.analysis.pending_uploads.UPLOAD_LIFETIME",
        "hours",
        "after they were uploaded (or as soon as the import is confirmed)",
        "the file is deleted",
        "REFI-QDA projects a lead analyst uploads to import codes, with the names of the analysts who coded them",
    ),
)


@dataclass(frozen=True)
class RetentionPeriod:
    """A rule with its configured length."""

    rule: RetentionRule
    amount: int

    @property
    def length(self) -> str:
        """The period in words: "12 months", "1 day"."""
        unit = self.rule.unit[:-1] if self.amount == 1 else self.rule.unit
        return f"{self.amount} {unit}"

    @property
    def text(self) -> str:
        """The whole period: "12 months after the survey closes"."""
        return f"{self.length} {self.rule.after}"

    def cutoff(self, now: datetime) -> datetime:
        """Data older than this moment (measured from the rule's starting point) is due."""
        if self.rule.unit == "months":
            return months_before(now, self.amount)
        if self.rule.unit == "days":
            return now - timedelta(days=self.amount)
        return now - timedelta(hours=self.amount)


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the 31st becomes the month's last day)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def retention_schedule(config: Mapping[str, Any] | None = None) -> list[RetentionPeriod]:
    """Every rule with its period from `config` (default: the app's); refuses a period below 1."""
    config = current_app.config if config is None else config
    periods = []
    for rule in RULES:
        value = _fixed(rule.setting, rule.unit) if rule.setting.startswith("app.") else config.get(rule.setting)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise RetentionSettingError(
                f"{rule.setting} must be a whole number of {rule.unit}, 1 or more (it is {value!r})."
            )
        periods.append(RetentionPeriod(rule, value))
    return periods


def _fixed(dotted: str, unit: str) -> int:
    """A period a feature fixes in its code (a timedelta constant), in whole days or hours (its rule's unit)."""
    import importlib

    module, _, name = dotted.rpartition(".")
    period = getattr(importlib.import_module(module), name)
    return period // timedelta(hours=1) if unit == "hours" else period.days


# --- What is due, kind by kind ------------------------------------------------------------------


def _due_volunteers(cutoff: datetime, now: datetime) -> list[int]:
    from app.focus_groups.models import Slot, Volunteer
    from app.focus_groups.services import slot_ends_at

    last_session: dict[int, datetime] = {}
    for slot in db.session.scalars(select(Slot).where(Slot.status != "cancelled")):
        end = slot_ends_at(slot)
        if slot.study_id not in last_session or end > last_session[slot.study_id]:
            last_session[slot.study_id] = end
    due = []
    rows = db.session.execute(
        select(Volunteer.id, Volunteer.study_id, Volunteer.created_at)
        .where(Volunteer.erased_at.is_(None))
        .order_by(Volunteer.id)
    )
    for volunteer_id, study_id, created_at in rows:
        # 12 months after the study's last session, and never sooner than 12 months after they volunteered
        # (someone joining a study whose sessions are long past, for a round not yet scheduled).
        moments = [moment for moment in (last_session.get(study_id), aware(created_at)) if moment is not None]
        since = max(moments) if moments else None
        if since is not None and since < cutoff:
            due.append(volunteer_id)
    return due


def _erase_volunteers(ids: Sequence[int], now: datetime) -> int:
    from app.focus_groups.models import Volunteer
    from app.focus_groups.scheduling.withdrawal import withdraw_volunteer

    erased = 0
    for volunteer_id in ids:
        with write_transaction():
            volunteer = db.session.get(Volunteer, volunteer_id)
            if volunteer is not None and volunteer.erased_at is None:
                erased += bool(withdraw_volunteer(volunteer, now, retention=True))
    return erased


def _draft_condition(cutoff: datetime):
    from app.surveys.models import Response, Survey

    closed = select(Survey.id).where(Survey.closes_at.is_not(None), Survey.closes_at < cutoff)
    return (Response.status == "in_progress") & Response.survey_id.in_(closed)


def _due_drafts(cutoff: datetime, now: datetime) -> list[int]:
    from app.surveys.models import Response

    return list(db.session.scalars(select(Response.id).where(_draft_condition(cutoff)).order_by(Response.id)))


def _delete_drafts(cutoff: datetime) -> Callable[[Sequence[int], datetime], int]:
    def apply(ids: Sequence[int], now: datetime) -> int:
        from app.surveys.models import Response

        with write_transaction():
            # The database deletes the answers, page visits and snapshots with each (ON DELETE CASCADE).
            return db.session.execute(
                delete(Response)
                .where(Response.id.in_(ids), _draft_condition(cutoff))
                .execution_options(synchronize_session=False)
            ).rowcount

    return apply


def _ids(model, condition) -> Callable[[datetime, datetime], list[int]]:
    def due(cutoff: datetime, now: datetime) -> list[int]:
        return list(db.session.scalars(select(model.id).where(condition(cutoff)).order_by(model.id)))

    return due


def _updating(model, condition, **values) -> Callable[[datetime], Callable[[Sequence[int], datetime], int]]:
    def for_cutoff(cutoff: datetime) -> Callable[[Sequence[int], datetime], int]:
        def apply(ids: Sequence[int], now: datetime) -> int:
            with write_transaction():
                return db.session.execute(
                    update(model)
                    .where(model.id.in_(ids), condition(cutoff))
                    .values(**values)
                    .execution_options(synchronize_session=False)
                ).rowcount

        return apply

    return for_cutoff


def _old_address(cutoff: datetime):
    return AuditEvent.ip_address.is_not(None) & (AuditEvent.occurred_at < cutoff)


def _old_body(cutoff: datetime):
    return or_(OutboxMessage.text_body.is_not(None), OutboxMessage.html_body.is_not(None)) & (
        OutboxMessage.created_at < cutoff
    )


def _clear_outbox_bodies(cutoff: datetime) -> Callable[[Sequence[int], datetime], int]:
    def apply(ids: Sequence[int], now: datetime) -> int:  # an email's attachments go with its texts
        due = select(OutboxMessage.id).where(OutboxMessage.id.in_(ids), _old_body(cutoff))
        with write_transaction():
            db.session.execute(delete(OutboxAttachment).where(OutboxAttachment.message_id.in_(due)))
        return _updating(OutboxMessage, _old_body, text_body=None, html_body=None)(cutoff)(ids, now)

    return apply


def _old_token(cutoff: datetime):
    return or_(AccountToken.expires_at < cutoff, AccountToken.used_at < cutoff)


def _delete_tokens(cutoff: datetime) -> Callable[[Sequence[int], datetime], int]:
    def apply(ids: Sequence[int], now: datetime) -> int:
        with write_transaction():
            return db.session.execute(
                delete(AccountToken)
                .where(AccountToken.id.in_(ids), _old_token(cutoff))
                .execution_options(synchronize_session=False)
            ).rowcount

    return apply


def _pending_change_condition(now: datetime):
    from app.focus_groups.recruitment.models import VolunteerChange
    from app.focus_groups.recruitment.volunteering import CHANGE_RECORD_KEPT

    over = or_(VolunteerChange.used_at.is_not(None), VolunteerChange.expires_at <= now)
    # Cleared details are JSON null, which SQL sees as the text 'null' rather than NULL.
    held = func.coalesce(cast(VolunteerChange.details, Text), "null") != "null"
    return or_(held & over, VolunteerChange.expires_at <= now - CHANGE_RECORD_KEPT)


def _due_pending_changes(cutoff: datetime, now: datetime) -> list[int]:
    from app.focus_groups.recruitment.models import VolunteerChange

    query = select(VolunteerChange.id).where(_pending_change_condition(now)).order_by(VolunteerChange.id)
    return list(db.session.scalars(query))


def _purge_pending_changes(cutoff: datetime) -> Callable[[Sequence[int], datetime], int]:
    def apply(ids: Sequence[int], now: datetime) -> int:
        from app.focus_groups.recruitment.volunteering import purge_volunteer_changes

        with write_transaction():
            # The volunteer form's own tidying (which otherwise runs only when the form is used).
            purge_volunteer_changes(now)
        return len(set(ids) - set(_due_pending_changes(cutoff, now)))

    return apply


def _due_pending_uploads(cutoff: datetime, now: datetime) -> list[str]:
    from app.analysis.pending_uploads import due_pending_uploads

    return due_pending_uploads(cutoff, now)


def _delete_pending_uploads(cutoff: datetime) -> Callable[[Sequence[str], datetime], int]:
    from app.analysis.pending_uploads import delete_pending_uploads

    return delete_pending_uploads(cutoff)


@dataclass(frozen=True)
class _Handler:
    due: Callable[[datetime, datetime], list]
    apply: Callable[[datetime], Callable[[Sequence, datetime], int]]
    batch: int = BATCH


HANDLERS: dict[str, _Handler] = {
    "volunteers": _Handler(_due_volunteers, lambda cutoff: _erase_volunteers, batch=1),
    "draft_responses": _Handler(_due_drafts, _delete_drafts),
    "audit_addresses": _Handler(_ids(AuditEvent, _old_address), _updating(AuditEvent, _old_address, ip_address=None)),
    "outbox_bodies": _Handler(_ids(OutboxMessage, _old_body), _clear_outbox_bodies),
    "job_files": _Handler(due_job_files, delete_job_files),
    "job_records": _Handler(_ids(Job, old_job), delete_jobs),
    "account_tokens": _Handler(_ids(AccountToken, _old_token), _delete_tokens),
    "pending_changes": _Handler(_due_pending_changes, _purge_pending_changes, batch=10**9),
    "pending_uploads": _Handler(_due_pending_uploads, _delete_pending_uploads),
}


# --- Planning and applying ----------------------------------------------------------------------


@dataclass
class DueKind:
    """One kind of data with what is due under its period."""

    period: RetentionPeriod
    cutoff: datetime
    items: list = field(default_factory=list)

    @property
    def kind(self) -> str:
        """The kind's short name ("volunteers")."""
        return self.period.rule.kind

    @property
    def count(self) -> int:
        """How many items of this kind are due."""
        return len(self.items)


@dataclass
class RetentionPlan:
    """What a retention run would do, kind by kind, as of `now`."""

    now: datetime
    kinds: list[DueKind]

    @property
    def total(self) -> int:
        """How many items are due in all."""
        return sum(kind.count for kind in self.kinds)

    def counts(self) -> dict[str, int]:
        """How many items are due, by kind."""
        return {kind.kind: kind.count for kind in self.kinds}


def plan_retention(now: datetime | None = None, kinds: Iterable[str] | None = None) -> RetentionPlan:
    """List what is due under the schedule at `now` (default: the clock), changing nothing."""
    now = now or utcnow()
    wanted = set(kinds) if kinds is not None else None
    due = []
    for period in retention_schedule():
        if wanted is not None and period.rule.kind not in wanted:
            continue
        cutoff = period.cutoff(now)
        due.append(DueKind(period, cutoff, HANDLERS[period.rule.kind].due(cutoff, now)))
    db.session.commit()  # end the read, so each batch below starts its own write transaction
    return RetentionPlan(now, due)


def apply_retention(plan: RetentionPlan, progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Carry out a plan: erase, delete or redact what is due, a batch at a time (each its own
    transaction), calling `progress(items)` after each batch; then record one audit event with the
    counts. Returns how many items of each kind were changed (fewer than planned when something
    changed meanwhile, say a volunteer withdrew themselves)."""
    done: dict[str, int] = {}
    for kind in plan.kinds:
        handler = HANDLERS[kind.kind]
        apply = handler.apply(kind.cutoff)
        done[kind.kind] = 0
        for start in range(0, kind.count, handler.batch):
            chunk = kind.items[start : start + handler.batch]
            done[kind.kind] += apply(chunk, plan.now)
            if progress is not None:
                progress(len(chunk))
    with write_transaction():
        record(
            "retention.applied",
            object_type="retention",
            counts=done,
            periods={kind.kind: kind.period.length for kind in plan.kinds},
            as_of=plan.now.isoformat(timespec="seconds"),
        )
    return done


RUN_EXPECTED_EVERY = timedelta(hours=48)  # a daily job, with a day's grace


def retention_overdue(now: datetime | None = None) -> dict[str, Any] | None:
    """None when `flask retention apply` ran within RUN_EXPECTED_EVERY; otherwise when it last ran (None
    if never), for the administrators' home page to say that personal data is not being tidied away."""
    last = db.session.scalar(select(func.max(AuditEvent.occurred_at)).where(AuditEvent.action == "retention.applied"))
    last = aware(last)
    if last is not None and (now or utcnow()) - last <= RUN_EXPECTED_EVERY:
        return None
    return {"last_run": last}
