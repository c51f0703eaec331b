"""Subject access: everything the service holds about one person, as one archive an admin hands over.

A *subject* is a person's account, their focus-group volunteer records, or both: records that share
an email address (or a volunteer record linked to the account) belong to the same person, so an
archive asked for from either side holds the whole of it. `subject_tables` gathers the records as
plain rows; `subject_archive` writes them as one JSON file and one CSV file per table (through the
one table writer, which neutralises spreadsheet formulas), with the files attached to the person's
emails (a session's .ics) in a folder per email, zipped; `export_subject` also records the export
in the audit log.

Longer than 500 lines because it reads every kind of personal data the platform holds, one section per
table, so that a table added anywhere is added to the archive in this one place. Files on their way
elsewhere are left out: a job's download (kept a day) and a project a lead uploaded for import (kept an
hour until they confirm it) are copies of what the person made or uploaded themselves.

What another person did is shown without their address or IP address: an archive tells its subject
what happened to their data, not who else uses the service from where. The secrets in links of email
texts are hidden (app/email/link_secrets.py), since a link still valid (a password reset, say) must
reach nobody but its recipient, and the admin reads the archive first.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import Text, and_, cast, func, or_, select

from app.audit.models import AuditEvent
from app.audit.services import record
from app.auth.models import User
from app.clock import utcnow
from app.database import write_transaction
from app.email.link_secrets import hide_link_secrets, hide_link_secrets_in_file
from app.email.models import OutboxAttachment, OutboxMessage
from app.extensions import db
from app.numbers import json_safe


@dataclass
class Subject:
    """One person as the service knows them: an account, volunteer records, or both."""

    user: User | None = None
    volunteers: list = field(default_factory=list)  # focus-group Volunteer records, oldest first

    @property
    def emails(self) -> set[str]:
        """Every address the person is known by, lower-cased."""
        found = {v.email.lower() for v in self.volunteers if v.email}
        if self.user is not None and self.user.erased_at is None:
            found.add(self.user.email.lower())
        return found

    @property
    def name(self) -> str:
        """A name to show the admin (the account's, else a volunteer record's)."""
        if self.user is not None:
            return self.user.name
        named = [v for v in self.volunteers if v.name]
        return named[0].name if named else (self.volunteers[0].display_name if self.volunteers else "")


def _volunteers_with(emails: set[str], user: User | None = None) -> list:
    from app.focus_groups.models import Volunteer

    conditions = []
    if emails:
        conditions.append(func.lower(Volunteer.email).in_(sorted(emails)))
    if user is not None:
        conditions.append(Volunteer.user_id == user.id)
    if not conditions:
        return []
    return list(db.session.scalars(select(Volunteer).where(or_(*conditions)).order_by(Volunteer.id)))


def _account_with(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def subject_for_person(user: User) -> Subject:
    """A person's account with every volunteer record linked to it or sharing its address."""
    emails = {user.email.lower()} if user.erased_at is None else set()
    return Subject(user=user, volunteers=_volunteers_with(emails, user))


def subject_for_volunteer(volunteer) -> Subject:
    """A volunteer record with their account (linked, or with the same address) and every record of
    theirs: linked to that account, or with the record's or the account's address."""
    user = db.session.get(User, volunteer.user_id) if volunteer.user_id else None
    if user is None and volunteer.email:
        user = _account_with(volunteer.email)
    emails = {volunteer.email.lower()} if volunteer.email else set()
    if user is not None and user.erased_at is None:
        emails.add(user.email.lower())
    records = _volunteers_with(emails, user)
    if volunteer not in records:
        records = sorted([*records, volunteer], key=lambda v: v.id)
    return Subject(user=user, volunteers=records)


def find_subject(email: str) -> Subject:
    """Whoever the service knows by this address: an account, volunteer records, or nobody (empty)."""
    address = email.strip().lower()
    user = _account_with(address)
    return Subject(user=user, volunteers=_volunteers_with({address}, user))


# --- The records --------------------------------------------------------------------------------


def _when(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat(timespec="seconds")


COLUMNS: dict[str, tuple[str, ...]] = {
    "account": (
        "id",
        "name",
        "email",
        "roles",
        "organisation",
        "status",
        "created_at",
        "last_signed_in_at",
        "erased_at",
    ),
    "answers_edited": (
        "survey",
        "response",
        "organisation",
        "question_id",
        "value",
        "revision",
        "updated_at",
        "updated_by_label",
    ),
    "responses_submitted": ("survey", "response", "organisation", "submitted_at", "submission_count"),
    "organisation_contact": ("organisation", "contact_email"),
    "emails": ("sent_at", "recipient", "subject", "template", "status", "text", "attachments"),
    "email_attachments": ("sent_at", "subject", "filename", "content_type", "size", "file"),
    "audit_events": ("occurred_at", "by", "action", "object_type", "object_id", "ip_address", "detail"),
    "volunteer_records": (
        "id",
        "study",
        "name",
        "email",
        "job_role",
        "organisation",
        "region",
        "council_type",
        "supports_schools",
        "access_needs",
        "source",
        "volunteered_at",
        "withdrawn_at",
        "erased_at",
    ),
    "consent": ("volunteer_id", "study", "consented_at", "consent_version", "audio_consent", "consent_text"),
    "availability": ("volunteer_id", "study", "session", "session_starts_at", "answer"),
    "placements": (
        "volunteer_id",
        "study",
        "session",
        "session_starts_at",
        "role",
        "status",
        "pseudonym",
        "attendance",
        "invited_at",
        "responded_at",
    ),
    "notes": ("study", "session", "pseudonym", "note_id", "kind", "text", "taken_at"),
    "proportions": ("study", "session", "pseudonym", "category", "share"),
}


def _account_rows(user: User | None) -> list[dict]:
    if user is None:
        return []
    return [
        {
            "id": user.id,
            "name": user.name,
            "email": user.email,
            "roles": sorted(user.roles),
            "organisation": user.organisation.name if user.organisation else None,
            "status": user.status,
            "created_at": _when(user.created_at),
            "last_signed_in_at": _when(user.last_signed_in_at),
            "erased_at": _when(user.erased_at),
        }
    ]


def _answer_rows(user: User | None) -> tuple[list[dict], list[dict]]:
    from app.surveys.models import Answer, Response

    if user is None:
        return [], []
    answers = db.session.execute(
        select(Answer, Response)
        .join(Response, Answer.response_id == Response.id)
        .where(Answer.updated_by_id == user.id)
        .order_by(Response.id, Answer.question_id)
    ).all()
    edited = [
        {
            "survey": response.survey.title,
            "response": response.reference,
            "organisation": response.organisation.name if response.organisation else None,
            "question_id": answer.question_id,
            "value": answer.value,
            "revision": answer.revision,
            "updated_at": _when(answer.updated_at),
            "updated_by_label": answer.updated_by_label,
        }
        for answer, response in answers
    ]
    responses = db.session.scalars(
        select(Response).where(Response.submitted_by_id == user.id).order_by(Response.id)
    ).all()
    submitted = [
        {
            "survey": response.survey.title,
            "response": response.reference,
            "organisation": response.organisation.name if response.organisation else None,
            "submitted_at": _when(response.submitted_at),
            "submission_count": response.submission_count,
        }
        for response in responses
    ]
    return edited, submitted


def _contact_rows(subject: Subject) -> list[dict]:
    from app.organisations.models import Organisation

    if not subject.emails:
        return []
    organisations = db.session.scalars(
        select(Organisation)
        .where(func.lower(Organisation.contact_email).in_(sorted(subject.emails)))
        .order_by(Organisation.name)
    ).all()
    return [{"organisation": o.name, "contact_email": o.contact_email} for o in organisations]


def _messages(subject: Subject) -> list[OutboxMessage]:
    if not subject.emails:
        return []
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(func.lower(OutboxMessage.recipient).in_(sorted(subject.emails)))
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
        )
    )


def safe_filename(name: str) -> str:
    """A file name that is only a name (no folders, no leading dot, nothing a file system or zip tool
    could misread), kept short; "attachment" when nothing of it is left."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._-")
    stem, dot, extension = cleaned[:100].rpartition(".")
    return (cleaned if len(cleaned) <= 100 else f"{stem[:90]}{dot}{extension[:9]}") or "attachment"


@dataclass(frozen=True)
class _AttachedFile:
    """One attachment of an email sent to the subject: where it goes in the archive, and its bytes."""

    message: OutboxMessage
    kept: OutboxAttachment
    path: str  # attachments/email-<id>/<safe file name>
    data: bytes  # with the secret of every link hidden, as in the emails' texts


def _attached_files(messages: list[OutboxMessage]) -> list[_AttachedFile]:
    files = []
    for message in messages:
        taken: set[str] = set()
        for kept in message.attachments:
            name = safe_filename(kept.filename)
            if name in taken:  # two attachments with the same name: number the later ones
                name = f"{len(taken) + 1}-{name}"
            taken.add(name)
            data = hide_link_secrets_in_file(kept.content_type, kept.data)
            files.append(_AttachedFile(message, kept, f"attachments/email-{message.id}/{name}", data))
    return files


def _email_rows(messages: list[OutboxMessage], files: list[_AttachedFile]) -> tuple[list[dict], list[dict]]:
    emails = [
        {
            "sent_at": _when(message.created_at),
            "recipient": message.recipient,
            "subject": message.subject,
            "template": message.template,
            "status": message.status,
            "text": hide_link_secrets(message.text_body),
            "attachments": [file.path for file in files if file.message is message],
        }
        for message in messages
    ]
    attachments = [
        {
            "sent_at": _when(file.message.created_at),
            "subject": file.message.subject,
            "filename": file.kept.filename,
            "content_type": file.kept.content_type,
            "size": len(file.data),
            "file": file.path,
        }
        for file in files
    ]
    return emails, attachments


def _audit_rows(subject: Subject) -> list[dict]:
    """Events by the person, on their own records (account, volunteer records, placements), and any
    whose detail names one of their addresses (a failed sign-in with it, say). An IP address is shown
    where it is the person's: their own actions, and actions on their own records by nobody signed in
    (a failed sign-in, a volunteer answering through their link), as erasure treats them."""
    user = subject.user
    own: set[tuple[str, str]] = set()
    if user is not None:
        own.add(("user", str(user.id)))
    for volunteer in subject.volunteers:
        own.add(("volunteer", str(volunteer.id)))
        if volunteer.placement is not None:
            own.add(("placement", str(volunteer.placement.id)))
    conditions = [and_(AuditEvent.object_type == kind, AuditEvent.object_id == key) for kind, key in sorted(own)]
    if user is not None:
        conditions.append(AuditEvent.actor_id == user.id)
    detail = func.lower(cast(AuditEvent.detail, Text))
    conditions += [detail.contains(address, autoescape=True) for address in sorted(subject.emails)]
    if not conditions:
        return []
    events = db.session.scalars(
        select(AuditEvent).where(or_(*conditions)).order_by(AuditEvent.occurred_at, AuditEvent.id)
    ).all()
    rows = []
    for event in events:
        theirs = user is not None and event.actor_id == user.id
        on_their_record = event.actor_id is None and (event.object_type, event.object_id) in own
        rows.append(
            {
                "occurred_at": _when(event.occurred_at),
                "by": event.actor_label if theirs else ("another user" if event.actor_id else "nobody signed in"),
                "action": event.action,
                "object_type": event.object_type,
                "object_id": event.object_id,
                "ip_address": event.ip_address if theirs or on_their_record else None,
                "detail": event.detail or {},
            }
        )
    return rows


def _volunteer_tables(subject: Subject) -> dict[str, list[dict]]:
    from app.focus_groups.models import ATTENDANCE, AVAILABILITY, PLACEMENT_ROLES, PLACEMENT_STATUSES, Slot
    from app.focus_groups.notes.models import USER_CATEGORIES, Note, ProportionEstimate
    from app.focus_groups.recruitment.pool import consent_text

    tables: dict[str, list[dict]] = {
        name: [] for name in ("volunteer_records", "consent", "availability", "placements", "notes", "proportions")
    }
    for volunteer in subject.volunteers:
        study = volunteer.study.title
        tables["volunteer_records"].append(
            {
                "id": volunteer.id,
                "study": study,
                "name": volunteer.name,
                "email": volunteer.email,
                "job_role": volunteer.job_role,
                "organisation": volunteer.organisation_name,
                "region": volunteer.region_label,
                "council_type": volunteer.council_type_label,
                "supports_schools": volunteer.supports_schools,
                "access_needs": volunteer.access_needs,
                "source": volunteer.source,
                "volunteered_at": _when(volunteer.created_at),
                "withdrawn_at": _when(volunteer.withdrawn_at),
                "erased_at": _when(volunteer.erased_at),
            }
        )
        tables["consent"].append(
            {
                "volunteer_id": volunteer.id,
                "study": study,
                "consented_at": _when(volunteer.consented_at),
                "consent_version": volunteer.consent_version,
                "audio_consent": volunteer.audio_consent,
                "consent_text": "\n\n".join(consent_text(volunteer.consent_version)),
            }
        )
        for row in sorted(volunteer.availability, key=lambda a: a.slot_id):
            slot = db.session.get(Slot, row.slot_id)
            tables["availability"].append(
                {
                    "volunteer_id": volunteer.id,
                    "study": study,
                    "session": slot.label if slot else None,
                    "session_starts_at": _when(slot.starts_at) if slot else None,
                    "answer": AVAILABILITY.get(row.answer, row.answer),
                }
            )
        placement = volunteer.placement
        if placement is None:
            continue
        slot = placement.slot
        tables["placements"].append(
            {
                "volunteer_id": volunteer.id,
                "study": study,
                "session": slot.label,
                "session_starts_at": _when(slot.starts_at),
                "role": PLACEMENT_ROLES.get(placement.role, placement.role),
                "status": PLACEMENT_STATUSES.get(placement.status, placement.status),
                "pseudonym": placement.pseudonym,
                "attendance": ATTENDANCE.get(placement.attendance or "", placement.attendance),
                "invited_at": _when(placement.invited_at),
                "responded_at": _when(placement.responded_at),
            }
        )
        if not placement.pseudonym:
            continue
        notes = db.session.scalars(
            select(Note).where(Note.slot_id == slot.id, Note.deleted_at.is_(None)).order_by(Note.created_at, Note.id)
        ).all()
        for note in notes:
            if placement.pseudonym in (note.pseudonyms or []):
                tables["notes"].append(
                    {
                        "study": study,
                        "session": slot.label,
                        "pseudonym": placement.pseudonym,
                        "note_id": note.id,
                        "kind": note.kind_label,
                        "text": note.text,
                        "taken_at": _when(note.created_at),
                    }
                )
        estimates = db.session.scalars(
            select(ProportionEstimate)
            .where(ProportionEstimate.placement_id == placement.id)
            .order_by(ProportionEstimate.category)
        ).all()
        for estimate in estimates:
            tables["proportions"].append(
                {
                    "study": study,
                    "session": slot.label,
                    "pseudonym": placement.pseudonym,
                    "category": USER_CATEGORIES.get(estimate.category, estimate.category),
                    "share": estimate.share,
                }
            )
    return tables


def subject_tables(subject: Subject, files: list[_AttachedFile] | None = None) -> dict[str, list[dict]]:
    """Everything held about the subject, table by table (see COLUMNS), as plain JSON-able rows
    (`files`: the attachments of their emails, when the caller has already gathered them)."""
    edited, submitted = _answer_rows(subject.user)
    messages = _messages(subject)
    emails, attachments = _email_rows(messages, _attached_files(messages) if files is None else files)
    tables = {
        "account": _account_rows(subject.user),
        "answers_edited": edited,
        "responses_submitted": submitted,
        "organisation_contact": _contact_rows(subject),
        "emails": emails,
        "email_attachments": attachments,
        "audit_events": _audit_rows(subject),
        **_volunteer_tables(subject),
    }
    return {name: tables[name] for name in COLUMNS}


def _cell(value: Any) -> Any:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return "; ".join(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


README = """Everything {controller} holds about {who}, as of {when}.

data.json holds every table below in one file; each CSV file holds one table:
{files}

The files attached to those emails (such as calendar invitations) are in the attachments folder,
one folder per email; email_attachments.csv lists each with the email it came with.

Dates and times are in UTC. The secret part of links in emails and their attachments is hidden.
Where another user acted on this person's data, the audit events say "another user".
Notes from focus-group sessions name people only by pseudonym (such as P3).
"""

DESCRIPTIONS = {
    "account": "the account: name, email address, roles, organisation and status",
    "answers_edited": "survey answers this person last changed",
    "responses_submitted": "survey responses this person submitted",
    "organisation_contact": "organisations whose contact address (for survey invitations) is this person's",
    "emails": "emails the service sent to this person",
    "email_attachments": "files attached to those emails (in the attachments folder), such as calendar invitations",
    "audit_events": "recorded actions by this person or on their data",
    "volunteer_records": "focus-group volunteer records",
    "consent": "the consent given with each volunteer record, with the words agreed to",
    "availability": "availability given for each candidate session",
    "placements": "places in focus-group sessions, with the pseudonym used there",
    "notes": "session notes that mention this person's pseudonym",
    "proportions": "estimates of user groups given in a session",
}


def subject_document(
    subject: Subject, now: datetime | None = None, files: list[_AttachedFile] | None = None
) -> dict[str, Any]:
    """Everything held about the subject as one JSON-able document: when, by whom, about whom, and the
    tables. It is the archive's data.json, and what a signed-in person downloads about themselves."""
    return {
        "generated_at": _when(now or utcnow()),
        "controller": current_app.config["PRIVACY_CONTROLLER"],
        "subject": {"name": subject.name, "email_addresses": sorted(subject.emails)},
        "tables": subject_tables(subject, files),
    }


def subject_archive(subject: Subject, now: datetime | None = None) -> tuple[bytes, dict[str, int]]:
    """The subject's data as a zip: README.txt, data.json, one CSV per table and the attachments of their
    emails (attachments/email-<id>/<name>). Returns the bytes and the row count of each table."""
    from app.tables import write_table

    now = now or utcnow()
    files = _attached_files(_messages(subject))
    data = subject_document(subject, now, files)
    tables = data["tables"]
    counts = {name: len(rows) for name, rows in tables.items()}
    who = subject.name or "this person"
    buffer = io.BytesIO()
    with (
        tempfile.TemporaryDirectory(prefix="subject-access-") as folder,
        zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive,
    ):
        listing = "\n".join(f"  {name}.csv: {DESCRIPTIONS[name]} ({counts[name]} rows)" for name in COLUMNS)
        archive.writestr(
            "README.txt",
            README.format(
                controller=current_app.config["PRIVACY_CONTROLLER"],
                who=who,
                when=now.strftime("%-d %B %Y %H:%M UTC"),
                files=listing,
            ),
        )
        document = json.dumps(json_safe(data), indent=2, ensure_ascii=False, default=str, allow_nan=False)
        archive.writestr("data.json", document)
        for name, columns in COLUMNS.items():
            path = Path(folder) / f"{name}.csv"
            rows = [{key: _cell(value) for key, value in row.items()} for row in tables[name]]
            write_table(rows, "csv", path, columns=columns)
            archive.write(path, f"{name}.csv")
        for attached in files:
            archive.writestr(attached.path, attached.data)
    return buffer.getvalue(), counts


def export_subject(subject: Subject, obj: Any, by: User, now: datetime | None = None) -> bytes:
    """Build the subject's archive and record, in the audit log, that `by` exported it (about `obj`,
    the account or volunteer record it was asked for from) with each table's row count."""
    archive, counts = subject_archive(subject, now)
    with write_transaction():
        record(
            "privacy.subject_access_exported",
            obj,
            actor=by,
            rows=counts,
            volunteer_records=[v.id for v in subject.volunteers] or None,
            account=subject.user.id if subject.user is not None else None,
        )
    return archive
