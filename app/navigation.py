"""The service navigation: which links a person sees, according to their roles."""

from __future__ import annotations

from dataclasses import dataclass

from flask import request, url_for
from flask_login import current_user

from app.auth.roles import ADMIN, ORGANISER


@dataclass(frozen=True)
class NavItem:
    """One link in the service navigation."""

    text: str
    endpoint: str
    roles: frozenset[str]  # empty: everyone signed in
    section: str  # active when the current endpoint's blueprint matches

    @property
    def href(self) -> str:
        return url_for(self.endpoint)

    @property
    def active(self) -> bool:
        if self.section == "main":
            return request.endpoint == self.endpoint
        return (request.blueprint or "") == self.section


NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("Home", "main.home", frozenset(), "main"),
    NavItem("Organisations", "organisations.index", frozenset({ADMIN, ORGANISER}), "organisations"),
    NavItem("People", "people.index", frozenset({ADMIN}), "people"),
    NavItem("Audit log", "audit.index", frozenset({ADMIN}), "audit"),
    NavItem("Outbox", "outbox.index", frozenset({ADMIN}), "outbox"),
    NavItem("Your account", "auth.account", frozenset(), "auth"),
)


def navigation_for() -> list[NavItem]:
    """The links for the signed-in person (none for visitors)."""
    if not current_user.is_authenticated:
        return []
    return [item for item in NAV_ITEMS if not item.roles or current_user.has_role(*item.roles)]
