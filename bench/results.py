"""Results benchmark: how long the analyst's results pages take for 1,000 to 100,000 submitted responses.

Run from the repository root with `.venv/bin/python -m bench.results [--sizes 1000,10000,100000]`.

What it does, all locally:

1. makes a fresh SQLite database in a temporary directory and migrates it (`flask db upgrade`);
2. for each size, in increasing order, tops the database up to that many organisations, each with one
   submitted response to the default survey (the synthetic answers of `bench.exports`, whose `seed`
   step does the inserting);
3. in a fresh process, builds the app (`create_app` with a config naming the temporary database), signs
   in through the Flask test client as an analyst, and requests each results page once to warm up
   (templates compiled, caches filled) and then `--runs` times, timing each request from the client's
   call to the end of the body; the figure reported is the median;
4. once, at the target size, serves the app with gunicorn on loopback (one worker, one thread) and times
   the results page over HTTP, one request at a time, the same way;
5. prints a table and writes it, with a pass/fail line against the target, into the `results` section
   of docs/performance.md.

Target (from the issue): the results page for 10,000 responses in at most 1 s.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.exports import run_step as exports_step
from bench.exports import sizes_from
from bench.harness import Settings, bench_environment, git_commit, load_average, log, machine, run_command, serve
from bench.report import PERFORMANCE_DOC, REPO_ROOT, write_section

SECTION = "results"
DEFAULT_SIZES = (1000, 10000, 100000)
SLUG = "schools-ict"
PAGES = {
    "results": f"/surveys/results/{SLUG}/",
    "crosstab": f"/surveys/results/{SLUG}/crosstab?rows=provides_education&columns=council_type",
    "impact": f"/surveys/results/{SLUG}/impact",
}
TARGET_PAGE = "results"
TARGET_SIZE = 10_000
TARGET_SECONDS = 1.0
RUNS = 3
SLOW_REQUEST_SECONDS = 30.0  # a warm-up slower than this is measured once more, not `runs` times
ANALYST_EMAIL = "bench-analyst@bench.example"
ANALYST_PASSWORD = "bench-results-analyst-password-4Rw"  # noqa: S105 - a throwaway benchmark database
HTTP_TIMEOUT = 120.0


# --- subprocess step: measure the pages in-process (run against the benchmark database only) --------


def bench_app():
    """The app on the benchmark database (DATABASE_URL), with CSRF off so the test client can sign in."""
    from app import create_app
    from config import DevelopmentConfig, normalise_database_url

    config = type(
        "ResultsBenchConfig",
        (DevelopmentConfig,),
        {"SQLALCHEMY_DATABASE_URI": normalise_database_url(os.environ["DATABASE_URL"]), "WTF_CSRF_ENABLED": False},
    )
    return create_app(config)


def ensure_analyst(app) -> None:
    """An analyst account to sign in with (made once per database)."""
    from sqlalchemy import select

    from app.auth.models import User
    from app.auth.passwords import hash_password
    from app.extensions import db

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == ANALYST_EMAIL))
        if user is None:
            user = User(email=ANALYST_EMAIL, name="Bench analyst")
            user.password_hash = hash_password(ANALYST_PASSWORD)
            db.session.add(user)
            user.set_roles({"analyst"})
            db.session.commit()


def check_page(name: str, status: int, body: str, size: int) -> None:
    """Fail loudly if a page did not answer, or did not cover every response."""
    if status != 200:
        raise RuntimeError(f"{name}: HTTP {status}")
    headline = "provide ICT services to schools or pupils"
    if name == "results" and (f"{size} organisations submitted a response" not in body or headline not in body):
        raise RuntimeError(f"results: the page does not report {size} responses and the headline")
    if name == "crosstab" and f"{size} organisations in the selection" not in body:
        raise RuntimeError(f"crosstab: the page does not cover {size} responses")
    if name == "impact" and "What the figures show" not in body:
        raise RuntimeError("impact: the page shows no figures")


def timed_runs(fetch, name: str, size: int, runs: int) -> dict[str, Any]:
    """One warm-up request, then `runs` timed ones (one more if the warm-up is very slow); seconds each."""
    started = time.perf_counter()
    status, body = fetch()
    cold = time.perf_counter() - started
    check_page(name, status, body, size)
    times = []
    for _ in range(runs if cold < SLOW_REQUEST_SECONDS else 1):
        started = time.perf_counter()
        status, body = fetch()
        times.append(time.perf_counter() - started)
        check_page(name, status, body, size)
    return {"cold": cold, "times": times, "median": statistics.median(times), "kb": len(body.encode()) / 1024}


def measure(size: int, runs: int) -> dict[str, Any]:
    """Time each results page with the Flask test client, signed in as an analyst."""
    app = bench_app()
    ensure_analyst(app)
    client = app.test_client()
    signed_in = client.post("/sign-in", data={"email": ANALYST_EMAIL, "password": ANALYST_PASSWORD})
    if signed_in.status_code != 302:
        raise RuntimeError(f"the analyst could not sign in (HTTP {signed_in.status_code})")
    pages = {}
    for name, path in PAGES.items():

        def fetch(path: str = path) -> tuple[int, str]:
            response = client.get(path)
            return response.status_code, response.get_data(as_text=True)  # the body is read in full

        pages[name] = timed_runs(fetch, name, size, runs)
        log(f"{size:,} {name}: median {pages[name]['median']:.3f} s of {pages[name]['times']}")
    return {"size": size, "via": "test client", "pages": pages}


def profile(size: int, page: str, output: Path) -> dict[str, Any]:
    """Profile one request for `page` with pyinstrument (if installed); write its text report to `output`."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        return {"profiled": False, "reason": "pyinstrument is not installed (.venv/bin/pip install pyinstrument)"}
    app = bench_app()
    ensure_analyst(app)
    client = app.test_client()
    client.post("/sign-in", data={"email": ANALYST_EMAIL, "password": ANALYST_PASSWORD})
    client.get(PAGES[page])  # warm up
    profiler = Profiler(interval=0.001)
    profiler.start()
    response = client.get(PAGES[page])
    response.get_data()
    profiler.stop()
    output.write_text(profiler.output_text(unicode=False, color=False, show_all=False), encoding="utf-8")
    return {"profiled": True, "output": str(output)}


# --- over HTTP, served by gunicorn -----------------------------------------------------------------


def http_client(base: str) -> urllib.request.OpenerDirector:
    """A cookie-keeping client for the loopback server only (it never follows redirects elsewhere)."""
    if not base.startswith("http://127.0.0.1:"):
        raise ValueError(f"only loopback servers are measured, not {base}")
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))


def http_sign_in(opener: urllib.request.OpenerDirector, base: str) -> None:
    """Sign in through the real form, CSRF token and all."""
    with opener.open(base + "/sign-in", timeout=HTTP_TIMEOUT) as response:  # noqa: S310 - loopback only
        form = response.read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
    if token is None:
        raise RuntimeError("no CSRF token on the sign-in form")
    data = urllib.parse.urlencode(
        {"csrf_token": token.group(1), "email": ANALYST_EMAIL, "password": ANALYST_PASSWORD}
    ).encode()
    with opener.open(base + "/sign-in", data=data, timeout=HTTP_TIMEOUT) as response:  # noqa: S310 - loopback
        if "/sign-in" in response.geturl():
            raise RuntimeError("the analyst could not sign in over HTTP")


def measure_gunicorn(size: int, runs: int, env: dict[str, str], workdir: Path) -> dict[str, Any]:
    """The results page served by gunicorn (1 worker, 1 thread), one request at a time."""
    settings = Settings(seconds=0, users=1, workers=1, threads=1)
    pages = {}
    with serve("app", "wsgi:app", env, settings, workdir) as base:
        opener = http_client(base)
        http_sign_in(opener, base)
        for name in (TARGET_PAGE,):

            def fetch(name: str = name) -> tuple[int, str]:
                with opener.open(base + PAGES[name], timeout=HTTP_TIMEOUT) as response:  # noqa: S310 - loopback
                    return response.status, response.read().decode()

            pages[name] = timed_runs(fetch, name, size, runs)
            log(f"{size:,} {name} over HTTP: median {pages[name]['median']:.3f} s of {pages[name]['times']}")
    return {"size": size, "via": "gunicorn", "pages": pages}


# --- the driver -----------------------------------------------------------------------------------


def run_step(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run one step of this module in a subprocess and read its JSON answer."""
    output = run_command([sys.executable, "-m", "bench.results", *args], env)
    return json.loads(output.strip().splitlines()[-1])


def target_result(results: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((r for r in results if r["size"] == TARGET_SIZE and r["via"] == "test client"), None)


def verdict(results: list[dict[str, Any]]) -> list[str]:
    """The pass/fail line against the target (a target not measured says so)."""
    target = target_result(results)
    if target is None:
        return [f"- NOT MEASURED: the target is for {TARGET_SIZE:,} responses; run with that size."]
    seconds = target["pages"][TARGET_PAGE]["median"]
    ok = seconds <= TARGET_SECONDS
    lines = [
        f"- {'PASS' if ok else 'FAIL'}: the results page for {TARGET_SIZE:,} responses took {seconds:.2f} s "
        f"(median of {len(target['pages'][TARGET_PAGE]['times'])}; target: at most {TARGET_SECONDS:.0f} s)."
    ]
    if not ok:
        lines.append("- **The target was missed.** Where the time goes is below.")
    return lines


HEADINGS = ["responses", "served by", "page", "median s", "runs s", "first request s", "page KB"]


def table(results: list[dict[str, Any]]) -> list[list[str]]:
    """Results as table cells."""
    return [
        [
            f"{r['size']:,}",
            r["via"],
            name,
            f"{figures['median']:.3f}",
            " / ".join(f"{t:.3f}" for t in figures["times"]),
            f"{figures['cold']:.3f}",
            f"{figures['kb']:.0f}",
        ]
        for r in results
        for name, figures in r["pages"].items()
    ]


def markdown_section(
    results: list[dict[str, Any]], when: datetime, load: str, seed_seconds: float, notes: list[str], sizes: list[int]
) -> str:
    """The results section of docs/performance.md."""
    header = "| " + " | ".join(HEADINGS) + " |"
    rule = "| " + " | ".join(["---:", "---", "---", "---:", "---:", "---:", "---:"]) + " |"
    body = "\n".join("| " + " | ".join(line) + " |" for line in table(results))
    pages = "\n".join(f"  - {name}: `{path}`" for name, path in PAGES.items())
    extra = ("\n" + "\n".join(notes) + "\n") if notes else ""
    return f"""## Results pages: the analyst's figures for 1,000 to 100,000 responses

Measured {when:%Y-%m-%d %H:%M} UTC on commit `{git_commit()}`.

- Machine: {machine()}. Load average before the run: {load}.
- Database: a fresh SQLite file, migrated, holding N organisations each with one submitted response to
  the default survey (the synthetic answers of `bench.exports`). Inserting took {seed_seconds:.0f} s in all.
- Pages, requested as an analyst (no filters):
{pages}
- "test client": in one process, `create_app` with the Flask test client, signed in; each page is requested
  once to warm up ("first request"), then {RUNS} times; the median of those is reported. The time runs
  from the request to the end of the response body.
- "gunicorn": the results page served by gunicorn (1 worker, 1 thread) on 127.0.0.1, one request at a
  time over HTTP, the same warm-up and runs, at {TARGET_SIZE:,} responses only.

{header}
{rule}
{body}

Target (from the issue): the results page for {TARGET_SIZE:,} responses in at most {TARGET_SECONDS:.0f} s.

{chr(10).join(verdict(results))}
{extra}
Reproduce with `.venv/bin/python -m bench.results --sizes {",".join(str(s) for s in sizes)}`.
"""


def run(sizes: list[int], runs: int, gunicorn: bool, profile_output: Path | None) -> int:
    """Set up the database, then top it up and measure one size at a time."""
    when, load = datetime.now(UTC), load_average()
    started = time.monotonic()
    results: list[dict[str, Any]] = []
    notes: list[str] = []
    seed_seconds = 0.0
    with tempfile.TemporaryDirectory(prefix="socitm-bench-results-") as tmp:
        workdir = Path(tmp)
        env = bench_environment(workdir)
        log("migrating a fresh SQLite database")
        run_command([sys.executable, "-m", "flask", "db", "upgrade"], env)
        have = 0
        for size in sizes:
            log(f"inserting responses {have + 1:,} to {size:,}")
            seeding = time.monotonic()
            exports_step(["seed", "--start", str(have), "--stop", str(size)], env)
            seed_seconds += time.monotonic() - seeding
            have = size
            log(f"measuring the results pages for {size:,} responses")
            results.append(run_step(["measure", "--size", str(size), "--runs", str(runs)], env))
            if size == TARGET_SIZE and gunicorn:
                results.append(measure_gunicorn(size, runs, env, workdir))
            if size == TARGET_SIZE and profile_output is not None:
                log(f"profiling the results page for {size:,} responses")
                answer = run_step(["profile", "--size", str(size), "--output", str(profile_output)], env)
                notes.append(
                    f"- Profile of one request written to `{profile_output}`."
                    if answer["profiled"]
                    else f"- Not profiled: {answer['reason']}."
                )
    rows = table(results)
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(HEADINGS)]
    print("  ".join(h.rjust(w) for h, w in zip(HEADINGS, widths, strict=True)))
    for row in rows:
        print("  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)))
    lines = verdict(results)
    print("\n".join(lines))
    path = write_section(SECTION, markdown_section(results, when, load, seed_seconds, notes, sizes), PERFORMANCE_DOC)
    log(f"wrote {path.relative_to(REPO_ROOT)} in {time.monotonic() - started:.0f} s total")
    return 1 if any(line.startswith("- FAIL") for line in lines) else 0


def main(argv: list[str] | None = None) -> int:
    """Command line: the benchmark, or one of its subprocess steps."""
    parser = argparse.ArgumentParser(prog="python -m bench.results", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=sizes_from, default=list(DEFAULT_SIZES), help="default 1000,10000,100000")
    parser.add_argument("--runs", type=int, default=RUNS, choices=range(1, 11), metavar="1-10", help="default 3")
    parser.add_argument("--no-gunicorn", dest="gunicorn", action="store_false", help="skip the HTTP measurement")
    parser.add_argument(
        "--profile", type=Path, default=None, help="write a pyinstrument profile of the results page at 10,000 here"
    )
    steps = parser.add_subparsers(dest="step")
    measuring = steps.add_parser("measure", help=argparse.SUPPRESS)
    measuring.add_argument("--size", type=int, required=True)
    measuring.add_argument("--runs", type=int, default=RUNS)
    profiling = steps.add_parser("profile", help=argparse.SUPPRESS)
    profiling.add_argument("--size", type=int, required=True)
    profiling.add_argument("--page", default=TARGET_PAGE, choices=sorted(PAGES))
    profiling.add_argument("--output", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.step == "measure":
        print(json.dumps(measure(args.size, args.runs)))
        return 0
    if args.step == "profile":
        print(json.dumps(profile(args.size, args.page, args.output)))
        return 0
    return run(args.sizes, args.runs, args.gunicorn, args.profile.resolve() if args.profile else None)


if __name__ == "__main__":
    sys.exit(main())
