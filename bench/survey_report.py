"""The survey benchmark's report: tables, the issue's targets met or not, and the Markdown section.

The section goes into docs/performance.md between the `survey` markers (`bench.report.write_section`).
"""

from __future__ import annotations

from datetime import datetime

from bench.harness import git_commit, machine, ms
from bench.survey_checks import Engine
from bench.survey_setup import SECTION, SurveySettings

SIGN_IN = ("POST /sign-in",)  # argon2 on purpose: shown apart as well as in the totals

# The targets.
TARGET_GET_SHARE = 0.50  # page GET: at least this share of hello world's requests/s
TARGET_POST_SHARE = 0.25  # page POST
TARGET_P95_MS = 100.0  # with --members members answering the whole survey
TARGET_P99_MS = 250.0


def _share(part: float, whole: float) -> float:
    return part / whole if whole > 0 else float("nan")


def _table(header: list[str], lines: list[list[str]]) -> str:
    rule = ["---"] + ["---:"] * (len(header) - 1)
    return "\n".join("| " + " | ".join(line) + " |" for line in [header, rule, *lines])


PAGE_HEADER = [
    "database",
    "scenario",
    "req/s",
    "% of hello",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "mean ms",
    "requests",
    "failures",
    "Locust CPU",
    "load avg before / after",
]
PAGE_SCENARIOS = [
    ("hello", "Aggregated", "hello world GET /"),
    ("floor", "Aggregated", "app GET /healthz (floor)"),
    ("page_get", "GET question page", "GET question page"),
    ("page_post", "POST question page", "POST question page (302s)"),
]


def page_table(engines: list[Engine]) -> str:
    """Requests/s and latency of each scenario on each database."""
    lines = []
    for engine in engines:
        if engine.hello is None:
            continue
        hello = engine.hello.row("Aggregated")
        for attribute, row_name, label in PAGE_SCENARIOS:
            run = getattr(engine, attribute)
            if run is None:
                continue
            row = run.row(row_name)
            share = _share(row.rps, hello.rps)
            # A failed POST is counted, then the page is read again: the re-reads are not in this row.
            lines.append(
                [
                    engine.name,
                    label,
                    f"{row.rps:.0f}",
                    "n/a" if share != share else f"{100 * share:.0f}%",
                    ms(row.p50_ms),
                    ms(row.p95_ms),
                    ms(row.p99_ms),
                    f"{row.mean_ms:.1f}",
                    str(row.requests),
                    str(row.failures),
                    ms(100 * run.client_cpu) + "%",
                    run.load_text,
                ]
            )
    return _table(PAGE_HEADER, lines)


MEMBER_HEADER = [
    "database",
    "members finished",
    "requests",
    "failures",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "max ms",
    "p95 / p99 ms without POST /sign-in",
    "responses submitted (db)",
    "answers sent",
    "answers stored",
    "mismatches",
    "minutes per member",
    "run s",
    "load avg before / after",
]


def members_table(engines: list[Engine]) -> str:
    """The members' run on each database, with the database counts afterwards."""
    lines = []
    for engine in engines:
        members = engine.members
        if members is None:
            continue
        total = members.total
        lines.append(
            [
                engine.name,
                f"{members.finished} of {members.expected_members}",
                str(total.requests),
                str(total.failures),
                ms(members.percentile(0.50)),
                ms(members.percentile(0.95)),
                ms(members.percentile(0.99)),
                ms(total.max_ms),
                f"{ms(members.percentile(0.95, SIGN_IN))} / {ms(members.percentile(0.99, SIGN_IN))}",
                str(members.submitted_in_db),
                str(members.expected_answers),
                str(members.stored_answers),
                str(len(members.mismatched)),
                f"{members.minutes:.1f}",
                f"{members.run.wall:.0f}",
                members.run.load_text,
            ]
        )
    return _table(MEMBER_HEADER, lines)


REQUEST_HEADER = ["database", "request", "requests", "failures", "p50 ms", "p95 ms", "p99 ms", "max ms"]


def requests_table(engines: list[Engine]) -> str:
    """The members' run broken down by request, slowest p95 first."""
    lines = []
    for engine in engines:
        if engine.members is None:
            continue
        rows = [row for name, row in engine.members.run.rows.items() if name != "Aggregated"]
        for row in sorted(rows, key=lambda r: -(r.p95_ms if r.p95_ms == r.p95_ms else 0)):
            lines.append(
                [
                    engine.name,
                    row.name,
                    str(row.requests),
                    str(row.failures),
                    ms(row.p50_ms),
                    ms(row.p95_ms),
                    ms(row.p99_ms),
                    ms(row.max_ms),
                ]
            )
    return _table(REQUEST_HEADER, lines)


def _verdict(ok: bool) -> str:
    return "**PASS**" if ok else "**FAIL**"


def targets(engine: Engine, settings: SurveySettings) -> list[tuple[bool, str]]:
    """Each of the issue's targets on this database: (met, one line saying so with the figure)."""
    found: list[tuple[bool, str]] = []
    if engine.hello and engine.page_get and engine.page_post:
        hello = engine.hello.row("Aggregated").rps
        got = engine.page_get.row("GET question page")
        posted = engine.page_post.row("POST question page")
        for label, row, target in (("page GET", got, TARGET_GET_SHARE), ("page POST", posted, TARGET_POST_SHARE)):
            share = _share(row.rps, hello)
            ok = share >= target and row.failures == 0
            failures = f"; {row.failures} failed" if row.failures else ""
            found.append(
                (
                    ok,
                    f"{label} at least {100 * target:.0f}% of hello world's requests/s: "
                    f"{100 * share:.0f}% ({row.rps:.0f} of {hello:.0f} req/s{failures})",
                )
            )
    members = engine.members
    if members is not None:
        total = members.total
        for share, target in ((0.95, TARGET_P95_MS), (0.99, TARGET_P99_MS)):
            measured = members.percentile(share)
            found.append(
                (
                    measured <= target,
                    f"p{100 * share:.0f} at most {target:.0f} ms with {settings.members} members: "
                    f"{ms(measured)} ms over all {total.requests} requests "
                    f"({ms(members.percentile(share, SIGN_IN))} ms leaving out POST /sign-in)",
                )
            )
        found.append(
            (
                members.errors == 0,
                f"0 errors: {total.failures} failed requests, "
                f"{len(members.unfinished)} of {members.expected_members} members did not submit",
            )
        )
        found.append(
            (
                members.submissions_ok,
                f"submitted responses = members who finished: {members.submitted_in_db} submitted responses in "
                f"the database; {members.finished} of {members.expected_members} members saw the confirmation page",
            )
        )
        found.append(
            (
                members.answers_ok,
                f"every submitted answer present: {members.stored_answers} answers stored of "
                f"{members.expected_answers} sent; {len(members.mismatched)} responses differing from what was sent",
            )
        )
    return found


def problems(engines: list[Engine]) -> list[str]:
    """Failures worth reading in full (first few of each kind)."""
    lines: list[str] = []
    for engine in engines:
        for attribute in ("page_get", "page_post"):
            run = getattr(engine, attribute)
            if run is None:
                continue
            setup = run.out.get("setup_failures", [])
            lines += [f"{engine.name} {attribute}: set-up failed for {f}" for f in setup][:5]
            lines += [f"{engine.name} {attribute}: {f}" for f in run.failures][:5]
        if engine.members:
            lines += [f"{engine.name} members: {f}" for f in engine.members.run.failures][:10]
            lines += [f"{engine.name} did not submit: {u}" for u in engine.members.unfinished][:5]
            lines += [f"{engine.name} answers: {m}" for m in engine.members.mismatched][:5]
        for (exception, where), times in engine.server_errors.most_common(5):
            lines.append(f"{engine.name} server: {times} x `{exception}` at `{where}`")
    return lines


def markdown_section(engines: list[Engine], settings: SurveySettings, when: datetime, load: str) -> str:
    """The survey section of docs/performance.md."""
    verdicts = []
    for engine in engines:
        if engine.skipped:
            verdicts.append(f"- {engine.name}: not measured. {engine.skipped}")
            continue
        for ok, line in targets(engine, settings):
            verdicts.append(f"- {_verdict(ok)} {engine.name}: {line}")
    databases = "; ".join(f"{e.name}: {e.detail or e.skipped}" for e in engines)
    problem_lines = problems(engines)
    problem_text = "\n".join(f"- {line}" for line in problem_lines) if problem_lines else "- none"
    return f"""## Survey: members answering the schools ICT survey

Measured {when:%Y-%m-%d %H:%M} UTC on commit `{git_commit()}`.

- Machine: {machine()}. Load average before the run: {load}; the tables give the 1-minute load
  average before and after each part, since other work on the machine (a test suite, say) skews the figures.
  Locust runs on the same machine as the servers and competes with them for CPU.
- Servers: gunicorn `--worker-class gthread --workers {settings.workers} --threads {settings.threads}` for
  hello world and the app alike, one at a time on 127.0.0.1; `APP_ENV=development` (CSRF on),
  `LOGIN_LIMIT_PER_IP="100000 per minute"` because every simulated member signs in from 127.0.0.1.
- Databases, each fresh, migrated and loaded with `flask demo-data`, plus one organisation and one
  member account per simulated person (`bench/survey_db.py`): {databases}.
- Page benchmark: {settings.users} Locust users (FastHttpUser, no think time), each signed in as a member of
  its own organisation, for {settings.seconds} s per scenario once all have signed in (sign-in and set-up are
  not measured). Hello world is measured right before the app on each database. The page is
  `/surveys/schools-ict/questions/size`; the POST sends the CSRF token, response reference, answer
  revisions and two valid answers, alternating between two sets so every POST writes both answers; only the
  302 to the next page counts as a success (a conflict or error shows the page again with 200). Revisions
  are kept as the server keeps them (+1 per saved answer), and the page is read again after a failed POST.
  "app GET /healthz (floor)" is the app's cheapest request, served by the same app server right before
  the page: no session, no signed-in person, no template, one `SELECT 1`; what the app's middleware
  (security headers, throttling, the database session) costs on every request, and so about the most
  of hello world's requests/s that any page of the app reading the database can reach.
- Members: {settings.members} Locust users, started {settings.spawn_rate:g} a second, each a member of its own
  organisation: sign in, start, every page of the short route (even-numbered: no services to schools,
  6 pages) or the full route (odd-numbered: 12 pages), check answers, submit once, then stop. Think time 1-3 s
  before each form is sent; redirects are followed as a browser would, each as its own request. Limit
  {settings.member_limit} s. Afterwards the database is counted: submitted responses, and for each member the
  question ids of the stored and submitted answers against the ones their forms carried.
  A member whose sign-in fails tries again (up to 3 times), as a person would; every failed attempt is
  counted as an error. After a think time of 1.5 s or more the member's idle connections are closed, so
  the next request opens a new one (gunicorn drops keep-alive connections idle for 2 s; a browser notices,
  Locust's client may not and would report its own failure).
- Latencies in milliseconds. The members' p50/p95/p99 are exact (nearest rank over every response time);
  the other figures are Locust's (rounded to whole ms below 100 ms, to 10 ms above).

### Targets

{chr(10).join(verdicts)}

### Page benchmark

{page_table(engines)}

### {settings.members} members answering the whole survey

{members_table(engines)}

By request (the members' run):

{requests_table(engines)}

### Failures and problems

{problem_text}

Reproduce with `.venv/bin/python -m bench.survey {settings.command_line()}`;
raw Locust CSVs and the gunicorn logs are left in `bench/results/{SECTION}/` (not committed).
"""
