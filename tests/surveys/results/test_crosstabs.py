"""Crosstabs (results/crosstabs.py): counts and column percentages, each option of a multiple choice counted."""

from app.surveys.results.crosstabs import crosstab
from tests.surveys.results.support import SURVEY, _row


def test_crosstab_counts_and_column_percentages():
    rows = [
        _row(1, council_type="county", provides_education="yes"),
        _row(2, council_type="county", provides_education="no"),
        _row(3, council_type="district", provides_education="no"),
        _row(4, council_type="district"),
    ]  # did not answer: left out
    table = crosstab(SURVEY, rows, "provides_education", "council_type")
    assert table.column_labels == ["County council", "District council"]
    assert table.row_labels == ["Yes", "No"]
    assert table.counts == [[1, 0], [1, 1]] and table.column_n == [2, 1]
    assert table.percent(0, 0) == 50.0 and table.percent(1, 1) == 100.0


def test_crosstab_of_a_multiple_choice_counts_each_option():
    rows = [
        _row(1, region="london", education_settings=["special", "pru"]),
        _row(2, region="london", education_settings=["special"]),
    ]
    table = crosstab(SURVEY, rows, "education_settings", "region")
    assert table.row_labels == ["Special schools", "Pupil referral units"]
    assert table.counts == [[2], [1]] and table.column_n == [2]
