"""In a real browser: each demo role signs in on a 320 px phone and at 1280 px, and visits every page it can
reach by following links from its home page. Every page answers (no 4xx or 5xx), fits the width of the
screen (WCAG 1.4.10, reflow) and passes axe-core's WCAG A and AA rules.

The crawl is generic: it follows whatever links each page shows, breadth first, so a page added later is
checked without changing this test. It is bounded so that it runs in a few minutes: downloads and signing
out are left alone, and links that differ only in their ids or query values are followed a few at a time.
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
PAGES_PER_ROLE = 80


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


def crawl(browser: Browser, base_url: str, role: str, errors: list[str]) -> tuple[list[str], int]:
    """Sign `role` in on a phone and on a desktop, and check every page reachable from home in both.

    Returns the problems found and how many pages were visited.
    """
    phone = open_page(browser, base_url, errors, viewport=PHONE)
    desktop = open_page(browser, base_url, errors, viewport=DESKTOP)
    try:
        sign_in(phone, role)
        sign_in(desktop, role)
        home = urldefrag(desktop.url).url
        queue, seen, kinds = deque([home]), {home}, Counter([kind_of(home)])
        problems: list[str] = []
        visited = 0
        while queue and visited < PAGES_PER_ROLE:
            url = queue.popleft()
            visited += 1
            desktop_problems, links = check(desktop, url, DESKTOP["width"])
            phone_problems, _ = check(phone, url, PHONE["width"])
            problems += desktop_problems + phone_problems
            for link in links:
                if link not in seen and kinds[kind_of(link)] < PER_KIND:
                    seen.add(link)
                    kinds[kind_of(link)] += 1
                    queue.append(link)
        return problems, visited
    finally:
        phone.context.close()
        desktop.context.close()


@pytest.mark.parametrize("role", DEMO_ROLES)
def test_every_page_a_role_can_reach_answers_fits_a_phone_and_passes_axe(browser, live_server, browser_errors, role):
    problems, visited = crawl(browser, live_server, role, browser_errors)
    assert visited > 1, f"the {role}'s home page links to no other page"
    assert not problems, f"{len(problems)} problems on the {visited} pages the {role} can reach:\n" + "\n".join(
        problems
    )
    assert not browser_errors, "The browser reported problems:\n" + "\n".join(browser_errors)
