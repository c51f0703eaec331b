"""The focus-group feature's shared lookups, used by every sub-package: a study, slot or volunteer or a
404 page, when a slot's session ends, volunteers' own links (tokens and salts), the keyed fingerprint of
an address, and the study that is recruiting (with the survey confirmation page's prompt)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from flask import abort, current_app, url_for
from sqlalchemy import select

from app.clock import aware
from app.extensions import db
from app.focus_groups.models import Slot, Study, Volunteer
from app.hooks import Prompt
from app.identifiers import get_or_404, parse_id, same_secret


def slot_ends_at(slot: Slot) -> datetime:
    """When a slot's session ends (UTC)."""
    return aware(slot.starts_at) + timedelta(minutes=slot.duration_minutes)


def how_sessions_run(slots: list[Slot]) -> str:
    """How long the sessions last and whether they are online or in person, worked out from the slots
    themselves: the one sentence the volunteer form and the recruitment email show, so neither can
    contradict the slots ("Each session lasts about 90 minutes. 3 are online and 1 is in person, in Swindon.")."""
    if not slots:
        return ""
    lengths = sorted({slot.duration_minutes for slot in slots})
    if len(lengths) == 1:
        text = f"Each session lasts about {lengths[0]} minutes."
    else:
        text = f"Sessions last between {lengths[0]} and {lengths[-1]} minutes."
    online = sum(1 for slot in slots if slot.online)
    venues = list(dict.fromkeys(slot.location for slot in slots if not slot.online))
    where = f"at {venues[0]}" if len(venues) == 1 else "at the venue given for each"
    if online == len(slots):
        return f"{text} {'It is' if online == 1 else 'All are'} online."
    if not online:
        return f"{text} {'It is' if len(slots) == 1 else 'All are'} in person, {where}."
    in_person = len(slots) - online
    return (
        f"{text} {online} {'is' if online == 1 else 'are'} online and {in_person} "
        f"{'is' if in_person == 1 else 'are'} in person, {where}."
    )


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


# What the confirmation page says to a member Socitm will not invite personally, by their answer ("yes" here is
# someone who answered through their organisation's link, without an account): why, and how it leads to the
# volunteer form while a study recruits.
NOT_INVITED_PERSONALLY: dict[str, tuple[str, str]] = {
    "yes": (
        "You said you would like to hear about taking part in a focus group. You answered using your "
        "organisation's invitation link rather than a member account, so Socitm cannot email you personally: "
        "when it recruits for a focus group, it emails your organisation's contact, who can pass the invitation on.",
        "Socitm is recruiting now for",
    ),
    "no": (
        "You said you would not like to hear about focus groups, so Socitm will not invite you to one personally.",
        "If you change your mind, Socitm is recruiting for",
    ),
}


def volunteering_prompt(
    organisation_id: int | None = None, interest: str | None = None, personal: bool = True
) -> Prompt | None:
    """The survey confirmation page's word on focus groups (hook `SURVEY_CONFIRMATION`): what happens next
    for a member who said they would like to hear about them ("yes"), or not ("no"), and a link to the
    volunteer form while a study recruits.

    What it promises is how recruitment works: organisers invite the members who said yes, at their own
    address, from `recruitment.members`, when a study recruits; someone who answered through an invitation
    link has no account to be invited at, and the organisation-wide invitations go to the organisation's
    contact. Returns None when there is nothing to say (no answer and no study recruiting).
    """
    study = recruiting_study()
    link = {}
    if study is not None:
        link = {"url": url_for("focus_groups.volunteer_form", study_id=study.id, organisation=organisation_id)}
    mix = (
        "Each group mixes people from a range of regions and council types, so volunteering does not guarantee a place."
    )
    if interest == "yes" and personal:
        if study is None:
            text = (
                "You said you would like to hear about taking part in a focus group. Socitm will email you an "
                f"invitation to volunteer when it next recruits for one. {mix}"
            )
            return Prompt(heading="Focus groups", text=text)
        text = (
            "You said you would like to hear about taking part in a focus group. "
            f'Socitm is recruiting for "{study.title}", in groups of about {study.target_size}, and will email you '
            f"an invitation to volunteer unless you have volunteered already. {mix} You need not wait for the email:"
        )
        return Prompt(heading="Focus groups", text=text, link_text="volunteer for a focus group now", **link)
    if interest in NOT_INVITED_PERSONALLY:
        text, recruiting = NOT_INVITED_PERSONALLY[interest]
        if study is None:
            return Prompt(heading="Focus groups", text=text)
        return Prompt(
            heading="Focus groups",
            text=f'{text} {recruiting} "{study.title}":',
            link_text="volunteer for a focus group",
            **link,
        )
    if study is None:
        return None
    return Prompt(
        heading="Focus groups",
        text=f'Socitm is holding small focus groups on "{study.title}" with people from a range of regions '
        "and council types.",
        link_text="Volunteer for a focus group",
        **link,
    )
