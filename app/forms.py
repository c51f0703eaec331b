"""Form pieces shared by every feature: field filters and validators with plain-English messages."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, ValidationError


def strip(value):
    """Trim surrounding spaces from text input (None stays None)."""
    return value.strip() if isinstance(value, str) else value


def required(message: str) -> InputRequired:
    """A required-field check with the message the person will read."""
    return InputRequired(message=message)


def email_address(message: str = "Enter an email address in the correct format, like name@example.com"):
    """An email-format check (no DNS look-up, so it works offline)."""
    return Email(message=message, check_deliverability=False)


def max_length(limit: int, what: str) -> Length:
    """A length check that says how long the text may be."""
    return Length(max=limit, message=f"{what} must be {limit} characters or fewer")


def password_rules(email_field: str | None = None):
    """Check a new password against the password rules (length, common list, the person's own words).

    The person's email, name and organisation come from the form's `password_context` (a dict), or
    the email from another field of the form (`email_field`).
    """
    from app.auth.passwords import password_problem

    def _check(form, field):
        context = dict(getattr(form, "password_context", {}))
        if email_field:
            context["email"] = getattr(form, email_field).data or ""
        problem = password_problem(field.data or "", **context)
        if problem:
            raise ValidationError(problem)

    return _check


def options(pairs: Iterable[tuple[object, str]]) -> list[SelectChoice]:
    """Choices for a select, radios or checkboxes from (value, label) pairs."""
    return [SelectChoice("" if value is None else str(value), label) for value, label in pairs]
