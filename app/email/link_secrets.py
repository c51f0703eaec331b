"""Hiding the secrets in links to this site, so the outbox never shows a live one to an admin.

Every route whose link carries a secret (invitation, password reset, survey invitation, a volunteer's
respond, withdraw and confirm links) names it `token`. An email's links are matched against the
app's own routes and the value of any `token` in them is replaced, whatever the link's host, so a
link kept under an older APP_BASE_URL is hidden too. Whether the token still works is not asked:
hiding every one is the rule that cannot go wrong.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from flask import current_app
from icalendar import Calendar, vText
from werkzeug.exceptions import HTTPException

from app.email.sender import base_url

SECRET_ARGUMENTS = frozenset({"token"})
HIDDEN = "[link hidden]"
# A web address in plain text or in an HTML attribute (quotes, angle brackets and spaces end it).
LINK = re.compile(r"https?://[^\s<>\"']+")


def _hide(match: re.Match) -> str:
    link = match.group(0)
    parts = urlsplit(link)
    prefix = urlsplit(base_url()).path.rstrip("/")
    path = parts.path[len(prefix) :] if prefix and parts.path.startswith(prefix + "/") else parts.path
    try:
        _, arguments = current_app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:  # not one of this site's pages (a redirect to one is an HTTPException too)
        return link
    secrets = [str(value) for name, value in arguments.items() if name in SECRET_ARGUMENTS and value]
    if not secrets:
        return link
    hidden_path = parts.path
    for secret in secrets:
        hidden_path = hidden_path.replace(secret, HIDDEN)
    return urlunsplit(parts._replace(path=hidden_path))


def hide_link_secrets(body: str | None) -> str | None:
    """The email body (text or HTML) with the secret in every link to one of this site's token routes
    replaced by "[link hidden]"; any other text and link is left as it was."""
    if not body:
        return body
    return LINK.sub(_hide, body)


def hide_link_secrets_in_file(content_type: str, data: bytes) -> bytes:
    """An attachment with the secret in every link to one of this site's token routes hidden, as in a body.

    A calendar file is read property by property: its lines are folded at 75 characters and its text escaped,
    so a link in the raw file could be split or run into the next word. Other text is read as UTF-8; files
    that are not text carry no links the site writes, and are returned as they are.
    """
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "text/calendar":
        try:
            calendar = Calendar.from_ical(data)
        except ValueError:
            return hide_link_secrets(data.decode("utf-8", "replace")).encode()
        for component in calendar.walk():
            for name, value in list(component.items()):
                if isinstance(value, str) and LINK.search(value):
                    component[name] = vText(hide_link_secrets(str(value)))
        return calendar.to_ical()
    if kind.startswith("text/"):
        return hide_link_secrets(data.decode("utf-8", "replace")).encode()
    return data
