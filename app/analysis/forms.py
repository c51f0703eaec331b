"""Forms of the analysis pages: re-tagging, linking surveys, coding by hand and review decisions."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.validators import Length, ValidationError

from app.analysis.codebook import Codebook
from app.forms import options, required
from app.identifiers import parse_id
from app.people.forms import MultiCheckboxField

REVIEW_ACTIONS = ("accept", "reject", "skip", "change")


def _theme_choices(codebook: Codebook, blank: str | None = None):
    pairs = [(theme.slug, theme.name) for theme in codebook.themes]
    return options(([(None, blank)] if blank else []) + pairs)


class TagForm(FlaskForm):
    """Re-read the study's sources and tag them (new and changed passages, or every one)."""

    everything = BooleanField("Tag every passage again, not only new and changed ones")


class SurveysForm(FlaskForm):
    """The surveys whose free-text answers feed the study."""

    surveys = MultiCheckboxField("Surveys feeding this study", choices=[], validate_choice=True)

    def __init__(self, *args, surveys=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.surveys.choices = options((survey.id, survey.title) for survey in surveys)


def _offset(value):
    """A character offset typed or set by the page's script: digits only, bounded; else None."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    return int(text) if text.isdigit() and len(text) <= 7 else -1


class HandCodeForm(FlaskForm):
    """Code a passage with a theme: the whole passage, or the selected span of its text (start, end)."""

    theme = SelectField("Theme", validators=[required("Choose a theme")], validate_choice=False)
    start = HiddenField(filters=[_offset])
    end = HiddenField(filters=[_offset])
    selection = StringField("Selected text", validators=[Length(max=4000)], render_kw={"readonly": True})

    def __init__(self, *args, codebook: Codebook, length: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.theme.choices = _theme_choices(codebook, blank="Choose a theme")
        self._slugs = set(codebook.slugs)
        self._length = length

    def validate_theme(self, field) -> None:
        """Only a theme of the codebook (the list offers nothing else; a tampered value is refused in words)."""
        if field.data not in self._slugs:
            raise ValidationError("Choose a theme from the list")

    def validate_end(self, field) -> None:
        """Both offsets or neither, in order, inside the passage."""
        start, end = self.start.data, field.data
        if start is None and end is None:
            return
        if start is None or end is None or start < 0 or end < 0 or not start < end <= self._length:
            raise ValidationError("Select part of the passage's text again, or code the whole passage")

    def span(self) -> tuple[int, int] | None:
        """The selected span, or None for the whole passage."""
        if self.start.data is None or self.end.data is None:
            return None
        return (self.start.data, self.end.data)


class ReviewForm(FlaskForm):
    """One review decision: accept, reject, skip, or change the theme of a code."""

    code_id = HiddenField(filters=[lambda value: parse_id(value) if value not in (None, "") else None])
    action = HiddenField(validators=[Length(max=10)])
    new_theme = SelectField("Change the theme to", validate_choice=False)

    def __init__(self, *args, codebook: Codebook, **kwargs):
        super().__init__(*args, **kwargs)
        self.new_theme.choices = _theme_choices(codebook, blank="Choose another theme")

    def validate_action(self, field) -> None:
        """One of the four decisions (the buttons send the action as their value)."""
        if field.data not in REVIEW_ACTIONS:
            raise ValidationError("Choose accept, reject, skip or change theme")


class QdpxImportForm(FlaskForm):
    """A REFI-QDA project file (.qdpx) whose accepted codes to bring into the study."""

    file = FileField("Upload a REFI-QDA project", validators=[FileRequired("Select a REFI-QDA project file (.qdpx)")])


class QdpxConfirmForm(FlaskForm):
    """Confirming an import checked on the previous page (the upload, signed, kept for an hour)."""

    token = HiddenField(validators=[Length(max=1000)])


class QdpxPrepareForm(FlaskForm):
    """Start building a large study's project file in the background (a POST: it records a job)."""
