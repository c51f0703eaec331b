"""One clock: the current time, stored times made timezone-aware, and UK time.

Times are stored in UTC. SQLite hands them back naive (they were stored as UTC), PostgreSQL aware;
`aware()` makes either aware. People read and type times in UK time (`LONDON`), which `london()` and
`from_london()` convert, and `uk_time()` writes, as GOV.UK writes times ("5 December 2026 at 4:01pm").
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def utcnow() -> datetime:
    """Now, timezone-aware, in UTC."""
    return datetime.now(UTC)


def aware(moment: datetime | None) -> datetime | None:
    """A stored time as timezone-aware UTC (None stays None)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def london(moment: datetime) -> datetime:
    """A stored time in UK time."""
    return aware(moment).astimezone(LONDON)


def from_london(local: datetime) -> datetime:
    """A wall-clock time in UK time (as people type it) as UTC."""
    return local.replace(tzinfo=LONDON).astimezone(UTC)


GOVUK_DATETIME = "%-d %B %Y at %-I:%M%p"


def uk_time(moment: datetime | None, fmt: str = GOVUK_DATETIME) -> str:
    """A stored time written in UK time, on the 12-hour clock with "am"/"pm", "midnight" and "midday" as GOV.UK
    writes it (the `london` template filter and every page, email and document that writes a time)."""
    if moment is None:
        return ""
    text = london(moment).strftime(fmt).replace("AM", "am").replace("PM", "pm")
    return text.replace("12:00am", "midnight").replace("12:00pm", "midday")
