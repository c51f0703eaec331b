"""ASVS 18: every text a form takes has a server-side length limit (WTForms `Length`).

Walks every FlaskForm in the app. The few text fields without `Length` are listed below with what
bounds them instead; a new form field without a limit fails this test.
"""

from __future__ import annotations

import importlib
import pkgutil

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length

import app as app_package

# (module, form, field): what bounds the field instead of Length.
BOUNDED_ELSEWHERE = {
    # Parsed by app/numbers.py, which refuses anything longer than its MAX_LENGTH before converting.
    ("app.focus_groups.studies.forms", "SlotForm", "day"): "app/numbers.py",
    ("app.focus_groups.studies.forms", "SlotForm", "month"): "app/numbers.py",
    ("app.focus_groups.studies.forms", "SlotForm", "year"): "app/numbers.py",
    ("app.focus_groups.studies.forms", "SlotForm", "start_time"): "a time pattern",
    ("app.focus_groups.scheduling.routes", "RescheduleForm", "day"): "app/numbers.py",
    ("app.focus_groups.scheduling.routes", "RescheduleForm", "month"): "app/numbers.py",
    ("app.focus_groups.scheduling.routes", "RescheduleForm", "year"): "app/numbers.py",
    ("app.focus_groups.scheduling.routes", "RescheduleForm", "start_time"): "a time pattern",
    # New passwords: app/auth/passwords.py refuses more than MAX_LENGTH (256) characters. A password
    # only compared with a hash is bounded by the request size (MAX_CONTENT_LENGTH).
    ("app.auth.forms", "SignInForm", "password"): "request size",
    ("app.auth.forms", "SetPasswordForm", "password"): "app/auth/passwords.py",
    ("app.auth.forms", "SetPasswordForm", "confirm"): "compared with password",
    ("app.auth.forms", "ChangePasswordForm", "current_password"): "request size",
    ("app.auth.forms", "ChangePasswordForm", "password"): "app/auth/passwords.py",
    ("app.auth.forms", "ChangePasswordForm", "confirm"): "compared with password",
    ("app.auth.mfa.forms", "ConfirmIdentityForm", "password"): "request size",
    # Read as ids or offsets by their filters before any validator: parse_id() and at most 7 digits.
    ("app.analysis.forms", "ReviewForm", "code_id"): "app/identifiers.py",
    ("app.analysis.forms", "HandCodeForm", "start"): "the offset filter (7 digits)",
    ("app.analysis.forms", "HandCodeForm", "end"): "the offset filter (7 digits)",
    # Only compared with the current version number; any other text is a conflict, said in words.
    ("app.analysis.codebook_forms", "ThemeForm", "base_version"): "compared, never parsed",
    ("app.analysis.codebook_forms", "VersionNoteForm", "base_version"): "compared, never parsed",
}


def _forms() -> list[type[FlaskForm]]:
    for module in pkgutil.walk_packages(app_package.__path__, "app."):
        importlib.import_module(module.name)
    found, waiting = [], list(FlaskForm.__subclasses__())
    while waiting:
        form = waiting.pop()
        found.append(form)
        waiting.extend(form.__subclasses__())
    return [form for form in found if form.__module__.startswith("app.")]


def _text_fields(form: type[FlaskForm]):
    for name in dir(form):
        field = getattr(form, name, None)
        if getattr(field, "field_class", None) is not None and issubclass(field.field_class, StringField):
            validators = field.kwargs.get("validators") or (field.args[1] if len(field.args) > 1 else [])
            yield name, validators


def test_every_text_field_has_a_length_limit(app):
    missing = []
    for form in _forms():
        for name, validators in _text_fields(form):
            limited = any(isinstance(v, Length) and v.max not in (None, -1) for v in validators)
            if not limited and (form.__module__, form.__name__, name) not in BOUNDED_ELSEWHERE:
                missing.append(f"{form.__module__}.{form.__name__}.{name}")
    assert missing == []


def test_the_upload_forms_take_no_text_at_all(app):
    """The upload and import forms carry a file and, at most, a checkbox: no free text to bound."""
    uploads = [form for form in _forms() if any(name == "file" for name, _ in _fields(form))]
    assert {form.__name__ for form in uploads} >= {
        "ImportForm",
        "VolunteerImportForm",
        "XLSFormUploadForm",
        "ImportDefinitionForm",
    }
    for form in uploads:
        assert [name for name, _ in _text_fields(form)] == []


def _fields(form: type[FlaskForm]):
    for name in dir(form):
        field = getattr(form, name, None)
        if getattr(field, "field_class", None) is not None:
            yield name, field
