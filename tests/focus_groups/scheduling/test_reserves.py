"""Reserves (scheduling/reserves.py): choosing the reserve who keeps a group diverse, one person per organisation
across the study, and promotion when a participant declines, once even when declines arrive at once."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select, text

from app.audit.models import AuditEvent
from app.extensions import db
from app.focus_groups.models import Placement
from app.focus_groups.scheduling.ical import session_uid
from app.focus_groups.scheduling.invitations import respond
from app.focus_groups.scheduling.reserves import GroupMember, choose_reserve
from app.focus_groups.services import volunteer_token
from tests.conftest import page_text, text_part
from tests.focus_groups.scheduling.support import calendar_in, confirm, move_to, place, soon, to


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


def test_choose_reserve_passes_over_organisations_taken_elsewhere_in_the_study():
    group = [person(1, organisation="org:1")]
    reserves = [
        person(10, region="wales", council_type="welsh", organisation="org:2", reserve_rank=1),
        person(11, organisation="org:3", reserve_rank=2),
    ]
    assert choose_reserve(group, reserves) == 10
    assert choose_reserve(group, reserves, taken={"org:2"}) == 11
    assert choose_reserve(group, reserves, taken={"org:2", "org:3"}) is None


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
    assert str(calendar.events[0]["UID"]) == session_uid(slot.id, nia.volunteer_id, "socitm-research")
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


def test_the_plan_lists_reserves_best_fit_first_as_a_promotion_ranks_them(client, signed_in, group):
    from app.focus_groups.composition.planning import current_groups

    study, slot, _participants, _reserves = group
    view = next(v for v in current_groups(study) if v.slot.id == slot.id)
    assert [p.volunteer.name for p in view.reserves] == ["Nia North", "Rosa Reserve"]  # rank 2 brings a new region
    signed_in("organiser")
    page = page_text(client.get(f"/focus-groups/{study.id}/groups"))
    assert "Reserves, best fit first" in page and "the reserve who then adds most to the group is asked" in page


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
        # Autocommit: PostgreSQL takes one snapshot of pg_stat_activity per transaction, so a watcher inside one
        # transaction never sees a thread that connected after its first look (it failed 1 run in 13 that way).
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as watcher:
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
