"""Audit log: one helper to record, and pages for admins to browse."""

from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")

from app.audit import routes  # noqa: E402,F401
