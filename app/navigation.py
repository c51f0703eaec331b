"""The service navigation: which links a person sees, according to their roles."""

from __future__ import annotations

from dataclasses import dataclass

from flask import request, url_for
from flask_login import current_user

from app.auth.roles import ADMIN, ANALYST, ANALYSTS, FACILITATOR, LEAD_ANALYST, MEMBER, ORGANISER


@dataclass(frozen=True)
class NavItem:
    """One link in the service navigation."""

    text: str
    endpoint: str
    roles: frozenset[str]  # empty: everyone signed in
    prefix: str = ""  # active for every page under this path (default: the link's own path)

    @property
    def href(self) -> str:
        return url_for(self.endpoint)

    @property
    def active(self) -> bool:
        if self.endpoint == "main.home":
            return request.endpoint == self.endpoint
        return request.path.startswith(self.prefix or self.href)


NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("Home", "main.home", frozenset()),
    NavItem("Your surveys", "surveys.index", frozenset({MEMBER})),
    NavItem("Surveys", "surveys.manage_index", frozenset({ADMIN, ORGANISER})),
    NavItem("Results", "surveys.results_index", frozenset({ADMIN, ORGANISER, ANALYST, LEAD_ANALYST})),
    NavItem("Analysis", "analysis.index", frozenset(ANALYSTS)),
    NavItem("Focus groups", "focus_groups.index", frozenset({ADMIN, ORGANISER})),
    NavItem("Organisations", "organisations.index", frozenset({ADMIN, ORGANISER})),
    NavItem("People", "people.index", frozenset({ADMIN})),
    NavItem("Audit log", "audit.index", frozenset({ADMIN})),
    NavItem("Outbox", "outbox.index", frozenset({ADMIN})),
    NavItem("Your sessions", "focus_groups.my_sessions", frozenset({FACILITATOR})),
    NavItem("Your account", "auth.account", frozenset(), prefix="/account"),
)


def navigation_for() -> list[NavItem]:
    """The links for the signed-in person (none for visitors)."""
    if not current_user.is_authenticated:
        return []
    return [item for item in NAV_ITEMS if not item.roles or current_user.has_role(*item.roles)]
