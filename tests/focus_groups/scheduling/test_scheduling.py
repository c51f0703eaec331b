"""Scheduling sessions end to end: confirming a group sends invitations with calendar files, answers,
reserves promoted to keep the group diverse, changes, cancellations, reminders and attendance."""

from __future__ import annotations

import socket
import threading
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select, text

from app.audit.models import AuditEvent
from app.clock import aware, london, utcnow
from app.email.models import OutboxMessage
from app.extensions import db
from app.focus_groups.models import Placement, Slot
from app.focus_groups.scheduling.changes import reschedule_slot
from app.focus_groups.scheduling.ical import session_uid
from app.focus_groups.scheduling.invitations import respond, send_session_emails
from app.focus_groups.scheduling.reminders import send_session_reminders
from app.focus_groups.scheduling.reserves import GroupMember, choose_reserve
from app.focus_groups.scheduling.withdrawal import withdraw_volunteer
from app.focus_groups.services import email_fingerprint, volunteer_token
from tests.conftest import link_in, page_text, text_part

# --- Helpers shared with the other scheduling and session tests ---------------------------------


def place(slot: Slot, volunteer, role: str = "participant", rank: int | None = None, **values) -> Placement:
    """Put a volunteer in a slot, as composition does."""
    placement = Placement(
        study_id=slot.study_id, slot_id=slot.id, volunteer_id=volunteer.id, role=role, reserve_rank=rank, **values
    )
    db.session.add(placement)
    db.session.commit()
    return placement


def move_to(slot: Slot, starts_at: datetime) -> None:
    slot.starts_at = starts_at
    db.session.commit()


def soon(days: int = 40) -> datetime:
    """A start time in the future whatever day the tests run, on the hour."""
    return (utcnow() + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)


def calendar_in(message):
    """The calendar attached to an email: (method parameter of its content type, parsed calendar)."""
    parts = [part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"]
    assert len(parts) == 1, [part.get_content_type() for part in message.iter_attachments()]
    return parts[0].get_param("method"), Calendar.from_ical(parts[0].get_content())


def to(messages, address):
    return [m for m in messages if m["To"] == address]


@pytest.fixture
def volunteer(make_volunteer):
    """make_volunteer, with the study's slots loaded first (the factory needs them loaded)."""

    def make(study, **kwargs):
        assert study.slots
        return make_volunteer(study, **kwargs)

    return make


@pytest.fixture
def group(make_study, volunteer):
    """A study whose first slot has three London participants and two reserves, in the future.

    Reserve 1 is from London too; reserve 2 brings a new region and council type.
    """
    study = make_study(slots=2)
    slot = study.slots[0]
    move_to(slot, soon())
    people = [volunteer(study, available=[slot]) for _ in range(3)]
    participants = [place(slot, person) for person in people]
    same = volunteer(study, available=[slot], name="Rosa Reserve")
    different = volunteer(
        study, available=[slot], name="Nia North", region="north-west", council_type="metropolitan-borough"
    )
    reserves = [place(slot, same, "reserve", 1), place(slot, different, "reserve", 2)]
    return study, slot, participants, reserves


def confirm(client, slot):
    return client.post(f"/focus-groups/{slot.study_id}/slots/{slot.id}/confirm")


# --- Choosing a reserve: plain data in, an id out -----------------------------------------------


def person(id_, region="london", council_type="london-borough", schools=True, organisation=None, **kw):
    return GroupMember(id_, region, council_type, schools, organisation, **kw)


def test_reserve_bringing_a_new_region_and_council_type_wins_over_rank():
    group = [person(1), person(2, region="south-east", council_type="county")]
    reserves = [person(10, reserve_rank=1), person(11, region="wales", council_type="welsh", reserve_rank=2)]
    assert choose_reserve(group, reserves) == 11


def test_a_reserve_from_an_organisation_already_in_the_group_is_never_chosen():
    group = [person(1, organisation="id:5"), person(2, organisation="id:6")]
    reserves = [person(10, region="wales", council_type="welsh", organisation="id:5", reserve_rank=1)]
    assert choose_reserve(group, reserves) is None
    reserves.append(person(11, organisation="id:7", reserve_rank=9))
    assert choose_reserve(group, reserves) == 11


def test_then_the_rarer_schools_answer_then_availability_then_rank():
    group = [person(1, schools=True), person(2, schools=True, region="wales")]
    # Neither brings a new region or type: the one who does not support schools balances the group.
    assert choose_reserve(group, [person(10, reserve_rank=1), person(11, schools=False, reserve_rank=2)]) == 11
    # Equal on diversity: "yes" before "if need be", then the composition's order.
    assert choose_reserve(group, [person(10, if_need_be=True, reserve_rank=1), person(11, reserve_rank=2)]) == 11
    assert choose_reserve(group, [person(10, reserve_rank=2), person(11, reserve_rank=1)]) == 11
    assert choose_reserve(group, []) is None


def test_one_new_dimension_beats_none_and_two_beat_one():
    group = [person(1)]
    reserves = [
        person(10, region="wales", reserve_rank=1),
        person(11, region="wales", council_type="welsh", reserve_rank=3),
        person(12, reserve_rank=2),
    ]
    assert choose_reserve(group, reserves) == 11
    assert choose_reserve(group, reserves[::2]) == 10


# --- Confirming and inviting --------------------------------------------------------------------


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
        assert str(entry["UID"]) == session_uid(slot.id, placement.volunteer_id, "http://localhost")
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


def test_declining_promotes_the_reserve_who_keeps_the_group_diverse(client, signed_in, mailbox, group, make_user):
    study, slot, participants, (rosa, nia) = group
    organiser = signed_in("organiser")
    other_organiser = make_user("organiser")
    confirm(client, slot)
    mailbox.clear()
    token = volunteer_token(participants[1].volunteer, "respond")

    response = client.post(f"/focus-groups/respond/{token}", data={"answer": "decline"}, follow_redirects=True)
    assert "You have declined the invitation" in page_text(response)
    db.session.expire_all()
    assert participants[1].status == "declined" and participants[1].pseudonym == "P2"
    # Nia brings a new region and council type, so she goes ahead of Rosa, the first reserve.
    assert (nia.role, nia.status, nia.pseudonym, nia.reserve_rank) == ("participant", "invited", "P4", None)
    assert (rosa.role, rosa.status) == ("reserve", "proposed")

    (offer,) = to(mailbox, nia.volunteer.email)
    assert offer["Subject"].startswith("A place has come up")
    method, calendar = calendar_in(offer)
    assert method == "REQUEST"
    assert str(calendar.events[0]["UID"]) == session_uid(slot.id, nia.volunteer_id, "http://localhost")
    for address in (organiser.email, other_organiser.email):
        (notice,) = to(mailbox, address)
        body = text_part(notice)
        assert "P2 declined the invitation" in body and "as P4" in body
        assert participants[1].volunteer.name not in body

    # Declining again changes nothing and promotes nobody else.
    mailbox.clear()
    client.post(f"/focus-groups/respond/{token}", data={"answer": "decline"})
    db.session.expire_all()
    assert rosa.status == "proposed" and mailbox == []


def test_no_reserve_from_the_same_organisation_and_organisers_told_the_group_is_short(
    client, signed_in, mailbox, make_study, volunteer, make_organisation
):
    study = make_study(slots=1)
    slot = study.slots[0]
    move_to(slot, soon())
    council = make_organisation(name="Same Borough Council")
    first = place(slot, volunteer(study, organisation=council))
    second = place(slot, volunteer(study))
    colleague = place(
        slot,
        volunteer(study, organisation=council, region="wales", council_type="welsh"),
        "reserve",
        1,
    )
    organiser = signed_in("organiser")
    confirm(client, slot)
    mailbox.clear()

    client.post(f"/focus-groups/respond/{volunteer_token(second.volunteer, 'respond')}", data={"answer": "decline"})
    db.session.expire_all()
    assert first.status == "invited"
    assert colleague.status == "proposed" and colleague.role == "reserve"  # same organisation as P1
    (notice,) = to(mailbox, organiser.email)
    assert "one participant short" in notice["Subject"]
    assert "No reserve is available" in text_part(notice)


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


# --- Changing and cancelling ------------------------------------------------------------------


def test_rescheduling_sends_an_update_with_the_same_uid_and_a_higher_sequence(client, signed_in, mailbox, group):
    study, slot, participants, _ = group
    signed_in("organiser")
    confirm(client, slot)
    client.post(
        f"/focus-groups/respond/{volunteer_token(participants[0].volunteer, 'respond')}", data={"answer": "accept"}
    )
    client.post(
        f"/focus-groups/respond/{volunteer_token(participants[2].volunteer, 'respond')}", data={"answer": "decline"}
    )
    db.session.expire_all()
    told = {p.volunteer.email for p in slot.placements if p.status in ("invited", "accepted")}
    assert len(told) == 3  # P1 accepted, P2 invited, and the reserve promoted in P3's place
    mailbox.clear()

    new_day = london(soon(50))
    form = {
        "day": str(new_day.day),
        "month": str(new_day.month),
        "year": str(new_day.year),
        "start_time": "14:30",
        "duration_minutes": "120",
        "online": "venue",
        "location": "Socitm, 1 Example Street, Northampton",
    }
    page = client.get(f"/focus-groups/{study.id}/slots/{slot.id}/reschedule")
    assert "3 people invited will get an email" in page_text(page)
    response = client.post(f"/focus-groups/{study.id}/slots/{slot.id}/reschedule", data=form)
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    db.session.expire_all()
    assert slot.sequence == 1 and slot.duration_minutes == 120 and not slot.online
    assert london(slot.starts_at).strftime("%Y-%m-%d %H:%M") == new_day.strftime("%Y-%m-%d") + " 14:30"

    assert {m["To"] for m in mailbox} == told and len(mailbox) == 3
    for message in mailbox:
        assert message["Subject"].startswith("Changed: Socitm focus group")
        method, calendar = calendar_in(message)
        (entry,) = calendar.events
        assert method == "REQUEST" and calendar["METHOD"] == "REQUEST"
        assert entry["SEQUENCE"] == 1
        assert str(entry["UID"]).startswith(f"fg-slot-{slot.id}-volunteer-")
        assert (entry.start.hour, entry.start.minute) == (14, 30)
        assert str(entry["LOCATION"]) == "Socitm, 1 Example Street, Northampton"


def test_rescheduling_form_errors_keep_the_input(client, signed_in, group):
    study, slot, _, _ = group
    signed_in("organiser")
    confirm(client, slot)
    form = {
        "day": "31",
        "month": "2",
        "year": "2030",
        "start_time": "25:00",
        "duration_minutes": "5",
        "online": "",
        "location": "",
    }
    page = client.post(f"/focus-groups/{study.id}/slots/{slot.id}/reschedule", data=form)
    text = page_text(page)
    assert page.status_code == 200 and "There is a problem" in text and "<title>Error:" in text
    for message in (
        "Date must be a real date",  # the set-up form's parser and words
        "Length must be between 15 and 480",
        "Select online or at a venue",
        "Enter the meeting link or the venue",
    ):
        assert message in text
    assert 'value="31"' in text and 'value="5"' in text
    db.session.expire_all()
    assert slot.sequence == 0


def test_cancelling_asks_first_then_sends_a_cancellation(client, signed_in, mailbox, group):
    study, slot, participants, reserves = group
    signed_in("organiser")
    confirm(client, slot)
    mailbox.clear()
    page = client.get(f"/focus-groups/{study.id}/slots/{slot.id}/cancel")
    assert "Cancel Slot 1?" in page_text(page) and "This cannot be undone" in page_text(page)
    db.session.expire_all()
    assert slot.status == "confirmed"

    client.post(f"/focus-groups/{study.id}/slots/{slot.id}/cancel")
    db.session.expire_all()
    assert slot.status == "cancelled" and slot.cancelled_at is not None and slot.sequence == 1
    assert {p.status for p in participants + reserves} == {"cancelled"}
    assert sorted(m["To"] for m in mailbox) == sorted(p.volunteer.email for p in participants)
    for placement in participants:
        (message,) = to(mailbox, placement.volunteer.email)
        method, calendar = calendar_in(message)
        (entry,) = calendar.events
        assert method == "CANCEL" and calendar["METHOD"] == "CANCEL"
        assert str(entry["STATUS"]) == "CANCELLED" and entry["SEQUENCE"] == 1
        assert str(entry["UID"]) == session_uid(slot.id, placement.volunteer_id, "http://localhost")
    # The invitation link now says the session was cancelled, and answers change nothing.
    token = volunteer_token(participants[0].volunteer, "respond")
    assert "This session was cancelled" in page_text(client.get(f"/focus-groups/respond/{token}"))


# --- Reminders --------------------------------------------------------------------------------


def invited_group(make_study, volunteer, statuses=("invited", "accepted", "declined", "withdrawn")):
    study = make_study(slots=1)
    slot = study.slots[0]  # 1 March 2027, 10:00 UTC
    slot.status = "confirmed"
    db.session.commit()
    return slot, [place(slot, volunteer(study), status=status) for status in statuses]


def test_reminders_a_week_and_a_day_before_each_sent_once(app, mailbox, make_study, volunteer):
    slot, (invited, accepted, declined, withdrawn) = invited_group(make_study, volunteer)
    starts = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)

    assert send_session_reminders(starts - timedelta(days=8)) == 0  # too early
    assert send_session_reminders(starts - timedelta(days=4)) == 2
    assert send_session_reminders(starts - timedelta(days=4)) == 0  # run twice: sent once
    assert send_session_reminders(starts - timedelta(days=2)) == 0
    assert sorted(m["To"] for m in mailbox) == sorted([invited.volunteer.email, accepted.volunteer.email])
    assert all("next week" in m["Subject"] for m in mailbox)
    assert "You have not told us yet" in text_part(to(mailbox, invited.volunteer.email)[0])

    mailbox.clear()
    assert send_session_reminders(starts - timedelta(hours=20)) == 2
    assert send_session_reminders(starts - timedelta(hours=3)) == 0
    assert len(mailbox) == 2 and all("tomorrow" in m["Subject"] for m in mailbox)
    assert send_session_reminders(starts + timedelta(hours=1)) == 0  # past sessions: nothing
    db.session.expire_all()
    assert invited.reminded_week_at is not None and invited.reminded_day_at is not None
    assert declined.reminded_week_at is None and withdrawn.reminded_day_at is None


def test_a_late_invitation_gets_only_the_day_reminder_and_cancelled_sessions_none(app, mailbox, make_study, volunteer):
    slot, (invited,) = invited_group(make_study, volunteer, statuses=("invited",))
    starts = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
    assert send_session_reminders(starts - timedelta(hours=12)) == 1
    assert send_session_reminders(starts - timedelta(hours=11)) == 0
    db.session.expire_all()
    assert invited.reminded_week_at is None and invited.reminded_day_at is not None

    other, (person,) = invited_group(make_study, volunteer, statuses=("invited",))
    other.status = "cancelled"
    db.session.commit()
    assert send_session_reminders(starts - timedelta(hours=10)) == 0
    db.session.expire_all()
    assert person.reminded_day_at is None


def test_send_reminders_command(app, runner, mailbox, make_study, volunteer):
    slot, (invited, accepted) = invited_group(make_study, volunteer, statuses=("invited", "accepted"))
    move_to(slot, utcnow() + timedelta(days=3))
    result = runner.invoke(args=["focus-groups", "send-reminders"])
    assert result.exit_code == 0, result.output
    assert "Sent 2 focus-group reminders." in result.output
    result = runner.invoke(args=["focus-groups", "send-reminders"])
    assert "Sent 0 focus-group reminders." in result.output
    assert len(mailbox) == 2


# --- Attendance -------------------------------------------------------------------------------


def test_attendance_after_the_session_is_recorded_and_audited(client, signed_in, group):
    study, slot, participants, _ = group
    signed_in("organiser")
    confirm(client, slot)
    early = client.get(f"/focus-groups/{study.id}/slots/{slot.id}/attendance")
    assert "once the session has started" in page_text(early)
    move_to(slot, utcnow() - timedelta(hours=2))

    page = client.get(f"/focus-groups/{study.id}/slots/{slot.id}/attendance")
    assert "Who attended?" in page_text(page) and "P1: Volunteer 1" in page_text(page)
    first, second, third = participants
    response = client.post(
        f"/focus-groups/{study.id}/slots/{slot.id}/attendance",
        data={f"attendance-{first.id}": "attended", f"attendance-{second.id}": "no_show"},
        follow_redirects=True,
    )
    assert "Attendance saved (2 changed)" in page_text(response)
    db.session.expire_all()
    assert [p.attendance for p in participants] == ["attended", "no_show", None]
    actions = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "focus_groups.attendance_recorded"))
    assert sorted(e.detail["pseudonym"] for e in actions) == ["P1", "P2"]

    bad = client.post(f"/focus-groups/{study.id}/slots/{slot.id}/attendance", data={f"attendance-{third.id}": "maybe"})
    assert "Select what happened for P3" in page_text(bad)


# --- Staff and the organiser's session page -----------------------------------------------------


def test_session_page_lists_people_and_assigns_staff(client, signed_in, make_user, group):
    study, slot, participants, _ = group
    signed_in("organiser")
    facilitator = make_user("facilitator", name="Fran Facilitator")
    note_taker = make_user("facilitator", name="Nat Notes")
    make_user("analyst", name="Andy Analyst")
    page = page_text(client.get(f"/focus-groups/{study.id}/slots/{slot.id}"))
    assert "Rosa Reserve" in page and "Confirm this group and send invitations" in page
    assert "once the group is confirmed" in page and "Fran Facilitator" not in page
    confirm(client, slot)
    page = page_text(client.get(f"/focus-groups/{study.id}/slots/{slot.id}"))
    assert "Fran Facilitator" in page and "Andy Analyst" not in page

    client.post(
        f"/focus-groups/{study.id}/slots/{slot.id}/staff",
        data={"facilitator": str(facilitator.id), "note_taker": str(note_taker.id)},
    )
    db.session.expire_all()
    assert (slot.facilitator_id, slot.note_taker_id) == (facilitator.id, note_taker.id)
    analyst = make_user("analyst")
    client.post(f"/focus-groups/{study.id}/slots/{slot.id}/staff", data={"facilitator": str(analyst.id)})
    db.session.expire_all()
    assert slot.facilitator_id == facilitator.id  # only people with the facilitator role

    client.post(f"/focus-groups/{study.id}/slots/{slot.id}/names", data={"names_visible": "yes"})
    db.session.expire_all()
    assert slot.names_visible
    actions = {e.action for e in db.session.scalars(select(AuditEvent))}
    assert {"focus_groups.slot_staff_set", "focus_groups.slot_names_visible"} <= actions


def test_a_slot_of_another_study_is_not_found(client, signed_in, group, make_study):
    _, slot, _, _ = group
    other = make_study(slots=1)
    signed_in("organiser")
    assert client.get(f"/focus-groups/{other.id}/slots/{slot.id}").status_code == 404


# --- Withdrawal -------------------------------------------------------------------------------


def test_withdrawing_erases_personal_details_keeps_the_pseudonym_and_fills_the_place(
    client, signed_in, mailbox, group, make_organisation
):
    study, slot, participants, (rosa, nia) = group
    organiser = signed_in("organiser")
    confirm(client, slot)
    leaving = participants[0]
    volunteer_ = leaving.volunteer
    address, name = volunteer_.email, volunteer_.name
    volunteer_.job_role, volunteer_.access_needs = "Head of ICT", "Step-free access"
    volunteer_.organisation = make_organisation(name="Leaving Borough")
    db.session.commit()
    respond_token = volunteer_token(volunteer_, "respond")
    withdraw_token = volunteer_token(volunteer_, "withdraw")
    invitation = to(mailbox, address)[0]
    assert f"/focus-groups/withdraw/{withdraw_token}" in text_part(invitation)
    mailbox.clear()

    page = client.get(f"/focus-groups/withdraw/{withdraw_token}")
    assert page.status_code == 200 and "Leave the focus-group study?" in page_text(page)
    db.session.expire_all()
    assert volunteer_.email == address  # nothing happens until they confirm

    response = client.post(f"/focus-groups/withdraw/{withdraw_token}", follow_redirects=True)
    assert "You have left the study" in page_text(response)
    db.session.expire_all()
    assert (volunteer_.name, volunteer_.email, volunteer_.job_role, volunteer_.access_needs) == (None,) * 4
    assert (volunteer_.organisation_name, volunteer_.organisation_id) == (None, None)
    assert volunteer_.erased_at is not None and volunteer_.withdrawn_at is not None
    assert (volunteer_.region, volunteer_.council_type, volunteer_.supports_schools) == (
        "london",
        "london-borough",
        True,
    )
    assert (leaving.status, leaving.pseudonym, leaving.attendance) == ("withdrawn", "P1", None)
    # Their place goes to the reserve who keeps the group most varied, and organisers are told.
    assert (nia.role, nia.status, nia.pseudonym) == ("participant", "invited", "P4")
    (confirmation,) = to(mailbox, address)
    assert "You have left" in confirmation["Subject"]
    # ...with a cancellation for their own event, so the session leaves their calendar.
    method, calendar = calendar_in(confirmation)
    (entry,) = calendar.events
    assert method == "CANCEL" and str(entry["STATUS"]) == "CANCELLED"
    assert str(entry["UID"]) == session_uid(slot.id, volunteer_.id, "http://localhost")
    assert entry["SEQUENCE"] == slot.sequence + 1
    assert "removes the focus group" in text_part(confirmation)
    (notice,) = to(mailbox, organiser.email)
    assert "P1 withdrew from the study" in text_part(notice) and name not in text_part(notice)
    assert to(mailbox, nia.volunteer.email)
    # Every old link is dead; the audit log says what happened without saying who.
    assert client.get(f"/focus-groups/respond/{respond_token}").status_code == 404
    assert client.get(f"/focus-groups/withdraw/{withdraw_token}").status_code == 404
    (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "focus_groups.volunteer_withdrawn"))
    assert event.detail["pseudonym"] == "P1" and event.detail["previous_status"] == "invited"
    assert name not in str(event.detail) and address not in str(event.detail)


def test_withdrawing_after_the_session_marks_attendance_and_promotes_nobody(app, mailbox, group):
    _, slot, participants, (rosa, nia) = group
    slot.status = "confirmed"
    for number, placement in enumerate(participants, start=1):
        placement.status, placement.pseudonym = "accepted", f"P{number}"
    db.session.commit()
    withdraw_volunteer(participants[1].volunteer, now=aware(slot.starts_at) + timedelta(days=2))
    db.session.commit()
    db.session.expire_all()
    assert (participants[1].status, participants[1].attendance, participants[1].pseudonym) == (
        "withdrawn",
        "withdrew",
        "P2",
    )
    assert (rosa.status, nia.status) == ("proposed", "proposed")
    assert [m["Subject"] for m in mailbox] == ["You have left the Socitm focus groups"]


def test_a_reserve_or_unplaced_volunteer_can_withdraw_too(client, mailbox, group, volunteer):
    study, slot, _, (rosa, _) = group
    unplaced = volunteer(study)
    for person in (rosa.volunteer, unplaced):
        response = client.post(f"/focus-groups/withdraw/{volunteer_token(person, 'withdraw')}")
        assert response.status_code == 302
    db.session.expire_all()
    assert rosa.status == "withdrawn" and rosa.volunteer.email is None and unplaced.erased_at is not None
    assert len(mailbox) == 2  # the two confirmations; no organiser notice for a reserve


# --- Reserves and "one person per organisation" across the whole study ---------------------------


def test_choose_reserve_passes_over_organisations_taken_elsewhere_in_the_study():
    group = [person(1, organisation="org:1")]
    reserves = [
        person(10, region="wales", council_type="welsh", organisation="org:2", reserve_rank=1),
        person(11, organisation="org:3", reserve_rank=2),
    ]
    assert choose_reserve(group, reserves) == 10
    assert choose_reserve(group, reserves, taken={"org:2"}) == 11
    assert choose_reserve(group, reserves, taken={"org:2", "org:3"}) is None


@pytest.mark.parametrize("one_per_organisation", [True, False])
def test_a_reserve_whose_organisation_is_in_another_group_is_not_promoted(
    client, signed_in, mailbox, make_study, volunteer, make_organisation, one_per_organisation
):
    study = make_study(slots=2)
    study.one_per_organisation = one_per_organisation
    first, second = study.slots
    move_to(first, soon(40))
    move_to(second, soon(47))
    council = make_organisation(name="Shared Borough Council")
    place(first, volunteer(study, organisation=council))
    typed = volunteer(study)
    typed.organisation_name = "Kent County Council"  # no member organisation: the name they typed
    place(first, typed)
    staying = place(second, volunteer(study))
    leaving = place(second, volunteer(study))
    member_colleague = volunteer(study, organisation=council, region="wales", council_type="welsh")
    typed_colleague = volunteer(study, region="north-west", council_type="metropolitan-borough")
    typed_colleague.organisation_name = "  KENT county   council "
    db.session.commit()
    reserves = [
        place(second, member_colleague, "reserve", 1),
        place(second, typed_colleague, "reserve", 2),
        place(second, volunteer(study), "reserve", 3),
    ]
    signed_in("organiser")
    confirm(client, first)
    confirm(client, second)
    client.post(f"/focus-groups/respond/{volunteer_token(leaving.volunteer, 'respond')}", data={"answer": "decline"})
    db.session.expire_all()
    assert staying.status == "invited"
    promoted = [r for r in reserves if r.role == "participant"]
    if one_per_organisation:
        # Both colleagues bring more variety, but their organisations are already in Slot 1.
        assert promoted == [reserves[2]]
    else:
        assert promoted == [reserves[0]]


# --- Calendar entries leave the calendar when someone declines -----------------------------------


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
    assert str(entry["UID"]) == session_uid(slot.id, leaving.volunteer_id, "http://localhost")
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


def test_the_withdrawal_page_offers_a_way_back(client, signed_in, group):
    _, slot, participants, (rosa, _) = group
    signed_in("organiser")
    confirm(client, slot)
    volunteer_ = participants[0].volunteer
    page = page_text(client.get(f"/focus-groups/withdraw/{volunteer_token(volunteer_, 'withdraw')}"))
    keep = f'href="/focus-groups/respond/{volunteer_token(volunteer_, "respond")}"'
    assert "No, keep my place" in page and keep in page
    reserve_page = page_text(client.get(f"/focus-groups/withdraw/{volunteer_token(rosa.volunteer, 'withdraw')}"))
    assert "No, stay in the study" in reserve_page


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


# --- Withdrawal erases what it should ------------------------------------------------------------


def test_withdrawal_redacts_the_outbox_and_the_address_in_the_audit_log_and_keeps_a_fingerprint(
    app, client, signed_in, group
):
    """No SMTP server here: the development outbox keeps bodies, which is what must be redacted."""
    _, slot, participants, _ = group
    signed_in("organiser")
    confirm(client, slot)
    volunteer_ = participants[0].volunteer
    address = volunteer_.email
    other = participants[1].volunteer.email
    visitor = app.test_client()  # the volunteer, from their own browser
    visitor.post(f"/focus-groups/respond/{volunteer_token(volunteer_, 'respond')}", data={"answer": "accept"})
    visitor.post(f"/focus-groups/withdraw/{volunteer_token(volunteer_, 'withdraw')}")
    db.session.expire_all()

    assert db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == address)).all() == []
    label = f"Withdrawn volunteer {volunteer_.id}"  # the same anonymous label as everywhere else
    erased = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == label)).all()
    assert {m.template for m in erased} == {"fg_invitation", "fg_withdrawal_confirmation"}
    assert all(m.text_body is None and m.html_body is None for m in erased)
    (kept,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == other))
    assert kept.text_body  # nobody else's email is touched

    events = {e.action: e for e in db.session.scalars(select(AuditEvent))}
    assert events["focus_groups.volunteer_withdrawn"].ip_address is None
    assert events["focus_groups.reserve_promoted"].ip_address is None  # their withdrawal promoted a reserve
    assert events["focus_groups.invitation_accepted"].ip_address is None  # their own earlier answer
    assert events["focus_groups.slot_confirmed"].ip_address is not None  # the organiser's stays
    assert volunteer_.email is None and volunteer_.withdrawn_email_hash == email_fingerprint(address)
    assert email_fingerprint(address.upper()) == volunteer_.withdrawn_email_hash


def test_withdrawing_after_the_session_keeps_recorded_attendance_and_leaves_decliners_alone(app, mailbox, group):
    _, slot, participants, _ = group
    slot.status = "confirmed"
    answers = [("accepted", "attended"), ("accepted", "no_show"), ("declined", None)]
    for number, (placement, (status, attendance)) in enumerate(zip(participants, answers, strict=True), start=1):
        placement.status, placement.attendance, placement.pseudonym = status, attendance, f"P{number}"
    db.session.commit()
    after = aware(slot.starts_at) + timedelta(days=2)
    for placement in participants:
        withdraw_volunteer(placement.volunteer, now=after)
        db.session.commit()
    db.session.expire_all()
    assert [p.status for p in participants] == ["withdrawn"] * 3
    assert [p.attendance for p in participants] == ["attended", "no_show", None]
    # After the session, nobody's calendar needs changing: no cancellation attached.
    assert all(not list(m.iter_attachments()) for m in mailbox)


def test_withdrawing_twice_does_it_once(app, mailbox, group):
    _, _, participants, _ = group
    volunteer_ = participants[0].volunteer
    assert withdraw_volunteer(volunteer_) is True
    db.session.commit()
    assert withdraw_volunteer(volunteer_) is False
    db.session.commit()
    assert len(mailbox) == 1
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "focus_groups.volunteer_withdrawn"))
    assert len(events.all()) == 1


# --- Staff only for confirmed sessions -----------------------------------------------------------


def test_staff_and_names_cannot_be_set_on_a_slot_that_is_not_confirmed(client, signed_in, make_user, group):
    study, slot, _, _ = group
    signed_in("organiser")
    facilitator = make_user("facilitator")
    response = client.post(
        f"/focus-groups/{study.id}/slots/{slot.id}/staff",
        data={"facilitator": str(facilitator.id)},
        follow_redirects=True,
    )
    assert "once the group is confirmed" in page_text(response)
    response = client.post(
        f"/focus-groups/{study.id}/slots/{slot.id}/names", data={"names_visible": "yes"}, follow_redirects=True
    )
    assert "only for a confirmed session" in page_text(response)
    db.session.expire_all()
    assert slot.facilitator_id is None and not slot.names_visible


# --- Rescheduling: one date parser, real UK times only ---------------------------------------------


def last_sunday_of_march(year: int) -> date:
    day = date(year, 3, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def reschedule_form(day: date, start_time: str) -> dict:
    return {
        "day": str(day.day),
        "month": str(day.month),
        "year": str(day.year),
        "start_time": start_time,
        "duration_minutes": "90",
        "online": "online",
        "location": "https://meet.example.org/new",
    }


def test_rescheduling_refuses_far_off_years_and_times_the_clocks_skip(client, signed_in, group):
    study, slot, _, _ = group
    signed_in("organiser")
    confirm(client, slot)
    path = f"/focus-groups/{study.id}/slots/{slot.id}/reschedule"

    page = client.post(path, data=reschedule_form(date(9999, 12, 31), "23:30"))
    assert page.status_code == 200 and "Year must be a four-digit year, like 2027" in page_text(page)
    assert 'value="9999"' in page_text(page)

    spring_forward = last_sunday_of_march(utcnow().year + 1)
    page = client.post(path, data=reschedule_form(spring_forward, "01:30"))
    text = page_text(page)
    assert page.status_code == 200 and "There is a problem" in text
    assert "That time does not exist in the UK: the clocks go forward" in text
    assert 'value="01:30"' in text

    page = client.post(path, data=reschedule_form(date(utcnow().year - 1, 6, 1), "10:00"))
    assert "The new date and time must be in the future" in page_text(page)

    db.session.expire_all()
    assert slot.sequence == 0
    assert client.get(f"/focus-groups/{study.id}/slots/{slot.id}").status_code == 200
    assert client.get("/focus-groups/sessions").status_code == 200
    # 02:30 that morning is a real time (BST), and is accepted.
    response = client.post(path, data=reschedule_form(spring_forward, "02:30"))
    assert response.status_code == 302
    db.session.expire_all()
    assert london(slot.starts_at).strftime("%H:%M") == "02:30" and slot.sequence == 1


# --- Reminders that could not be sent are tried again ------------------------------------------------


def test_a_reminder_whose_email_failed_is_sent_on_the_next_run(app, mailbox, make_study, volunteer):
    _, (invited,) = invited_group(make_study, volunteer, statuses=("invited",))
    starts = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
    working_port = app.config["MAIL_PORT"]
    with socket.socket() as probe:  # a port nobody listens on: the SMTP connection is refused
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    app.config["MAIL_PORT"] = dead_port
    assert send_session_reminders(starts - timedelta(days=4)) == 0
    (failed,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == "failed"))
    assert failed.recipient == invited.volunteer.email
    db.session.expire_all()
    assert invited.reminded_week_at is None

    app.config["MAIL_PORT"] = working_port
    assert send_session_reminders(starts - timedelta(days=4)) == 1
    assert [m["To"] for m in mailbox] == [invited.volunteer.email]
    assert send_session_reminders(starts - timedelta(days=4)) == 0


# --- Two answers at once (PostgreSQL: SQLite runs one writer at a time) ----------------------------


@pytest.fixture
def postgres_only(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter: SQLite's writing requests already run one at a time")


def _decline(app, placement_id: int, errors: list) -> None:
    """Decline in a thread of its own, with its own session and connection, as a second request would."""
    with app.app_context():
        try:
            respond(db.session.get(Placement, placement_id), "decline")
            db.session.commit()
        except Exception as exc:  # reported to the test, not lost in the thread
            db.session.rollback()
            errors.append(exc)


def _decline_at_once(app, placement_ids: list[int], held_placement_id: int) -> list:
    """Run the declines side by side, holding a lock on a reserve's row until every thread is waiting on
    a lock, so none of them can finish before the others have started (no timing guesses)."""
    db.session.commit()
    errors: list = []
    holder = db.engine.connect()
    transaction = holder.begin()
    holder.execute(select(Placement.id).where(Placement.id == held_placement_id).with_for_update())
    threads = [threading.Thread(target=_decline, args=(app, pid, errors)) for pid in placement_ids]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        with db.engine.connect() as watcher:
            waiting = 0
            while waiting < len(threads) and time.monotonic() < deadline:
                waiting = watcher.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                ).scalar_one()
        assert waiting == len(threads), "the declines never met at a lock"
    finally:
        transaction.rollback()
        holder.close()
        for thread in threads:
            thread.join(timeout=60)
    return errors


def test_two_participants_declining_at_once_promote_two_reserves_with_distinct_pseudonyms(
    app, mailbox, group, make_user, postgres_only
):
    _, slot, participants, (rosa, nia) = group
    organiser = make_user("organiser")
    staff = app.test_client()
    from tests.conftest import sign_in

    sign_in(staff, organiser.email)
    confirm(staff, slot)
    mailbox.clear()
    errors = _decline_at_once(app, [participants[0].id, participants[1].id], held_placement_id=nia.id)
    assert errors == []
    db.session.expire_all()
    assert [p.status for p in participants[:2]] == ["declined", "declined"]
    assert (rosa.role, rosa.status, nia.role, nia.status) == ("participant", "invited", "participant", "invited")
    assert {rosa.pseudonym, nia.pseudonym} == {"P4", "P5"}
    for reserve in (rosa, nia):
        assert len([m for m in to(mailbox, reserve.volunteer.email) if "A place has come up" in m["Subject"]]) == 1
    promoted = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "focus_groups.reserve_promoted"))
    assert len(promoted.all()) == 2


def test_a_decline_submitted_twice_at_once_promotes_one_reserve(app, mailbox, group, make_user, postgres_only):
    _, slot, participants, (rosa, nia) = group
    organiser = make_user("organiser")
    staff = app.test_client()
    from tests.conftest import sign_in

    sign_in(staff, organiser.email)
    confirm(staff, slot)
    mailbox.clear()
    errors = _decline_at_once(app, [participants[0].id, participants[0].id], held_placement_id=nia.id)
    assert errors == []
    db.session.expire_all()
    assert participants[0].status == "declined"
    assert [r.role for r in (rosa, nia)].count("participant") == 1
    assert len(to(mailbox, participants[0].volunteer.email)) == 1  # one confirmation, not two
    declined = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "focus_groups.invitation_declined"))
    assert len(declined.all()) == 1


def test_the_plan_lists_reserves_best_fit_first_as_a_promotion_ranks_them(client, signed_in, group):
    from app.focus_groups.composition.planning import current_groups

    study, slot, _participants, _reserves = group
    view = next(v for v in current_groups(study) if v.slot.id == slot.id)
    assert [p.volunteer.name for p in view.reserves] == ["Nia North", "Rosa Reserve"]  # rank 2 brings a new region
    signed_in("organiser")
    page = page_text(client.get(f"/focus-groups/{study.id}/groups"))
    assert "Reserves, best fit first" in page and "the reserve who then adds most to the group is asked" in page
