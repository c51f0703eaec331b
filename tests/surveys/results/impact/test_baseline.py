"""What each organisation counts today (the baseline), the external users' definition and its weights, and how
many organisations' per-user figures move from the baseline (`movers`), against hand arithmetic on the fixture in
conftest.py and on small edge cases."""

from __future__ import annotations

import pytest

from app.surveys.results.impact.model import (
    CURRENT_CATEGORIES,
    DEFINITION_KEYS,
    THRESHOLD,
    counted_today,
    impact,
)
from app.surveys.results.impact.movement import movers, movers_by_council_type
from app.surveys.results.impact.weight import default_weight, external_derivation
from app.surveys.results.impact.wording import evidence
from tests.surveys.results.impact.support import Org, by_code, org, users


def counted(ident, ticked, *, current=1000, spend=1_000_000.0, fte=None, council_type="county", **grid) -> Org:
    """An organisation with `current` office staff, other groups in `grid`, and `ticked` as its answer."""
    answers = {"users": users(office=current, **grid), "ict_revenue_spend": spend, "ict_staff_fte": fte}
    if ticked is not None:
        answers["counted_in_benchmark"] = ticked
    return Org(ident, "london", council_type, answers)


def summary(movement) -> tuple[int, int, int, int]:
    return movement.compared, movement.moved, movement.changed, movement.fallback


def test_baselines_of_the_fixture(model):
    orgs = by_code(model)
    assert [(o.baseline_source, o.baseline_users) for o in model.organisations] == [
        ("answer", 1500),  # current + school staff
        ("no_return", 2000),  # falls back to the current definition
        ("not_answered", 500),
        ("answer", 10000),  # current + school staff + pupils
        ("dont_know", 1000),
        ("answer", 650),  # office staff 600 + councillors 50
    ]
    assert orgs["Org 001"].counted == ("office_staff", "frontline_staff", "councillors", "school_staff")
    assert orgs["Org 002"].counted == CURRENT_CATEGORIES and orgs["Org 002"].fallback
    assert orgs["Org 006"].counted == ("office_staff", "councillors")
    assert orgs["Org 001"].spend_per_user_baseline == pytest.approx(1000_000 / 1500)
    assert orgs["Org 006"].users_per_fte_baseline == pytest.approx(650 / 16)
    assert orgs["Org 005"].spend_per_user_baseline is None  # no spend
    assert model.baseline_sources == {"answer": 3, "not_answered": 1, "dont_know": 1, "no_return": 1}
    assert model.fallbacks == 3


def test_changes_from_the_baseline(model):
    orgs = by_code(model)
    # spend per user moves by baseline users / users - 1
    assert orgs["Org 001"].change("current") == pytest.approx(0.5)  # 1,500 / 1,000 - 1
    assert orgs["Org 001"].change("plus_school_staff") == 0
    assert orgs["Org 001"].change("plus_external") == pytest.approx(1500 / 2600 - 1)
    assert orgs["Org 006"].change("current") == pytest.approx(-0.1875)  # 650 / 800 - 1: changes, not by > 20%
    # users per FTE moves by users / baseline users - 1: Org 006 moves by more than 20% on this metric
    assert orgs["Org 006"].change("current", "users_per_fte") == pytest.approx(800 / 650 - 1)
    assert orgs["Org 005"].change("current") is None  # no spend


def test_movers_of_the_fixture(model):
    found = movers(model)
    assert list(found) == list(DEFINITION_KEYS)
    # compared: Org 001, 002, 003, 004, 006 (Org 005 has no spend); Org 002 and 003 fall back
    # moved by > 20%: current Org 001 (+50%), 004 (+567%); Org 006 only -18.75%
    assert summary(found["current"]) == (5, 2, 3, 2)
    assert (found["current"].raised, found["current"].lowered) == (2, 0)
    assert summary(found["plus_school_staff"]) == (5, 2, 2, 2)  # Org 004 +300%, Org 006 -35%
    assert summary(found["plus_pupils"]) == (5, 2, 2, 2)  # Org 001 -73%, Org 006 -84%
    assert summary(found["weighted"]) == (5, 3, 3, 2)  # Org 001 -35%, 004 +150%, 006 -59%
    # external users: Org 001 -42%, 002 -4.8% (changes only), 003 -29% (500 / 700), 004 +150%, 006 -70%
    assert summary(found["plus_external"]) == (5, 4, 5, 2)
    assert found["plus_external"].share == pytest.approx(0.8)
    assert found["plus_external"].left_out == 1
    fte = movers(model, metric="users_per_fte")
    # compared: Org 001, 002, 004, 005, 006 (Org 003 has no FTE); Org 002 and 005 fall back
    assert summary(fte["current"]) == (5, 3, 3, 2)  # Org 001 -33%, 004 -85%, 006 +23%
    assert summary(fte["plus_external"]) == (5, 4, 5, 2)


def test_threshold_is_strictly_more_than():
    # 1,000 counted, 1,250 under the current definition: spend per user -20% exactly, users per FTE +25%
    rows = [counted(1, ["office_staff"], current=1000, fte=10.0, frontline_staff=250)]
    model = impact(rows, 0.25)
    assert summary(movers(model)["current"]) == (1, 0, 1, 0)
    assert summary(movers(model, metric="users_per_fte")["current"]) == (1, 1, 1, 0)
    assert movers(model, 0.25, metric="users_per_fte")["current"].moved == 0
    assert movers(model, 0.1)["current"].moved == 1
    assert movers(model, "nonsense")["current"].threshold == 0  # a bad threshold moves on any change
    assert THRESHOLD == 0.2


def test_answers_that_fall_back_to_the_current_definition():
    assert counted_today({}) == (CURRENT_CATEGORIES, "not_answered")
    assert counted_today(None) == (CURRENT_CATEGORIES, "not_answered")
    assert counted_today({"counted_in_benchmark": None}) == (CURRENT_CATEGORIES, "not_answered")
    assert counted_today({"counted_in_benchmark": []}) == (CURRENT_CATEGORIES, "not_answered")
    assert counted_today({"counted_in_benchmark": ["martians", 7]}) == (CURRENT_CATEGORIES, "not_answered")
    assert counted_today({"counted_in_benchmark": 42}) == (CURRENT_CATEGORIES, "not_answered")
    assert counted_today({"counted_in_benchmark": "dont_know"}) == (CURRENT_CATEGORIES, "dont_know")
    assert counted_today({"counted_in_benchmark": ["dont_know"]}) == (CURRENT_CATEGORIES, "dont_know")
    assert counted_today({"counted_in_benchmark": ["no-return"]}) == (CURRENT_CATEGORIES, "no_return")
    # exclusive in the survey; should both arrive, "no-return" wins
    assert counted_today({"counted_in_benchmark": ["no-return", "pupils"]}) == (CURRENT_CATEGORIES, "no_return")
    assert counted_today({"counted_in_benchmark": ["pupils", "office_staff", "martians"]}) == (
        ("office_staff", "pupils"),
        "answer",
    )
    assert counted_today({"counted_in_benchmark": "residents"}) == (("residents",), "answer")


def test_no_baseline_anywhere_compares_with_the_current_definition():
    rows = [counted(1, None, current=100), counted(2, None, current=200, partners=100)]
    model = impact(rows, 0.25)
    assert model.fallbacks == 2
    found = movers(model)
    assert summary(found["current"]) == (2, 0, 0, 2)
    assert summary(found["plus_external"]) == (2, 1, 1, 2)  # 200 / 300 - 1 = -33%
    sentences = evidence(model)
    assert (
        "2 organisations gave no usable answer on which groups they count in their benchmarking return (2 did not "
        "say), so the current definition stands in for what they count today; they are not left out for this."
    ) in sentences


def test_zero_users_under_the_baseline_are_left_out_and_counted():
    # ticks pupils only but has none: no per-user figure today, so nothing to compare
    rows = [counted(1, ["pupils"], current=100), counted(2, ["office_staff"], current=100)]
    model = impact(rows, 0.25)
    first = model.organisations[0]
    assert (first.baseline_source, first.baseline_users, first.spend_per_user_baseline) == ("answer", 0, None)
    found = movers(model)["current"]
    assert (found.compared, found.left_out) == (1, 1)


def test_all_organisations_move_and_none_move():
    everyone = [counted(i, ["office_staff"], current=100, contractors=100) for i in range(1, 4)]
    found = movers(impact(everyone, 0.25))["plus_external"]
    assert summary(found) == (3, 3, 3, 0) and found.share == 1 and found.lowered == 3  # 100 / 200 - 1 = -50%
    nobody = [counted(i, ["office_staff"], current=100) for i in range(1, 4)]
    for movement in movers(impact(nobody, 0.25)).values():
        assert summary(movement) == (3, 0, 0, 0) and movement.share == 0
    sentences = evidence(impact(nobody, 0.25))
    assert (
        "Under the current definition, ICT spend per user moves by more than 20% from what each organisation counts "
        "today for 0 of 3 organisations (0%), and changes at all for 0."
    ) in sentences


def test_no_organisations_and_no_spend():
    empty = movers(impact([], 0.25))
    assert all(summary(m) == (0, 0, 0, 0) and m.share is None for m in empty.values())
    no_spend = impact([counted(1, ["office_staff"], spend=None)], 0.25)
    assert movers(no_spend)["plus_external"].left_out == 1
    assert not any("moves by more than" in sentence for sentence in evidence(no_spend))


def test_movers_by_council_type_flags_small_groups(model):
    groups = movers_by_council_type(model)
    assert [(slug, label) for slug, label, _ in groups] == [
        ("county", "County council"),
        ("district", "District council"),
        ("unitary", "Unitary authority"),
    ]
    county, district, unitary = (found["plus_external"] for _, _, found in groups)
    assert summary(county) == (2, 1, 2, 1)  # Org 001 -42%, Org 002 -4.8%; Org 005 has no spend
    assert county.left_out == 1 and county.small and county.label == "County council"
    assert summary(district) == (1, 1, 1, 1)
    assert summary(unitary) == (2, 2, 2, 0)


def test_external_users_weights():
    rows = [counted(1, ["office_staff"], current=100, partners=10, contractors=20, volunteers=40, residents=80)]
    model = impact(rows, 0.5)
    assert model.external_weights == {"partners": 1, "contractors": 1, "volunteers": 0.5, "residents": 0.5}
    assert model.organisations[0].users["plus_external"] == 190  # 100 + 10 + 20 + 0.5 x (40 + 80)
    assert impact(rows, 7).external_weights["residents"] == 1  # the pupil weight is clamped to [0, 1]


def test_external_weights_say_where_they_come_from(rows):
    derivation = default_weight(rows)  # 0.30, from three organisations' incidents
    explained = external_derivation(derivation.weight, derivation)
    assert explained.by_category == {"partners": 1, "contractors": 1, "volunteers": 0.3, "residents": 0.3}
    assert explained.explanation == (
        "The survey asks about the strain from school staff and pupils only, so the weights of users from outside "
        "the organisation are assumed, not derived: partner-organisation staff and contractors count as one user "
        "each, as staff do; volunteers and residents using council ICT count as 0.30 of a user each, the pupil "
        "weight (derived from the share of incidents from pupils that 3 organisations gave)."
    )
    assert "the weight entered for a pupil" in external_derivation(0.6, derivation).explanation
    assumed = default_weight([])
    assert "itself an assumed default" in external_derivation(assumed.weight, assumed).explanation
    assert [w.label for w in explained.weights] == [
        "partner-organisation staff",
        "contractors and temporary staff",
        "volunteers",
        "residents using council ICT",
    ]


def test_export_rows_carry_the_baseline_and_changes(model):
    from app.surveys.results.impact.model import impact_rows_for_export

    first, second = impact_rows_for_export(model)[:2]
    assert first["counted_in_benchmark"] == "office_staff; frontline_staff; councillors; school_staff"
    assert first["baseline_source"] == "as ticked" and first["users_as_counted"] == 1500
    assert first["users_plus_external"] == 2600 and first["weight_volunteers"] == 0.2
    assert first["spend_per_user_change_current"] == pytest.approx(0.5)
    assert second["baseline_source"] == "current definition: no_return"
    assert second["users_per_fte_change_plus_external"] == pytest.approx(0.05)  # 2,100 / 2,000 - 1


def test_one_organisation_with_nothing_but_a_baseline():
    model = impact([org(1, current=0, spend=100.0)], 0.25)
    assert movers(model)["current"].compared == 0
    assert model.organisations[0].baseline_source == "not_answered"
