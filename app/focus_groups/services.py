"""Setting up a focus-group study: its discussion guide and candidate slots; volunteers' own links."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from flask import abort, current_app, url_for
from sqlalchemy import select

from app.audit.services import record
from app.clock import aware
from app.extensions import db
from app.focus_groups.models import GuideQuestion, Slot, Study, Volunteer
from app.hooks import Prompt
from app.identifiers import get_or_404, parse_id, same_secret

# The brief's discussion guide (shared/DOMAIN.md), with prompts a facilitator can use.
DEFAULT_GUIDE: list[tuple[str, list[str]]] = [
    (
        "What is a user?",
        [
            "Who do you count as a user of your ICT service today?",
            "Does a user need an account, a device, or just to call the service desk?",
        ],
    ),
    (
        "Our current definition versus who organisations actually support.",
        [
            "Who do you support that the benchmarking definition leaves out?",
            "Schools, pupils, partners, councillors, residents: who is in and who is out?",
        ],
    ),
    (
        "The approximate proportion of users in different categories.",
        [
            "Roughly what share of your users are office staff, frontline staff, school staff, pupils, partners?",
            "How confident are you in those figures, and where do they come from?",
        ],
    ),
    (
        "Whether particular groups of users receive a markedly different form of service, in quality or attention.",
        [
            "Do schools or pupils get the same service levels as corporate users?",
            "Which groups take more (or less) of your team's time than their numbers suggest?",
        ],
    ),
]


def create_study(
    title: str,
    *,
    theme: str = "",
    target_groups: int = 2,
    min_size: int = 4,
    target_size: int = 6,
    max_size: int = 8,
    places_per_reserve: int = 5,
    by=None,
) -> Study:
    """A new study with the brief's four-question discussion guide (editable afterwards)."""
    study = Study(
        title=title,
        theme=theme,
        target_groups=target_groups,
        min_size=min_size,
        target_size=target_size,
        max_size=max_size,
        places_per_reserve=places_per_reserve,
        created_by_id=getattr(by, "id", None),
    )
    for position, (text, prompts) in enumerate(DEFAULT_GUIDE, start=1):
        study.questions.append(GuideQuestion(position=position, text=text, prompts="\n".join(prompts)))
    db.session.add(study)
    db.session.flush()
    record("focus_groups.study_created", study, actor=by, title=title)
    return study


def add_slot(
    study: Study,
    starts_at: datetime,
    *,
    location: str,
    online: bool = True,
    capacity: int = 8,
    duration_minutes: int = 90,
    by=None,
) -> Slot:
    """Add a candidate slot; `starts_at` is timezone-aware (organisers type it in UK time)."""
    slot = Slot(
        study=study,
        starts_at=starts_at.astimezone(UTC),
        location=location,
        online=online,
        capacity=capacity,
        duration_minutes=duration_minutes,
    )
    db.session.add(slot)
    db.session.flush()
    record("focus_groups.slot_added", slot, actor=by, study=study.id)
    return slot


def slot_ends_at(slot: Slot) -> datetime:
    """When a slot's session ends (UTC)."""
    return aware(slot.starts_at) + timedelta(minutes=slot.duration_minutes)


def study_or_404(study_id: int) -> Study:
    """The study, or a 404 page."""
    return get_or_404(Study, study_id)


def slot_or_404(study: Study, slot_id: int) -> Slot:
    """One of the study's slots, or a 404 page (a slot of another study is not found)."""
    slot = get_or_404(Slot, slot_id)
    if slot.study_id != study.id:
        abort(404)
    return slot


def volunteer_or_404(study: Study, volunteer_id: int) -> Volunteer:
    """One of the study's volunteers, or a 404 page."""
    volunteer = get_or_404(Volunteer, volunteer_id)
    if volunteer.study_id != study.id:
        abort(404)
    return volunteer


def new_salt() -> str:
    """A fresh salt for a volunteer's links."""
    return secrets.token_hex(16)


def volunteer_token(volunteer: Volunteer, purpose: str) -> str:
    """The secret in a volunteer's own link for `purpose` ("respond" to an invitation, "withdraw").

    It names the volunteer and carries an HMAC of SECRET_KEY and the volunteer's salt, so nothing
    secret is stored, and a new salt retires every old link.
    """
    key = current_app.config["SECRET_KEY"].encode()
    message = f"focus-group:{purpose}:{volunteer.id}:{volunteer.salt}".encode()
    return f"{volunteer.id}.{hmac.new(key, message, hashlib.sha256).hexdigest()[:40]}"


def volunteer_by_token(token: str, purpose: str) -> Volunteer | None:
    """The volunteer a link belongs to, or None for an unknown, altered or retired link."""
    volunteer_id = parse_id(token.partition(".")[0])
    volunteer = db.session.get(Volunteer, volunteer_id) if volunteer_id is not None else None
    if volunteer is None or volunteer.erased_at is not None:
        return None
    if not same_secret(volunteer_token(volunteer, purpose), token):
        return None
    return volunteer


def email_fingerprint(email: str) -> str:
    """A keyed hash of an email address (case and spaces ignored): recognises an address without keeping it."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"withdrawn:{email.strip().lower()}".encode(), hashlib.sha256).hexdigest()


def recruiting_study() -> Study | None:
    """The newest study that is taking volunteers (the survey's last page links to it)."""
    return db.session.scalar(select(Study).where(Study.recruiting.is_(True)).order_by(Study.id.desc()).limit(1))


def volunteering_prompt(organisation_id: int | None = None) -> Prompt | None:
    """The survey confirmation page's invitation to volunteer (hook `SURVEY_CONFIRMATION`), while a study recruits."""
    study = recruiting_study()
    if study is None:
        return None
    return Prompt(
        heading="Focus groups",
        text=f'Socitm is holding small focus groups on "{study.title}" with people from a range of regions '
        "and council types.",
        link_text="Volunteer for a focus group",
        url=url_for("focus_groups.volunteer_form", study_id=study.id, organisation=organisation_id),
    )
