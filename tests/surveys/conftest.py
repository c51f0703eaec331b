"""Survey fixtures: the default survey, and a helper that answers whole pages through the test client."""

import re

import pytest

from app.extensions import db
from app.surveys.sample_answers import NO_SCHOOLS
from app.surveys.services import ensure_default_survey


@pytest.fixture
def survey(app):
    """The default survey, published, open, and open to all members (who may answer is tested in
    test_survey_access.py; elsewhere every member's organisation may answer it)."""
    survey = ensure_default_survey()
    survey.open_to_all_members = True
    db.session.commit()
    return survey


def reference_of(client, slug="schools-ict", page_id="provides") -> str:
    """The response reference the page form carries."""
    page = client.get(f"/surveys/{slug}/questions/{page_id}").get_data(as_text=True)
    return re.search(r'name="response_ref" value="([^"]+)"', page).group(1)


def answer_page(client, page_id, data, slug="schools-ict", action="continue"):
    """Post one page as the browser would, with its response reference and revisions."""
    page = client.get(f"/surveys/{slug}/questions/{page_id}").get_data(as_text=True)
    form = {"action": action, "response_ref": re.search(r'name="response_ref" value="([^"]+)"', page).group(1)}
    form.update(dict(re.findall(r'name="(rev-[^"]+)" value="(\d+)"', page)))
    form.update(data)
    return client.post(f"/surveys/{slug}/questions/{page_id}", data=form)


def answer_all(client, pages=NO_SCHOOLS, slug="schools-ict"):
    """Start the response and answer every page given."""
    client.post(f"/surveys/{slug}/start")
    for page_id, data in pages.items():
        response = answer_page(client, page_id, data, slug)
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
