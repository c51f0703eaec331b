"""Forms for recruitment: the public expression-of-interest form and the organisers' CSV import."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional

from app.focus_groups.models import AVAILABILITY
from app.forms import email_address, max_length, options, required, strip
from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS

SAME_AS_ORGANISATION = "Same as my organisation"


def without_nul(value):
    """Drop NUL characters, which no one types and PostgreSQL cannot store (None stays None)."""
    return value.replace("\x00", "") if isinstance(value, str) else value


class VolunteerForm(FlaskForm):
    """Who the volunteer is, where they work, when they can come, and their consent.

    One radio question per candidate slot is added by `volunteer_form` (fields named slot_<id>).
    """

    name = StringField(
        "Full name",
        filters=[without_nul, strip],
        validators=[required("Enter your full name"), max_length(200, "Full name")],
    )
    email = StringField(
        "Email address",
        filters=[without_nul, strip],
        validators=[required("Enter your email address"), email_address(), max_length(254, "Email address")],
    )
    organisation = SelectField(
        "Organisation",
        validators=[required("Select your organisation")],
        invalid_choice_message="Select your organisation from the list",
    )
    job_role = StringField(
        "Job role",
        filters=[without_nul, strip],
        validators=[required("Enter your job role"), max_length(200, "Job role")],
    )
    region = SelectField(
        "Region",
        choices=options([("", SAME_AS_ORGANISATION), *REGIONS.items()]),
        invalid_choice_message="Select a region from the list",
    )
    council_type = SelectField(
        "Council type",
        choices=options([("", SAME_AS_ORGANISATION), *COUNCIL_TYPES.items()]),
        invalid_choice_message="Select a council type from the list",
    )
    supports_schools = RadioField(
        "Does your ICT service support schools or other education services?",
        choices=options([("yes", "Yes"), ("no", "No")]),
        validators=[required("Select yes if your ICT service supports education services")],
        invalid_choice_message="Select yes if your ICT service supports education services",
    )
    access_needs = TextAreaField(
        "Access needs (optional)",
        filters=[without_nul, strip],
        validators=[Optional(), max_length(2000, "Access needs")],
    )
    consent = BooleanField(
        "I agree to take part on these terms",
        validators=[DataRequired("Confirm that you agree to take part on these terms")],
    )
    audio_consent = BooleanField("I agree to the session being audio-recorded (optional)")

    def slot_fields(self) -> list:
        """The availability questions, in slot order."""
        return [field for name, field in self._fields.items() if name.startswith("slot_")]

    def __iter__(self):
        # The order of the page (and so of the error summary): availability comes before access needs.
        fields = list(self._fields.values())
        position = {name: n for n, name in enumerate(self._fields)}
        later = ("access_needs", "consent", "audio_consent")
        return iter(sorted(fields, key=lambda f: (f.name in later, position[f.name])))


def slot_field_name(slot_id: int) -> str:
    """The form field that holds the answer for a slot."""
    return f"slot_{slot_id}"


def volunteer_form(slots, organisations, **kwargs) -> VolunteerForm:
    """A volunteer form with one yes / if need be / no question per slot and the organisations to choose from."""

    class StudyVolunteerForm(VolunteerForm):
        pass

    for slot in slots:
        message = f"Select whether you can attend {slot.label}"
        setattr(
            StudyVolunteerForm,
            slot_field_name(slot.id),
            RadioField(
                slot.label,
                choices=options(AVAILABILITY.items()),
                validators=[required(message)],
                invalid_choice_message=message,
            ),
        )
    form = StudyVolunteerForm(**kwargs)
    form.organisation.choices = options([("", "Choose your organisation"), *((o.id, o.name) for o in organisations)])
    return form


class VolunteerImportForm(FlaskForm):
    """A CSV file of volunteers, and the organiser's confirmation that they consented."""

    file = FileField(
        "Upload a CSV file",
        validators=[FileRequired("Select a CSV file"), FileAllowed(["csv"], "The selected file must be a CSV")],
    )
    consent_confirmed = BooleanField(
        "I confirm every person in this file has agreed to take part and to us keeping these details",
        validators=[DataRequired("Confirm that every person in the file has agreed to take part")],
    )
