"""Members' comparison (results/comparison.py): medians only with enough responses, never small groups."""

from app.surveys.results.comparison import member_comparison
from tests.surveys.results.support import SURVEY, _row


def test_members_see_medians_only_with_enough_responses_and_never_small_groups():
    rows = [_row(i, council_type="county" if i < 6 else "district", ict_staff_fte=float(i)) for i in range(1, 13)]
    mine = rows[0]
    figures = {f.label: f for f in member_comparison(SURVEY, rows, mine)}
    fte = figures["The number of ICT staff"]
    assert (fte.yours, fte.median_all, fte.n_all) == (1.0, 6.5, 12)
    assert (fte.median_type, fte.n_type) == (3.0, 5)  # counties 1-5
    district = rows[-1]
    assert {f.label: f for f in member_comparison(SURVEY, rows, district)}[
        "The number of ICT staff"
    ].median_type == 9.0  # districts 6-12: 7 of them
    assert member_comparison(SURVEY, rows[:9], mine) is None  # fewer than 10 submitted
    few = [_row(i, council_type="county" if i < 4 else "district", ict_staff_fte=float(i)) for i in range(1, 13)]
    assert {f.label: f for f in member_comparison(SURVEY, few, few[0])}["The number of ICT staff"].median_type is None
