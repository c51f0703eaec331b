"""`flask surveys ...` commands: reminders for cron, and XLSForm import."""

from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select

from app.extensions import db


def register_cli(app: Flask) -> None:
    """Add the `surveys` command group."""

    @app.cli.group("surveys")
    def surveys() -> None:
        """Survey commands."""

    @surveys.command("install-default")
    def install_default() -> None:
        """Install "Delivery of ICT services to schools" (slug schools-ict), published, if it is missing."""
        from app.surveys.services import DEFAULT_SLUG, ensure_default_survey, find_survey

        existed = find_survey(DEFAULT_SLUG) is not None
        survey = ensure_default_survey()
        click.echo(f"'{survey.title}' ({survey.slug}) " + ("was already installed." if existed else "installed."))

    @surveys.command("send-reminders")
    @click.option("--survey", "slug", default=None, help="Only this survey (default: every open survey).")
    def send_reminders_command(slug: str | None) -> None:
        """Remind organisations that have not submitted (at most once every 48 hours; safe to run hourly)."""
        from app.surveys.invitations import due_for_reminder, send_reminders
        from app.surveys.models import Survey
        from app.surveys.services import is_open

        query = select(Survey).order_by(Survey.id)
        if slug:
            query = query.where(Survey.slug == slug)
        surveys_ = [s for s in db.session.scalars(query) if is_open(s)]
        if slug and not surveys_:
            raise click.ClickException(f"No open survey with the slug '{slug}'.")
        for survey in surveys_:
            due = due_for_reminder(survey)
            reminded: list[str] = []
            if due:
                with click.progressbar(length=len(due), label=f"Reminding for '{survey.title}'") as bar:
                    reminded = send_reminders(survey, progress=lambda done, _name: bar.update(1))
            noun = "organisation" if len(reminded) == 1 else "organisations"
            click.echo(
                f"{survey.title}: Reminded {len(reminded)} {noun}" + (": " + ", ".join(reminded) if reminded else ".")
            )

    try:
        from app.surveys.xlsform import import_xlsform_cli
    except ImportError:  # pragma: no cover - the XLSForm importer ships with the survey feature
        return
    surveys.add_command(import_xlsform_cli, "import-xlsform")
