"""List filters that can name a person (a name, an email address) travel in a POST and are kept in the
session, never in the URL, so they stay out of access logs, browser history and Referer headers (ASVS 5.0
item "no personal data in URLs"). The other filters (role, status, dates, page) stay in the URL.

A list's filter form posts here; `apply_search_form` keeps the personal terms in the (signed, HttpOnly)
session cookie and redirects to the list with `search=1` and the other filters in the URL. A later
visit to the list without `search=1` (from the navigation, or "Clear filters") shows it unfiltered.
"""

from __future__ import annotations

from flask import Response, redirect, request, session, url_for

SESSION_KEY = "searches"
MAX_TERM_LENGTH = 200


def apply_search_form(list_name: str, personal: tuple[str, ...], public: tuple[str, ...]) -> Response:
    """Handle a list's filter form (POST): personal terms into the session, the others into the URL."""
    terms = {name: request.form.get(name, "").strip()[:MAX_TERM_LENGTH] for name in personal}
    remembered = dict(session.get(SESSION_KEY, {}))
    remembered[list_name] = {name: value for name, value in terms.items() if value}
    session[SESSION_KEY] = remembered
    query = {name: request.form.get(name, "").strip()[:MAX_TERM_LENGTH] for name in public}
    query = {name: value for name, value in query.items() if value}
    if remembered[list_name]:
        query["search"] = "1"
    return redirect(url_for(request.endpoint, **(request.view_args or {}), **query))


def remembered_search(list_name: str) -> dict[str, str]:
    """The personal terms of this list's last search, when the page was reached from that search."""
    if request.args.get("search") != "1":
        return {}
    return dict(session.get(SESSION_KEY, {}).get(list_name, {}))
