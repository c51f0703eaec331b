"""The organisers' page of members who asked to hear about focus groups (recruitment/member_routes.py):
list, choose, confirm, invite once."""

from __future__ import annotations

from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import db
from tests.conftest import page_text


def test_organisers_see_the_members_who_said_yes_ticked(client, signed_in, make_study, make_interested_member):
    study = make_study(slots=1)
    ann = make_interested_member("Ann Jones", organisation_name="Cardiff Council", region="wales", council_type="welsh")
    make_interested_member("Bob Said No", answer="no")
    signed_in("organiser")
    html = page_text(client.get(f"/focus-groups/{study.id}/recruit/members"))
    assert "Members who asked to hear about focus groups" in html
    assert "Ann Jones, Cardiff Council" in html and "Wales · Welsh council · said yes on 21 November 2026" in html
    assert f'id="member-{ann.id}" name="member" type="checkbox" value="{ann.id}" checked' in html
    assert "Bob Said No" not in html
    pool = page_text(client.get(f"/focus-groups/{study.id}/pool"))
    assert f'href="/focus-groups/{study.id}/recruit/members"' in pool


def test_choosing_nobody_says_so_and_keeps_the_boxes_unticked(client, signed_in, make_study, make_interested_member):
    study = make_study(slots=1)
    ann = make_interested_member("Ann Jones")
    signed_in("organiser")
    response = client.post(f"/focus-groups/{study.id}/recruit/members", data={})
    html = page_text(response)
    assert response.status_code == 200 and html.count("Select at least one member to invite") == 2
    assert f'href="#member-{ann.id}"' in html and "<title>Error:" in html
    assert f'value="{ann.id}" checked' not in html


def test_inviting_asks_first_then_sends_once(client, signed_in, make_study, make_interested_member, mailbox):
    study = make_study(slots=1)
    ann = make_interested_member("Ann Jones", organisation_name="Cardiff Council", region="wales", council_type="welsh")
    bob = make_interested_member("Bob Smith")
    signed_in("organiser")
    confirm = page_text(client.post(f"/focus-groups/{study.id}/recruit/members", data={"member": [str(ann.id)]}))
    assert "Invite 1 member to volunteer" in confirm and "Ann Jones, Cardiff Council (Wales, Welsh council)" in confirm
    assert "Bob Smith" not in confirm and mailbox == []  # nothing is sent before confirming

    sent = client.post(f"/focus-groups/{study.id}/recruit/members/invite", data={"member": [str(ann.id)]})
    assert sent.status_code == 302 and sent.headers["Location"] == f"/focus-groups/{study.id}/recruit/members"
    html = page_text(client.get(sent.headers["Location"]))
    assert "Invitations sent to 1 member: Ann Jones." in html
    assert [m["To"] for m in mailbox] == [ann.email]
    # Ann is now listed as invited, and Bob is still waiting (and ticked).
    assert "Already invited" in html and "invited on" in html
    assert f'value="{bob.id}" checked' in html and f'value="{ann.id}"' not in html

    again = client.post(f"/focus-groups/{study.id}/recruit/members/invite", data={"member": [str(ann.id)]})
    html = page_text(client.get(again.headers["Location"]))
    assert "1 member had already been invited to this study, so nothing more was sent to them." in html
    assert len(mailbox) == 1
    assert (
        db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "focus_groups.member_invited"))
        == 1
    )


def test_a_study_not_recruiting_lists_them_without_inviting(client, signed_in, make_study, make_interested_member):
    study = make_study(slots=1)
    study.recruiting = False
    db.session.commit()
    make_interested_member("Ann Jones")
    signed_in("organiser")
    html = page_text(client.get(f"/focus-groups/{study.id}/recruit/members"))
    assert "This study is not taking volunteers, so these members cannot be invited to it." in html
    assert "Ann Jones" in html and 'type="checkbox"' not in html


def test_members_and_analysts_may_not_see_the_list(client, signed_in, make_study, make_interested_member):
    study = make_study(slots=1)
    make_interested_member("Ann Jones")
    for role in ("member", "analyst", "facilitator"):
        signed_in(role)
        assert client.get(f"/focus-groups/{study.id}/recruit/members").status_code == 403
        assert (
            client.post(f"/focus-groups/{study.id}/recruit/members/invite", data={"member": ["1"]}).status_code == 403
        )
        client.post("/sign-out")
