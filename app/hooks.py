"""Hooks: how one feature offers something on another feature's page without either importing the other.

A feature registers a provider for a named hook when its blueprint is registered; the page that shows
the hook collects what every provider returns. The survey's confirmation page, for example, shows a
prompt to volunteer for a focus group, which the focus-groups feature provides; each role's home page
is made of the parts (`HomeSection`) the features that know that role's work provide.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask, current_app

#: Called with `organisation_id` (the respondent's organisation, or None), `interest` (their answer to whether
#: they would like to hear about focus groups: "yes", "no" or None) and `personal` (whether they answered with
#: a member account, so can be emailed personally); returns a `Prompt` or None.
SURVEY_CONFIRMATION = "survey-confirmation"

#: Called with no arguments; returns a list of `Interest`: the members who said in a survey they would like
#: to hear about taking part in a focus group (the focus groups' recruitment invites them).
FOCUS_GROUP_INTEREST = "focus-group-interest"

#: Called with `user` (the signed-in person); returns a `HomeSection` for their home page, or None.
HOME = "home"

#: Where each part of a home page goes (`HomeSection.order`): the work of one role after another.
HOME_ORDER = {"member": 10, "surveys": 20, "focus_groups": 30, "sessions": 40, "analysis": 50, "administration": 60}


@dataclass(frozen=True)
class Prompt:
    """Something another feature invites the reader to do next: a heading, a sentence and a link."""

    heading: str
    text: str
    link_text: str = ""  # no link: the text says all there is to say
    url: str = ""


@dataclass(frozen=True)
class Interest:
    """A member who said, in a survey they submitted, that they would like to hear about focus groups."""

    user_id: int
    organisation_id: int
    answered_at: datetime


@dataclass(frozen=True)
class HomeSection:
    """One part of a person's home page: what needs doing now in one line of work, under an h2 `heading`.

    `template` draws what goes under the heading (a fragment under templates/<feature>/, rendered with
    `context`); `order` places it among the person's other parts (`HOME_ORDER`).
    """

    heading: str
    template: str
    order: int
    context: Mapping[str, Any] = field(default_factory=dict)

    @property
    def heading_id(self) -> str:
        """The id of the section's heading (the section is labelled by it)."""
        return "home-" + self.template.removesuffix(".html").replace("/", "-").replace("_", "-")


def register(app: Flask, hook: str, provider: Callable[..., object]) -> None:
    """Add `provider` to `hook` for this app."""
    app.extensions.setdefault("hooks", {}).setdefault(hook, []).append(provider)


def collect(hook: str, **context) -> list:
    """What every provider of `hook` returns for this context, leaving out None."""
    providers = current_app.extensions.get("hooks", {}).get(hook, [])
    return [result for provider in providers if (result := provider(**context)) is not None]
