"""What the survey benchmarks post: the sample answers, and how a question page's form is read.

Shared by `bench/survey_locustfile.py` (Locust users) and `bench/request_costs.py` (which measures in
the app's own process and so must not import Locust or gevent). This module imports neither, nor the
app: the sample answers are read from `app/surveys/sample_answers.py` by path, because importing
`app.surveys.sample_answers` would import the app package (Flask, SQLAlchemy) into Locust's process.
"""

from __future__ import annotations

import re
import runpy
from pathlib import Path

_SAMPLE_ANSWERS = runpy.run_path(str(Path(__file__).resolve().parent.parent / "app" / "surveys" / "sample_answers.py"))

# Page id -> form fields, as tests/surveys/conftest.py posts them too.
SHORT_ROUTE: dict[str, dict[str, str | list[str]]] = _SAMPLE_ANSWERS["NO_SCHOOLS"]  # no services to schools
FULL_ROUTE: dict[str, dict[str, str | list[str]]] = _SAMPLE_ANSWERS["WITH_SCHOOLS"]  # every page of the survey
# Two valid sets of answers for the `size` page, posted in turn so that every POST writes.
SIZE_VALUES: tuple[dict[str, str], ...] = _SAMPLE_ANSWERS["SIZE_VALUES"]

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PAGE_FORM = re.compile(r'<form method="post"[^>]*id="page-form".*?</form>', re.S)


def hidden_fields(html: str) -> dict[str, str]:
    """Every hidden input of the question page's form (csrf_token, response_ref, rev-<key>)."""
    form = PAGE_FORM.search(html)
    return dict(HIDDEN.findall(form.group(0) if form else ""))
