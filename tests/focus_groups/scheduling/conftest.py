"""Fixtures for the scheduling and session tests: the volunteer factory with the study's slots loaded, and a
group ready to confirm."""

from __future__ import annotations

import pytest

from tests.focus_groups.scheduling.support import move_to, place, soon


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
