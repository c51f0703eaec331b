"""What the demo's analysts wrote: a summary per theme and a decision per outcome, so that `flask demo-data`
carries the demo study through to a signed-off recommendation. Demo content only (loaded by demo.py).

The words avoid figures on purpose: the pages put the live figures beside them."""

from __future__ import annotations

THEME_SUMMARIES: dict[str, str] = {
    "user-definitions": (
        "Members agree that the benchmark's 'user' no longer matches who they support. Most still count "
        "office-based staff, frontline staff and councillors, but several count school staff where schools "
        "buy the service back, and a few count nothing consistently from year to year. Participants asked "
        "for a definition that says plainly who is in and out of scope, with a separate line for pupils."
    ),
    "user-categories": (
        "Beyond corporate staff, members name school staff, pupils, partner staff in shared services, "
        "contractors, volunteers and residents using library PCs and public Wi-Fi. The proportions vary "
        "widely: in unitary and county councils with traded education services, pupils can outnumber "
        "corporate users several times over, while districts support almost no one outside the council."
    ),
    "pupils-and-schools": (
        "Support for schools is common but not universal, and usually sits under a separate traded agreement "
        "rather than the corporate service levels. Academies and multi-academy trusts are leaving council "
        "networks, so the number of pupils supported is falling in some areas and is hard to state for the "
        "year ahead."
    ),
    "service-quality-differences": (
        "Schools and pupils mostly receive a different service: best efforts or a traded SLA with its own "
        "hours, and lower priority than corporate incidents at busy times. Councillors are often given "
        "priority. Members were open that these differences exist by design, and that they should be visible "
        "in any comparison between councils."
    ),
    "demand-and-strain": (
        "Members do not think a pupil places the same load as a member of staff: pupils generate fewer tickets "
        "each but large volumes of devices, filtering and accounts at the start of each school year. Several "
        "said that cost per user falls sharply if pupils are counted in full, which flatters councils that "
        "support schools."
    ),
    "benchmarking-and-reporting": (
        "The main concern is comparability: today two councils with the same corporate service can report very "
        "different cost per user depending on whether schools are in scope. Participants want Improve reports "
        "to show corporate and education users separately, and to say which definition each figure uses."
    ),
    "data-availability": (
        "Counts of corporate users are held everywhere; counts of pupils and school staff are held by most "
        "councils that support schools, but not by category of service. Ticket and cost data split by user "
        "group is rarely held, and several members said collecting it would be a real burden without a "
        "common template."
    ),
    "new-technology-and-external-users": (
        "Cloud services, online accounts and shared services bring in users from outside the organisation — "
        "partners, residents and contractors — who are rarely counted but do create identity, licensing and "
        "support work. Members see this growing faster than the number of schools they support."
    ),
}

# The demo analyst's decision on each outcome, with the rationale, in the order of OUTCOMES.
DECISIONS: dict[str, tuple[str, str]] = {
    "amend-definition": (
        "recommend",
        "The current definition leaves out groups most members support, and the impact model shows per-user "
        "figures moving materially when school staff and pupils are counted. Amend the definition to name "
        "each category in or out of scope, keeping corporate users as the headline.",
    ),
    "collect-additional-data": (
        "recommend",
        "Counts by category are held by most members but strain data by user group is not. Collect counts "
        "of school staff, pupils and external users as optional fields first, with a common template, before "
        "asking for tickets or costs by group.",
    ),
    "amend-reporting": (
        "recommend",
        "Members asked for corporate and education users to be shown separately so that councils that support "
        "schools are compared fairly. Report both figures and state the definition used beside each.",
    ),
    "education-module": (
        "needs-more-evidence",
        "Interest is real among councils with traded education services, but the survey shows many members "
        "support no schools and academies are leaving council networks. Revisit after a year of the "
        "additional data.",
    ),
}

SIGN_OFF_NOTE = "Agreed at the analysis review meeting; to be presented to the Improve steering group."
