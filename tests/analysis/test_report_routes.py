"""The report's pages through the test client: the print page, the Word download (at once, or through a
background job for a large study), and who may see them."""

from __future__ import annotations

import io
import re

import pytest
from docx import Document

from app.analysis import report_routes
from app.audit.models import AuditEvent
from app.extensions import db
from tests.analysis.report_support import ORGANISATIONS, tiny_study
from tests.conftest import page_text, sign_in


@pytest.fixture
def tiny(study_with_notes, make_user, make_organisation):
    study, _slot, _notes = study_with_notes
    tiny_study(study, make_user, make_organisation)
    return study


def test_an_analyst_reads_the_print_page(client, make_user, tiny):
    sign_in(client, make_user("analyst").email)
    response = client.get(f"/analysis/{tiny.id}/report")
    assert response.status_code == 200
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page_text(response)))  # the words a person reads
    assert "Who are our users? – study report" in text and "users?:" not in text
    assert "4 of 4 member organisations invited, 3 responded (a response rate of 75% of member organisations)" in text
    assert "1 session" in text and "with 3 participants" in text
    assert "95% confidence interval: 21% to 94% (Wilson)." in text
    assert "Councils that serve schools carry them on traded SLAs." in text
    assert "P1, London borough; session note" in text
    assert "Decision: Recommend" in text and "Signed off by the lead analyst" in text
    assert "Appendix: the codebook" in text
    html = response.get_data(as_text=True)
    assert html.count("<svg") >= 4 and 'role="img"' in html  # charts as the results pages draw them
    assert "app-table-scroll" in html  # tables scroll on a phone
    assert f'href="/analysis/{tiny.id}/report.docx"' in html
    for secret in ("Priya Shah", "Lena Lead", "@example.org", *(o[0] for o in ORGANISATIONS)):
        assert secret not in html


def test_an_empty_study_page_says_so(client, make_user, make_study):
    study = make_study(slots=1)
    sign_in(client, make_user("lead_analyst").email)
    text = page_text(client.get(f"/analysis/{study.id}/report"))
    assert "No survey is linked to this study, so the report has no survey evidence." in text
    assert "No passage has an accepted code yet, so there are no findings to report." in text


def test_the_download_is_a_word_document_and_is_logged(client, make_user, tiny):
    person = make_user("analyst")
    sign_in(client, person.email)
    response = client.get(f"/analysis/{tiny.id}/report.docx")
    assert response.status_code == 200
    assert response.mimetype.endswith("wordprocessingml.document")
    assert "who-are-our-users-report.docx" in response.headers["Content-Disposition"]
    document = Document(io.BytesIO(response.data))
    assert document.paragraphs[0].text == "Who are our users? – study report"
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "analysis.report_downloaded"))
    assert event is not None and event.actor_id == person.id


def test_a_large_study_is_written_in_the_background(client, make_user, tiny, monkeypatch):
    monkeypatch.setattr(report_routes, "BACKGROUND_FROM", 1)  # the tiny study counts as large
    sign_in(client, make_user("analyst").email)
    response = client.get(f"/analysis/{tiny.id}/report.docx")
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    progress = client.get(response.headers["Location"])
    assert "Writing the report of" in page_text(progress)
    download = client.get(response.headers["Location"] + "/download")
    assert download.status_code == 200
    data = download.get_data()
    download.close()
    assert Document(io.BytesIO(data)).paragraphs[0].text == "Who are our users? – study report"


@pytest.mark.parametrize("role", ["member", "facilitator", "organiser"])
def test_only_analysts_see_the_report(client, make_user, tiny, role):
    sign_in(client, make_user(role).email)
    assert client.get(f"/analysis/{tiny.id}/report").status_code == 403
    assert client.get(f"/analysis/{tiny.id}/report.docx").status_code == 403


def test_unknown_or_huge_study_ids_are_not_found(client, make_user, tiny):
    sign_in(client, make_user("analyst").email)
    assert client.get("/analysis/9999/report").status_code == 404
    assert client.get("/analysis/" + "9" * 5000 + "/report.docx").status_code == 404
