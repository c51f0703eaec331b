"""UK time as every page, email and document writes it."""

from datetime import UTC, datetime

from app.clock import uk_time


def test_times_are_written_in_uk_time_on_the_12_hour_clock():
    assert uk_time(datetime(2026, 12, 5, 16, 1, tzinfo=UTC)) == "5 December 2026 at 4:01pm"
    assert uk_time(datetime(2026, 7, 1, 8, 30)) == "1 July 2026 at 9:30am"  # naive is UTC; BST is UTC+1
    assert uk_time(datetime(2026, 7, 1, 8, 30), "%-d %b %Y, %-I:%M%p") == "1 Jul 2026, 9:30am"
    assert uk_time(None) == ""
    assert uk_time(datetime(2027, 1, 1, 0, 0, tzinfo=UTC)) == "1 January 2027 at midnight"
    assert uk_time(datetime(2027, 7, 1, 11, 0, tzinfo=UTC)) == "1 July 2027 at midday"
