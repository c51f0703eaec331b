"""Forms of the recommendation pages: a decision on an outcome, the scoring rules, sign-off and reopening."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from app.analysis.codebook_forms import clean
from app.analysis.models import DECISIONS
from app.analysis.recommendation import NOTE_LIMIT, RATIONALE_LIMIT, RULES_NOTE_LIMIT
from app.analysis.scoring import MAX_DOCUMENT
from app.forms import max_length, options, required


class DecisionForm(FlaskForm):
    """An analyst's decision on one outcome (prefixed with the outcome, so four fit on one page)."""

    decision = RadioField(
        "Decision",
        choices=options(DECISIONS.items()),
        validators=[required("Choose recommend, do not recommend or needs more evidence")],
    )
    rationale = TextAreaField(
        "Rationale",
        filters=[clean],
        validators=[required("Give the rationale for the decision"), max_length(RATIONALE_LIMIT, "The rationale")],
    )


class RulesForm(FlaskForm):
    """The scoring rules as TOML, with a note for the version's history."""

    document = TextAreaField(
        "Rules (TOML)",
        validators=[required("Enter the rules"), max_length(MAX_DOCUMENT, "The rules")],
    )
    note = StringField(
        "What changed and why (optional)",
        filters=[clean],
        validators=[Optional(), max_length(RULES_NOTE_LIMIT, "The note")],
        default="",
    )
    base_version = HiddenField(validators=[Length(max=12)])


class SignOffForm(FlaskForm):
    """The lead analyst's sign-off, with an optional note."""

    note = TextAreaField(
        "Note (optional)", filters=[clean], validators=[Optional(), max_length(NOTE_LIMIT, "The note")], default=""
    )


class ReopenForm(FlaskForm):
    """Reopening a signed-off recommendation, with the reason."""

    reason = TextAreaField(
        "Why reopen the recommendation?",
        filters=[clean],
        validators=[required("Say why the recommendation is reopened"), max_length(NOTE_LIMIT, "The reason")],
    )
