"""Application factory: `create_app(config_class)` wires extensions, blueprints, CLI and error pages."""

from __future__ import annotations

import re
from functools import cache

from flask import Flask
from flask_login import AnonymousUserMixin
from markupsafe import Markup, escape
from werkzeug.middleware.proxy_fix import ProxyFix

from app.extensions import csrf, db, limiter, login_manager, migrate
from app.logs import configure_logging, init_request_ids
from config import INSTANCE_DIR, Config, ProductionConfig

# A web address, not linked when a secret in it was hidden ("…/invitation/[link hidden]": app/email/link_secrets.py).
URL_PATTERN = re.compile(r"https?://[^\s<>\"'\[]++(?!\[)")


class Anonymous(AnonymousUserMixin):
    """A visitor who has not signed in: holds no roles."""

    roles: frozenset[str] = frozenset()

    def has_role(self, *roles: str) -> bool:
        return False


def create_app(config_class: type[Config] = Config) -> Flask:
    """Build the application for the given configuration class."""
    if issubclass(config_class, ProductionConfig):
        config_class.check()
    app = Flask(__name__, template_folder="../templates", instance_path=str(INSTANCE_DIR))
    from app.security import FormRequest

    app.request_class = FormRequest
    app.config.from_object(config_class)
    from app.identifiers import PathTextConverter, RowIdConverter

    # Every `<int:…>` in a route is a row id: only ids a row can have reach a view (before blueprints add
    # routes); every other part (`<slug>`, `<token>`) is bounded text with no control characters.
    app.url_map.converters["int"] = RowIdConverter
    app.url_map.converters["default"] = app.url_map.converters["string"] = PathTextConverter
    if not app.config["SECRET_KEY"]:
        import secrets

        app.logger.warning("SECRET_KEY is not set: using a random key, so sessions end on restart.")
        app.config["SECRET_KEY"] = secrets.token_urlsafe(48)
    INSTANCE_DIR.mkdir(exist_ok=True)
    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A file on this machine: no server can drop the connection, so no test query before each use, and
        # no server's connection limit to size a pool against.
        server_only = {"pool_pre_ping", "pool_size", "max_overflow", "pool_recycle", "pool_timeout", "connect_args"}
        options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {k: v for k, v in options.items() if k not in server_only}

    configure_logging(app.config["LOG_FORMAT"])
    init_request_ids(app)  # first of the before-request hooks: every later line and error page has the id

    db.init_app(app)
    migrate.init_app(app, db, directory=str(INSTANCE_DIR.parent / "migrations"))
    csrf.init_app(app)
    _init_limiter(app)
    _init_login(app)

    from app.database import init_database

    init_database(app)

    from app.security import csp_nonce, init_security

    init_security(app)

    _register_blueprints(app)
    _limit_in_views_only(app)
    _register_template_helpers(app, csp_nonce)

    from app.errors import register_error_pages

    register_error_pages(app)

    from app.cli import register_cli

    register_cli(app)
    return app


# Flask-Limiter's own state that decides whether, and how, it falls back to memory (4.1.1, pinned): set afresh
# for each app (tests/auth/test_limits_without_redis.py checks these still exist).
LIMITER_FALLBACK_STATE = (
    "_in_memory_fallback",
    "_in_memory_fallback_enabled",
    "_fallback_limiter",
    "_storage_dead",
    "_Limiter__check_backend_count",
)


def _init_limiter(app: Flask) -> None:
    """Flask-Limiter, falling back to each process's memory while its storage (Redis) is away only when
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED is on; each view's own limits then apply, counted in memory.

    No fallback limits are configured (Flask-Limiter would put them in place of every view's limits, counting
    page views and successful sign-ins alike). The limiter is module-level and keeps what the first app set,
    so each app built in this process (tests build many) starts from no fallback and a live storage.
    """
    app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = bool(app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"])
    app.config["RATELIMIT_IN_MEMORY_FALLBACK"] = None
    limiter._in_memory_fallback = []
    limiter._in_memory_fallback_enabled = False
    limiter._fallback_limiter = None
    limiter._storage_dead = False
    limiter._Limiter__check_backend_count = 0
    limiter.init_app(app)


def _init_login(app: Flask) -> None:
    from sqlalchemy import bindparam, select
    from sqlalchemy.orm import joinedload

    from app.auth.models import User
    from app.identifiers import parse_id

    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to see this page."
    login_manager.login_message_category = "important"
    login_manager.anonymous_user = Anonymous
    login_manager.session_protection = "basic"

    @cache
    def by_id():
        # One query for the person, their roles and their organisation (which most pages show); built
        # once, on first use (when every model is known).
        return (
            select(User)
            .where(User.id == bindparam("user_id"))
            .options(joinedload(User.role_rows), joinedload(User.organisation))
        )

    @login_manager.user_loader
    def load_user(session_id: str):
        # The id carries the person's session token: revoking sessions changes the token.
        user_id, _, token = session_id.partition(".")
        user_id = parse_id(user_id)
        if user_id is None or not token:
            return None
        user = db.session.execute(by_id(), {"user_id": user_id}).unique().scalar_one_or_none()
        if user is None or not user.is_active or user.session_token != token:
            return None
        return user


def _register_blueprints(app: Flask) -> None:
    from app.analysis import bp as analysis_bp
    from app.audit import bp as audit_bp
    from app.auth import bp as auth_bp
    from app.email import bp as outbox_bp
    from app.focus_groups import bp as focus_groups_bp
    from app.jobs import bp as jobs_bp
    from app.main import bp as main_bp
    from app.organisations import bp as organisations_bp
    from app.people import bp as people_bp
    from app.privacy import bp as privacy_bp
    from app.surveys import bp as surveys_bp

    for blueprint in (
        main_bp,
        auth_bp,
        people_bp,
        organisations_bp,
        audit_bp,
        outbox_bp,
        surveys_bp,
        jobs_bp,
        focus_groups_bp,
        privacy_bp,
        analysis_bp,
    ):
        app.register_blueprint(blueprint)


def _limit_in_views_only(app: Flask) -> None:
    """Take Flask-Limiter's before-request check off requests when it has nothing to check.

    Every limit in the app is on its view (`@limiter.limit` on sign-in, reset, codes, the volunteer
    form), and the decorator checks it as the view is called; the after-request hook that counts
    failed sign-ins (`deduct_when`) stays. The before-request check is only for limits on the whole
    app, by default or on a blueprint: with none, it looked up the same empty set of limits on every
    request (a tenth of a millisecond each). Should any such limit be configured, the check stays.
    """
    manager = limiter.limit_manager
    if manager.application_limits or manager.default_limits or manager._blueprint_limits or limiter._meta_limits:
        return
    hooks = app.before_request_funcs.get(None, [])
    hooks[:] = [hook for hook in hooks if hook != limiter._check_request_limit]


def _register_template_helpers(app: Flask, csp_nonce) -> None:
    from app.clock import uk_time
    from app.navigation import navigation_for

    app.add_template_filter(uk_time, "london")

    @app.template_filter("linkify")
    def linkify(text: str) -> Markup:
        """Escape plain text and turn its web addresses into links (for reading emails)."""
        escaped = str(escape(text or ""))
        linked = URL_PATTERN.sub(lambda m: f'<a class="govuk-link" href="{m.group(0)}">{m.group(0)}</a>', escaped)
        return Markup(linked)  # noqa: S704 - built from escaped text

    @app.template_filter("error_items")
    def error_items(errors) -> list[tuple[str | None, str]]:
        """Problems for the error summary: a dict of field id to message links to each field; a list of
        messages (problems with no single field, like a whole survey definition's) does not."""
        if isinstance(errors, dict):
            return [
                (None if key.startswith(("definition", "draft")) else f"#{key}", message)
                for key, message in errors.items()
            ]
        return [(None, message) for message in errors]

    from app.surveys.answering.pages import without_placeholders
    from app.wording import plural, plural_noun, titled

    app.add_template_filter(plural, "plural")
    app.add_template_filter(plural_noun, "plural_noun")
    app.add_template_filter(titled, "titled")

    app.add_template_filter(without_placeholders, "without_placeholders")

    @app.context_processor
    def layout_context():
        return {
            "service_name": app.config["SERVICE_NAME"],
            "csp_nonce": csp_nonce,
            "navigation": navigation_for,
        }
