"""`flask focus-groups ...`: planning groups from spreadsheets, and the reminders cron sends."""

from __future__ import annotations

from flask import Flask


def register_cli(app: Flask) -> None:
    """Add the `focus-groups` command group."""

    @app.cli.group("focus-groups")
    def focus_groups() -> None:
        """Focus-group commands."""

    from app.focus_groups.cli_compose import register as register_compose
    from app.focus_groups.cli_reminders import register as register_reminders

    register_compose(focus_groups)
    register_reminders(focus_groups)
