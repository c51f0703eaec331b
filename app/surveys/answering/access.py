"""Who may answer for which organisation: members of it, or anyone holding its invitation link."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, wraps

from flask import abort, flash, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy import bindparam, select

from app.auth.roles import MEMBER
from app.clock import utcnow
from app.extensions import db
from app.organisations.models import Organisation
from app.security import note_activity
from app.surveys.models import Invitation, Survey
from app.surveys.services import answerable_by, find_survey, find_survey_for_organisation

SESSION_KEY = "survey_invitations"  # survey id -> invitation id, granted by following an invitation link


@dataclass
class Respondent:
    """The organisation being answered for, and who is answering."""

    organisation: Organisation
    user: object | None
    invitation: Invitation | None

    @property
    def label(self) -> str:
        """How colleagues see who changed an answer."""
        if self.user is not None:
            return self.user.name
        return "A colleague using the invitation link"

    @property
    def email(self) -> str | None:
        """Where receipts and resume links go."""
        if self.user is not None:
            return self.user.email
        return self.invitation.email if self.invitation else None


def grant_invitation(invitation: Invitation) -> None:
    """Let this browser answer for the invitation's organisation."""
    granted = dict(session.get(SESSION_KEY, {}))
    granted[str(invitation.survey_id)] = invitation.id
    session[SESSION_KEY] = granted
    note_activity(without_account=True)  # it lasts while they keep answering, and ends after the idle time


def invitation_is_live(invitation: Invitation | None) -> bool:
    """Not revoked and not expired."""
    if invitation is None or invitation.revoked_at is not None:
        return False
    expires = (
        invitation.expires_at if invitation.expires_at.tzinfo else invitation.expires_at.replace(tzinfo=utcnow().tzinfo)
    )
    return expires > utcnow()


@cache
def _may_answer_query():
    # Built once (every answering page asks): the same condition as the members' list of surveys.
    return select(Survey.id).where(Survey.id == bindparam("survey_id"), answerable_by(bindparam("organisation_id")))


def organisation_may_answer(survey: Survey, organisation_id: int) -> bool:
    """Whether the organisation's members may answer the survey: it is open to all members, or the
    organisation was invited (or has already started a response)."""
    if survey.open_to_all_members:
        return True
    params = {"survey_id": survey.id, "organisation_id": organisation_id}
    return db.session.scalar(_may_answer_query(), params) is not None


def _is_member() -> bool:
    return bool(current_user.is_authenticated and current_user.has_role(MEMBER) and current_user.organisation_id)


def current_respondent(survey: Survey, *, may_answer: bool | None = None) -> Respondent | None:
    """The organisation this request may answer for, or None. `may_answer`: whether the member's
    organisation may answer it, when already known (`find_survey_for_organisation`)."""
    if may_answer is None and _is_member():
        may_answer = organisation_may_answer(survey, current_user.organisation_id)
    if _is_member() and may_answer:
        return Respondent(current_user.organisation, current_user._get_current_object(), None)
    invitation_id = session.get(SESSION_KEY, {}).get(str(survey.id))
    if invitation_id:
        invitation = db.session.get(Invitation, invitation_id)
        if invitation_is_live(invitation) and invitation.survey_id == survey.id:
            return Respondent(invitation.organisation, None, invitation)
    return None


def respondent_required(view: Callable) -> Callable:
    """The view needs someone who may answer the survey in the URL (a member, or an invitation holder).

    Visitors without an invitation are sent to sign in; signed-in people who are not members get 403;
    members whose organisation may not answer this survey are told there is no such page (404), as
    for a survey that does not exist. The view receives `survey` and `respondent` instead of `slug`.
    """

    @wraps(view)
    def wrapped(slug: str, *args, **kwargs):
        if _is_member():
            survey, may_answer = find_survey_for_organisation(slug, current_user.organisation_id)
        else:
            survey, may_answer = find_survey(slug), False
        if survey is None:
            abort(404)
        respondent = current_respondent(survey, may_answer=may_answer)
        if respondent is None:
            if not current_user.is_authenticated:
                # A member, or someone whose invitation link's access has ended (idle for longer than
                # the idle time, so the server or the browser let the session go): both are told what to do.
                flash(
                    "Sign in to answer this survey, or follow the link in your organisation's invitation "
                    "email again (the answers saved so far are kept).",
                    "important",
                )
                return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
            abort(404 if _is_member() else 403)
        return view(*args, survey=survey, respondent=respondent, **kwargs)

    wrapped.access_rule = "respondent"  # read by the authorisation-matrix test
    return wrapped
