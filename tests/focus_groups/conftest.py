"""Factories for focus-group tests: a study with candidate slots, and volunteers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.extensions import db
from app.focus_groups.models import Availability, Volunteer
from app.focus_groups.recruitment.consent import CURRENT_CONSENT_VERSION
from app.focus_groups.services import new_salt
from app.focus_groups.studies.services import add_slot, create_study

# The first candidate slot of every study the tests make. Tests that need a session "to come" rely on it being
# in the future, and tests that show weekdays rely on its calendar: 2055 has 2027's (each date the same weekday,
# the clocks changing on the same Sundays), and it stays in the future for as long as this code is kept.
# Other tests' fixed dates ("NOW = 1 February 2055") are on the same footing; tests/test_clock.py checks it.
FIRST_SLOT = datetime(2055, 3, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def make_study(app):
    """make_study(slots=3) -> a study with that many candidate slots a week apart, from 1 March 2055."""

    def make(slots: int = 3, title: str = "Who are our users?", **kwargs):
        study = create_study(title, **kwargs)
        for n in range(slots):
            add_slot(study, FIRST_SLOT + timedelta(weeks=n), location=f"https://meet.example.org/{n + 1}", capacity=8)
        db.session.commit()
        return study

    return make


@pytest.fixture
def make_volunteer(app):
    """make_volunteer(study, region=..., council_type=..., available=[slot, ...], if_need_be=[...])."""
    counter = {"n": 0}

    def make(
        study,
        *,
        name: str | None = None,
        region: str = "london",
        council_type: str = "london-borough",
        supports_schools: bool = True,
        available=(),
        if_need_be=(),
        organisation=None,
        **kwargs,
    ) -> Volunteer:
        counter["n"] += 1
        n = counter["n"]
        slots = list(study.slots)
        volunteer = Volunteer(
            study_id=study.id,
            name=name or f"Volunteer {n}",
            email=kwargs.pop("email", f"volunteer{n}@example.org"),
            region=region,
            council_type=council_type,
            supports_schools=supports_schools,
            organisation=organisation,
            organisation_name=organisation.name if organisation else f"Council {n}",
            consented_at=datetime.now(UTC),
            consent_version=CURRENT_CONSENT_VERSION,
            salt=new_salt(),
            **kwargs,
        )
        for slot in slots:
            answer = "yes" if slot in available else "if_need_be" if slot in if_need_be else "no"
            volunteer.availability.append(Availability(slot_id=slot.id, answer=answer))
        db.session.add(volunteer)
        db.session.commit()
        return volunteer

    return make


@pytest.fixture
def make_interested_member(app, make_user, make_organisation):
    """make_interested_member(name, answer="yes", organisation_name=..., region=..., council_type=...) -> a member
    whose organisation's submitted survey response carries their answer to "Would you like to hear about taking
    part in a focus group?"."""
    from app.surveys.models import Answer, Response
    from app.surveys.services import ensure_default_survey

    survey = ensure_default_survey()
    counter = {"n": 0}

    def make(name: str | None = None, answer: str = "yes", answered_at=None, organisation_name=None, **organisation):
        counter["n"] += 1
        n = counter["n"]
        organisation = make_organisation(organisation_name or f"Borough {n} Council", **organisation)
        member = make_user("member", name=name or f"Member {n}", organisation=organisation)
        when = answered_at or datetime(2026, 11, 20, 9, 0, tzinfo=UTC) + timedelta(days=n)
        response = Response(
            survey_id=survey.id,
            version_id=survey.current_version.id,
            organisation_id=organisation.id,
            reference=f"SIC-TEST-{n:04d}",
            status="submitted",
            submitted_at=when,
            submitted_by_id=member.id,
            submission_count=1,
            submitted_answers={"provides_education": "no", "focus_group_interest": answer},
        )
        db.session.add(response)
        db.session.flush()
        db.session.add(
            Answer(
                response_id=response.id,
                question_id="focus_group_interest",
                value=answer,
                updated_at=when,
                updated_by_id=member.id,
                updated_by_label=member.name,
            )
        )
        db.session.commit()
        return member

    return make
