"""`flask retention apply`: enforce the retention schedule (for cron; `--dry-run` to see what is due)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app.wording import plural


@click.group("retention", cls=AppGroup)
def retention() -> None:
    """Keep personal data no longer than the retention schedule says."""


@retention.command("apply")
@click.option("--dry-run", is_flag=True, help="List what is due, kind by kind, and change nothing.")
def apply_command(dry_run: bool) -> None:
    """Erase, delete or redact every kind of personal data past its period (safe to run daily)."""
    from app.privacy.retention import RetentionSettingError, apply_retention, plan_retention

    try:
        plan = plan_retention()
    except RetentionSettingError as exc:
        raise click.ClickException(str(exc)) from None
    when = plan.now.strftime("%-d %B %Y %H:%M UTC")
    if dry_run:
        click.echo(f"Retention as of {when}: a dry run, so nothing is changed.")
        for kind in plan.kinds:
            click.echo(f"  {kind.kind:<16} {kind.count:>6} due   {kind.period.rule.title}, kept {kind.period.text}")
        click.echo(f"{plural(plan.total, 'item')} due. Run without --dry-run to apply.")
        return
    with click.progressbar(length=plan.total, label="Applying the retention schedule") as bar:
        done = apply_retention(plan, progress=bar.update)
    click.echo(f"Retention as of {when}:")
    for kind in plan.kinds:
        click.echo(f"  {kind.kind:<16} {done[kind.kind]:>6} done  {kind.period.rule.title}: {kind.period.rule.outcome}")
    total = sum(done.values())
    click.echo(f"{plural(total, 'item')} done; recorded in the audit log.")


def register_cli(app: Flask) -> None:
    """Add the `retention` command group to `flask`."""
    app.cli.add_command(retention)
