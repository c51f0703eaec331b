"""Confirming a group and answering its invitations (scheduling/invitations.py): calendar invitations, accepting,
declining with a confirmation that removes the event, and links that do not work."""

from __future__ import annotations

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.clock import london
from app.extensions import db
from app.focus_groups.scheduling.changes import reschedule_slot
from app.focus_groups.scheduling.ical import session_uid
from app.focus_groups.scheduling.invitations import respond, send_session_emails
from app.focus_groups.services import volunteer_token
from tests.conftest import link_in, page_text, text_part
from tests.focus_groups.scheduling.support import calendar_in, confirm, soon, to


def test_confirming_shows_who_will_be_invited_then_sends_calendar_invitations(client, signed_in, mailbox, group):
    study, slot, participants, reserves = group
    signed_in("organiser")
    page = client.get(f"/focus-groups/{study.id}/slots/{slot.id}/confirm")
    text = page_text(page)
    assert page.status_code == 200
    assert "3 people will be invited" in text and "P1: Volunteer 1" in text and "P3: Volunteer 3" in text
    assert "Rosa Reserve" not in text  # reserves are not invited now

    response = confirm(client, slot)
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    db.session.expire_all()
    assert slot.status == "confirmed" and slot.confirmed_at is not None
    assert [(p.pseudonym, p.status) for p in participants] == [("P1", "invited"), ("P2", "invited"), ("P3", "invited")]
    assert all(p.invited_at is not None for p in participants)
    assert [(r.pseudonym, r.status) for r in reserves] == [(None, "proposed"), (None, "proposed")]

    assert sorted(m["To"] for m in mailbox) == sorted(p.volunteer.email for p in participants)
    for placement in participants:
        (message,) = to(mailbox, placement.volunteer.email)
        assert message["Subject"].startswith("Invitation: Socitm focus group on ")
        assert "/focus-groups/respond/" in text_part(message)
        assert "/focus-groups/withdraw/" in text_part(message)
        method, calendar = calendar_in(message)
        assert method == "REQUEST" and calendar["METHOD"] == "REQUEST"
        (entry,) = calendar.events
        assert str(entry["UID"]) == session_uid(slot.id, placement.volunteer_id, "socitm-research")
        assert entry["SEQUENCE"] == 0
        assert [tz.tz_name for tz in calendar.timezones] == ["Europe/London"]
        assert str(entry.start.tzinfo) == "Europe/London"
        assert entry.start == london(slot.starts_at)
        assert str(entry["ATTENDEE"]) == f"mailto:{placement.volunteer.email}"

    # Confirming twice does nothing more.
    mailbox.clear()
    assert "already confirmed" in page_text(confirm(client, slot))
    assert mailbox == []


def test_accepting_is_idempotent_and_needs_no_account(app, mailbox, group, make_user):
    _, slot, participants, _ = group
    organiser = make_user("organiser")
    staff = app.test_client()
    from tests.conftest import sign_in

    sign_in(staff, organiser.email)
    confirm(staff, slot)
    message = to(mailbox, participants[0].volunteer.email)[0]
    visitor = app.test_client()
    link = link_in(message)
    page = visitor.get(link)
    assert page.status_code == 200
    assert "Accept: I can come" in page_text(page) and "(UK time)" in page_text(page)

    for _ in range(2):
        done = visitor.post(link, data={"answer": "accept"}, follow_redirects=True)
        assert "You have accepted the invitation" in page_text(done)
    db.session.expire_all()
    assert participants[0].status == "accepted" and participants[0].responded_at is not None
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "focus_groups.invitation_accepted"))
    assert len(events.all()) == 1


def test_unknown_or_altered_links_get_a_friendly_not_found_page(client, group):
    _, _, participants, _ = group
    for path in ("/focus-groups/respond/nonsense", "/focus-groups/withdraw/12.abc", "/focus-groups/respond/"):
        response = client.get(path)
        assert response.status_code == 404
    token = volunteer_token(participants[0].volunteer, "respond")
    response = client.get(f"/focus-groups/respond/{token[:-1]}x")
    assert response.status_code == 404 and "This link does not work" in page_text(response)
    # A respond link does not work as a withdraw link.
    assert client.get(f"/focus-groups/withdraw/{token}").status_code == 404


def test_a_volunteer_not_yet_invited_is_told_so(client, group):
    _, _, participants, (rosa, _) = group
    page = client.get(f"/focus-groups/respond/{volunteer_token(rosa.volunteer, 'respond')}")
    assert page.status_code == 200 and "You have not been invited to a session yet" in page_text(page)
    client.post(f"/focus-groups/respond/{volunteer_token(rosa.volunteer, 'respond')}", data={"answer": "accept"})
    db.session.expire_all()
    assert rosa.status == "proposed"


def test_declining_sends_a_confirmation_that_removes_the_event_from_their_calendar(client, signed_in, mailbox, group):
    _, slot, participants, _ = group
    signed_in("organiser")
    confirm(client, slot)
    mailbox.clear()
    leaving = participants[1]
    client.post(f"/focus-groups/respond/{volunteer_token(leaving.volunteer, 'respond')}", data={"answer": "decline"})
    (confirmation,) = to(mailbox, leaving.volunteer.email)
    assert confirmation["Subject"].startswith("You have declined: Socitm focus group on ")
    assert "Thank you for letting us know that you cannot come" in text_part(confirmation)
    method, calendar = calendar_in(confirmation)
    (entry,) = calendar.events
    assert method == "CANCEL" and calendar["METHOD"] == "CANCEL" and str(entry["STATUS"]) == "CANCELLED"
    assert str(entry["UID"]) == session_uid(slot.id, leaving.volunteer_id, "socitm-research")
    db.session.expire_all()
    assert entry["SEQUENCE"] == slot.sequence + 1  # above every version they were sent


def test_declining_asks_first_and_going_back_changes_nothing(client, signed_in, group):
    _, slot, participants, _ = group
    signed_in("organiser")
    confirm(client, slot)
    path = f"/focus-groups/respond/{volunteer_token(participants[0].volunteer, 'respond')}"
    first = client.get(path).get_data(as_text=True)
    assert 'value="decline"' not in first  # no one-click decline
    assert f'href="{path}?step=decline"' in first and "Decline: I cannot come" in first
    assert "Accept: I can come" in first

    question = client.get(f"{path}?step=decline")
    text = page_text(question)
    assert question.status_code == 200 and "Are you sure you cannot come?" in text
    assert 'value="decline"' in text and f'href="{path}"' in text and "Go back" in text
    db.session.expire_all()
    assert participants[0].status == "invited"

    client.post(path, data={"answer": "decline"})
    db.session.expire_all()
    assert participants[0].status == "declined"
    # Once declined there is nothing left to confirm.
    assert "Are you sure" not in page_text(client.get(f"{path}?step=decline"))


def test_an_update_is_not_sent_to_someone_who_declined_while_it_waited(app, mailbox, group, make_user):
    _, slot, participants, _ = group
    organiser = make_user("organiser")
    staff = app.test_client()
    from tests.conftest import sign_in

    sign_in(staff, organiser.email)
    confirm(staff, slot)
    placement_ids = reschedule_slot(
        slot, starts_at=soon(45), duration_minutes=90, location=slot.location, online=True, by=organiser
    )
    db.session.commit()
    respond(participants[0], "decline")  # while the update job is queued
    db.session.commit()
    mailbox.clear()
    outcome = send_session_emails(slot.id, "update", placement_ids)
    assert participants[0].volunteer.email not in [m["To"] for m in mailbox]
    assert outcome["skipped"] == [["P1", "declined since the change"]]
    assert sorted(outcome["sent"]) == ["P2", "P3"]


def test_an_invitation_kept_in_the_outbox_lists_its_calendar_file_for_admins(app, client, signed_in, make_user, group):
    from icalendar import Calendar

    from app.email.models import OutboxMessage
    from tests.conftest import sign_in

    _, slot, participants, _ = group
    signed_in("organiser")
    confirm(client, slot)
    email = participants[0].volunteer.email
    message = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == email)).one()
    admin = app.test_client()
    assert sign_in(admin, make_user("admin").email).status_code == 302
    text = page_text(admin.get(f"/admin/outbox/{message.id}"))
    [attachment] = message.attachments
    assert f"Download {attachment.filename}" in text and attachment.filename.endswith(".ics")
    assert "Calendar file (text/calendar)" in text
    download = admin.get(f"/admin/outbox/{message.id}/attachments/{attachment.id}")
    calendar = Calendar.from_ical(download.data)
    (entry,) = calendar.events
    assert str(entry["UID"]) == session_uid(slot.id, participants[0].volunteer_id, "socitm-research")
    token = volunteer_token(participants[0].volunteer, "respond")
    assert token not in download.get_data(as_text=True).replace("\r\n ", "")
    assert "/focus-groups/respond/[link hidden]" in str(entry["DESCRIPTION"])
