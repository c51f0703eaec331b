"""What one request costs the app in CPU: hello world, the app's cheapest request, a page, a question page.

Run from the repository root with `.venv/bin/python -m bench.request_costs [--requests 300]`.

Where the survey benchmark measures requests per second under gunicorn (which includes the server,
the load generator and the operating system), this measures, in one process and without a server,
the CPU time the application itself spends on one request, through the Flask test client:

- hello world (`bench/hello.py`), the baseline;
- the app's `/healthz`: no session, no signed-in person, no template, one `SELECT 1`;
- the sign-in page, to a visitor: the GOV.UK layout, a form and a CSRF token, no database row;
- a question page of the schools ICT survey (`/surveys/schools-ict/questions/size`) for a signed-in
  member: the person, the survey, the organisation's response and answers, routing, the page;
- a POST of that page: CSRF, validation and a saved answer (two sets of values in turn, so every POST
  writes), ending in the redirect to the next page.

For each database (a fresh SQLite file; then a fresh PostgreSQL database when one answers on
127.0.0.1:5432), migrated and loaded with `flask demo-data` plus one member organisation. Each route
is requested `--requests` times after a warm-up, five times over, the routes taking turns round by round;
the fastest of the five is kept (CPU time of this process only: PostgreSQL's own work happens in its
server process and is not counted), and the slowest is reported beside it to show how steady the run was.
Each route's throughput is also given as a share of hello world's (hello world's CPU per request over the
route's), all from the same run. The table goes to the `request-costs` section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.harness import bench_environment, git_commit, load_average, log, machine, prepare_database, run_command
from bench.report import PERFORMANCE_DOC, REPO_ROOT, write_section
from bench.survey_forms import CSRF, SIZE_VALUES, hidden_fields

SECTION = "request-costs"
PAGE = "/surveys/schools-ict/questions/size"
ROUNDS = 5
WARMUP = 30
ROUTES = (
    ("hello", "hello world GET /"),
    ("healthz", "app GET /healthz"),
    ("sign_in", "app GET /sign-in (visitor)"),
    ("page_get", "GET question page (member)"),
    ("page_post", "POST question page (member, saves)"),
)


# --- the child: measures in the app's own process ------------------------------------------------


def measure_in_process(count: int, email: str, password: str) -> dict[str, list[float]]:
    """Every route's CPU cost per request in each round, in this process (the environment names the database)."""
    from bench.hello import app as hello
    from wsgi import app

    hello_client = hello.test_client()
    visitor = app.test_client()
    probe = app.test_client()  # the health check's caller (a load balancer) sends no cookie
    member = app.test_client()
    token = CSRF.search(member.get("/sign-in").get_data(as_text=True)).group(1)
    signed_in = member.post("/sign-in", data={"csrf_token": token, "email": email, "password": password})
    if signed_in.status_code != 302:
        raise RuntimeError(f"the benchmark member could not sign in ({signed_in.status_code})")
    token = CSRF.search(member.get("/surveys/schools-ict/").get_data(as_text=True)).group(1)
    member.post("/surveys/schools-ict/start", data={"csrf_token": token})
    page = member.get(PAGE).get_data(as_text=True)
    hidden = hidden_fields(page)
    turn = [0]

    def get(client, path, expect=200):
        def request():
            response = client.get(path)
            if response.status_code != expect:
                raise RuntimeError(f"GET {path} answered {response.status_code}")

        return request

    def post():
        values = SIZE_VALUES[turn[0] % 2]
        turn[0] += 1
        response = member.post(PAGE, data={**hidden, **values, "action": "continue"})
        if response.status_code != 302:
            raise RuntimeError(f"POST {PAGE} answered {response.status_code}, not the redirect")
        for key in values:
            hidden[f"rev-{key}"] = str(int(hidden.get(f"rev-{key}", "0")) + 1)

    # The first POST may store values the page already holds (no new revision): start from a third set.
    first = member.post(PAGE, data={**hidden, "ict_revenue_spend": "1", "ict_staff_fte": "1", "action": "continue"})
    if first.status_code != 302:
        raise RuntimeError(f"POST {PAGE} answered {first.status_code}, not the redirect")
    hidden = hidden_fields(member.get(PAGE).get_data(as_text=True))
    requests = {
        "hello": get(hello_client, "/"),
        "healthz": get(probe, "/healthz"),
        "sign_in": get(visitor, "/sign-in"),
        "page_get": get(member, PAGE),
        "page_post": post,
    }
    # The routes take turns round by round, so a busy moment on a shared machine falls on all of them.
    rounds: dict[str, list[float]] = {name: [] for name in requests}
    for request in requests.values():
        for _ in range(WARMUP):
            request()
    for _ in range(ROUNDS):
        for name, request in requests.items():
            started = time.process_time()
            for _ in range(count):
                request()
            rounds[name].append((time.process_time() - started) / count * 1000)
    return {name: sorted(found) for name, found in rounds.items()}


# --- the parent: databases, the child, the report ------------------------------------------------


def prepare(env: dict[str, str], label: str) -> None:
    """Migrate, load the demo data and add one member organisation."""
    prepare_database(env, label)
    run_command([sys.executable, "-m", "bench.survey_db", "create", "--pages", "1", "--members", "0"], env)


def measure_database(label: str, database_url: str, workdir: Path, count: int) -> dict[str, list[float]]:
    """Prepare the database, then measure in a child process that loads the app on it."""
    from bench.survey_db import email_for

    password = secrets.token_urlsafe(16)
    env = bench_environment(workdir)
    env.update({"DATABASE_URL": database_url, "BENCH_MEMBER_PASSWORD": password})
    prepare(env, label)
    log(f"{label}: measuring {len(ROUTES)} routes, {ROUNDS} x {count} requests each")
    output = run_command(
        [
            sys.executable,
            "-m",
            "bench.request_costs",
            "--child",
            "--requests",
            str(count),
            "--email",
            email_for("page", 1),
        ],
        env,
    )
    return json.loads(output.strip().splitlines()[-1])


def _share(found: dict[str, list[float]], key: str) -> str:
    """A route's requests per CPU-second as a share of hello world's (fastest rounds)."""
    return f"{found['hello'][0] / found[key][0]:.0%}"


def _spread(found: dict[str, list[float]], key: str) -> str:
    """How far the slowest round was from the fastest: the run's stability on a shared machine."""
    return f"+{found[key][-1] / found[key][0] - 1:.0%}"


def report(results: dict[str, dict[str, list[float]] | str], count: int, when: datetime, load: str) -> str:
    """The markdown section."""
    names = list(results)
    header = [
        "request",
        *[f"{name}: CPU ms" for name in names],
        *[f"{name}: × hello" for name in names],
        *[f"{name}: throughput, share of hello" for name in names],
        *[f"{name}: slowest round" for name in names],
    ]
    lines = []
    for key, label in ROUTES:
        cells = [label]
        measured = [(name, results[name]) for name in names]
        cells += [f"{found[key][0]:.2f}" if isinstance(found, dict) else "n/a" for _, found in measured]
        cells += [
            f"{found[key][0] / found['hello'][0]:.1f}" if isinstance(found, dict) else "n/a" for _, found in measured
        ]
        cells += [_share(found, key) if isinstance(found, dict) else "n/a" for _, found in measured]
        cells += [_spread(found, key) if isinstance(found, dict) else "n/a" for _, found in measured]
        lines.append(cells)
    rule = ["---"] + ["---:"] * (len(header) - 1)
    table = "\n".join("| " + " | ".join(line) + " |" for line in [header, rule, *lines])
    skipped = [f"- {name}: {found}" for name, found in results.items() if isinstance(found, str)]
    probe = "`SELECT 1`"  # kept out of the text below, which a linter would otherwise take for SQL
    return f"""## Request costs: what one request costs the app

Measured {when:%Y-%m-%d %H:%M} UTC on commit `{git_commit()}`.

- Machine: {machine()}. Load average before the run: {load}.
- In one process, through the Flask test client (no server, no network): CPU time of the process per
  request, the fastest of {ROUNDS} rounds of {count} requests after a warm-up (the routes take turns round by
  round; "slowest round" is how much slower the slowest of the {ROUNDS} was: the run's stability on a shared
  machine). On PostgreSQL the database server's own work is in its process and not counted here.
- Throughput as a share of hello world's is hello world's CPU per request over the route's: the requests per
  CPU-second one process could serve of that route, against hello world's, with the server's own cost left out.
- Databases, each fresh, migrated and loaded with `flask demo-data` plus one member organisation.
- Requests: hello world (`bench/hello.py`); the app's `/healthz` (no session, no template, one
  {probe}); the sign-in page to a visitor (the GOV.UK layout, a form and a CSRF token); the question
  page `{PAGE}` for a signed-in member (the person, the survey, the organisation's response and answers,
  routing, the page); a POST of that page that saves two answers and redirects.

{table}
{chr(10).join(skipped)}

What this means for the survey benchmark's throughput targets (a question page's GET at 50%, its POST at
25% of hello world's requests/s under gunicorn): under gunicorn, every request also pays the server
(reading and writing HTTP, the WSGI call), which is most of what hello world costs there. A page reaches
half of hello world's requests/s only if it costs at most twice what hello world costs end to end, that
is, if the app's own work is no more than hello world's whole cost under gunicorn. The survey benchmark's
"floor" row (`/healthz`) and the baseline's `/sign-in` row show how far from that even the app's cheapest
requests are; a question page, which must find the member, the survey and the organisation's response,
work out the route and render a full page, costs several times as much as either.

Reproduce with `.venv/bin/python -m bench.request_costs --requests {count}`.
"""


def main(argv: list[str] | None = None) -> int:
    """Measure on SQLite and PostgreSQL and write the section (or, with --child, measure in this process)."""
    parser = argparse.ArgumentParser(prog="python -m bench.request_costs", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per round (default 300)")
    parser.add_argument("--no-postgres", action="store_true", help="measure SQLite only")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--email", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure_in_process(args.requests, args.email, os.environ["BENCH_MEMBER_PASSWORD"])))
        return 0

    from bench.survey_setup import postgres_database, postgres_problem

    when = datetime.now(UTC)
    load = load_average()
    results: dict[str, dict[str, list[float]] | str] = {}
    with tempfile.TemporaryDirectory(prefix="socitm-request-costs-") as tmp:
        workdir = Path(tmp)
        sqlite_dir = workdir / "sqlite"
        sqlite_dir.mkdir()
        results["sqlite"] = measure_database(
            "sqlite", f"sqlite:///{sqlite_dir / 'costs.db'}", sqlite_dir, args.requests
        )
        problem = "skipped with --no-postgres" if args.no_postgres else postgres_problem()
        if problem:
            results["postgresql"] = f"not measured: {problem}"
        else:
            postgres_dir = workdir / "postgresql"
            postgres_dir.mkdir()
            with postgres_database() as (url, _detail):
                results["postgresql"] = measure_database("postgresql", url, postgres_dir, args.requests)
    for key, label in ROUTES:
        figures = "  ".join(
            f"{name} {found[key][0]:.2f} ms ({_share(found, key)} of hello, slowest round {_spread(found, key)})"
            for name, found in results.items()
            if isinstance(found, dict)
        )
        log(f"{label}: {figures}")
    write_section(SECTION, report(results, args.requests, when, load))
    log(f"wrote the {SECTION} section of {PERFORMANCE_DOC.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
