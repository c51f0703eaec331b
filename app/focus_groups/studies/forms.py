"""Forms for setting up a study: its settings, discussion guide and candidate slots."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, NumberRange, Optional, ValidationError

from app.clock import LONDON
from app.forms import max_length, options, required, strip
from app.numbers import NumberError, parse_whole_number

TIME_PATTERN = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*(am|pm)?\s*$", re.IGNORECASE)


def exists_in_uk(local: datetime) -> bool:
    """False for a wall-clock time skipped when the clocks go forward (1am to 2am on the last Sunday of March)."""
    aware = local.replace(tzinfo=LONDON)
    return aware.astimezone(UTC).astimezone(LONDON).replace(tzinfo=None) == local


class WholeNumberField(IntegerField):
    """A whole-number field read by the platform's one parser (app.numbers): ASCII digits only, checked for
    length before conversion; its "not a number" message names the field in plain English."""

    def process_formdata(self, valuelist):
        """Read the typed text, or keep None with a message when it is not a whole number."""
        if not valuelist:
            return
        try:
            self.data = parse_whole_number(valuelist[0])
        except NumberError as exc:
            self.data = None
            raise ValueError(f"{self.label.text} must be a whole number, like 6") from exc


def filled(message: str) -> DataRequired:
    """Text that must not be empty once trimmed (spaces alone count as empty)."""
    return DataRequired(message=message)


def whole_number(what: str, low: int, high: int):
    """A whole-number check with a message that says the allowed range."""
    return NumberRange(min=low, max=high, message=f"{what} must be between {low} and {high}")


class StudyForm(FlaskForm):
    """A study's title, theme and group settings."""

    title = StringField(
        "Title", filters=[strip], validators=[filled("Enter a title for the study"), max_length(200, "Title")]
    )
    theme = TextAreaField(
        "Theme (optional)", filters=[strip], validators=[Optional(), max_length(2000, "Theme")], default=""
    )
    target_groups = WholeNumberField(
        "Number of groups",
        default=2,
        validators=[
            required("Enter the number of groups, as a whole number"),
            whole_number("Number of groups", 2, 12),
        ],
    )
    min_size = WholeNumberField(
        "Smallest group",
        default=4,
        validators=[
            required("Enter the smallest group size, as a whole number"),
            whole_number("Smallest group", 2, 12),
        ],
    )
    target_size = WholeNumberField(
        "Target group size",
        default=6,
        validators=[
            required("Enter the target group size, as a whole number"),
            whole_number("Target group size", 2, 12),
        ],
    )
    max_size = WholeNumberField(
        "Largest group",
        default=8,
        validators=[required("Enter the largest group size, as a whole number"), whole_number("Largest group", 2, 12)],
    )
    places_per_reserve = WholeNumberField(
        "Places per reserve",
        default=5,
        validators=[
            required("Enter how many places each reserve covers, as a whole number"),
            whole_number("Places per reserve", 1, 12),
        ],
    )
    one_per_organisation = BooleanField("At most one person per organisation across the whole study", default=True)
    recruiting = BooleanField("Taking volunteers (the expression-of-interest form is open)", default=True)

    def validate_target_size(self, field) -> None:
        if self.min_size.data and field.data and field.data < self.min_size.data:
            raise ValidationError("Target group size must be at least the smallest group")

    def validate_max_size(self, field) -> None:
        if self.target_size.data and field.data and field.data < self.target_size.data:
            raise ValidationError("Largest group must be at least the target group size")


class GuideQuestionForm(FlaskForm):
    """One question of the discussion guide and its prompts."""

    text = StringField(
        "Question", filters=[strip], validators=[filled("Enter the question"), max_length(500, "Question")]
    )
    prompts = TextAreaField(
        "Prompts (optional)",
        filters=[strip],
        validators=[Optional(), max_length(4000, "Prompts")],
        default="",
    )


class SlotForm(FlaskForm):
    """A candidate slot: date and time in UK time, how long, where, and how many it can hold."""

    day = StringField("Day", filters=[strip])
    month = StringField("Month", filters=[strip])
    year = StringField("Year", filters=[strip])
    start_time = StringField("Start time", filters=[strip])
    duration_minutes = WholeNumberField(
        "Length in minutes",
        default=90,
        validators=[required("Enter the length in minutes, as a whole number"), whole_number("Length", 15, 480)],
    )
    online = RadioField(
        "Where",
        choices=options([("online", "Online"), ("venue", "At a venue")]),
        default="online",
        validators=[required("Select online or at a venue")],
    )
    location = StringField(
        "Meeting link or venue address",
        filters=[strip],
        validators=[filled("Enter the meeting link or the venue's address"), max_length(500, "Location")],
    )
    capacity = WholeNumberField(
        "Places",
        default=8,
        validators=[required("Enter the number of places, as a whole number"), whole_number("Places", 1, 30)],
    )

    def starts_at_local(self) -> datetime | None:
        """The start as a naive UK wall-clock time, or None with errors added to the fields."""
        parts = (self.day.data, self.month.data, self.year.data)
        if not all(parts):
            self.day.errors = [*self.day.errors, "Enter the date, including a day, month and year"]
            return None
        try:
            day, month, year = (parse_whole_number(part, minimum=1, maximum=9999, thousands=False) for part in parts)
        except NumberError:
            self.day.errors = [*self.day.errors, "Date must be a real date, in numbers, like 10 3 2027"]
            return None
        try:
            when = date(year, month, day)
        except ValueError:
            self.day.errors = [*self.day.errors, "Date must be a real date"]
            return None
        if not 2000 <= year <= 2100:
            self.day.errors = [*self.day.errors, "Year must be a four-digit year, like 2027"]
            return None
        match = TIME_PATTERN.match(self.start_time.data or "")
        if not match:
            self.start_time.errors = [*self.start_time.errors, "Enter the start time, like 10:00 or 2:30pm"]
            return None
        hour, minute, half = int(match.group(1)), int(match.group(2)), (match.group(3) or "").lower()
        if half:
            if not 1 <= hour <= 12:
                self.start_time.errors = [*self.start_time.errors, "Start time must be a real time"]
                return None
            hour = hour % 12 + (12 if half == "pm" else 0)
        if hour > 23 or minute > 59:
            self.start_time.errors = [*self.start_time.errors, "Start time must be a real time"]
            return None
        local = datetime(when.year, when.month, when.day, hour, minute)
        if not exists_in_uk(local):
            self.start_time.errors = [
                *self.start_time.errors,
                "That time does not exist in the UK: the clocks go forward an hour at 1am that day",
            ]
            return None
        return local
