"""The pool (recruitment/pool.py): its figures by region and council type, and deleting a volunteer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import db
from app.focus_groups.models import Availability, Placement, Volunteer
from app.focus_groups.recruitment.pool import delete_volunteer, pool_for


def test_the_pool_counts_active_volunteers_by_region_and_council_type(app, make_study, make_volunteer):
    study = make_study(slots=2, target_groups=2, target_size=6, places_per_reserve=5)
    # (study.slots is read afresh before each call: the factory needs the study's slots loaded)
    make_volunteer(study, region="london", council_type="london-borough", available=study.slots[:1])
    make_volunteer(
        study, region="london", council_type="london-borough", if_need_be=study.slots[:1], supports_schools=False
    )
    make_volunteer(study, region="wales", council_type="welsh", available=study.slots[:2])
    make_volunteer(
        study, region="wales", council_type="welsh", available=study.slots[1:], withdrawn_at=datetime.now(UTC)
    )
    pool = pool_for(study)
    assert pool.matrix["london"]["london-borough"] == 2 and pool.matrix["wales"]["welsh"] == 1
    assert pool.region_totals["london"] == 2 and pool.council_type_totals["welsh"] == 1 and pool.total == 3
    assert (pool.places_needed, pool.reserves_needed, pool.volunteers_needed, pool.still_needed) == (12, 3, 15, 12)
    assert (pool.supports_schools, pool.no_schools) == (2, 1)
    assert "wales" not in pool.regions_without and "north-east" in pool.regions_without
    assert pool.council_types_without == [
        "county",
        "district",
        "unitary",
        "metropolitan-borough",
        "scottish",
        "northern-ireland-district",
        "other-public-body",
    ]
    assert [(a.yes, a.if_need_be, a.no) for a in pool.availability] == [(2, 1, 0), (1, 0, 2)]


@pytest.mark.parametrize(("places", "per_reserve", "reserves"), [(12, 5, 3), (10, 5, 2), (4, 5, 1)])
def test_reserves_round_up(app, make_study, places, per_reserve, reserves):
    study = make_study(target_groups=2, min_size=2, target_size=places // 2, places_per_reserve=per_reserve)
    assert pool_for(study).reserves_needed == reserves


def test_deleting_a_volunteer_removes_their_placement_and_availability(app, make_study, make_volunteer):
    study = make_study(slots=1)
    volunteer = make_volunteer(study, available=study.slots)
    db.session.add(Placement(study_id=study.id, slot_id=study.slots[0].id, volunteer_id=volunteer.id))
    db.session.commit()
    delete_volunteer(volunteer)
    assert db.session.scalar(select(func.count(Volunteer.id))) == 0
    assert db.session.scalar(select(func.count(Placement.id))) == 0
    assert db.session.scalar(select(func.count()).select_from(Availability)) == 0
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "focus_groups.volunteer_deleted"))


def test_a_volunteer_in_a_confirmed_session_is_withdrawn_not_deleted(app, make_study, make_volunteer):
    import pytest

    study = make_study(slots=1)
    volunteer = make_volunteer(study, available=study.slots)
    db.session.add(Placement(study_id=study.id, slot_id=study.slots[0].id, volunteer_id=volunteer.id, pseudonym="P4"))
    study.slots[0].status = "confirmed"
    db.session.commit()
    with pytest.raises(ValueError):
        delete_volunteer(volunteer)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Placement.id))) == 1  # P4 is never handed out again
