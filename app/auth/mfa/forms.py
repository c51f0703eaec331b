"""Forms for two-factor authentication and for confirming one's identity."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField

from app.forms import max_length, required, strip


class CodeForm(FlaskForm):
    """A 6-digit code from the authenticator app, or a recovery code."""

    code = StringField(
        "Code",
        filters=[strip],
        validators=[required("Enter the 6-digit code from your authenticator app"), max_length(64, "The code")],
    )


class SetUpForm(FlaskForm):
    """The first code from a newly added authenticator app, proving it was added."""

    code = StringField(
        "Code from the app",
        filters=[strip],
        validators=[required("Enter the 6-digit code your authenticator app shows"), max_length(64, "The code")],
    )


class ConfirmIdentityForm(FlaskForm):
    """One's password, and a code where two-factor authentication is set up."""

    password = PasswordField("Password", validators=[required("Enter your password")])
    code = StringField("Code from your authenticator app", filters=[strip], validators=[max_length(64, "The code")])
