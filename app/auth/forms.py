"""Forms for signing in and managing one's own password."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import EqualTo

from app.forms import email_address, max_length, password_rules, required, strip


def password_context(person) -> dict[str, str]:
    """The words a person's new password must not be made of: their email, name and organisation."""
    if person is None:
        return {}
    return {
        "email": person.email or "",
        "name": person.name or "",
        "organisation": person.organisation.name if person.organisation else "",
    }


class SignInForm(FlaskForm):
    """Email and password."""

    email = StringField(
        "Email address",
        filters=[strip],
        validators=[required("Enter your email address"), email_address(), max_length(254, "Email address")],
    )
    password = PasswordField("Password", validators=[required("Enter your password")])


class ForgotPasswordForm(FlaskForm):
    """Ask for a reset link."""

    email = StringField(
        "Email address",
        filters=[strip],
        validators=[required("Enter your email address"), email_address(), max_length(254, "Email address")],
    )


class SetPasswordForm(FlaskForm):
    """Choose a password (from an invitation or reset link)."""

    password = PasswordField("New password", validators=[required("Enter a new password"), password_rules()])
    confirm = PasswordField(
        "Confirm new password",
        validators=[required("Enter the password again"), EqualTo("password", message="The passwords do not match")],
    )

    def __init__(self, *args, person=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.password_context = password_context(person)


class ChangePasswordForm(FlaskForm):
    """Change a password while signed in."""

    current_password = PasswordField("Current password", validators=[required("Enter your current password")])
    password = SetPasswordForm.password
    confirm = SetPasswordForm.confirm

    def __init__(self, *args, person=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.password_context = password_context(person)
