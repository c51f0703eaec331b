"""Who asked to hear about focus groups: the survey's last question, handed to the focus groups' recruitment.

The survey's last page asks "Would you like to hear about taking part in a focus group?". A member who
answered "yes" in the response their organisation submitted is handed over (hook `FOCUS_GROUP_INTEREST`)
as an `Interest`: who answered it, for which organisation and when. The submitted answers count, not a
change not yet sent. Someone who answered through an invitation link without a member account is not
handed over: nobody knows who they are, so they cannot be invited personally (the confirmation page
tells them so).
"""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.hooks import Interest
from app.surveys.models import Answer, Response

QUESTION = "focus_group_interest"


def focus_group_interest() -> list[Interest]:
    """Each member whose organisation's submitted response says "yes" to hearing about focus groups
    (the latest answer per member, when several surveys ask)."""
    rows = db.session.execute(
        select(Response.organisation_id, Response.submitted_by_id, Response.submitted_at, Response.submitted_answers)
        .add_columns(Answer.value, Answer.updated_by_id, Answer.updated_at)
        .join(Answer, (Answer.response_id == Response.id) & (Answer.question_id == QUESTION))
        .where(Response.status == "submitted")
    )
    latest: dict[int, Interest] = {}
    for organisation_id, submitted_by, submitted_at, sent, value, answered_by, answered_at in rows:
        if (sent or {}).get(QUESTION) != "yes":
            continue
        # Whoever gave the "yes" answered the question; when the draft has changed since, whoever sent it.
        person, when = (answered_by, answered_at) if value == "yes" and answered_by else (submitted_by, submitted_at)
        if person is None or when is None:
            continue
        if person not in latest or latest[person].answered_at < when:
            latest[person] = Interest(user_id=person, organisation_id=organisation_id, answered_at=when)
    return list(latest.values())
