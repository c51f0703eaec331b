"""Forms for inviting and editing people."""

from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.widgets import CheckboxInput, ListWidget

from app.auth.roles import ROLES
from app.forms import email_address, max_length, options, required, strip


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes that returns the values ticked."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _organisation_id(value):
    return int(value) if value not in (None, "", "None") else None


class PersonForm(FlaskForm):
    """Name, roles and organisation."""

    name = StringField(
        "Full name",
        filters=[strip],
        validators=[required("Enter the person's full name"), max_length(120, "Full name")],
    )
    roles = MultiCheckboxField(
        "Roles", choices=options(ROLES.items()), validators=[required("Select at least one role")]
    )
    organisation_id = SelectField("Organisation", coerce=_organisation_id, validate_choice=True)

    def set_organisation_choices(self, organisations) -> None:
        """Offer every organisation, plus 'none' for staff who are not members."""
        self.organisation_id.choices = options(
            [(None, "None (Socitm staff)")] + [(o.id, o.name) for o in organisations]
        )


class InviteForm(PersonForm):
    """Invite someone new: also their email address."""

    email = StringField(
        "Email address",
        filters=[strip],
        validators=[required("Enter the person's email address"), email_address(), max_length(254, "Email address")],
    )

    field_order = ("name", "email", "roles", "organisation_id")

    def __iter__(self):
        return (self._fields[name] for name in self.field_order)
