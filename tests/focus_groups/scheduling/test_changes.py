"""Changing a confirmed session (scheduling/changes.py): rescheduling with real UK times only, cancelling,
attendance, and its staff and names."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.clock import london, utcnow
from app.extensions import db
from app.focus_groups.scheduling.ical import session_uid
from app.focus_groups.services import volunteer_token
from tests.conftest import page_text
from tests.focus_groups.scheduling.support import calendar_in, confirm, move_to, soon, to


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
        "year": "2058",
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
        assert str(entry["UID"]) == session_uid(slot.id, placement.volunteer_id, "socitm-research")
    # The invitation link now says the session was cancelled, and answers change nothing.
    token = volunteer_token(participants[0].volunteer, "respond")
    assert "This session was cancelled" in page_text(client.get(f"/focus-groups/respond/{token}"))


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
