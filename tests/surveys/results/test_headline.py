"""The headline (results/headline.py): the Wilson interval against hand arithmetic, and figures by council type
with small groups flagged."""

import pytest

from app.surveys.results.headline import headline, wilson_interval
from tests.surveys.results.support import SURVEY, _row


def test_wilson_interval_matches_hand_computation():
    # 7 of 10: p = .7, z = 1.96: centre = (.7 + 1.96²/20) / (1 + 1.96²/10) = .6408..., half = .2438...
    low, high = wilson_interval(7, 10)
    assert low == pytest.approx(0.3968, abs=1e-4) and high == pytest.approx(0.8922, abs=1e-4)
    assert wilson_interval(0, 5)[0] == 0.0 and wilson_interval(5, 5)[1] == 1.0
    assert wilson_interval(0, 0) is None


def test_headline_by_council_type_flags_small_groups_and_reports_pupil_service():
    rows = [
        _row(
            i,
            council_type="county",
            provides_education="yes",
            service_level={"school_staff": "same", "pupils": "separate"},
        )
        for i in range(6)
    ]
    rows += [_row(10 + i, council_type="district", provides_education="no") for i in range(3)]
    result = headline(SURVEY, rows)
    assert (result.overall.supporting, result.overall.n) == (6, 9)
    county, district = result.by_council_type
    assert (county.label, county.percent, county.small) == ("County council", 100.0, False)
    assert (district.percent, district.small) == (0.0, True)
    assert result.pupil_service_n == 6 and result.pupil_service[1].count == 6
    assert result.verdict in ("the majority", "not clearly either: the interval includes half")
