# Two commands: `make run` (set up, migrate, load demo data, serve) and `make test` (set up, lint, every test).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
STAMP := .make
export FLASK_APP := wsgi.py
export NLTK_DATA ?= $(CURDIR)/instance/nltk_data_empty

.PHONY: run test security lint setup assets pg-client db demo-data screenshots bench bench-baseline bench-survey bench-exports bench-results bench-composition bench-request-costs bench-tagging bench-review-queue bench-study-report bench-cluster bench-sqlite-concurrency clean help

help:
	@echo "make run          set up and serve on http://127.0.0.1:$(PORT) with demo data"
	@echo "make test         set up, lint, then the whole suite (SQLite, PostgreSQL, browser)"
	@echo "make security     the security tests, bandit and pip-audit"
	@echo "make screenshots  refresh docs/screenshots from the demo data"
	@echo "make bench        run every benchmark and update docs/performance.md (or bench-baseline, bench-survey,"
	@echo "                  bench-exports, bench-results, bench-composition, bench-request-costs, bench-tagging,"
	@echo "                  bench-review-queue, bench-study-report, bench-cluster, bench-sqlite-concurrency for one)"
	@echo "make bench-cluster  two gunicorn nodes behind nginx on PostgreSQL and Redis, 300 members (faults:"
	@echo "                  .venv/bin/python -m bench.cluster --fault kill-worker|restart-postgres|restart-redis)"

$(STAMP):
	@mkdir -p $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP)/python: requirements.txt requirements-dev.txt | $(BIN)/python $(STAMP)
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

app/static/build/app.css: node_modules/.package-lock.json app/static/src/app.scss
	@mkdir -p app/static/build
	npx --no-install sass --no-source-map --style=compressed --load-path=node_modules --silence-deprecation=import \
	  app/static/src/app.scss app/static/build/app.css

app/static/vendor/govuk-frontend/govuk-frontend.min.js: node_modules/.package-lock.json
	@mkdir -p app/static/vendor/govuk-frontend
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js app/static/vendor/govuk-frontend/
	cp -r node_modules/govuk-frontend/dist/govuk/assets app/static/vendor/govuk-frontend/
	@touch $@

assets: app/static/build/app.css app/static/vendor/govuk-frontend/govuk-frontend.min.js

.env:
	@echo "SECRET_KEY=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(48))')" > .env
	@echo "Wrote .env with a new SECRET_KEY"

instance/demo-password:
	@mkdir -p instance
	@$(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(12))' > $@

# The demo administrator's authenticator key (administrators must use two-factor authentication).
instance/demo-totp-secret:
	@mkdir -p instance
	@$(PYTHON) -c 'import base64, secrets; print(base64.b32encode(secrets.token_bytes(20)).decode())' > $@

# pg_dump, pg_restore and psql for `flask backup` and `flask restore` on PostgreSQL: installed when missing and we
# may (root, with apt-get), as scripts/test.sh does for Chromium; set-up never fails for want of them.
pg-client:
	@command -v pg_dump >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = "0" ]; then \
	    echo "Installing PostgreSQL's client tools (postgresql-client) for flask backup and flask restore"; \
	    (apt-get install -y -qq postgresql-client >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && \
	      apt-get install -y -qq postgresql-client >/dev/null 2>&1; }) || \
	      echo "Could not install postgresql-client: flask backup on PostgreSQL needs it (apt-get install postgresql-client)."; \
	  else \
	    echo "pg_dump is not installed: flask backup on PostgreSQL needs it (sudo apt-get install postgresql-client)."; \
	  fi; }

setup: $(STAMP)/python assets pg-client

db: setup .env
	$(BIN)/flask db upgrade

demo-data: db instance/demo-password instance/demo-totp-secret
	$(BIN)/flask demo-data --password "$$(cat instance/demo-password)" --totp-secret "$$(cat instance/demo-totp-secret)"

# Where the app is served: links in emails point here unless APP_BASE_URL says otherwise (config.py).
run demo-data: export APP_SERVED_URL := http://127.0.0.1:$(PORT)

run: demo-data
	@echo "Serving on http://127.0.0.1:$(PORT) (Ctrl+C to stop)"
	@$(BIN)/flask where-emails-go
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

lint: $(STAMP)/python
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: setup lint
	@bash scripts/test.sh

# The security tests (docs/security.md maps each one to its ASVS item), then bandit and pip-audit, which live in
# their own virtualenv so that their dependencies never change the app's.
SECURITY_TESTS := tests/test_authorisation_matrix.py tests/test_deny_by_default.py tests/test_csrf.py \
  tests/test_get_changes_nothing.py tests/test_hostile_paths.py tests/test_hostile_forms.py tests/test_object_access.py \
  tests/test_erasure.py tests/test_uploads.py tests/test_form_lengths.py tests/test_numbers.py \
  tests/auth tests/audit tests/email tests/privacy tests/main \
  tests/surveys/answering/test_hostile_numbers.py tests/surveys/answering/test_survey_access.py tests/surveys/results/test_export_audit.py \
  tests/focus_groups/recruitment/test_volunteer_form_security.py tests/focus_groups/scheduling/test_no_typed_text_in_emails.py \
  tests/focus_groups/test_hostile_numbers.py tests/focus_groups/notes/test_hostile_proportions.py \
  tests/focus_groups/recruitment/test_import_limits.py tests/focus_groups/scheduling/test_withdrawal_email.py

$(STAMP)/security: requirements-security.txt | $(STAMP)
	test -x .venv-security/bin/python || $(PYTHON) -m venv .venv-security
	.venv-security/bin/pip install --quiet -r requirements-security.txt
	@touch $@

security: setup $(STAMP)/security
	NLTK_DATA="$$(mktemp -d)" $(BIN)/python -m pytest -p no:cacheprovider -q $(SECURITY_TESTS)
	$(BIN)/python scripts/security.py

screenshots: demo-data
	$(BIN)/python scripts/screenshots.py

bench: bench-baseline bench-survey bench-exports bench-results bench-composition bench-request-costs bench-tagging bench-review-queue bench-study-report bench-cluster bench-sqlite-concurrency

bench-baseline: setup .env
	$(BIN)/python -m bench.run

bench-survey: setup .env
	$(BIN)/python -m bench.survey

bench-exports: setup .env
	$(BIN)/python -m bench.exports

bench-results: setup .env
	$(BIN)/python -m bench.results

bench-composition: setup
	$(BIN)/python -m bench.composition

bench-request-costs: setup .env
	$(BIN)/python -m bench.request_costs

bench-tagging: setup
	$(BIN)/python -m bench.tagging

bench-review-queue: setup
	$(BIN)/python -m bench.review_queue

bench-study-report: setup
	$(BIN)/python -m bench.study_report

bench-cluster: setup .env
	$(BIN)/python -m bench.cluster

bench-sqlite-concurrency: setup .env
	$(BIN)/python -m bench.sqlite_concurrency

clean:
	rm -rf $(VENV) .venv-security node_modules app/static/build app/static/vendor $(STAMP)
