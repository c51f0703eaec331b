"""Factories for the analysis tests: a study with a session and notes, and submitted survey answers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.extensions import db
from app.focus_groups.notes.taking import NoteInput, add_note
from app.surveys.models import Response
from app.surveys.services import ensure_default_survey
from tests.focus_groups import conftest as focus_group_fixtures
from tests.focus_groups.notes.support import make_session

# The focus-group factories, as fixtures here too.
make_study = focus_group_fixtures.make_study
make_volunteer = focus_group_fixtures.make_volunteer

NOTES = (
    ("P1 said their traded SLA covers 40 primary schools. Pupils' devices are not on the corporate network.", ["P1"]),
    ("P2 counts only office staff as users. That's the honest answer.", ["P2"]),
    ("Coffee break at 11.", []),
)


@pytest.fixture
def study_with_notes(make_study, make_volunteer):
    """A study whose first session has participants P1 to P3 and three notes; returns (study, slot, notes)."""
    slot = make_session(make_study, make_volunteer)
    notes = [add_note(slot, NoteInput(text, pseudonyms=list(people)))[0] for text, people in NOTES]
    db.session.commit()
    return slot.study, slot, notes


@pytest.fixture
def submitted_answer(make_organisation):
    """submitted_answer(text, region=..., council_type=..., supports_schools=True) -> a submitted response
    to the default survey whose only free text is `text` (the 'why' of counting pupils)."""
    counter = {"n": 0}

    def make(text: str, *, region: str = "wales", council_type: str = "welsh", supports_schools: bool = True):
        counter["n"] += 1
        survey = ensure_default_survey()
        organisation = make_organisation(region=region, council_type=council_type)
        response = Response(
            survey_id=survey.id,
            version_id=survey.current_version.id,
            organisation_id=organisation.id,
            reference=f"ANSWER-{counter['n']}",
            status="submitted",
            submitted_at=datetime.now(UTC),
            submitted_answers={"provides_education": "yes" if supports_schools else "no", "pupils_reason": text},
        )
        db.session.add(response)
        db.session.commit()
        return survey, response

    return make
