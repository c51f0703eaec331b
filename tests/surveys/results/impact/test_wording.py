"""The impact model's plain-English evidence (results/impact/wording.py), from the fixture in conftest.py."""

from __future__ import annotations

import pytest

from app.surveys.results.impact.model import impact
from app.surveys.results.impact.wording import evidence
from tests.surveys.results.impact.support import org


def test_evidence(model):
    sentences = evidence(model)
    assert sentences[0] == (
        "Counting school staff lowers the median ICT spend per user from £1,333 to £800 (−40%) across 5 "
        "organisations; Spearman's ρ between the rankings is 0.79."
    )
    # £1,333.33 -> £300 is -77.5%
    assert sentences[1] == (
        "Counting school staff and pupils lowers the median ICT spend per user from £1,333 to £300 (−78%) across 5 "
        "organisations; Spearman's ρ between the rankings is 0.31."
    )
    assert sentences[2].startswith(
        "Counting school staff and pupils (each pupil as 0.20 of a user) lowers the "
        "median ICT spend per user from £1,333 to £750 (−44%)"
    )
    # Org 001 2,600 users, Org 002 2,100, Org 003 700, Org 004 4,000, Org 006 2,200 under definition 5:
    # £384.62, £1,428.57, £571.43, £500, £545.45 -> median £545.45 (-59%)
    assert sentences[3].startswith(
        "Counting school staff, pupils (as 0.20 of a user each) and external users (partner staff and contractors "
        "as one user each, volunteers and residents as 0.20) lowers the median ICT spend per user from £1,333 to "
        "£545 (−59%)"
    )
    assert sentences[5] == (
        "Counting school staff and pupils raises the median number of users per ICT FTE from 50 to 275 (+450%) "
        "across 5 organisations."
    )
    assert sentences[8] == (
        "Counting school staff and pupils moves 5 of 5 organisations in the ICT spend per user ranking; the largest "
        "move is 3 places (Org 003, District council, South East)."
    )
    # within type: unitary £1,416.67 -> £250 (-82%), county £1,250 -> £840.91 (-33%), district unchanged
    assert sentences[9] == (
        "By council type, the change in the median ICT spend per user when school staff and pupils count ranges "
        "from −82% for unitary authorities (2 organisations, a small group) to 0% for district councils "
        "(1 organisation, a small group)."
    )
    # against what each counts today (see conftest.py and test_baseline.py for the arithmetic)
    assert sentences[10] == (
        "Under the current definition, ICT spend per user moves by more than 20% from what each organisation "
        "counts today for 2 of 5 organisations (40%), and changes at all for 3."
    )
    assert sentences[14] == (
        "Under definition 5 (plus external users, weighted), ICT spend per user moves by more than 20% from what "
        "each organisation counts today for 4 of 5 organisations (80%), and changes at all for 5."
    )
    assert sentences[15] == (
        "3 organisations gave no usable answer on which groups they count in their benchmarking return (1 does not "
        "submit one, 1 did not know, 1 did not say), so the current definition stands in for what they count "
        "today; they are not left out for this."
    )
    assert sentences[16] == (
        "1 organisation gave no ICT revenue spend and 1 organisation gave no ICT staff FTE, so they are left out "
        "of those figures."
    )


def test_evidence_compares_medians_over_the_same_organisations():
    # Org 002 has no current users, so it counts only under the wider definitions and is left out of the change
    rows = [org(1, current=100, spend=1000.0), org(2, current=0, school=10, spend=1_000_000.0)]
    model = impact(rows, 0.25)
    assert model.result("plus_school_staff", "spend_per_user").overall.median == pytest.approx(50_005)
    change = model.change("plus_school_staff", "spend_per_user")
    assert (change.n, change.median_current, change.median_other, change.percent_change) == (1, 10, 10, 0)
    assert evidence(model)[0] == (
        "Counting school staff leaves the median ICT spend per user unchanged at £10.00 across 1 organisation; "
        "there are too few organisations, or too little variation, to correlate the rankings."
    )
