"""`flask focus-groups ...`: planning groups from spreadsheets, and the reminders cron sends.

One group, its commands plain module-level functions: each parses its options, calls the focus-group
services and prints the outcome; `register_cli(app)` adds the group (called by app/cli.py).
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from app.focus_groups.composition.optimiser import REASONS, Composition, CompositionError, Rules, compose
from app.focus_groups.composition.spreadsheets import groups_csv, read_slots, read_volunteers
from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS
from app.wording import plural


@click.group("focus-groups", cls=AppGroup)
def focus_groups() -> None:
    """Focus-group commands."""


@focus_groups.command("send-reminders")
def send_reminders_command() -> None:
    """Remind invited participants 7 days and 1 day before their session (never twice; safe to run hourly)."""
    from app.focus_groups.scheduling.reminders import send_session_reminders

    sent = send_session_reminders()
    click.echo(f"Sent {plural(sent, 'focus-group reminder')}.")


@focus_groups.command("compose")
@click.option("--volunteers", "volunteers_path", required=True, type=click.Path(path_type=Path), help="VOLUNTEERS.csv")
@click.option("--sessions", "sessions_path", required=True, type=click.Path(path_type=Path), help="SLOTS.csv")
@click.option("--groups", "groups", required=True, type=click.IntRange(1, 50), help="How many groups to form.")
@click.option("--min-size", default=4, show_default=True, type=click.IntRange(1, 30))
@click.option("--target-size", default=6, show_default=True, type=click.IntRange(1, 30))
@click.option("--max-size", default=8, show_default=True, type=click.IntRange(1, 30))
@click.option(
    "--places-per-reserve",
    default=5,
    show_default=True,
    type=click.IntRange(1, 30),
    help="One reserve per N places.",
)
@click.option(
    "--per-group-organisations",
    is_flag=True,
    help="Allow one person per organisation in each group (default: one per organisation in the whole study).",
)
@click.option("--output", "output", required=True, type=click.Path(path_type=Path, dir_okay=False), help="GROUPS.csv")
def compose_command(
    volunteers_path: Path,
    sessions_path: Path,
    groups: int,
    min_size: int,
    target_size: int,
    max_size: int,
    places_per_reserve: int,
    per_group_organisations: bool,
    output: Path,
) -> None:
    """Propose groups from VOLUNTEERS.csv and SLOTS.csv and write GROUPS.csv.

    \b
    VOLUNTEERS.csv: volunteer_id, name, email, organisation, region, council_type,
      supports_schools (yes/no), available and if_need_be (slot ids separated by ';')
    SLOTS.csv: slot_id, starts_at (ISO 8601, Europe/London), capacity
    GROUPS.csv (written): volunteer_id, slot_id, role (participant or reserve)
    """
    try:
        rules = Rules(
            groups=groups,
            min_size=min_size,
            target_size=target_size,
            max_size=max_size,
            places_per_reserve=places_per_reserve,
            one_per_organisation=not per_group_organisations,
        )
    except CompositionError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("Reading the files...", err=True)
    slots, problems = read_slots(_read(sessions_path, "sessions"), sessions_path.name)
    people, volunteer_problems = read_volunteers(
        _read(volunteers_path, "volunteers"), {s.id for s in slots}, volunteers_path.name
    )
    problems += volunteer_problems
    if problems:
        for problem in problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(f"{plural(len(problems), 'problem')} in the input: nothing was written.")
    click.echo(f"Composing {groups} groups from {len(people)} volunteers and {len(slots)} slots...", err=True)
    try:
        result = compose(people, slots, rules)
    except CompositionError as exc:
        raise click.ClickException(f"{exc} Nothing was written.") from exc
    try:
        output.write_text(groups_csv(result), encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"Cannot write {output}: {exc.strerror}.") from exc

    _report(result, groups)
    click.echo(f"Wrote {output}")


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{path} is not a UTF-8 text (CSV) file, so the {what} cannot be read.") from exc
    except OSError as exc:
        raise click.ClickException(f"Cannot read {path}: {exc.strerror}.") from exc


def _report(result: Composition, groups: int) -> None:
    """What the optimiser did, for the organiser reading the terminal."""
    proven = "proven optimal" if result.optimal else "best found in the time allowed (not proven optimal)"
    click.echo(f"{result.groups_formed} of {groups} groups formed ({proven}, {result.solve_seconds:.2f} s).")
    for coverage in result.coverage:
        click.echo(
            f"  {coverage.slot_id}: {coverage.size} people, {len(result.reserves.get(coverage.slot_id, []))} "
            f"reserves; {len(coverage.regions)} regions ({', '.join(REGIONS[r] for r in coverage.regions)}); "
            f"{len(coverage.council_types)} council types "
            f"({', '.join(COUNCIL_TYPES[t] for t in coverage.council_types)}); "
            f"supports schools {coverage.supports_schools} yes / {coverage.does_not_support_schools} no"
        )
    if result.council_types_missing:
        missing = ", ".join(COUNCIL_TYPES[t] for t in result.council_types_missing)
        click.echo(f"Council types in the pool but in no group: {missing}")
    counts: dict[str, int] = {}
    for reason in result.not_placed.values():
        counts[reason] = counts.get(reason, 0) + 1
    for reason, count in sorted(counts.items()):
        click.echo(f"Not placed, {REASONS[reason].lower()}: {count}")


def register_cli(app: Flask) -> None:
    """Add the `focus-groups` command group to `flask`."""
    app.cli.add_command(focus_groups)
