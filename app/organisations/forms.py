"""Forms for organisations and their CSV import."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.validators import Optional

from app.forms import email_address, max_length, options, required, strip
from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS


class OrganisationForm(FlaskForm):
    """Name, region, council type and contact email."""

    name = StringField(
        "Name", filters=[strip], validators=[required("Enter the organisation's name"), max_length(200, "Name")]
    )
    region = SelectField(
        "Region",
        choices=options([("", "Choose a region"), *REGIONS.items()]),
        validators=[required("Select the region")],
    )
    council_type = SelectField(
        "Council type",
        choices=options([("", "Choose a council type"), *COUNCIL_TYPES.items()]),
        validators=[required("Select the council type")],
    )
    contact_email = StringField(
        "Contact email address (optional)",
        filters=[strip, lambda v: v or None],
        validators=[Optional(), email_address(), max_length(254, "Contact email address")],
    )


class ImportForm(FlaskForm):
    """A CSV file of organisations."""

    file = FileField(
        "Upload a CSV file",
        validators=[FileRequired("Select a CSV file"), FileAllowed(["csv"], "The selected file must be a CSV")],
    )
