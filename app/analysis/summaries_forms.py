"""Forms of the themed summaries: choosing, removing and moving quotes (CSRF only, or a direction),
and writing a theme's summary."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length

from app.analysis.summaries import SUMMARY_LIMIT


class QuoteForm(FlaskForm):
    """Choose a passage as a quote, or take it off the chosen ones (the passage is in the URL)."""


class MoveQuoteForm(FlaskForm):
    """Move a chosen quote one place up or down (the button pressed says which)."""

    direction = StringField(validators=[Length(max=4), AnyOf(("up", "down"))])


class SummaryForm(FlaskForm):
    """A theme's written summary; saving adds the next version."""

    text = TextAreaField(
        "Summary of the theme",
        validators=[
            DataRequired("Enter the summary of the theme"),
            Length(max=SUMMARY_LIMIT, message=f"The summary must be {SUMMARY_LIMIT:,} characters or fewer"),
        ],
    )
    # The version the analyst started from ("0" before the first): compared, so that two people saving
    # at once do not overwrite each other unseen.
    base_number = HiddenField(validators=[Length(max=12)])

    def base(self) -> int:
        """The version the analyst edited, or -1 when the field is not a number (then it never matches)."""
        value = (self.base_number.data or "").strip()
        return int(value) if value.isdigit() and len(value) <= 9 else -1
