"""`flask surveys ...`: installing the default survey, reminders for cron, exports and XLSForm import.

One group, its commands plain module-level functions, each a thin shell round a service: it parses
options, calls the service, and prints the outcome.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from app.database import write_transaction
from app.extensions import db
from app.surveys.authoring.services import create_draft_from_xlsform
from app.surveys.authoring.xlsform import XLSFormError
from app.surveys.invitations.services import due_for_reminder, send_reminders
from app.surveys.models import Survey
from app.surveys.results.exports import export_to_file, record_export, submitted_count
from app.surveys.services import DEFAULT_SLUG, ensure_default_survey, find_survey, is_open, update_default_survey
from app.wording import plural


@click.group("surveys", cls=AppGroup)
def surveys() -> None:
    """Survey commands."""


@surveys.command("install-default")
def install_default() -> None:
    """Install "Delivery of ICT services to schools" (slug schools-ict), published, if it is missing; bring an
    installed copy that organisers have not changed up to the shipped definition as its next version."""
    existed = find_survey(DEFAULT_SLUG) is not None
    survey = ensure_default_survey()
    updated = update_default_survey() if existed else None
    if updated is not None:
        click.echo(f"'{survey.title}' ({survey.slug}) was updated: version {updated.number} published.")
    else:
        click.echo(f"'{survey.title}' ({survey.slug}) " + ("was already installed." if existed else "installed."))


def _open_surveys(slug: str | None) -> list[Survey]:
    """Every open survey, or only the one with `slug`, oldest first."""
    query = select(Survey).order_by(Survey.id)
    if slug:
        query = query.where(Survey.slug == slug)
    return [survey for survey in db.session.scalars(query) if is_open(survey)]


@surveys.command("send-reminders")
@click.option("--survey", "slug", default=None, help="Only this survey (default: every open survey).")
def send_reminders_command(slug: str | None) -> None:
    """Remind organisations that have not submitted (at most once every 48 hours; safe to run hourly)."""
    open_surveys = _open_surveys(slug)
    if slug and not open_surveys:
        raise click.ClickException(f"No open survey with the slug '{slug}'.")
    for survey in open_surveys:
        due = due_for_reminder(survey)
        reminded: list[str] = []
        if due:
            with click.progressbar(length=len(due), label=f"Reminding for '{survey.title}'") as bar:
                reminded = send_reminders(survey, progress=lambda done, _name: bar.update(1))
        noun = "organisation" if len(reminded) == 1 else "organisations"
        click.echo(
            f"{survey.title}: Reminded {len(reminded)} {noun}" + (": " + ", ".join(reminded) if reminded else ".")
        )


@surveys.command("export")
@click.option("--survey", "slug", required=True, help="The survey's slug, e.g. schools-ict.")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "json"]), required=True, help="File format.")
@click.option("--output", "output_path", type=click.Path(), required=True, help="File to write.")
@click.option("--labels", is_flag=True, help="Answer labels instead of codes.")
def export_command(slug: str, fmt: str, output_path: str, labels: bool) -> None:
    """Export a survey's submitted responses to a file (audit-logged)."""
    output = Path(output_path)
    survey = find_survey(slug)
    if survey is None:
        raise click.ClickException(f"No survey with the slug '{slug}'.")
    folder = output.parent.resolve()
    if output.is_dir() or not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise click.ClickException(f"Cannot write {output}: choose a file in a folder you can write to.")
    try:
        with click.progressbar(length=submitted_count(survey), label=f"Exporting '{survey.title}'") as bar:

            def advance(done: int) -> None:
                bar.update(done - bar.pos)

            rows = export_to_file(survey, fmt, output, labels=labels, progress=advance)
    except OSError as exc:
        raise click.ClickException(f"Cannot write {output}: {exc.strerror or exc}.") from exc
    with write_transaction():
        record_export(survey, fmt, rows=rows, labels=labels, via="cli")
    noun = "response" if rows == 1 else "responses"
    click.echo(f"Exported {rows} {noun} to {output}.")


@surveys.command("import-xlsform")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def import_xlsform_cli(path: Path) -> None:
    """Create a draft survey from an XLSForm (.xlsx) and list the rows that could not be imported."""
    try:
        result = create_draft_from_xlsform(path)
    except XLSFormError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created draft survey: {result.survey.slug}")
    if result.unmapped:
        click.echo(f"{plural(len(result.unmapped), 'row')} not imported:")
    for entry in result.unmapped:
        click.echo(str(entry))


def register_cli(app: Flask) -> None:
    """Add the `surveys` command group to `flask`."""
    app.cli.add_command(surveys)
