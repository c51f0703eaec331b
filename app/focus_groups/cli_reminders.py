"""`flask focus-groups send-reminders`: the reminders cron sends a week and a day before each session."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    """Add the reminders command to the `focus-groups` group."""

    @group.command("send-reminders")
    def send_reminders_command() -> None:
        """Remind invited participants 7 days and 1 day before their session (never twice; safe to run hourly)."""
        from app.focus_groups.scheduling.reminders import send_session_reminders

        sent = send_session_reminders()
        click.echo(f"Sent {sent} focus-group reminder{'' if sent == 1 else 's'}.")
