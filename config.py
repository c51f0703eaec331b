"""Configuration classes, read from environment variables (and `.env` in development)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"

load_dotenv(BASE_DIR / ".env")

# Values that must never be used as a production secret.
INSECURE_SECRET_KEYS = {"", "dev", "change-me", "changeme", "secret", "test"}


def _bool(name: str, default: bool = False) -> bool:
    """Read a yes/no environment variable."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    """Read a whole-number environment variable."""
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


DEFAULT_ICS_UID_DOMAIN = "socitm-research"


def ics_uid_domain() -> str:
    """The right-hand side of calendar event UIDs: ICS_UID_DOMAIN, else APP_BASE_URL's host when that is set,
    else a fixed name. Never the address a request or a development server was reached on, which may change."""
    configured = os.environ.get("ICS_UID_DOMAIN", "").strip().lower()
    if configured:
        return configured
    return urlsplit(os.environ.get("APP_BASE_URL", "").strip()).hostname or DEFAULT_ICS_UID_DOMAIN


# Contact settings people are shown (footer, help page, accessibility statement, privacy notice, the From of
# emails and the organiser of calendar invitations). Production refuses them unset or still placeholders.
SHOWN_CONTACT_SETTINGS = ("CONTACT_EMAIL", "PRIVACY_CONTACT_EMAIL", "MAIL_DEFAULT_SENDER")
# Optional ones: empty is fine (nothing is shown, or a default is used), a placeholder is not.
OPTIONAL_SHOWN_CONTACT_SETTINGS = ("CONTACT_PHONE", "FEEDBACK_URL")
# Domains reserved for examples and tests (RFC 2606, RFC 6761): an address there reaches nobody.
_RESERVED_NAMES = {"example", "invalid", "test", "localhost"}
_RESERVED_DOMAINS = {"example.com", "example.org", "example.net"}


def is_placeholder_contact(value: str) -> bool:
    """Whether a contact setting is left empty, or names a domain reserved for examples (research@socitm.example)."""
    domains = [d.rstrip(".").lower() for d in re.findall(r"(?:@|//)([A-Za-z0-9.-]+)", value)]
    return not value.strip() or any(
        d.rsplit(".", 1)[-1] in _RESERVED_NAMES or ".".join(d.split(".")[-2:]) in _RESERVED_DOMAINS for d in domains
    )


def normalise_database_url(url: str) -> str:
    """Make a PostgreSQL URL use the psycopg 3 driver (Heroku-style URLs say postgres://)."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def default_database_url() -> str:
    """The embedded SQLite database in instance/."""
    return f"sqlite:///{INSTANCE_DIR / 'socitm.db'}"


class Config:
    """Settings shared by every environment."""

    ENVIRONMENT = "base"
    SERVICE_NAME = "Socitm member research"
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    SQLALCHEMY_DATABASE_URI = normalise_database_url(os.environ.get("DATABASE_URL") or default_database_url())
    # Each worker process holds a pool of DB_POOL_SIZE connections and opens up to DB_MAX_OVERFLOW more when
    # busy (PostgreSQL; docs/deployment.md sizes them against max_connections, and `flask deployment-check`
    # checks). A connection is tested before use (pre-ping), replaced after DB_POOL_RECYCLE seconds, and a
    # request waits at most DB_POOL_TIMEOUT seconds for one, DB_CONNECT_TIMEOUT for the server to answer.
    DB_POOL_SIZE = _int("DB_POOL_SIZE", 5)
    DB_MAX_OVERFLOW = _int("DB_MAX_OVERFLOW", 5)
    SQLALCHEMY_ENGINE_OPTIONS: dict = {
        "pool_pre_ping": True,
        "pool_size": DB_POOL_SIZE,
        "max_overflow": DB_MAX_OVERFLOW,
        "pool_recycle": _int("DB_POOL_RECYCLE", 1800),
        "pool_timeout": _int("DB_POOL_TIMEOUT", 10),
        "connect_args": {"connect_timeout": _int("DB_CONNECT_TIMEOUT", 5)},
    }
    # Log lines: "text" (SafeFormatter) or "json" (one object a line, with the request id; production's default).
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower()
    SQLITE_BUSY_TIMEOUT_MS = _int("SQLITE_BUSY_TIMEOUT_MS", 15000)

    # Links in emails and CLI output point here. Unset, a development copy's links follow the address it is
    # served on: APP_SERVED_URL (which `make run` sets from PORT), and within a request that request's own
    # address (app/email/sender.py:base_url). Production and tests never follow a request's Host header.
    APP_BASE_URL = (
        os.environ.get("APP_BASE_URL", "").strip()
        or os.environ.get("APP_SERVED_URL", "").strip()
        or "http://127.0.0.1:5000"
    ).rstrip("/")
    APP_BASE_URL_FOLLOWS_REQUEST = False
    # Calendar (.ics) event UIDs end "@" this, so a calendar matches each update to the event it holds.
    # Once invitations have gone out it must not change (see ics_uid_domain for the default).
    ICS_UID_DOMAIN = ics_uid_domain()

    # Email: with no MAIL_SERVER, messages are kept in the database outbox (development only; production
    # refuses to start without SMTP unless MAIL_OUTBOX_ONLY says the outbox is meant).
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_OUTBOX_ONLY = _bool("MAIL_OUTBOX_ONLY")
    MAIL_PORT = _int("MAIL_PORT", 25)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")
    MAIL_TIMEOUT = _int("MAIL_TIMEOUT", 10)
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Socitm research <research@socitm.example>")
    OUTBOX_SHOWS_LINKS = False  # the outbox hides each link's secret from all but its recipient (development: shown)

    # Sign-in throttling (Flask-Limiter); Redis when RATELIMIT_STORAGE_URI is set. Failed sign-ins are
    # refused per (account, client) and per client; an account's failures from every client together
    # never lock its owner out: past LOGIN_ALERT_PER_ACCOUNT the owner is told by email (app/auth/throttling.py).
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = False
    LOGIN_LIMIT_PER_ACCOUNT_CLIENT = os.environ.get("LOGIN_LIMIT_PER_ACCOUNT_CLIENT", "5 per 15 minutes")
    LOGIN_LIMIT_PER_IP = os.environ.get("LOGIN_LIMIT_PER_IP", "50 per 15 minutes")
    LOGIN_ALERT_PER_ACCOUNT = os.environ.get("LOGIN_ALERT_PER_ACCOUNT", "50 per hour")
    # While Redis cannot be reached, each process counts attempts in its own memory (every limit as usual, but
    # per process) rather than refusing every sign-in with an error page; Redis is tried again, with back-off,
    # and takes over when it answers (bench/cluster.py --fault restart-redis). RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=0
    # makes sign-in fail closed instead (the service's error page). See docs/deployment.md.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = _bool("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    # A promise that one process on one machine serves (memory:// limits are then not multiplied).
    APP_SINGLE_PROCESS = _bool("APP_SINGLE_PROCESS")
    RESET_LIMIT_PER_IP = os.environ.get("RESET_LIMIT_PER_IP", "10 per hour")
    RESET_EMAILS_PER_ACCOUNT = os.environ.get("RESET_EMAILS_PER_ACCOUNT", "3 per hour")
    # The public volunteer form: submissions per client (all of them) and accepted ones per email
    # address typed. Apart from these, the form emails an address at most once an hour.
    VOLUNTEER_LIMIT_PER_CLIENT = os.environ.get("VOLUNTEER_LIMIT_PER_CLIENT", "30 per hour")
    VOLUNTEER_LIMIT_PER_ADDRESS = os.environ.get("VOLUNTEER_LIMIT_PER_ADDRESS", "5 per hour")
    # Two-factor codes (app/auth/mfa/): wrong codes per account, and per pending sign-in before the
    # password must be entered again; how long a sign-in may wait for its code; how long a sign-in or
    # confirmation of identity lets someone make sensitive changes (app/auth/reauth.py).
    CODE_LIMIT_PER_ACCOUNT = os.environ.get("CODE_LIMIT_PER_ACCOUNT", "10 per 15 minutes")
    CODE_TRIES_PER_SIGN_IN = _int("CODE_TRIES_PER_SIGN_IN", 5)
    # This many wrong codes after a right password (in any sign-ins) and the owner is told, once a window.
    CODE_ALERT_AFTER = os.environ.get("CODE_ALERT_AFTER", "3 per hour")
    SECOND_STEP_MINUTES = _int("SECOND_STEP_MINUTES", 5)
    REAUTH_MINUTES = _int("REAUTH_MINUTES", 5)

    # Sessions and account tokens.
    IDLE_TIMEOUT_MINUTES = _int("IDLE_TIMEOUT_MINUTES", 30)
    ABSOLUTE_TIMEOUT_HOURS = _int("ABSOLUTE_TIMEOUT_HOURS", 12)  # however busy, a session ends this long after it began
    INVITATION_TTL_HOURS = _int("INVITATION_TTL_HOURS", 72)
    RESET_TTL_MINUTES = _int("RESET_TTL_MINUTES", 60)
    SESSION_COOKIE_NAME = "socitm_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    SESSION_REFRESH_EACH_REQUEST = False  # app/security.py: last_seen changes once a minute at most
    # Sent with the sign-out response (app/auth/routes.py says why "storage" is not in it).
    SIGN_OUT_CLEAR_SITE_DATA = os.environ.get("SIGN_OUT_CLEAR_SITE_DATA", '"cookies"')

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session (idle timeout applies)
    MAX_CONTENT_LENGTH = 10 * 1024 * 1024  # a whole request; each kind of upload has its own, smaller limit
    MAX_FORM_MEMORY_SIZE = 500_000  # one form field that is not a file; beyond either, a 413 page
    MAX_FORM_PARTS = 1_000
    # How many reverse proxies in front of the app set X-Forwarded-For/-Proto (0: none, trust nothing).
    TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)
    HSTS = False
    PER_PAGE = 25

    # Help and contact, shown in every page's footer, on the help page, the accessibility statement and the
    # privacy notice. While PHASE_BANNER is on (the default: the service is in beta) each page says so and links
    # to FEEDBACK_URL (a web form or a mailto: link; by default an email to CONTACT_EMAIL).
    CONTACT_EMAIL = os.environ.get("CONTACT_EMAIL", "research@socitm.example")
    CONTACT_PHONE = os.environ.get("CONTACT_PHONE", "")
    CONTACT_HOURS = os.environ.get("CONTACT_HOURS", "Monday to Friday, 9am to 5pm (except bank holidays)")
    CONTACT_RESPONSE_DAYS = _int("CONTACT_RESPONSE_DAYS", 5)
    PHASE_BANNER = _bool("PHASE_BANNER", True)
    FEEDBACK_URL = os.environ.get("FEEDBACK_URL", "")
    # The accessibility statement: when it was prepared (and last reviewed), as the statement shows it.
    ACCESSIBILITY_STATEMENT_PREPARED = os.environ.get("ACCESSIBILITY_STATEMENT_PREPARED", "5 December 2026")
    ACCESSIBILITY_STATEMENT_REVIEWED = os.environ.get("ACCESSIBILITY_STATEMENT_REVIEWED", "5 December 2026")

    # Data protection: who is responsible, whom to ask, and how long each kind of personal data is kept
    # (`flask retention apply` enforces these periods and the privacy notice states them).
    PRIVACY_CONTROLLER = os.environ.get("PRIVACY_CONTROLLER", "Socitm")
    PRIVACY_CONTACT_EMAIL = os.environ.get("PRIVACY_CONTACT_EMAIL", "privacy@socitm.example")
    RETENTION_VOLUNTEER_MONTHS = _int("RETENTION_VOLUNTEER_MONTHS", 12)
    RETENTION_DRAFT_RESPONSE_MONTHS = _int("RETENTION_DRAFT_RESPONSE_MONTHS", 6)
    RETENTION_AUDIT_ADDRESS_DAYS = _int("RETENTION_AUDIT_ADDRESS_DAYS", 90)
    RETENTION_OUTBOX_BODY_DAYS = _int("RETENTION_OUTBOX_BODY_DAYS", 30)
    RETENTION_JOB_FILE_HOURS = _int("RETENTION_JOB_FILE_HOURS", 24)
    RETENTION_JOB_RECORD_DAYS = _int("RETENTION_JOB_RECORD_DAYS", 30)
    RETENTION_TOKEN_DAYS = _int("RETENTION_TOKEN_DAYS", 7)

    # Background jobs (docs/jobs.md): with REDIS_URL they go on an RQ queue that `flask jobs worker` serves,
    # on any node; without it they run in a thread of the web process. A job that has not been heard from
    # for JOBS_STALE_SECONDS is taken as interrupted. A file a job makes is kept in the database, up to
    # JOB_FILE_MAX_BYTES.
    REDIS_URL = os.environ.get("REDIS_URL", "").strip()
    JOBS_QUEUE = os.environ.get("JOBS_QUEUE", "socitm-jobs").strip() or "socitm-jobs"
    JOBS_TIMEOUT_SECONDS = _int("JOBS_TIMEOUT_SECONDS", 3 * 3600)
    JOBS_HEARTBEAT_SECONDS = _int("JOBS_HEARTBEAT_SECONDS", 15)
    JOBS_STALE_SECONDS = _int("JOBS_STALE_SECONDS", 120)
    JOB_FILE_MAX_BYTES = _int("JOB_FILE_MAX_BYTES", 100 * 1024 * 1024)


class DevelopmentConfig(Config):
    """Local development: SQLite by default, outbox instead of SMTP when no server is set."""

    ENVIRONMENT = "development"
    DEBUG = False
    # On a development copy the outbox is how a developer follows invitation, reset, survey and volunteer
    # links: it shows them in full (production and tests hide every link's secret from all but its recipient).
    OUTBOX_SHOWS_LINKS = True
    # Email links follow the address the app is served on (PORT=5090 make run: links on port 5090), unless
    # APP_BASE_URL says where they go.
    APP_BASE_URL_FOLLOWS_REQUEST = not os.environ.get("APP_BASE_URL", "").strip()


class TestingConfig(Config):
    """The test suite: its own database, CSRF checked only where a test turns it on."""

    ENVIRONMENT = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key-not-for-production-use-0123456789"  # noqa: S105 - tests only
    SQLALCHEMY_DATABASE_URI = f"sqlite:///{INSTANCE_DIR / 'test.db'}"  # tests/conftest.py gives each run its own
    WTF_CSRF_ENABLED = False
    JOBS_INLINE = True  # background jobs run to the end inside the request, so tests see their outcome
    REDIS_URL = ""  # jobs in-process; the RQ tests set their own (tests/jobs/test_rq.py)
    RATELIMIT_STORAGE_URI = "memory://"
    APP_BASE_URL = "http://localhost"
    ICS_UID_DOMAIN = DEFAULT_ICS_UID_DOMAIN
    MAIL_SERVER = ""
    MAIL_DEFAULT_SENDER = "Socitm research <research@socitm.example>"


class ProductionConfig(Config):
    """Production: a real SECRET_KEY is required; cookies are Secure and HSTS is sent."""

    ENVIRONMENT = "production"
    # `__Host-`: the browser keeps it only when it is Secure, Path=/ and has no Domain, so no other
    # site on the same domain (nor plain HTTP) can set or overwrite it.
    SESSION_COOKIE_NAME = "__Host-socitm_session"
    SESSION_COOKIE_PATH = "/"
    SESSION_COOKIE_DOMAIN = None
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    HSTS = True
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json").strip().lower()

    @classmethod
    def check(cls) -> None:
        """Refuse to start without a real secret key, with throttling each process would count on its
        own, with live links for the outbox when nobody chose it, or with placeholder contact details."""
        key = os.environ.get("SECRET_KEY", "")
        if key.strip().lower() in INSECURE_SECRET_KEYS or len(key) < 32:
            raise RuntimeError(
                "SECRET_KEY must be set to a random value of at least 32 characters in production "
                '(for example: python -c "import secrets; print(secrets.token_urlsafe(48))").'
            )
        nodes = declared_nodes()
        if nodes > 1 and cls.SQLALCHEMY_DATABASE_URI.startswith("sqlite"):
            raise RuntimeError(
                f"NODES is {nodes} but DATABASE_URL is a SQLite file, which only one machine can use: set "
                "DATABASE_URL to the PostgreSQL server every node shares (docs/deployment.md)."
            )
        if cls.RATELIMIT_STORAGE_URI.strip().lower().startswith("memory://"):
            workers = declared_workers() * nodes
            if not cls.APP_SINGLE_PROCESS or workers > 1:
                said = f" ({workers} workers are configured)" if workers > 1 else ""
                said += f" on {nodes} nodes" if nodes > 1 else ""
                raise RuntimeError(
                    "RATELIMIT_STORAGE_URI is memory://, so each worker would count sign-in attempts on its "
                    f"own and the limits would be multiplied{said}. Set RATELIMIT_STORAGE_URI=redis://host:6379/0, "
                    "or APP_SINGLE_PROCESS=1 if exactly one process on one machine serves the app."
                )
        if not cls.MAIL_SERVER and not cls.MAIL_OUTBOX_ONLY:
            raise RuntimeError(
                "MAIL_SERVER is not set: emails would be kept in the outbox instead of being sent. Set "
                "MAIL_SERVER (and MAIL_PORT, MAIL_USE_TLS, credentials), or MAIL_OUTBOX_ONLY=1 if that is meant."
            )
        placeholders = [name for name in SHOWN_CONTACT_SETTINGS if is_placeholder_contact(getattr(cls, name))] + [
            name
            for name in OPTIONAL_SHOWN_CONTACT_SETTINGS
            if getattr(cls, name).strip() and is_placeholder_contact(getattr(cls, name))
        ]
        if placeholders:
            shown = ", ".join(f"{name}={getattr(cls, name)!r}" for name in placeholders)
            raise RuntimeError(
                f"Contact details people are shown are unset or placeholders ({shown}): set them to real, "
                "monitored addresses (pages, the privacy notice, the accessibility statement and emails show them)."
            )


def declared_workers() -> int:
    """How many worker processes the environment says will serve (gunicorn's WEB_CONCURRENCY or
    --workers in GUNICORN_CMD_ARGS); 1 when it does not say."""
    counts = [1]
    concurrency = os.environ.get("WEB_CONCURRENCY", "").strip()
    if concurrency.isdigit():
        counts.append(int(concurrency))
    flag = re.search(r"(?:^|\s)(?:-w|--workers)(?:=|\s+)(\d+)", os.environ.get("GUNICORN_CMD_ARGS", ""))
    if flag:
        counts.append(int(flag.group(1)))
    return max(counts)


def declared_nodes() -> int:
    """How many machines (or containers) the environment says run the web app (NODES); 1 when it does not say."""
    value = os.environ.get("NODES", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else 1


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    """Pick the configuration class named by APP_ENV (development by default)."""
    name = os.environ.get("APP_ENV", "development").strip().lower()
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"APP_ENV must be one of {', '.join(CONFIGS)}; got {name!r}") from None
