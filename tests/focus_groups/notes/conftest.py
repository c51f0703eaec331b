"""Fixtures for the session-notes tests: a confirmed session with a facilitator and three named participants
(test modules that need it staffed differently define their own `slot`)."""

from __future__ import annotations

import pytest

from tests.focus_groups.notes.support import make_session


@pytest.fixture
def slot(make_study, make_volunteer, make_user):
    facilitator = make_user("facilitator", name="Fran Facilitator")
    return make_session(make_study, make_volunteer, facilitator=facilitator)
