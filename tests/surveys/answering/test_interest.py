"""The survey's last question handed to the focus groups (answering/interest.py), and what the confirmation
page then says will happen."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.focus_groups.studies.services import create_study
from app.hooks import FOCUS_GROUP_INTEREST, collect
from app.surveys.answering.interest import focus_group_interest
from app.surveys.invitations.services import send_invitations
from app.surveys.models import Response
from app.surveys.sample_answers import NO_SCHOOLS
from tests.conftest import link_in, page_text
from tests.surveys.conftest import answer_all, answer_page


def _submit(client) -> None:
    ref = db.session.scalar(select(Response.reference))
    client.post("/surveys/schools-ict/submit", data={"response_ref": ref})
    db.session.expire_all()


def _answer(client, interest: str | None) -> None:
    answer_all(client, {**NO_SCHOOLS, "focus_group": {"focus_group_interest": interest} if interest else {}})
    _submit(client)


def test_a_member_who_said_yes_is_handed_over_once_submitted(client, signed_in, survey):
    member = signed_in("member")
    answer_all(client, {**NO_SCHOOLS, "focus_group": {"focus_group_interest": "yes"}})
    assert focus_group_interest() == []  # not sent yet
    _submit(client)
    [interest] = focus_group_interest()
    assert (interest.user_id, interest.organisation_id) == (member.id, member.organisation_id)
    assert interest.answered_at is not None
    assert collect(FOCUS_GROUP_INTEREST) == [[interest]]  # the hook the focus groups read


def test_the_answer_sent_counts_not_a_change_not_yet_sent(client, signed_in, survey):
    signed_in("member")
    _answer(client, "yes")
    assert answer_page(client, "focus_group", {"focus_group_interest": "no"}).status_code == 302
    assert len(focus_group_interest()) == 1
    _submit(client)
    assert focus_group_interest() == []


def test_members_who_said_no_or_nothing_are_not_handed_over(client, signed_in, survey):
    signed_in("member")
    _answer(client, "no")
    assert focus_group_interest() == []


def test_someone_answering_by_invitation_link_is_not_handed_over(app, client, survey, make_organisation, mailbox):
    org = make_organisation(name="Cardiff Council", contact_email="ict@cardiff.example")
    send_invitations(survey, [org.id])
    client.get(link_in(mailbox[0]))
    _answer(client, "yes")
    assert db.session.scalar(select(Response.status)) == "submitted"
    assert focus_group_interest() == []
    done = page_text(client.get("/surveys/schools-ict/done"))
    assert "You answered using your organisation's invitation link rather than a member account" in done
    assert "it emails your organisation's contact, who can pass the invitation on" in done


def test_the_confirmation_says_what_happens_after_a_yes(client, signed_in, survey):
    signed_in("member")
    _answer(client, "yes")
    done = page_text(client.get("/surveys/schools-ict/done"))
    assert "Socitm will email you an invitation to volunteer when it next recruits for one" in done
    assert "volunteering does not guarantee a place" in done
    study = create_study("Who are our users?", target_size=6)
    db.session.commit()
    done = page_text(client.get("/surveys/schools-ict/done"))
    assert (
        'Socitm is recruiting for "Who are our users?", in groups of about 6, and will email you an invitation' in done
    )
    assert f'href="/focus-groups/{study.id}/volunteer?organisation=' in done
    assert "volunteer for a focus group now" in done


def test_the_confirmation_after_a_no_promises_no_invitation(client, signed_in, survey):
    signed_in("member")
    _answer(client, "no")
    done = page_text(client.get("/surveys/schools-ict/done"))
    assert (
        "You said you would not like to hear about focus groups, so Socitm will not invite you to one personally"
        in done
    )
    assert "volunteer for a focus group" not in done
    create_study("Who are our users?")
    db.session.commit()
    done = page_text(client.get("/surveys/schools-ict/done"))
    assert 'If you change your mind, Socitm is recruiting for "Who are our users?":' in done
