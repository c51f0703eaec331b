"""UK time as every page, email and document writes it."""

from datetime import UTC, datetime, timedelta

from app.clock import uk_time, utcnow
from tests.focus_groups.conftest import FIRST_SLOT


def test_times_are_written_in_uk_time_on_the_12_hour_clock():
    assert uk_time(datetime(2026, 12, 5, 16, 1, tzinfo=UTC)) == "5 December 2026 at 4:01pm"
    assert uk_time(datetime(2026, 7, 1, 8, 30)) == "1 July 2026 at 9:30am"  # naive is UTC; BST is UTC+1
    assert uk_time(datetime(2026, 7, 1, 8, 30), "%-d %b %Y, %-I:%M%p") == "1 Jul 2026, 9:30am"
    assert uk_time(None) == ""
    assert uk_time(datetime(2027, 1, 1, 0, 0, tzinfo=UTC)) == "1 January 2027 at midnight"
    assert uk_time(datetime(2027, 7, 1, 11, 0, tzinfo=UTC)) == "1 July 2027 at midday"


def test_the_dates_tests_treat_as_to_come_are_still_to_come():
    """The tests' fixed future dates (the first focus-group slot, studies and surveys "now") are decades ahead.

    They were once in 2027 and would have started failing on 1 March 2027; this fails first, with the reason.
    """
    assert FIRST_SLOT - utcnow() > timedelta(days=365), "move the fixed future dates on (same calendar: +28 years)"
    assert FIRST_SLOT.strftime("%A %-d %B") == "Monday 1 March"  # as the pages the tests read say it
