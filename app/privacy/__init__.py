"""Data protection duties: the retention schedule (`flask retention apply`) and subject access archives.

This package sits above the features, as the app factory does: it reads every feature's records
(survey answers, focus-group volunteers, notes) to keep or hand over a person's data, and nothing but
the factory and the privacy notice imports it.
"""

from flask import Blueprint

bp = Blueprint("privacy", __name__, url_prefix="/admin/privacy")

from app.privacy import routes  # noqa: E402,F401
