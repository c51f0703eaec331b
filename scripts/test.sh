#!/usr/bin/env bash
# The suite behind `make test`: pytest on SQLite, again on PostgreSQL in a freshly created database,
# then the browser journeys (Playwright driving Debian's Chromium).
# REQUIRE_POSTGRES=1 / REQUIRE_BROWSER=1 (set by .ci/run) turn "skipped: not available" into a failure.
set -uo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
CHROMIUM=/usr/bin/chromium
NLTK_DATA="$(mktemp -d)"  # the suite must not depend on downloaded NLTK data
export NLTK_DATA
trap 'rm -rf "$NLTK_DATA"' EXIT
failed=()

run_pytest() {
  local label="$1"; shift
  echo
  echo "== $label"
  "$PY" -m pytest -p no:cacheprovider "$@" || failed+=("$label")
}

run_pytest "Tests on SQLite" tests --ignore=tests/browser

PG_URL="${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
if "$PY" -c "import psycopg, sys; psycopg.connect(sys.argv[1].replace('+psycopg', ''), connect_timeout=3).close()" \
    "$PG_URL" 2>/dev/null; then
  TEST_DATABASE_URL="$PG_URL" run_pytest "Tests on PostgreSQL" tests --ignore=tests/browser
elif [ "${REQUIRE_POSTGRES:-0}" = "1" ]; then
  echo "PostgreSQL is required (REQUIRE_POSTGRES=1) but $PG_URL does not answer."
  failed+=("PostgreSQL unavailable")
else
  echo
  echo "== Skipping the PostgreSQL run: no server answers at $PG_URL (set TEST_DATABASE_URL to use another)."
fi

if [ ! -x "$CHROMIUM" ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  echo
  echo "== Installing Debian's Chromium for the browser tests"
  (apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && \
    apt-get install -y -qq chromium >/dev/null 2>&1; }) || true
fi
if [ -x "$CHROMIUM" ]; then
  run_pytest "Browser tests (Chromium)" tests/browser
elif [ "${REQUIRE_BROWSER:-0}" = "1" ]; then
  echo "Chromium is required (REQUIRE_BROWSER=1) but $CHROMIUM is missing and could not be installed."
  failed+=("Chromium unavailable")
else
  echo
  echo "== Skipping the browser tests: $CHROMIUM is not installed (sudo apt-get install chromium)."
fi

echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "make test: FAILED: ${failed[*]}"
  exit 1
fi
echo "make test: all parts passed."
