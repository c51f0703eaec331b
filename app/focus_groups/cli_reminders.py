"""cli_reminders"""

import click


def register(group: click.Group) -> None:
    """Add this module's commands to the group."""
