"""Each question's figures (results/figures.py), checked against hand arithmetic: shares of those who answered,
numbers with "I do not know" counted, grids."""

from app.surveys.results.figures import question_result
from tests.surveys.results.support import SURVEY, _row


def test_choice_shares_are_of_those_who_answered():
    rows = [_row(1, pupil_funding="traded"), _row(2, pupil_funding="traded"), _row(3, pupil_funding="grant"), _row(4)]
    result = question_result(SURVEY.question("pupil_funding"), rows)
    assert result.answered == 3
    shares = {s.code: (s.count, round(s.percent, 1)) for s in result.shares}
    assert shares["traded"] == (2, 66.7) and shares["grant"] == (1, 33.3) and shares["mixed"] == (0, 0.0)


def test_numbers_give_mean_median_quartiles_and_range_with_dont_know_counted():
    rows = [_row(i, share_spend=v) for i, v in enumerate([10, 20, 30, 40, "dont_know"], start=1)]
    result = question_result(SURVEY.question("share_spend"), rows)
    s = result.numbers
    assert (result.answered, result.dont_know, s.n) == (5, 1, 4)
    # 10, 20, 30, 40: mean 25, median 25, Q1 = 17.5 and Q3 = 32.5 (linear interpolation), range 10-40.
    assert (s.mean, s.median, s.q1, s.q3, s.minimum, s.maximum) == (25, 25, 17.5, 32.5, 10, 40)


def test_matrix_rows_and_user_grid_categories():
    rows = [
        _row(1, service_level={"school_staff": "same", "pupils": "none"}, users={"office_staff": 100, "pupils": 1000}),
        _row(2, service_level={"school_staff": "separate", "pupils": "none"}, users={"office_staff": 300, "pupils": 0}),
    ]
    matrix = question_result(SURVEY.question("service_level"), rows)
    pupils = dict((label, (shares, n)) for label, shares, n in matrix.rows)["Pupils"]
    assert pupils[1] == 2 and [s.count for s in pupils[0]] == [0, 0, 0, 2]
    grid = question_result(SURVEY.question("users"), rows)
    office = dict(grid.categories)["Office-based staff"]
    assert (office.n, office.total, office.median) == (2, 400, 200)
    assert dict(grid.categories)["Total users"].total == 1400
