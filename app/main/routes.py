"""Home, health check, help and contact, privacy and accessibility pages."""

from __future__ import annotations

import logging

from flask import current_app, jsonify, render_template
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from app.auth.decorators import public
from app.auth.roles import ADMIN
from app.extensions import csrf, db, limiter
from app.main import bp
from app.main.home import home_sections, render_section

log = logging.getLogger(__name__)


@bp.route("/")
@public
def home():
    """The start page for visitors; for people signed in, what needs doing now in each of their roles."""
    if not current_user.is_authenticated:
        return render_template("main/start.html")
    retention = None
    if current_user.has_role(ADMIN):
        from app.privacy.retention import retention_overdue

        retention = retention_overdue()
    sections = [(section, render_section(section)) for section in home_sections(current_user._get_current_object())]
    return render_template("main/home.html", retention=retention, sections=sections)


@bp.route("/healthz")
@limiter.exempt
@csrf.exempt
@public
def healthz():
    """200 with JSON when the database answers; 503 when it does not.

    On a server database the pool tests every connection it hands out (pre-ping: one `SELECT 1` outside
    any transaction), so taking a connection from the pool *is* the probe: no second query, no BEGIN and
    no ROLLBACK (a fresh connection, when the pool has none, proves the server answers by connecting).
    SQLite has no pre-ping (nothing to reconnect to), so there the probe asks the driver one `SELECT 1`.
    Neither goes through the ORM session (tests/main/test_request_floor.py).
    """
    engine = db.engine
    try:
        connection = engine.raw_connection()  # the pre-ping, where the pool has one
        try:
            if not current_app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping"):
                cursor = connection.cursor()
                cursor.execute("SELECT 1")
                cursor.fetchone()
                cursor.close()
        finally:
            connection.close()  # back to the pool
    except (SQLAlchemyError, engine.dialect.loaded_dbapi.Error) as exc:
        log.error("Health check: database not answering: %s", exc)
        return jsonify(status="error", database="unavailable"), 503
    return jsonify(status="ok", database="ok")


@bp.route("/privacy")
@public
def privacy():
    """What personal data the service holds, why, for how long, and people's rights (the retention
    periods read from the same schedule `flask retention apply` enforces)."""
    from app.privacy.retention import retention_schedule

    return render_template("main/privacy.html", schedule=retention_schedule())


@bp.route("/accessibility")
@public
def accessibility():
    """The accessibility statement."""
    return render_template("main/accessibility.html")


@bp.route("/contact")
@public
def contact():
    """Help and contact: whom to ask about what, with the contact details from config."""
    return render_template("main/contact.html")
