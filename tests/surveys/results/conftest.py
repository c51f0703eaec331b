"""Fixtures for the results tests: three submitted responses (and one in progress) to export."""

import copy

import pytest

from app.extensions import db
from app.surveys.models import Response
from tests.surveys.results.support import (
    ANSWERS,
    ORGANISATIONS,
    STARTED,
    SUBMITTED,
)


@pytest.fixture
def made(survey, make_organisation):
    """Three submitted responses (and one in progress, which exports leave out), by reference."""
    found = {}
    for reference, answers in ANSWERS.items():
        name, region, council_type = ORGANISATIONS[reference]
        org = make_organisation(name=name, region=region, council_type=council_type)
        response = Response(
            survey_id=survey.id,
            version_id=survey.current_version.id,
            organisation_id=org.id,
            reference=reference,
            status="submitted",
            started_at=STARTED,
            submitted_at=SUBMITTED,
            submitted_answers=copy.deepcopy(answers),
        )
        db.session.add(response)
        found[reference] = response
    draft = make_organisation(name="Drafting Council")
    db.session.add(
        Response(
            survey_id=survey.id,
            version_id=survey.current_version.id,
            organisation_id=draft.id,
            reference="EXP-4",
            status="in_progress",
            submitted_answers={"provides_education": "yes"},
        )
    )
    db.session.commit()
    return found
