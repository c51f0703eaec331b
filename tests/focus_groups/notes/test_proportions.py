"""The proportion grid (notes/proportions.py): shares read as typed, rows not adding up to 100 flagged, bad or
stale grids refused with the figures kept."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.focus_groups.notes.access import session_participants
from app.focus_groups.notes.models import ProportionEstimate
from app.focus_groups.notes.proportions import (
    StaleGrid,
    parse_share,
    proportion_figures,
    proportion_rows,
    proportion_summary,
    save_proportions,
    share_field,
    share_text,
)
from app.focus_groups.notes.taking import session_revisions


def _grid(slot, values: dict[str, dict[str, str]]) -> dict[str, str]:
    people = {p.pseudonym: p for p in session_participants(slot)}
    return {share_field(people[who], category): value for who, row in values.items() for category, value in row.items()}


def test_proportions_are_saved_and_a_row_not_adding_up_to_100_is_flagged(slot):
    form = _grid(
        slot,
        {
            "P1": {"office_staff": "20", "pupils": "60.5", "school_staff": "19.5%"},
            "P2": {"office_staff": "50", "pupils": "40"},
        },
    )
    assert save_proportions(slot, form, expected_version=0) == {}
    db.session.commit()
    rows = {row.placement.pseudonym: row for row in proportion_rows(slot)}
    assert rows["P1"].shares["pupils"] == 60.5 and rows["P1"].total == 100 and rows["P1"].adds_up
    assert rows["P2"].total == 90 and not rows["P2"].adds_up
    assert not rows["P3"].given and rows["P3"].adds_up  # nothing given: not flagged
    figures = {f["pseudonym"]: f for f in proportion_figures(slot.study)}
    assert set(figures) == {"P1", "P2"}
    assert figures["P1"]["region"] == "london" and figures["P1"]["supports_schools"] is True
    assert "name" not in figures["P1"]
    summary = proportion_summary(slot.study)
    assert summary["pupils"]["n"] == 1 and summary["pupils"]["median"] == 60.5  # P2 does not add up


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-5", "P1's share of pupils must be between 0 and 100"),
        ("100.5", "P1's share of pupils must be between 0 and 100"),
        ("lots", "Enter P1's share of pupils as a number from 0 to 100, like 12.5"),
        ("nan", "Enter P1's share of pupils as a number from 0 to 100, like 12.5"),
    ],
)
def test_bad_proportions_are_refused_and_nothing_is_saved(slot, value, message):
    errors = save_proportions(slot, _grid(slot, {"P1": {"pupils": value, "office_staff": "40"}}), expected_version=0)
    db.session.rollback()
    people = {p.pseudonym: p for p in session_participants(slot)}
    assert errors == {share_field(people["P1"], "pupils"): message}
    assert db.session.scalars(select(ProportionEstimate)).all() == []


def test_clearing_a_cell_removes_the_figure(slot):
    save_proportions(slot, _grid(slot, {"P1": {"pupils": "100"}}), expected_version=0)
    save_proportions(slot, _grid(slot, {"P1": {"pupils": ""}}), expected_version=1)
    db.session.commit()
    assert db.session.scalars(select(ProportionEstimate)).all() == []


def test_a_stale_grid_is_refused_and_the_figures_kept(slot):
    people = {p.pseudonym: p for p in session_participants(slot)}
    save_proportions(slot, _grid(slot, {"P1": {"pupils": "60", "office_staff": "40"}}), expected_version=0)
    db.session.commit()
    # A colleague's page, opened before that save, has blanks where the figures now are.
    with pytest.raises(StaleGrid) as refused:
        save_proportions(slot, _grid(slot, {"P2": {"pupils": "100"}}), expected_version=0)
    db.session.rollback()
    assert refused.value.state.grid_version == 1
    assert proportion_rows(slot)[0].shares["pupils"] == 60  # nothing wiped
    assert db.session.get(ProportionEstimate, (people["P2"].id, "pupils")) is None
    save_proportions(slot, _grid(slot, {"P1": {"pupils": "55", "office_staff": "40"}}), expected_version=1)
    db.session.commit()
    (latest, first) = session_revisions(slot, "proportions")
    assert latest.version == 2 and latest.before == {str(people["P1"].id): {"pupils": 60}}
    assert latest.after == {str(people["P1"].id): {"pupils": 55}}
    assert first.before == {str(people["P1"].id): {"pupils": None, "office_staff": None}}


@pytest.mark.parametrize(
    ("typed", "value"), [("12,5", 12.5), ("50%", 50), ("7.125 %", 7.125), ("100", 100), ("33.3333", 33.3333)]
)
def test_shares_are_read_with_a_comma_or_percent_sign_and_shown_as_typed(typed, value):
    assert parse_share(typed) == (value, None)
    assert share_text(value) == typed.replace(",", ".").replace("%", "").strip()


@pytest.mark.parametrize("typed", ["1_0", "١٠", "²", "1e2", "nan", "inf", "12.", ".5", "1,2,3"])
def test_shares_that_are_not_plain_numbers_are_refused(typed):
    assert parse_share(typed) == (None, "number")
