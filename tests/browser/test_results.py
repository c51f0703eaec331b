"""In a real browser: an analyst reads the results of "Delivery of ICT services to schools".

From the navigation to the headline, the charts and their tables, a filter applied through the form,
the crosstab, free-text and impact pages, and a CSV export whose rows match the filtered count; every
results page is checked by axe-core. And the organiser's "What members see" switch on the survey dashboard.

The demo data holds about 30 submitted responses to the survey, and other browser tests may submit more,
so counts are read from the pages, never assumed.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_no_axe_violations, sign_in

pytestmark = pytest.mark.browser

SLUG = "schools-ict"
SURVEY_TITLE = "Delivery of ICT services to schools"
HEADLINE = re.compile(
    r"(\d+)% of responding organisations \((\d+) of (\d+)\) provide ICT services to schools or pupils"
)
SUBMITTED = re.compile(r"(\d+) organisations? submitted a response")
FILTERED = "Responding county councils"
CSV_HEADER_START = ["response_id", "reference", "organisation"]


@dataclass(frozen=True)
class Figures:
    """What the results page says: the headline's X of Y, and how many organisations submitted."""

    supporting: int
    answered: int
    submitted: int


def read_figures(page: Page) -> Figures:
    """The headline ("P% of responding organisations (X of Y) provide ...") and the count of responses."""
    panel = page.locator(".app-headline")
    expect(panel).to_contain_text(HEADLINE)
    match = HEADLINE.search(panel.inner_text())
    assert match, f"no headline sentence in {panel.inner_text()!r}"
    percent, supporting, answered = (int(group) for group in match.groups())
    assert 0 < supporting <= answered, f"the headline says {supporting} of {answered}"
    assert abs(percent - 100 * supporting / answered) <= 0.5, f"{percent}% is not {supporting} of {answered}"
    count = page.locator("main p.govuk-body").filter(has_text=SUBMITTED).first.inner_text()
    submitted = SUBMITTED.search(count)
    assert submitted, f"no count of submitted responses in {count!r}"
    figures = Figures(supporting, answered, int(submitted.group(1)))
    assert figures.answered <= figures.submitted
    return figures


def assert_charts_with_tables(page: Page) -> None:
    """SVG charts are drawn, each described as an image, each beside a table of the same figures."""
    charts = page.locator("svg.app-chart")
    count = charts.count()
    assert count >= 3, f"expected the headline charts and per-question charts, found {count} SVG charts"
    for chart in charts.all():
        expect(chart).to_have_attribute("role", "img")
        expect(chart.locator("title")).to_contain_text("(the figures are in the table)")
        beside = chart.locator("xpath=ancestor::div[contains(@class, 'govuk-grid-row')][1]").locator("table")
        expect(beside).to_have_count(1)
    # The headline's two charts, and their tables found by their (visually hidden) captions.
    for by in ("council type", "region"):
        name = f"Share that provide services to pupils, by {by}"
        expect(page.get_by_role("img", name=f"{name}, with 95% intervals")).to_be_visible()
        table = page.get_by_role("table", name=name, exact=True)
        expect(table).to_be_attached()
        assert table.locator("tbody tr").count() >= 1


def open_results(page: Page) -> Figures:
    """Signed in: Results from the navigation, then the survey's results, unfiltered."""
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Results", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Results")
    page.get_by_role("link", name=SURVEY_TITLE).click()
    expect(page).to_have_url(re.compile(rf"/surveys/results/{SLUG}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Results: All responding organisations")
    page.wait_for_load_state()  # the figures below the heading are counted at once
    return read_figures(page)


def filter_county_councils(page: Page) -> Figures:
    """Tick "County council" in the filters form and apply it."""
    page.get_by_text("Filter by region, council type and education services").click()
    form = page.get_by_role("form", name="Filter the results")
    form.get_by_role("checkbox", name="County council", exact=True).check()
    form.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"[?&]council_type=county(&|$)"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Results: {FILTERED}")
    expect(form.get_by_role("checkbox", name="County council", exact=True)).to_be_checked()
    expect(page.locator("main")).to_contain_text("submitted a response in this selection")
    page.wait_for_load_state()
    return read_figures(page)


def open_subpage(page: Page, name: str, heading: str) -> None:
    """Follow a link in the results sub-navigation; it becomes the current page."""
    subnav = page.get_by_role("navigation", name="Results")
    subnav.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    expect(subnav.get_by_role("link", name=name, exact=True)).to_have_attribute("aria-current", "page")


def test_analyst_reads_the_results_filters_them_and_opens_each_view(page: Page) -> None:
    sign_in(page, "analyst")
    everyone = open_results(page)
    assert everyone.submitted >= 20, f"the demo data holds about 30 submitted responses, not {everyone.submitted}"
    assert_charts_with_tables(page)
    assert page.locator("section.app-result").count() >= 5
    assert_no_axe_violations(page)

    counties = filter_county_councils(page)
    assert counties.answered != everyone.answered, f"the filter left Y at {everyone.answered}"
    assert 0 < counties.answered < everyone.answered
    assert 0 < counties.submitted < everyone.submitted
    assert_charts_with_tables(page)
    assert_no_axe_violations(page)

    # The sub-navigation keeps the filter.
    open_subpage(page, "Crosstabs", f"Crosstab: {FILTERED}")
    expect(page.get_by_role("table")).to_contain_text(f"{counties.submitted} organisations in the selection")
    assert_no_axe_violations(page)

    open_subpage(page, "Free text", f"Free-text answers: {FILTERED}")
    expect(page.locator("blockquote.app-quote__text").first).to_be_visible()
    assert_no_axe_violations(page)

    open_subpage(page, "Impact on per-user benchmarks", f"per-user benchmarks: {FILTERED}")
    expect(page.get_by_role("heading", name="What the figures show")).to_be_visible()
    assert_no_axe_violations(page)


def test_analyst_exports_the_filtered_responses_as_csv(page: Page, tmp_path: Path) -> None:
    sign_in(page, "analyst")
    open_results(page)
    counties = filter_county_councils(page)

    open_subpage(page, "Export", "Export the responses")
    expect(page.get_by_text(f"({FILTERED.lower()})")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("radio", name="CSV").check()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download").click()
    download = download_info.value
    assert download.suggested_filename == f"{SLUG}-responses.csv"
    # A streamed body that breaks off after its headers shows up as a failed (cancelled) download.
    failure = download.failure()
    assert failure is None, f"the CSV download failed ({failure}): see the server's traceback in the captured log"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    with path.open(encoding="utf-8-sig", newline="") as handle:  # Excel's byte-order mark comes first
        rows = list(csv.reader(handle))
    assert rows, "the CSV is empty"
    assert rows[0][:3] == CSV_HEADER_START, f"the header row starts {rows[0][:5]}"
    data_rows = len(rows) - 1
    assert data_rows == counties.submitted, f"{data_rows} data rows, but the results page counts {counties.submitted}"
    assert all(len(row) == len(rows[0]) for row in rows[1:]), "a data row has a different number of columns"


def open_dashboard(page: Page) -> None:
    """Signed in as an organiser: Surveys from the navigation, then the survey's dashboard."""
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Surveys", exact=True).click()
    page.get_by_role("link", name=SURVEY_TITLE).click()
    expect(page).to_have_url(re.compile(rf"/surveys/manage/{SLUG}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(SURVEY_TITLE)


def test_organiser_sees_and_uses_the_what_members_see_switch(page: Page) -> None:
    sign_in(page, "organiser")
    open_dashboard(page)
    expect(page.get_by_role("heading", level=2, name="What members see")).to_be_visible()
    state = page.get_by_text(re.compile(r"Members who have submitted can see their answers .* This is (on|off)\."))
    expect(state).to_be_visible()
    was_on = state.inner_text().strip().endswith("This is on.")
    expect(page.get_by_role("button", name="Turn it off" if was_on else "Turn it on")).to_be_visible()
    expect(page.get_by_role("link", name="See the results")).to_have_attribute("href", f"/surveys/results/{SLUG}/")

    # The switch works, and is put back as it was (the demo data is shared by every browser test).
    for turn_on in (not was_on, was_on):
        page.get_by_role("button", name="Turn it on" if turn_on else "Turn it off").click()
        expect(page.get_by_text("can now compare" if turn_on else "can no longer compare")).to_be_visible()
        expect(state).to_contain_text("This is on." if turn_on else "This is off.")


def test_survey_dashboard_has_no_axe_violations(page: Page) -> None:
    sign_in(page, "organiser")
    open_dashboard(page)
    assert_no_axe_violations(page)
