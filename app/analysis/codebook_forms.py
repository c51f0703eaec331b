"""Forms of the codebook editor: a theme, a new theme, removing one, and importing a codebook file."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError

from app.analysis.codebook import MAX_EXAMPLES, MAX_TEXT, SLUG, Codebook, Theme
from app.analysis.codebook_editing import descendants, format_patterns, parse_lines, parse_patterns
from app.forms import max_length, options, required

NOTE_LIMIT = 500
NAME_LIMIT = 120
SLUG_LIMIT = 60
EXAMPLE_LIMIT = 1000
PATTERNS_LIMIT = 300_000  # a thousand patterns of the longest kind, with room for their options
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(value):
    """Trimmed text without control characters (no one types them; PostgreSQL cannot store NUL)."""
    return _CONTROL.sub("", value).strip() if isinstance(value, str) else value


def _note_field() -> StringField:
    return StringField(
        "What changed and why (optional)",
        filters=[clean],
        validators=[Optional(), max_length(NOTE_LIMIT, "The note")],
        default="",
    )


def _parent_choices(codebook: Codebook, theme: str | None) -> list:
    """The themes a theme may sit under: any but itself and its own sub-themes (no loops)."""
    barred = {theme} | descendants(codebook, theme) if theme else set()
    return options(
        [("", "None: a top-level theme"), *((t.slug, t.name) for t in codebook.themes if t.slug not in barred)]
    )


def _choose_parent(form, field) -> None:
    if field.data not in {choice.value for choice in field.choices}:
        raise ValidationError("Choose a parent theme from the list, or none")


def _check_examples(form, field) -> None:
    examples = parse_lines(field.data or "")
    if len(examples) > MAX_EXAMPLES:
        raise ValidationError(f"Enter at most {MAX_EXAMPLES} example passages; there are {len(examples)}")
    for number, example in enumerate(examples, start=1):
        if len(example) > EXAMPLE_LIMIT:
            raise ValidationError(f"Example {number} must be {EXAMPLE_LIMIT:,} characters or fewer")


class ThemeForm(FlaskForm):
    """A theme's name, parent, definition, criteria, examples and indicator patterns.

    `base_version` is the codebook version the form was opened on, so a save can tell whether someone
    else changed the same theme meanwhile. After `validate()`, `theme_from(slug)` builds the theme.
    """

    name = StringField(
        "Name", filters=[clean], validators=[required("Enter the theme's name"), max_length(NAME_LIMIT, "The name")]
    )
    parent = SelectField("Parent theme", validate_choice=False, validators=[_choose_parent], default="")
    definition = TextAreaField(
        "Definition",
        filters=[clean],
        validators=[Optional(), max_length(MAX_TEXT, "The definition")],
        default="",
    )
    include = TextAreaField(
        "Inclusion criteria (optional)",
        filters=[clean],
        validators=[Optional(), max_length(MAX_TEXT, "The inclusion criteria")],
        default="",
    )
    exclude = TextAreaField(
        "Exclusion criteria (optional)",
        filters=[clean],
        validators=[Optional(), max_length(MAX_TEXT, "The exclusion criteria")],
        default="",
    )
    examples = TextAreaField(
        "Example passages (optional)",
        filters=[clean],
        validators=[Optional(), max_length(MAX_EXAMPLES * (EXAMPLE_LIMIT + 2), "The examples"), _check_examples],
        default="",
    )
    patterns = TextAreaField(
        "Indicator patterns",
        filters=[clean],
        validators=[Optional(), max_length(PATTERNS_LIMIT, "The patterns")],
        default="",
    )
    note = _note_field()
    base_version = HiddenField()

    def __init__(self, codebook: Codebook, theme: str | None = None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.parent.choices = _parent_choices(codebook, theme)
        self.other_names = {t.name.strip().lower() for t in codebook.themes if t.slug != theme}
        self.parsed_patterns: tuple = ()

    def fill(self, theme: Theme, version: int) -> None:
        """Show a saved theme (for the first GET)."""
        self.name.data = theme.name
        self.parent.data = theme.parent or ""
        self.definition.data = theme.definition
        self.include.data = theme.include
        self.exclude.data = theme.exclude
        self.examples.data = "\n".join(theme.examples)
        self.patterns.data = format_patterns(theme.patterns)
        self.base_version.data = str(version)

    def validate_name(self, field) -> None:
        """Names tell themes apart on every page, so two themes may not share one."""
        if field.data and field.data.strip().lower() in self.other_names:
            raise ValidationError("Another theme already has this name: choose a different one")

    def validate(self, extra_validators=None) -> bool:
        """The fields' own checks, then every line of the patterns (each problem listed with its line)."""
        valid = super().validate(extra_validators)
        if not self.patterns.errors:
            self.parsed_patterns, problems = parse_patterns(self.patterns.data or "")
            if problems:
                self.patterns.errors = list(problems)
                valid = False
        return valid

    def theme_from(self, slug: str) -> Theme:
        """The theme the (validated) form describes."""
        return Theme(
            slug=slug,
            name=self.name.data,
            definition=self.definition.data or "",
            include=self.include.data or "",
            exclude=self.exclude.data or "",
            examples=parse_lines(self.examples.data or ""),
            patterns=self.parsed_patterns,
            parent=self.parent.data or None,
        )


class NewThemeForm(FlaskForm):
    """A new theme: its stable slug, name, parent and (optionally) definition; patterns come next."""

    slug = StringField(
        "Slug",
        filters=[clean],
        validators=[required("Enter a slug for the theme"), max_length(SLUG_LIMIT, "The slug")],
    )
    name = StringField(
        "Name", filters=[clean], validators=[required("Enter the theme's name"), max_length(NAME_LIMIT, "The name")]
    )
    parent = SelectField("Parent theme", validate_choice=False, validators=[_choose_parent], default="")
    definition = TextAreaField(
        "Definition (optional)",
        filters=[clean],
        validators=[Optional(), max_length(MAX_TEXT, "The definition")],
        default="",
    )
    note = _note_field()

    def __init__(self, codebook: Codebook, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.parent.choices = _parent_choices(codebook, None)
        self.slugs = set(codebook.slugs)
        self.names = {t.name.strip().lower() for t in codebook.themes}

    def validate_slug(self, field) -> None:
        """Slugs are stable identifiers in exports and codes: lower case, digits and hyphens, never reused."""
        if not field.data:
            return
        if not SLUG.match(field.data):
            raise ValidationError(
                "The slug can only have lower-case letters, digits and single hyphens between them, "
                "like schools-funding"
            )
        if field.data in self.slugs:
            raise ValidationError("Another theme already has this slug: choose a different one")

    def validate_name(self, field) -> None:
        """Names tell themes apart on every page, so two themes may not share one."""
        if field.data and field.data.strip().lower() in self.names:
            raise ValidationError("Another theme already has this name: choose a different one")

    def theme(self) -> Theme:
        """The new theme the (validated) form describes, with no patterns yet."""
        return Theme(
            slug=self.slug.data,
            name=self.name.data,
            definition=self.definition.data or "",
            include="",
            exclude="",
            examples=(),
            patterns=(),
            parent=self.parent.data or None,
        )


class VersionNoteForm(FlaskForm):
    """Confirming a change that saves a new version (removing a theme, importing a codebook), with a note."""

    note = _note_field()
    base_version = HiddenField()
    # An import's codebook, signed (see codebook_routes.import_token), at most IMPORT_TOKEN_LIMIT characters.
    document = HiddenField(validators=[Length(max=400_000)])


class ImportForm(FlaskForm):
    """A codebook file: REFI-QDA (.qdc) or the JSON this service exports."""

    file = FileField("Upload a codebook file", validators=[FileRequired("Select a codebook file (.qdc or .json)")])
