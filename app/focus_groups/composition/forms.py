"""Forms for planning the groups: running the optimiser, moving a volunteer by hand, locking them in or out."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField

from app.focus_groups.studies.forms import WholeNumberField
from app.forms import options, required


class ComposeForm(FlaskForm):
    """The button that runs the optimiser (a form for its CSRF token)."""


class MoveForm(FlaskForm):
    """Move one volunteer by hand: into a group as a participant or a reserve, or out of the groups."""

    volunteer_id = WholeNumberField("Volunteer", validators=[required("Choose a volunteer")])
    destination = SelectField("Move to", choices=[], validators=[required("Choose where to move them")])


class LockForm(FlaskForm):
    """Lock a volunteer into or out of a group for the next run."""

    volunteer_id = WholeNumberField("Volunteer", validators=[required("Choose a volunteer")])
    slot_id = WholeNumberField("Group", validators=[required("Choose a group")])
    kind = SelectField(
        "Lock",
        choices=options([("in", "Keep in this group"), ("out", "Keep out of this group"), ("none", "No lock")]),
        validators=[required("Choose a lock")],
    )
