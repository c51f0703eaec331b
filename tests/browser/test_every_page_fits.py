"""In a real browser: each demo role signs in on a 320 px phone and at 1280 px, and visits every page it can
reach by following links from its home page. Every page answers (no 4xx or 5xx), fits the width of the
screen (WCAG 1.4.10, reflow) and passes axe-core's WCAG A and AA rules.

The crawl is generic: it follows whatever links each page shows, breadth first, so a page added later is
checked without changing this test. It is bounded so that it runs in a few minutes: downloads and signing
out are left alone, and links that differ only in their ids or query values are followed a few at a time.
Every kind of page is visited before a second page of any kind, and a crawl that reaches PAGES_PER_ROLE
with kinds of page still unvisited fails (raise the bound), so no page is left out without anyone knowing.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from urllib.parse import urldefrag, urlsplit

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.conftest import DESKTOP, axe_violations, format_violations, open_page, sign_in

pytestmark = pytest.mark.browser

DEMO_ROLES = ("member", "organiser", "facilitator", "analyst", "lead_analyst", "admin")
PHONE = {"width": 320, "height": 640}
# Files, not pages: the browser downloads them rather than showing them.
DOWNLOADS = re.compile(r"\.(csv|xlsx|docx|qdpx|ics|zip|json|pdf|svg|png)$|/(export|download)s?(/|$)", re.IGNORECASE)
# Followed once per kind of page: links to the same kind of page that differ only in ids or query values.
PER_KIND = 2
# Every kind of page first, then repeats up to this bound. On 5 December 2026 the roles reached 11 (member),
# 26 (facilitator), 113 (analyst), 115 (organiser) and 134 (lead analyst) pages in full; the admin, its 200
# kinds of page and no repeats (hence 230: room for new pages). The test fails, naming them, if kinds of page are
# left unvisited at the bound.
PAGES_PER_ROLE = 230


def kind_of(url: str) -> str:
    """The kind of page a link leads to: its path with the ids taken out, and the names of its query fields.

    "/surveys/3/results?region=wales" and "/surveys/7/results?region=scotland" are the same kind, and so are
    "/build/questions/pupil_funding" and "/build/questions/users": a path segment with a digit or an
    underscore is an id (the service's own paths use hyphens).
    """
    parts = urlsplit(url)
    path = "/".join("<id>" if re.search(r"[\d_]", segment) else segment for segment in parts.path.split("/"))
    fields = sorted({pair.split("=", 1)[0] for pair in parts.query.split("&") if pair})
    return path + ("?" + "&".join(fields) if fields else "")


def followable(url: str, origin: str) -> bool:
    """A page of this service that can be visited without downloading a file or changing anything."""
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" != origin:
        return False
    if parts.path.startswith("/static/") or DOWNLOADS.search(parts.path):
        return False
    return "sign-out" not in parts.path


def links_on(page: Page, origin: str) -> list[str]:
    """The page's links to other pages of the service, in order, without fragments or downloads."""
    hrefs = page.eval_on_selector_all("a[href]:not([download])", "links => links.map(link => link.href)")
    return [urldefrag(href).url for href in hrefs if followable(urldefrag(href).url, origin)]


def check(page: Page, url: str, width: int) -> tuple[list[str], list[str]]:
    """Visit `url`; return the problems seen and the page's links (empty if it could not be shown)."""
    try:
        response = page.goto(url)
    except Exception as error:  # noqa: BLE001 - a page that cannot load is reported, and the crawl goes on
        return [f"{url} at {width} px could not be opened: {error}"], []
    path = url.split("://", 1)[1].split("/", 1)[-1]
    if response is None or response.status >= 400:
        return [f"/{path} answered HTTP {response.status if response else 'nothing'}"], []
    if "text/html" not in (response.headers.get("content-type") or ""):
        return [], []
    problems = []
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width:
        problems.append(f"/{path} is {scroll_width} px wide on a {width} px screen")
    violations = axe_violations(page)
    if violations:
        problems.append(f"/{path} at {width} px has accessibility problems:\n{format_violations(violations)}")
    return problems, links_on(page, urlsplit(url)._replace(path="", query="", fragment="").geturl())


def crawl(browser: Browser, base_url: str, role: str, errors: list[str]) -> tuple[list[str], int, list[str]]:
    """Sign `role` in on a phone and on a desktop, and check every page reachable from home in both: the first
    page of each kind before any second one (`kind_of`), so that the bound cuts repeats first.

    Returns the problems found, how many pages were visited, and the kinds of page left unvisited (at the bound).
    """
    phone = open_page(browser, base_url, errors, viewport=PHONE)
    desktop = open_page(browser, base_url, errors, viewport=DESKTOP)
    try:
        sign_in(phone, role)
        sign_in(desktop, role)
        home = urldefrag(desktop.url).url
        first_of_kind, repeats = deque([home]), deque()  # links to a kind of page not yet queued; the others
        seen, kinds = {home}, Counter([kind_of(home)])
        problems: list[str] = []
        visited = 0
        while (first_of_kind or repeats) and visited < PAGES_PER_ROLE:
            url = (first_of_kind or repeats).popleft()
            visited += 1
            desktop_problems, links = check(desktop, url, DESKTOP["width"])
            phone_problems, _ = check(phone, url, PHONE["width"])
            problems += desktop_problems + phone_problems
            for link in links:
                kind = kind_of(link)
                if link not in seen and kinds[kind] < PER_KIND:
                    seen.add(link)
                    (repeats if kinds[kind] else first_of_kind).append(link)
                    kinds[kind] += 1
        return problems, visited, sorted(kind_of(url) for url in first_of_kind)
    finally:
        phone.context.close()
        desktop.context.close()


@pytest.mark.parametrize("role", DEMO_ROLES)
def test_every_page_a_role_can_reach_answers_fits_a_phone_and_passes_axe(browser, live_server, browser_errors, role):
    problems, visited, unvisited = crawl(browser, live_server, role, browser_errors)
    assert visited > 1, f"the {role}'s home page links to no other page"
    assert not unvisited, (
        f"The {role}'s crawl stopped at PAGES_PER_ROLE = {PAGES_PER_ROLE} pages with {len(unvisited)} kinds of page "
        "never visited: raise PAGES_PER_ROLE (or make kind_of group these pages with others of their kind):\n"
        + "\n".join(unvisited)
    )
    assert not problems, f"{len(problems)} problems on the {visited} pages the {role} can reach:\n" + "\n".join(
        problems
    )
    assert not browser_errors, "The browser reported problems:\n" + "\n".join(browser_errors)
