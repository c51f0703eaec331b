"""The form of the framework matrix: an analyst's summary in one cell."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from app.analysis.matrices import MAX_CELL_TEXT


class CellForm(FlaskForm):
    """The summary of one participant's or organisation's passages on one theme."""

    text = TextAreaField(
        "Summary",
        validators=[
            DataRequired(message="Enter a summary"),
            Length(max=MAX_CELL_TEXT, message=f"The summary must be {MAX_CELL_TEXT:,} characters or fewer"),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
