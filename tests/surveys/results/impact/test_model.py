"""The 'service user' impact model (results/impact/model.py), checked against hand arithmetic (the fixture is in
conftest.py): users and metrics, rank shifts, the export rows and edge cases."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.surveys.results.dataset import Row
from app.surveys.results.impact.model import (
    DEFINITION_KEYS,
    TOP_MOVERS,
    impact,
    impact_rows_for_export,
    user_counts,
)
from app.surveys.results.impact.weight import default_weight
from app.surveys.results.impact.wording import evidence
from tests.surveys.results.impact.support import Org, by_code, org, users


def test_codes_follow_ascending_organisation_id(model):
    assert [o.code for o in model.organisations] == [f"Org 00{i}" for i in range(1, 7)]
    assert [(o.region, o.council_type) for o in model.organisations] == [
        ("north-west", "county"),
        ("london", "county"),
        ("south-east", "district"),
        ("wales", "unitary"),
        ("north-east", "county"),
        ("scotland", "unitary"),
    ]
    assert model.organisations[0].region_label == "North West"
    assert model.organisations[0].council_type_label == "County council"


def test_users_under_each_definition(model):
    orgs = by_code(model)
    # Org 001: 800 + 150 + 50 = 1,000; + 500 school staff; + 4,000 pupils; weighted 1,500 + 0.2 x 4,000 = 2,300;
    # plus 200 partners x 1 and 500 volunteers x 0.2: 2,300 + 200 + 100 = 2,600
    assert orgs["Org 001"].users == pytest.approx(
        {"current": 1000, "plus_school_staff": 1500, "plus_pupils": 5500, "weighted": 2300, "plus_external": 2600}
    )
    assert orgs["Org 004"].users == pytest.approx(
        {"current": 1500, "plus_school_staff": 2500, "plus_pupils": 10000, "weighted": 4000, "plus_external": 4000}
    )
    assert orgs["Org 002"].users == pytest.approx(  # + 100 contractors
        {"current": 2000, "plus_school_staff": 2000, "plus_pupils": 2000, "weighted": 2000, "plus_external": 2100}
    )
    assert orgs["Org 003"].users["plus_external"] == pytest.approx(700)  # 500 + 0.2 x 1,000 residents


def test_partners_contractors_volunteers_and_residents_count_only_under_definition_5():
    counts = user_counts({"users": users(10, pupils=10, partners=5, contractors=6, volunteers=7, residents=8)}, 0.5)
    # weighted: 10 + 0.5 x 10 = 15; external: 5 + 6 + 0.5 x (7 + 8) = 18.5
    assert counts == {"current": 10, "plus_school_staff": 10, "plus_pupils": 20, "weighted": 15, "plus_external": 33.5}


def test_metrics_per_organisation(model):
    orgs = by_code(model)
    # Org 001: £1,000,000 / 1,000 = £1,000; / 1,500 = £666.67; / 5,500 = £181.82; / 2,300 = £434.78
    assert orgs["Org 001"].spend_per_user == pytest.approx(
        {
            "current": 1000,
            "plus_school_staff": 1000_000 / 1500,
            "plus_pupils": 1000_000 / 5500,
            "weighted": 1000_000 / 2300,
            "plus_external": 1000_000 / 2600,
        }
    )
    # 1,000 / 20 = 50; 1,500 / 20 = 75; 5,500 / 20 = 275; 2,300 / 20 = 115; 2,600 / 20 = 130
    assert orgs["Org 001"].users_per_fte == pytest.approx(
        {"current": 50, "plus_school_staff": 75, "plus_pupils": 275, "weighted": 115, "plus_external": 130}
    )
    assert orgs["Org 005"].spend_per_user == dict.fromkeys(DEFINITION_KEYS)  # no spend
    assert orgs["Org 005"].users_per_fte["plus_pupils"] == pytest.approx(500)  # 5,000 / 10
    assert orgs["Org 003"].users_per_fte == dict.fromkeys(DEFINITION_KEYS)  # no FTE
    assert orgs["Org 003"].spend_per_user["current"] == pytest.approx(800)  # 400,000 / 500


def test_medians_and_quartiles_overall(model):
    # spend per user, current: 800, 1,000, 1,333.33, 1,500, 1,500 -> median 1,333.33, Q1 1,000, Q3 1,500
    spend = model.result("current", "spend_per_user").overall
    assert (spend.n, spend.excluded) == (5, 1)
    assert (spend.q1, spend.median, spend.q3) == pytest.approx((1000, 4000 / 3, 1500))
    assert not spend.small
    # plus pupils: 181.82, 200, 300, 800, 1,500 -> median 300, Q1 200, Q3 800
    spend = model.result("plus_pupils", "spend_per_user").overall
    assert (spend.q1, spend.median, spend.q3) == pytest.approx((200, 300, 800))
    # weighted: 434.78, 500, 750, 800, 1,500
    spend = model.result("weighted", "spend_per_user").overall
    assert (spend.q1, spend.median, spend.q3) == pytest.approx((500, 750, 800))
    # users per FTE, current: 50, 50, 50, 60, 100; plus pupils: 50, 250, 275, 400, 500
    fte = model.result("current", "users_per_fte").overall
    assert (fte.n, fte.q1, fte.median, fte.q3) == pytest.approx((5, 50, 50, 60))
    fte = model.result("plus_pupils", "users_per_fte").overall
    assert (fte.q1, fte.median, fte.q3) == pytest.approx((250, 275, 400))


def test_quartiles_interpolate_linearly_between_data_points():
    rows = [org(i, current=100, spend=spend) for i, spend in enumerate([10_000, 20_000, 40_000, 80_000], start=1)]
    summary = impact(rows, 0.25).result("current", "spend_per_user").overall
    # 100, 200, 400, 800: Q1 at position 0.75 -> 100 + 0.75 x 100 = 175; median 300; Q3 at 2.25 -> 400 + 0.25 x 400
    assert (summary.q1, summary.median, summary.q3) == pytest.approx((175, 300, 500))


def test_by_council_type_in_vocabulary_order_with_small_groups_flagged(model):
    groups = model.result("current", "spend_per_user").by_council_type
    assert [(g.council_type, g.label) for g in groups] == [
        ("county", "County council"),
        ("district", "District council"),
        ("unitary", "Unitary authority"),
    ]
    county, district, unitary = groups
    # county: Org 001 £1,000 and Org 002 £1,500 (Org 005 gave no spend): median 1,250, Q1 1,125, Q3 1,375
    assert (county.n, county.excluded, county.small) == (2, 1, True)
    assert (county.q1, county.median, county.q3) == pytest.approx((1125, 1250, 1375))
    assert (district.n, district.median, district.small) == (1, 800, True)
    # unitary: £1,333.33 and £1,500
    assert unitary.median == pytest.approx((4000 / 3 + 1500) / 2)
    fte_county = model.result("current", "users_per_fte").by_council_type[0]
    assert (fte_county.n, fte_county.median) == (3, 50)  # 50, 50, 100


def test_groups_of_five_or_more_are_not_small():
    rows = [org(i, "district", current=100, spend=1000.0 * i) for i in range(1, 6)] + [org(9, "county")]
    result = impact(rows, 0.25).result("current", "spend_per_user")
    assert result.overall.n == 5 and not result.overall.small
    district, county = sorted(result.by_council_type, key=lambda g: g.council_type)[::-1]
    assert (district.n, district.small, district.median) == (5, False, 30)
    assert (county.n, county.excluded, county.small, county.median) == (0, 1, True, None)


def test_exclusions_are_counted(model):
    assert model.excluded_missing_spend == 1  # Org 005
    assert model.excluded_missing_fte == 1  # Org 003
    assert model.excluded_zero_users == dict.fromkeys(DEFINITION_KEYS, 0)


def test_zero_users_are_left_out_and_counted_without_dividing_by_zero():
    rows = [
        org(1, current=0, spend=100.0, fte=2.0),
        org(2, current=0, school=50, spend=100.0, fte=2.0),
        org(3, current=10, spend=100.0, fte=2.0),
    ]
    model = impact(rows, 0.5)
    assert model.excluded_zero_users == {
        "current": 2,
        "plus_school_staff": 1,
        "plus_pupils": 1,
        "weighted": 1,
        "plus_external": 1,
    }
    assert model.organisations[0].spend_per_user == dict.fromkeys(DEFINITION_KEYS)
    assert model.organisations[1].spend_per_user["current"] is None
    assert model.organisations[1].spend_per_user["plus_school_staff"] == 2  # 100 / 50
    current = model.result("current", "spend_per_user").overall
    assert (current.n, current.excluded, current.median) == (1, 2, 10)
    assert model.result("plus_school_staff", "users_per_fte").overall.n == 2
    # only organisations with spend per user under both definitions are ranked
    assert [e.code for e in model.rank_shift("plus_school_staff").overall.entries] == ["Org 003"]


def test_zero_fte_is_treated_as_missing():
    model = impact([org(1, current=10, spend=100.0, fte=0.0)], 0.25)
    assert model.excluded_missing_fte == 1
    assert model.organisations[0].users_per_fte == dict.fromkeys(DEFINITION_KEYS)


def test_zero_spend_is_a_figure_not_a_gap():
    model = impact([org(1, current=10, spend=0.0)], 0.25)
    assert model.excluded_missing_spend == 0
    assert model.organisations[0].spend_per_user["current"] == 0


def ranks(shift) -> dict[str, tuple[float, float, float]]:
    return {e.code: (e.rank_current, e.rank_other, e.shift) for e in shift.entries}


def test_rank_shift_with_ties_share_the_average_rank(model):
    # spend per user, current: 002 £1,500 and 006 £1,500 share ranks 1 and 2 -> 1.5; 004 3; 001 4; 003 5
    # plus pupils: 002 £1,500 (1), 003 £800 (2), 006 £300 (3), 004 £200 (4), 001 £181.82 (5)
    shift = model.rank_shift("plus_pupils").overall
    assert shift.n == 5  # Org 005 has no spend
    assert ranks(shift) == {
        "Org 001": (4, 5, 1),
        "Org 002": (1.5, 1, -0.5),
        "Org 003": (5, 2, -3),
        "Org 004": (3, 4, 1),
        "Org 006": (1.5, 3, 1.5),
    }
    # plus school staff: 002 £1,500 (1), 006 £1,200 (2), 003 and 004 £800 (3.5 each), 001 £666.67 (5)
    assert ranks(model.rank_shift("plus_school_staff").overall) == {
        "Org 001": (4, 5, 1),
        "Org 002": (1.5, 1, -0.5),
        "Org 003": (5, 3.5, -1.5),
        "Org 004": (3, 3.5, 0.5),
        "Org 006": (1.5, 2, 0.5),
    }


def test_spearman_hand_computed_with_ties(model):
    # plus pupils: ranks x = 4, 1.5, 5, 3, 1.5 and y = 5, 1, 2, 4, 3 (both mean 3)
    # deviations x: 1, -1.5, 2, 0, -1.5; y: 2, -2, -1, 1, 0 -> sum xy = 3, sum x^2 = 9.5, sum y^2 = 10
    assert model.rank_shift("plus_pupils").overall.spearman == pytest.approx(3 / math.sqrt(95))
    # plus school staff: y = 5, 1, 3.5, 3.5, 2; deviations 2, -2, 0.5, 0.5, -1 -> sum xy = 7.5, sum y^2 = 9.5
    assert model.rank_shift("plus_school_staff").overall.spearman == pytest.approx(7.5 / 9.5)


def test_spearman_for_three_organisations_without_ties():
    # spend per user current 300, 200, 100 (ranks 1, 2, 3); plus pupils 300, 40, 50 (ranks 1, 3, 2)
    # rho = 1 - 6 x (0 + 1 + 1) / (3 x 8) = 0.5
    rows = [
        org(1, current=100, spend=30_000.0),
        org(2, current=100, pupils=400, spend=20_000.0),
        org(3, current=100, pupils=100, spend=10_000.0),
    ]
    shift = impact(rows, 0.25).rank_shift("plus_pupils").overall
    assert ranks(shift) == {"Org 001": (1, 1, 0), "Org 002": (2, 3, 1), "Org 003": (3, 2, -1)}
    assert shift.spearman == pytest.approx(0.5)


def test_spearman_is_none_for_fewer_than_three_or_a_constant_ranking():
    two = [org(1, current=100, spend=100.0), org(2, current=100, pupils=100, spend=300.0)]
    assert impact(two, 0.25).rank_shift("plus_pupils").overall.spearman is None
    same = [org(i, current=100, spend=1000.0) for i in range(1, 5)]
    shift = impact(same, 0.25).rank_shift("plus_pupils").overall
    assert shift.spearman is None
    assert [e.shift for e in shift.entries] == [0, 0, 0, 0]
    assert shift.movers == [] and shift.moved == 0


def test_movers_ordered_by_absolute_shift_then_code(model):
    movers = model.rank_shift("plus_pupils").overall.movers
    assert [(m.code, m.shift) for m in movers] == [
        ("Org 003", -3),
        ("Org 006", 1.5),
        ("Org 001", 1),
        ("Org 004", 1),
        ("Org 002", -0.5),
    ]
    top = movers[0]
    assert (top.region, top.region_label, top.council_type, top.council_type_label) == (
        "south-east",
        "South East",
        "district",
        "District council",
    )
    assert (top.spend_per_user_current, top.spend_per_user_other) == (800, 800)


def test_at_most_ten_movers_and_none_that_stay_put():
    # 12 organisations, current spend per user 1,200 ... 100; pupils reverse the order of all but the last two
    rows = [
        org(i, current=100, pupils=(0 if i > 10 else 1000 * (11 - i)), spend=10_000.0 * (13 - i)) for i in range(1, 13)
    ]
    shift = impact(rows, 0.25).rank_shift("plus_pupils").overall
    assert shift.n == 12
    assert len(shift.movers) == TOP_MOVERS
    assert all(m.shift != 0 for m in shift.movers)
    assert [abs(m.shift) for m in shift.movers] == sorted((abs(m.shift) for m in shift.movers), reverse=True)


def test_rank_shift_by_council_type(model):
    groups = model.rank_shift("plus_pupils").by_council_type
    assert [(g.council_type, g.n, g.small) for g in groups] == [
        ("county", 2, True),
        ("district", 1, True),
        ("unitary", 2, True),
    ]
    county, _district, unitary = groups
    # county: Org 002 ranks above Org 001 either way; unitary: Org 006 above Org 004 either way
    assert ranks(county) == {"Org 001": (2, 2, 0), "Org 002": (1, 1, 0)}
    assert ranks(unitary) == {"Org 004": (2, 2, 0), "Org 006": (1, 1, 0)}
    assert county.spearman is None and county.movers == []


def test_rank_shift_by_council_type_has_its_own_ranks():
    rows = [org(i, "district", current=100, pupils=100 * i, spend=1000.0 * i) for i in range(1, 4)]
    rows += [org(10, "county", current=100, spend=500.0), org(11, "county", current=100, spend=600.0)]
    comparison = impact(rows, 0.25).rank_shift("plus_pupils")
    county, district = comparison.by_council_type
    # districts: £10, £20, £30 per user currently (ranks 3, 2, 1); £5, £6.67, £7.50 with pupils (ranks 3, 2, 1)
    assert ranks(district) == {"Org 001": (3, 3, 0), "Org 002": (2, 2, 0), "Org 003": (1, 1, 0)}
    assert district.spearman == pytest.approx(1)
    assert ranks(county) == {"Org 004": (2, 2, 0), "Org 005": (1, 1, 0)}


def test_export_rows(model):
    exported = impact_rows_for_export(model)
    assert len(exported) == 6
    first = exported[0]
    assert first["code"] == "Org 001"
    assert (first["region"], first["council_type"]) == ("North West", "County council")
    assert first["users_current"] == 1000 and first["users_weighted"] == 2300
    assert first["spend_per_user_plus_pupils"] == pytest.approx(1000_000 / 5500)
    assert first["users_per_fte_plus_school_staff"] == 75
    assert (first["rank_spend_current"], first["rank_spend_plus_pupils"], first["rank_spend_weighted"]) == (4, 5, 5)
    assert first["rank_shift_spend_plus_pupils"] == 1
    assert exported[1]["rank_spend_current"] == 1.5
    assert first["pupil_weight"] == 0.2
    no_spend = exported[4]
    assert no_spend["spend_per_user_current"] is None and no_spend["rank_spend_current"] is None
    assert no_spend["rank_shift_spend_weighted"] is None
    expected = {"code", "region", "council_type", "ict_revenue_spend", "ict_staff_fte", "pupil_weight"}
    expected |= {"weight_partners", "weight_contractors", "weight_volunteers", "weight_residents"}
    expected |= {"counted_in_benchmark", "baseline_source", "users_as_counted", "spend_per_user_as_counted"}
    expected |= {"users_per_fte_as_counted"}
    for d in DEFINITION_KEYS:
        expected |= {f"users_{d}", f"spend_per_user_{d}", f"users_per_fte_{d}", f"rank_spend_{d}"}
        expected |= {f"spend_per_user_change_{d}", f"users_per_fte_change_{d}"}
    expected |= {f"rank_shift_spend_{d}" for d in DEFINITION_KEYS[1:]}
    assert all(set(row) == expected for row in exported)


def test_organisation_names_never_appear():
    row = Row(
        response_id=1,
        reference="R-1",
        organisation_id=42,
        organisation="Borsetshire County Council",
        region="south-west",
        council_type="county",
        status="submitted",
        started_at=None,
        submitted_at=None,
        version=1,
        answers={"users": users(100), "ict_revenue_spend": 1000.0, "ict_staff_fte": 1.0},
    )
    model = impact([row], 0.25)
    assert model.organisations[0].code == "Org 001"
    text = repr(model) + repr(impact_rows_for_export(model)) + " ".join(evidence(model))
    assert "Borsetshire" not in text and "R-1" not in text


def test_no_rows():
    model = impact([], 0.25)
    assert model.n == 0 and model.organisations == []
    assert model.excluded_missing_spend == model.excluded_missing_fte == 0
    for result in model.metrics:
        assert (result.overall.n, result.overall.median, result.overall.q1, result.overall.q3) == (0, None, None, None)
        assert result.overall.small and result.by_council_type == []
    for comparison in model.rank_shifts:
        assert (comparison.overall.n, comparison.overall.spearman, comparison.overall.movers) == (0, None, [])
    assert impact_rows_for_export(model) == []
    assert evidence(model) == [
        "No organisation gave both its ICT revenue spend and its users, so the effect of the definition of a user "
        "on ICT spend per user cannot be measured."
    ]
    assert default_weight([]).assumed


def test_one_row():
    model = impact([org(5, current=100, school=50, pupils=850, spend=100_000.0, fte=4.0)], 0.1)
    summary = model.result("plus_pupils", "spend_per_user").overall
    assert (summary.n, summary.q1, summary.median, summary.q3, summary.small) == (1, 100, 100, 100, True)
    shift = model.rank_shift("plus_pupils").overall
    assert (shift.n, shift.spearman, shift.movers) == (1, None, [])
    assert model.organisations[0].rank_spend == dict.fromkeys(DEFINITION_KEYS, 1.0)
    assert len(evidence(model)) >= 1
    assert impact_rows_for_export(model)[0]["users_weighted"] == 235  # 150 + 0.1 x 850


def test_all_dont_know(rows):
    for row in rows:
        if "incidents_pupils" in row.answers:
            row.answers["incidents_pupils"] = "dont_know"
    derivation = default_weight(rows)
    assert (derivation.weight, derivation.assumed, derivation.dont_know) == (0.25, True, 4)
    assert impact(rows, derivation.weight).weight == 0.25


def test_missing_spend_and_fte_everywhere(rows):
    for row in rows:
        row.answers["ict_revenue_spend"] = None
        row.answers.pop("ict_staff_fte", None)
    model = impact(rows, 0.25)
    assert (model.excluded_missing_spend, model.excluded_missing_fte) == (6, 6)
    assert all(result.overall.n == 0 and result.overall.median is None for result in model.metrics)
    assert all(comparison.overall.n == 0 for comparison in model.rank_shifts)
    assert evidence(model) == [
        "No organisation gave both its ICT revenue spend and its users, so the effect of the definition of a user "
        "on ICT spend per user cannot be measured.",
        "6 organisations gave no ICT revenue spend and 6 organisations gave no ICT staff FTE, so they are left out "
        "of those figures.",
    ]


def test_none_is_tolerated_anywhere():
    rows = [
        Org(None, None, None, None),
        Org(
            3,
            None,
            None,
            {
                "users": None,
                "ict_revenue_spend": None,
                "ict_staff_fte": None,
                "incidents_pupils": None,
                "provides_education": None,
            },
        ),
        Org(
            2,
            "london",
            None,
            {
                "users": {"office_staff": None, "pupils": None, "school_staff": 5},
                "ict_revenue_spend": 500.0,
                "ict_staff_fte": 1.0,
            },
        ),
        Org(1, "atlantis", "moon-base", {"users": users(10), "ict_revenue_spend": True, "ict_staff_fte": "many"}),
    ]
    model = impact(rows, 0.25)
    assert [o.code for o in model.organisations] == ["Org 001", "Org 002", "Org 003", "Org 004"]
    assert model.organisations[3].region_label == "Region not known"
    assert model.organisations[0].council_type_label == "moon-base"
    assert model.organisations[1].council_type_label == "Council type not known"
    assert model.organisations[1].users["current"] == 0 and model.organisations[1].users["plus_pupils"] == 5
    assert model.excluded_missing_spend == 3  # a boolean is not an amount
    assert model.excluded_zero_users["current"] == 3  # Org 002 counts only school staff
    assert [g.council_type for g in model.result("current", "spend_per_user").by_council_type] == ["moon-base", ""]
    assert default_weight(rows).assumed
    assert len(impact_rows_for_export(model)) == 4
    assert evidence(model)


def test_rows_may_be_any_iterable(rows):
    assert impact(iter(rows), 0.2).n == 6
    assert default_weight(iter(rows)).n == 3


@given(
    counts=st.fixed_dictionaries(
        {
            key: st.integers(min_value=0, max_value=10**9)
            for key in (
                "office_staff",
                "frontline_staff",
                "councillors",
                "school_staff",
                "pupils",
                "partners",
                "contractors",
                "volunteers",
                "residents",
            )
        }
    ),
    weight=st.floats(min_value=0, max_value=1),
)
def test_wider_definitions_never_count_fewer_users(counts, weight):
    result = user_counts({"users": counts}, weight)
    assert result["current"] <= result["plus_school_staff"] <= result["plus_pupils"]
    assert result["plus_school_staff"] <= result["weighted"] <= result["plus_pupils"]
    assert result["weighted"] <= result["plus_external"]
