"""Forms for double-coding rounds: setting one up, coding a passage, resolving a disagreement."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length, ValidationError

from app.analysis.codebook import Codebook
from app.analysis.rounds import NOTE_LIMIT, TITLE_LIMIT
from app.forms import max_length, strip
from app.identifiers import parse_id
from app.numbers import NumberError, parse_whole_number


def _row_id(value) -> int | None:
    """A person's id from a select (None for the empty choice or anything that names nobody)."""
    return parse_id(value) if value not in (None, "") else None


SAMPLE_SIZE_TOO_LONG = "The sample size must be 40 characters or fewer"


class TypedLength(Length):
    """A length limit on the text as typed, for a field whose data is the number read from it."""

    def __call__(self, form, field):
        """Refuse typed text longer than the limit."""
        if len(getattr(field, "raw_text", "") or "") > self.max:
            raise ValidationError(self.message)


class SampleSizeField(StringField):
    """The sample size, read by the platform's one number parser: whole ASCII digits, checked for length
    before any conversion ("1e1000000" or 5,000 digits are refused in words, never converted). Its range
    (1 to the study's passages) is the service's to check."""

    def process_formdata(self, valuelist):
        """Keep what was typed (shown back on an error) and read it as a whole number when it is one."""
        self.raw_text = valuelist[0] if valuelist else ""
        self.data = None
        self.number_error = None
        if not self.raw_text.strip():
            self.number_error = "Enter the sample size, as a whole number"
            return
        try:
            self.data = parse_whole_number(self.raw_text)
        except NumberError as error:
            # A whole number too large to hold is out of range, as 0 is: the service says the range.
            if error.reason not in ("min", "max"):
                self.number_error = "The sample size must be a whole number of passages, like 30"

    def pre_validate(self, form):
        """Report the reading problem, if any, as this field's error."""
        if getattr(self, "number_error", None):
            raise ValidationError(self.number_error)


class RoundForm(FlaskForm):
    """A new round: its title, how many passages to sample, and its two coders."""

    title = StringField(
        "Title", filters=[strip], validators=[max_length(TITLE_LIMIT, "The title")], default="Double-coding round"
    )
    sample_size = SampleSizeField("Sample size", validators=[TypedLength(max=40, message=SAMPLE_SIZE_TOO_LONG)])
    coder_a = SelectField("Coder A", coerce=_row_id, validate_choice=False)
    coder_b = SelectField("Coder B", coerce=_row_id, validate_choice=False)

    def set_coders(self, people) -> None:
        """Offer these people (each "Name (email)") in both coder selects, after an empty first choice."""
        choices = [("", "Choose a person")] + [(str(person.id), f"{person.name} ({person.email})") for person in people]
        self.coder_a.choices = choices
        self.coder_b.choices = choices

    def validate_title(self, field) -> None:
        """A round needs a title."""
        if not field.data:
            raise ValidationError("Enter a title for the round")


class _ThemesForm(FlaskForm):
    """Checkboxes for every theme of a codebook, or "None of these themes applies" (one or the other)."""

    themes = SelectMultipleField("Themes", validate_choice=False)
    none = BooleanField("None of these themes applies")

    def set_codebook(self, codebook: Codebook) -> None:
        """Offer the codebook's themes, in codebook order."""
        self.themes.choices = [(theme.slug, theme.name) for theme in codebook.themes]

    def validate_themes(self, field) -> None:
        """The coder ticks at least one theme, or "None of these themes applies", never both; and only themes
        the codebook holds."""
        offered = {value for value, _ in field.choices or []}
        if set(field.data or []) - offered:
            raise ValidationError("Choose themes from the list")
        if field.data and self.none.data:
            raise ValidationError("Choose the themes that apply, or ‘None of these themes applies’, not both")
        if not field.data and not self.none.data:
            raise ValidationError("Choose the themes that apply, or ‘None of these themes applies’")


class CodingForm(_ThemesForm):
    """One coder's themes for one passage."""


class ResolutionForm(_ThemesForm):
    """A lead's resolution of a disagreement: the agreed themes and a note."""

    note = TextAreaField(
        "Note (optional)", filters=[strip], validators=[max_length(NOTE_LIMIT, "The note")], default=""
    )
