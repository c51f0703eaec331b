"""Admin pages for subject access: find a person or volunteer by email address, see what an archive
of their data holds, and download it (a POST, audit-logged)."""

from __future__ import annotations

from flask import Response, render_template
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField

from app.auth.decorators import role_required
from app.auth.models import User
from app.auth.roles import ADMIN
from app.clock import utcnow
from app.forms import email_address, max_length, required, strip
from app.identifiers import get_or_404
from app.privacy import bp
from app.privacy.subject_access import (
    DESCRIPTIONS,
    Subject,
    export_subject,
    find_subject,
    subject_for_person,
    subject_for_volunteer,
    subject_tables,
)


class FindSubjectForm(FlaskForm):
    """The email address to look for (sent in the body, so it never lands in a URL or access log)."""

    email = StringField(
        "Email address",
        filters=[strip],
        validators=[required("Enter an email address"), email_address(), max_length(254, "Email address")],
    )


def _volunteer(study_id: int, volunteer_id: int):
    from app.focus_groups.services import study_or_404, volunteer_or_404

    return volunteer_or_404(study_or_404(study_id), volunteer_id)


def _archive(subject: Subject, obj, name: str) -> Response:
    archive = export_subject(subject, obj, current_user._get_current_object())
    filename = f"subject-access-{name}-{utcnow():%Y-%m-%d}.zip"
    return Response(
        archive,
        mimetype="application/zip",
        headers={"Content-Disposition": f"attachment; filename={filename}", "Cache-Control": "no-store"},
    )


@bp.route("/subject-access", methods=["GET", "POST"])
@role_required(ADMIN)
def find():
    """Find everything held under one email address: an account, volunteer records, or nothing."""
    form = FindSubjectForm()
    subject = find_subject(form.email.data) if form.validate_on_submit() else None
    return render_template("privacy/find.html", form=form, subject=subject)


@bp.route("/subject-access/people/<int:user_id>")
@role_required(ADMIN)
def person(user_id: int):
    """What a person's archive will hold, table by table, with the button to download it."""
    subject = subject_for_person(get_or_404(User, user_id))
    return _explanation(subject, "privacy.person_archive", {"user_id": user_id})


@bp.route("/subject-access/people/<int:user_id>/archive", methods=["POST"])
@role_required(ADMIN)
def person_archive(user_id: int):
    """Download everything held about a person (and any volunteer records of theirs), as a zip."""
    user = get_or_404(User, user_id)
    return _archive(subject_for_person(user), user, f"person-{user.id}")


@bp.route("/subject-access/studies/<int:study_id>/volunteers/<int:volunteer_id>")
@role_required(ADMIN)
def volunteer(study_id: int, volunteer_id: int):
    """What a volunteer's archive will hold, with the button to download it."""
    subject = subject_for_volunteer(_volunteer(study_id, volunteer_id))
    return _explanation(subject, "privacy.volunteer_archive", {"study_id": study_id, "volunteer_id": volunteer_id})


@bp.route("/subject-access/studies/<int:study_id>/volunteers/<int:volunteer_id>/archive", methods=["POST"])
@role_required(ADMIN)
def volunteer_archive(study_id: int, volunteer_id: int):
    """Download everything held about a volunteer (every record of theirs, and their account), as a zip."""
    record = _volunteer(study_id, volunteer_id)
    return _archive(subject_for_volunteer(record), record, f"volunteer-{record.id}")


def _explanation(subject: Subject, endpoint: str, args: dict):
    tables = subject_tables(subject)
    return render_template(
        "privacy/subject.html",
        subject=subject,
        counts={name: len(rows) for name, rows in tables.items()},
        descriptions=DESCRIPTIONS,
        action=(endpoint, args),
        form=FlaskForm(),
    )
