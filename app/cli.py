"""Flask commands: `flask demo-data`, `flask invite-admin`, `flask where-emails-go`, `flask backup`, `flask restore`,
and each feature's group
(`flask surveys …`, `flask focus-groups …`, `flask retention …`), all in one style: module-level commands that a
`register_cli(app)` adds."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app

from app.extensions import db


def _demo_admin_has_two_factor(email: str) -> bool:
    from sqlalchemy import select

    from app.auth.models import User

    admin = db.session.scalar(select(User).where(User.email == email))
    return admin is not None and admin.has_two_factor


@click.command("demo-data")
@click.option(
    "--password",
    envvar="DEMO_PASSWORD",
    default=None,
    help="Password for the demo accounts (default: DEMO_PASSWORD, else a random one).",
)
@click.option(
    "--totp-secret",
    envvar="DEMO_TOTP_SECRET",
    default=None,
    help="Authenticator key (base32) for the demo administrator, who must use two-factor authentication.",
)
def demo_data(password: str | None, totp_secret: str | None) -> None:
    """Load demo organisations and one account per role (<role>@demo.example). Safe to repeat."""
    if current_app.config["ENVIRONMENT"] == "production":
        raise click.ClickException("demo-data refuses to run in production (APP_ENV=production).")
    from app.demo import DEMO_PEOPLE, demo_email, demo_totp_key, load_demo_data

    try:
        totp_secret = demo_totp_key(totp_secret) if totp_secret else None
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    created, issued = load_demo_data(password)
    click.echo(
        f"Demo data ready: {created['organisations']} organisations, {created['people']} people, "
        f"{created['responses']} survey responses and {created['volunteers']} focus-group volunteers added; "
        f"{created['passages']} passages read and tagged for the analysis."
    )
    click.echo("Demo sign-ins:")
    for role, name, org in DEMO_PEOPLE:
        click.echo(f"  {role:<12} {demo_email(role):<26} {name}" + (f" ({org})" if org else ""))
    if totp_secret:
        from app.auth.mfa.services import grouped
        from app.demo import set_up_demo_two_factor

        key = set_up_demo_two_factor(totp_secret)
        click.echo(f"Authenticator key for {demo_email('admin')} (add it to an authenticator app): {grouped(key)}")
    elif _demo_admin_has_two_factor(demo_email("admin")):
        click.echo(
            f"{demo_email('admin')} already has an authenticator app (set up earlier); "
            "pass --totp-secret to give it a new key."
        )
    else:
        click.echo(f"{demo_email('admin')} sets up an authenticator app at first sign-in (or pass --totp-secret).")
    if issued:
        click.echo(f"Password for the demo accounts: {issued}")
    else:
        click.echo("Passwords unchanged (pass --password or set DEMO_PASSWORD to set them).")


@click.command("invite-admin")
@click.argument("email")
@click.argument("name")
def invite_admin(email: str, name: str) -> None:
    """Create the first administrator and print (and email) their invitation link."""
    from app.auth.roles import ADMIN
    from app.auth.services import AccountError, find_user_by_email, invite_person

    if find_user_by_email(email):
        raise click.ClickException(f"{email} already has an account.")
    try:
        invite_person(email=email, name=name, roles={ADMIN}, organisation_id=None, invited_by=None)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    from app.email.models import OutboxMessage

    last = db.session.query(OutboxMessage).order_by(OutboxMessage.id.desc()).first()
    click.echo(f"Invitation for {email} created (email status: {last.status if last else 'unknown'}).")


@click.command("where-emails-go")
def where_emails_go() -> None:
    """Say where this copy's emails go, how to read them, and where their links point (`make run` prints it)."""
    from app.demo import demo_email
    from app.email.sender import external_url

    config = current_app.config
    outbox = external_url("outbox.index")
    if config["MAIL_SERVER"]:
        click.echo(
            f"Emails are sent through the SMTP server {config['MAIL_SERVER']}:{config['MAIL_PORT']}; "
            f"the outbox ({outbox}) lists what was sent, without the messages."
        )
    else:
        click.echo(
            "Emails are not sent (MAIL_SERVER is not set): they are kept in the outbox. To read them, sign in as "
            f"{demo_email('admin')} and open {outbox} (Outbox in the menu); their links work on this copy."
        )
    following = " (or the address you open the app on)" if config.get("APP_BASE_URL_FOLLOWS_REQUEST") else ""
    click.echo(f"Links in emails start {config['APP_BASE_URL']}{following}; set APP_BASE_URL to change it.")


class _ProgressBar:
    """A click progress bar for work whose total is known only once it starts (pages of a database, tables)."""

    def __init__(self, label: str) -> None:
        self.bar = click.progressbar(length=1, label=label)

    def __enter__(self) -> _ProgressBar:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.bar.__exit__(*exc)

    def __call__(self, done: int, total: int) -> None:
        self.bar.length = max(total, 1)
        self.bar.update(max(done - self.bar.pos, 0))


@click.command("backup")
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The file to write.")
def backup_command(output: Path) -> None:
    """Back up the whole database to a file (readable by you only), consistent while the app runs."""
    from sqlalchemy.exc import OperationalError

    from app.audit.services import record
    from app.backup import BackupError, make_backup
    from app.database import write_transaction

    db.session.remove()
    try:
        with _ProgressBar("Backing up") as progress:
            made = make_backup(db.engine, output, progress=progress)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        with write_transaction():
            record("backup.made", object_type="database", path=str(made.path.resolve()), size=made.size)
    except OperationalError as exc:  # a writer held the database past the busy timeout: the backup stands
        click.echo(f"Warning: the audit log could not record this backup ({exc.orig}).", err=True)
    click.echo(
        f"Backup of the {made.kind} database written to {made.path} ({made.size:,} bytes, readable by you only; "
        f"database version {made.alembic_version or 'unknown'})."
    )


@click.command("restore")
@click.option("--input", "source", required=True, type=click.Path(path_type=Path), help="The backup file to restore.")
@click.option("--yes", is_flag=True, help="Replace a database that already holds data.")
def restore_command(source: Path, yes: bool) -> None:
    """Replace the database with a backup made by `flask backup` (asks for --yes if the database holds data)."""
    from app.audit.services import record
    from app.backup import BackupError, restore_backup, version_advice
    from app.database import write_transaction

    db.session.remove()
    try:
        with _ProgressBar("Restoring") as progress:
            restored = restore_backup(db.engine, source, replace=yes, progress=progress)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    if restored.alembic_version and _has_audit_table():
        with write_transaction():
            record(
                "backup.restored", object_type="database", path=str(source.resolve()), replaced=restored.tables_replaced
            )
    click.echo(f"Restored the {restored.kind} database from {source}.")
    click.echo(version_advice(restored.alembic_version, Path(current_app.extensions["migrate"].directory)))


def _has_audit_table() -> bool:
    from sqlalchemy import inspect

    return "audit_event" in inspect(db.engine).get_table_names()


def register_cli(app: Flask) -> None:
    """Add the platform's commands and each feature's command group to `flask`."""
    from app.analysis.cli import register_cli as register_analysis_cli
    from app.focus_groups.cli import register_cli as register_focus_group_cli
    from app.jobs.cli import register_cli as register_jobs_cli
    from app.privacy.cli import register_cli as register_privacy_cli
    from app.surveys.cli import register_cli as register_survey_cli

    app.cli.add_command(demo_data)
    app.cli.add_command(invite_admin)
    app.cli.add_command(where_emails_go)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    from app.deployment import deployment_check

    app.cli.add_command(deployment_check)
    register_survey_cli(app)
    register_focus_group_cli(app)
    register_privacy_cli(app)
    register_analysis_cli(app)
    register_jobs_cli(app)
