"""Planning a study's groups on the database, and the plan page organisers use."""

from __future__ import annotations

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.focus_groups.composition.planning import compose_study, current_groups, plan_warnings
from app.focus_groups.models import CompositionLock, Placement
from tests.conftest import page_text

MIX = [
    ("london", "london-borough"),
    ("wales", "welsh"),
    ("scotland", "scottish"),
    ("north-east", "unitary"),
    ("south-east", "county"),
    ("north-west", "metropolitan-borough"),
    ("east-of-england", "district"),
    ("south-west", "unitary"),
]


def pool(make_volunteer, study, slots, count=14):
    """Volunteers from varied regions and council types who can make the given slots."""
    return [
        make_volunteer(
            study,
            region=MIX[n % len(MIX)][0],
            council_type=MIX[n % len(MIX)][1],
            supports_schools=n % 3 != 0,
            available=slots,
        )
        for n in range(count)
    ]


def placements(study):
    return db.session.scalars(select(Placement).where(Placement.study_id == study.id).order_by(Placement.id)).all()


def test_composing_stores_the_groups_reserves_and_reasons(app, make_study, make_volunteer):
    study = make_study(slots=3)
    people = pool(make_volunteer, study, study.slots[:2], count=14)
    unavailable = make_volunteer(study, available=[study.slots[2]])
    result = compose_study(study)
    db.session.commit()
    assert result.groups_formed == 2
    rows = placements(study)
    participants = [p for p in rows if p.role == "participant"]
    reserves = [p for p in rows if p.role == "reserve"]
    assert len(participants) == 12
    assert len(reserves) == 2  # 14 eligible, 12 places: the other two are reserves
    assert {p.status for p in rows} == {"proposed"}
    assert sorted(r.reserve_rank for r in reserves) == [1, 1]
    report = study.composition_report
    assert report["groups_formed"] == 2 and report["optimal"] is True
    assert report["not_placed"][str(unavailable.id)] == "unavailable"
    assert {str(p.id) for p in people} - {str(p.volunteer_id) for p in rows} == set()
    assert plan_warnings(study) == []
    groups = current_groups(study)
    assert [len(g.participants) for g in groups] == [6, 6]
    assert all(len(g.regions) == 6 for g in groups)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "focus_groups.composed"))


def test_running_again_replaces_the_proposal_but_keeps_confirmed_groups(app, make_study, make_volunteer):
    study = make_study(slots=3)
    pool(make_volunteer, study, study.slots, count=16)
    compose_study(study)
    db.session.commit()
    first_slot = current_groups(study)[0].slot
    first_slot.status = "confirmed"
    confirmed_people = {p.volunteer_id for p in first_slot.placements if p.role == "participant"}
    db.session.commit()
    result = compose_study(study)
    db.session.commit()
    assert result.groups_formed == 1  # two wanted, one already confirmed
    db.session.expire_all()
    kept = {p.volunteer_id for p in placements(study) if p.slot_id == first_slot.id and p.role == "participant"}
    assert kept == confirmed_people
    others = [p for p in placements(study) if p.slot_id != first_slot.id and p.role == "participant"]
    assert others and not confirmed_people & {p.volunteer_id for p in others}


def test_locks_and_hand_moves_with_warnings(client, signed_in, make_study, make_volunteer):
    signed_in("organiser")
    study = make_study(slots=2)
    people = pool(make_volunteer, study, study.slots, count=12)
    a, b = study.slots
    lock_url = f"/focus-groups/{study.id}/groups/lock"
    client.post(lock_url, data={"volunteer_id": people[0].id, "slot_id": b.id, "kind": "in"})
    client.post(lock_url, data={"volunteer_id": people[1].id, "slot_id": a.id, "kind": "out"})
    client.post(lock_url, data={"volunteer_id": people[1].id, "slot_id": b.id, "kind": "out"})
    response = client.post(f"/focus-groups/{study.id}/groups/compose", follow_redirects=True)
    text = page_text(response)
    assert "2 groups proposed: the best possible under the rules" in text
    assert "Kept in" in text
    rows = {p.volunteer_id: p for p in placements(study)}
    assert rows[people[0].id].slot_id == b.id and rows[people[0].id].role == "participant"
    assert people[1].id not in rows
    assert "kept out of Slot 1, Slot 2" in text

    # Moving someone into a full group breaks a rule, and the page says so.
    mover = next(p for p in people if rows.get(p.id) and rows[p.id].slot_id == a.id)
    for other in [p for p in people if rows.get(p.id) and rows[p.id].slot_id == b.id][:3]:
        client.post(
            f"/focus-groups/{study.id}/groups/move",
            data={"volunteer_id": other.id, "destination": f"{a.id}:participant"},
        )
    response = client.get(f"/focus-groups/{study.id}/groups")
    text = page_text(response)
    assert "These groups break" in text
    assert "more than its limit of 8" in text or "fewer than the minimum of 4" in text
    moved = client.post(
        f"/focus-groups/{study.id}/groups/move",
        data={"volunteer_id": mover.id, "destination": "out"},
        follow_redirects=True,
    )
    assert f"{mover.name} moved out of the groups" in page_text(moved)
    assert mover.id not in {p.volunteer_id for p in placements(study)}


def test_the_plan_page_explains_who_is_not_placed(client, signed_in, make_study, make_volunteer):
    signed_in("organiser")
    study = make_study(slots=2)
    empty = client.get(f"/focus-groups/{study.id}/groups")
    assert "There are no volunteers yet" in page_text(empty)
    pool(make_volunteer, study, [study.slots[0]], count=6)
    nobody = make_volunteer(study, name="Nora Nowhen", available=[])
    text = page_text(client.post(f"/focus-groups/{study.id}/groups/compose", follow_redirects=True))
    assert "1 group proposed" in text
    assert "Nora Nowhen" in text
    assert "Cannot make any of the chosen slots" in text
    assert nobody.id


def test_too_few_volunteers_is_said_plainly(client, signed_in, make_study, make_volunteer):
    signed_in("organiser")
    study = make_study(slots=1)
    make_volunteer(study, available=study.slots)
    text = page_text(client.post(f"/focus-groups/{study.id}/groups/compose", follow_redirects=True))
    assert "No group can be formed yet" in text


def test_contradictory_locks_are_reported_not_crashed(client, signed_in, make_study, make_volunteer, make_organisation):
    signed_in("organiser")
    study = make_study(slots=1)
    org = make_organisation("Same Council")
    twins = [make_volunteer(study, organisation=org, available=study.slots) for _ in range(2)]
    pool(make_volunteer, study, study.slots, count=5)
    for person in twins:
        db.session.add(CompositionLock(study_id=study.id, volunteer_id=person.id, slot_id=study.slots[0].id, kind="in"))
    db.session.commit()
    response = client.post(f"/focus-groups/{study.id}/groups/compose", follow_redirects=True)
    assert "No groups were proposed: The locked placements cannot all be kept" in page_text(response)


def test_a_volunteer_of_another_study_cannot_be_moved(client, signed_in, make_study, make_volunteer):
    signed_in("organiser")
    study, other = make_study(slots=1), make_study(slots=1, title="Other")
    stranger = make_volunteer(other, available=other.slots)
    response = client.post(
        f"/focus-groups/{study.id}/groups/move",
        data={"volunteer_id": stranger.id, "destination": f"{study.slots[0].id}:participant"},
    )
    assert response.status_code == 404
    bogus = client.post(
        f"/focus-groups/{study.id}/groups/move", data={"volunteer_id": stranger.id, "destination": "999:participant"}
    )
    assert bogus.status_code == 302  # an unknown destination is refused by the form: nothing moves
    assert placements(study) == []


def test_large_pools_are_composed_in_a_background_job_with_progress(client, signed_in, make_study, make_volunteer):
    from app.focus_groups.composition import routes as composition_routes

    signed_in("organiser")
    study = make_study(slots=2)
    pool(make_volunteer, study, study.slots, count=12)
    previous = composition_routes.BACKGROUND_ABOVE
    composition_routes.BACKGROUND_ABOVE = 5  # this pool counts as large
    try:
        response = client.post(f"/focus-groups/{study.id}/groups/compose")
    finally:
        composition_routes.BACKGROUND_ABOVE = previous
    assert "/jobs/" in response.headers["Location"]
    page = client.get(response.headers["Location"])
    text = page_text(page)
    assert "Proposing groups for ‘Who are our users?’" in text
    assert "3 of 3 done" in text
    assert "2 groups proposed: the best possible under the rules." in text
    assert len([p for p in placements(study) if p.role == "participant"]) == 12


def test_proposing_again_after_a_cancellation_puts_people_back_in_the_pool(app, make_study, make_volunteer):
    study = make_study(slots=3)
    pool(make_volunteer, study, study.slots, count=14)
    compose_study(study)
    db.session.commit()
    cancelled = current_groups(study)[0].slot
    cancelled.status = "cancelled"
    for placement in cancelled.placements:
        placement.status = "cancelled"
    db.session.commit()
    result = compose_study(study)  # once crashed on the unique (study, volunteer) placement
    db.session.commit()
    assert result.groups_formed == 2
    assert cancelled.id not in {int(slot_id) for slot_id in result.groups}
    assert not [p for p in placements(study) if p.slot_id == cancelled.id]


def test_slots_that_have_started_are_not_proposed(app, make_study, make_volunteer):
    from datetime import UTC, datetime

    study = make_study(slots=3)  # March 2055, a week apart
    pool(make_volunteer, study, study.slots, count=14)
    result = compose_study(study, now=datetime(2055, 3, 5, tzinfo=UTC))  # the first slot is past
    db.session.commit()
    assert set(result.groups) == {str(study.slots[1].id), str(study.slots[2].id)}


def test_organisations_of_a_confirmed_groups_reserves_stay_out_of_new_groups(
    app, make_study, make_volunteer, make_organisation
):
    study = make_study(slots=2)
    a, b = study.slots
    shared = make_organisation("Shared Council")
    people = pool(make_volunteer, study, [a], count=6)
    reserve = make_volunteer(study, organisation=shared, available=[a])
    twin = make_volunteer(study, organisation=shared, region="wales", council_type="welsh", available=[b])
    pool(make_volunteer, study, [b], count=5)
    for n, person in enumerate(people):
        db.session.add(Placement(study_id=study.id, slot_id=a.id, volunteer_id=person.id, pseudonym=f"P{n + 1}"))
    db.session.add(Placement(study_id=study.id, slot_id=a.id, volunteer_id=reserve.id, role="reserve", reserve_rank=1))
    a.status = "confirmed"
    db.session.commit()
    result = compose_study(study)
    db.session.commit()
    assert result.not_placed[str(twin.id)] == "organisation already represented"
    assert twin.id not in {p.volunteer_id for p in placements(study)}
