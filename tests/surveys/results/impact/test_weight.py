"""The default pupil weight (results/impact/weight.py): the median ratio of incidents from pupils, clamped and
rounded, or assumed when nobody knows."""

from __future__ import annotations

import pytest

from app.surveys.results.impact.model import (
    ASSUMED_WEIGHT,
    impact,
)
from app.surveys.results.impact.weight import default_weight
from tests.surveys.results.impact.support import Org, by_code, org


def test_default_weight_is_the_median_ratio(rows):
    derivation = default_weight(rows)
    # Org 001: pupils are 100 x 4,000 / 5,500 = 72.73% of users; 22 / 72.73 = 0.3025
    # Org 004: 100 x 7,500 / 10,000 = 75%; 30 / 75 = 0.4.  Org 006: 75%; 15 / 75 = 0.2.  Org 005 did not know.
    assert derivation.ratios == pytest.approx([0.2, 0.3025, 0.4])
    assert derivation.n == 3
    assert derivation.median_ratio == pytest.approx(0.3025)
    assert derivation.q1_ratio == pytest.approx(0.25125)  # 0.2 + 0.5 x 0.1025
    assert derivation.q3_ratio == pytest.approx(0.35125)  # 0.3025 + 0.5 x 0.0975
    assert derivation.weight == 0.3
    assert not derivation.assumed and not derivation.clamped
    assert derivation.dont_know == 1
    assert derivation.explanation == (
        "Based on 3 organisations that support pupils and estimated the share of incidents from pupils: a pupil "
        "generates a median of 0.30 times the incidents of an average user, so a pupil counts as 0.30 of a user."
    )


def test_default_weight_is_clamped_to_one():
    # pupils are 100 / 1,000 = 10% of users but 30% of incidents: ratio 3; the other 40% / 10% = 4
    rows = [
        org(1, current=800, school=100, pupils=100, incidents=30),
        org(2, current=800, school=100, pupils=100, incidents=40),
    ]
    derivation = default_weight(rows)
    assert derivation.median_ratio == pytest.approx(3.5)
    assert (derivation.weight, derivation.clamped, derivation.n) == (1.0, True, 2)
    assert "Based on 2 organisations" in derivation.explanation
    assert "a median of 3.50 times" in derivation.explanation
    assert "at most one user" in derivation.explanation


def test_default_weight_from_one_organisation_rounds_to_two_places():
    # 12% of incidents; pupils 3,000 of 9,000 users = 33.33%: ratio 0.36
    derivation = default_weight([org(7, current=5000, school=1000, pupils=3000, incidents=12)])
    assert derivation.weight == 0.36 and derivation.n == 1
    assert derivation.explanation.startswith("Based on 1 organisation that supports pupils and estimated")


def test_default_weight_of_zero_when_pupils_cause_no_incidents():
    derivation = default_weight([org(1, current=100, pupils=100, incidents=0)])
    assert (derivation.weight, derivation.median_ratio, derivation.clamped) == (0, 0, False)


def test_default_weight_is_assumed_when_nobody_knows():
    rows = [org(i, current=100, pupils=100, incidents="dont_know") for i in range(3)]
    derivation = default_weight(rows)
    assert (derivation.weight, derivation.assumed, derivation.n, derivation.dont_know) == (ASSUMED_WEIGHT, True, 0, 3)
    assert derivation.median_ratio is None and derivation.q1_ratio is None and derivation.q3_ratio is None
    assert "assumed" in derivation.explanation and "0.25" in derivation.explanation
    assert "3 organisations with pupils did not know" in derivation.explanation


def test_default_weight_ignores_organisations_without_pupils_or_an_estimate():
    rows = [
        org(1, current=100, pupils=0, incidents=10),  # no pupils
        org(2, current=100, pupils=100),  # not asked
        Org(3, None, None, {"users": None, "incidents_pupils": 10}),
        Org(4, None, None, None),
        org(5, current=100, pupils=100, incidents="12"),  # not a number
    ]
    derivation = default_weight(rows)
    assert derivation.assumed and derivation.n == 0 and derivation.dont_know == 0
    assert derivation.explanation == (
        "No organisation that supports pupils gave both its number of pupils and the share of incidents from "
        "pupils, so a pupil is assumed to count as 0.25 of a user. This is an assumed default, not a figure from "
        "the survey."
    )


def test_the_weight_given_is_kept_within_zero_and_one(rows):
    assert impact(rows, 1.5).weight == 1
    assert impact(rows, -1).weight == 0
    assert impact(rows, None).weight == ASSUMED_WEIGHT
    assert impact(rows, float("nan")).weight == ASSUMED_WEIGHT
    assert by_code(impact(rows, 0))["Org 001"].users["weighted"] == 1500
    assert by_code(impact(rows, 1))["Org 001"].users["weighted"] == 5500
