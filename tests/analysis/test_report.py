"""The study report: assembled from the live data (figures checked by hand on a tiny study), written as a
Word document that parses back with its headings, tables and images and no personal data, and the CLI."""

from __future__ import annotations

import io
import zipfile

import pytest
from docx import Document

from app.analysis.report import build_report
from app.analysis.report_docx import report_docx
from app.extensions import db
from app.focus_groups.models import Volunteer
from tests.analysis.report_support import ORGANISATIONS, tiny_study

NAMES = ("Priya Shah", "Tom Evans", "Morag Campbell", "Lena Lead", "Arun Analyst")


@pytest.fixture
def tiny(study_with_notes, make_user, make_organisation):
    study, _slot, _notes = study_with_notes
    tiny_study(study, make_user, make_organisation)
    return study


def _text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def _rows(document, first_header: str, caption_words: str) -> list[list[str]]:
    """The rows of the first table whose caption (the paragraph before it) contains `caption_words`."""
    body = document.element.body
    for table in document.tables:
        previous = table._element.getprevious()
        caption = "".join(previous.itertext()) if previous is not None else ""
        if caption_words in caption and table.rows[0].cells[0].text == first_header:
            return [[cell.text for cell in row.cells] for row in table.rows[1:]]
    raise AssertionError(f"no table captioned {caption_words!r} in {body}")


def test_an_empty_study_says_so_in_words(make_study):
    study = make_study(slots=2)
    report = build_report(study)
    assert report.survey_methods == () and report.surveys == ()
    assert report.focus_groups.sessions == 0 and report.coding.passages == 0
    assert report.theme_chart is None
    assert all(f.accepted == 0 and not f.quotes for f in report.findings)
    assert [line.decision for line in report.recommendation.outcomes] == ["", "", "", ""]
    text = _text(Document(io.BytesIO(report_docx(report))))
    for sentence in (
        "No survey is linked to this study, so the report has no survey evidence.",
        "No focus-group session has been confirmed yet.",
        "No passages have been read yet, so nothing has been coded.",
        "No double-coding round has been run, so there are no agreement figures.",
        "No passage has an accepted code yet, so there are no findings to report.",
        "No decision has been recorded on this outcome.",
        "The recommendation has not been signed off: it is still open.",
    ):
        assert sentence in text


def test_the_tiny_study_figures(tiny):
    report = build_report(tiny)
    # Survey reach: 4 organisations invited, 3 responded.
    (method,) = report.survey_methods
    assert (method.organisations, method.invited, method.responded, method.rate) == (4, 4, 3, "75%")
    assert method.by_council_type.rows == (  # in the vocabulary's order
        ("London borough", "2", "2", "1", "50%"),
        ("Welsh council", "2", "2", "2", "100%"),
    )
    assert set(method.by_region.rows) == {("London", "2", "2", "1", "50%"), ("Wales", "2", "2", "2", "100%")}
    # Focus groups: one session, three participants, one per region and council type.
    groups = report.focus_groups
    assert (groups.sessions, groups.participants) == (1, 3)
    assert groups.by_council_type.rows == (
        ("Metropolitan borough", "1"),
        ("London borough", "1"),
        ("Welsh council", "1"),
    )
    # Coding: four passages, three accepted codes (the rejected suggestion does not count), two coders.
    coding = report.coding
    assert (coding.codebook_version, coding.passages, coding.accepted, coding.coders) == (1, 4, 3, 2)
    assert coding.coder_roles == "an analyst, the lead analyst"
    (round_,) = coding.rounds
    # 3 of 4 passages given identical themes. Pupils and schools: A 2 of 4, B 1 of 4, agree on 3 of 4:
    # expected agreement 0.5 x 0.25 + 0.5 x 0.75 = 0.5, kappa (0.75 - 0.5) / 0.5 = 0.50.
    assert (round_.items, round_.identical, round_.coders) == (4, "75%", "the lead analyst and an analyst")
    rows = {row[0]: row for row in round_.themes.rows}
    assert rows["Pupils and schools"] == ("Pupils and schools", "4", "75%", "0.50", "unreliable")
    assert rows["User definitions"] == ("User definitions", "4", "100%", "1.00", "reliable")
    # Survey headline: 2 of 3 provide services to pupils; Wilson 95% interval 20.8% to 93.9%.
    (survey,) = report.surveys
    assert survey.headline == (
        "2 of the 3 responding organisations that answered (67%) provide ICT services to pupils."
    )
    assert survey.interval == "95% confidence interval: 21% to 94% (Wilson)."
    assert "not clearly either" in survey.verdict
    # Findings: accepted codes only; the latest summary; the chosen quote by pseudonym and council type.
    findings = {f.slug: f for f in report.findings}
    pupils = findings["pupils-and-schools"]
    assert (pupils.accepted, pupils.passages) == (2, 2)
    assert pupils.summary == "Councils that serve schools carry them on traded SLAs."
    assert pupils.summary_version.startswith("Summary version 2, ")
    (quote,) = pupils.quotes
    assert quote.text.startswith("P1 said their traded SLA covers 40 primary schools.")
    assert (quote.pseudonyms, quote.council_type, quote.source) == ("P1", "London borough", "Session note")
    assert findings["user-definitions"].passages == 1 and findings["user-categories"].accepted == 0
    assert report.theme_chart.table.rows[:3] == (
        ("User definitions", "1"),
        ("User categories and proportions", "0"),
        ("Pupils and schools", "2"),
    )
    # Recommendation: the newest decision, by role; signed off.
    first = report.recommendation.outcomes[0]
    assert (first.decision, first.rationale) == ("Recommend", "Pupils change the counts.")
    assert first.score == "Evidence score when decided: 5, under the scoring rules version 2."
    assert report.recommendation.outcomes[1].score == ""  # no decision, no score
    assert first.decided.endswith("by the lead analyst")
    assert report.recommendation.signed_off and report.recommendation.sign_off.startswith(
        "Signed off by the lead analyst on "
    )
    assert [t.slug for t in report.appendix][:2] == ["user-definitions", "user-categories"]


def test_the_document_has_headings_tables_images_and_no_personal_data(tiny):
    data = report_docx(build_report(tiny))
    document = Document(io.BytesIO(data))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    for heading in (
        "Method",
        "Survey",
        "Focus groups",
        "Coding",
        "Survey results",
        "The impact model",
        "Findings by theme",
        "Pupils and schools",
        "Recommendation",
        'Amend the definition of "users"',
        "Appendix: the codebook",
    ):
        assert heading in headings
    # Charts are pictures with alt text, each followed by the table of its numbers.
    pictures = document.inline_shapes
    assert len(pictures) >= 4
    assert all(shape._inline.docPr.get("descr") for shape in pictures)
    # Wilson, z = 1.96: 1 of 1 gives 20.7% to 100%; 1 of 2 gives 0.5 ± 0.406, 9.5% to 90.5%.
    assert _rows(document, "Council type", "Share that provide services to pupils, by council type") == [
        ["London borough (fewer than 5)", "1", "1", "100%", "21% to 100%"],
        ["Welsh council (fewer than 5)", "1", "2", "50%", "9% to 91%"],
    ]
    coverage = _rows(document, "Council type", "Response rate by council type")
    assert coverage == [["London borough", "2", "2", "1", "50%"], ["Welsh council", "2", "2", "2", "100%"]]
    themes = _rows(document, "Theme", "Passages coded with each theme")
    assert ["Pupils and schools", "2"] in themes
    text = _text(document)
    assert "“P1 said their traded SLA covers 40 primary schools." in text
    assert "Councils that serve schools carry them on traded SLAs." in text
    assert "Pupils change the counts." in text
    # No names, emails or organisation names anywhere in the package (document, properties, anything).
    volunteers = db.session.scalars(db.select(Volunteer)).all()
    secrets = [*NAMES, *(v.email for v in volunteers), "@example.org", *(o[0] for o in ORGANISATIONS)]
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        xml = "\n".join(
            package.read(name).decode("utf-8") for name in package.namelist() if name.endswith((".xml", ".rels"))
        )
        assert any(name.startswith("word/media/") and name.endswith(".png") for name in package.namelist())
    for secret in secrets:
        assert secret not in xml, secret


def test_cli_writes_the_only_studys_report(runner, tiny, tmp_path):
    target = tmp_path / "report.docx"
    result = runner.invoke(args=["analysis", "report", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert f"Wrote the report of '{tiny.title}'" in result.output
    assert "Method" in [p.text for p in Document(str(target)).paragraphs]


def test_cli_names_one_of_several_studies_by_slug_or_number(runner, tiny, make_study, tmp_path):
    other = make_study(slots=1, title="Second study")
    target = tmp_path / "second.docx"
    refused = runner.invoke(args=["analysis", "report", "--output", str(target)])
    assert refused.exit_code == 2 and "There are 2 studies: name one with --study." in refused.output
    assert not target.exists()
    result = runner.invoke(args=["analysis", "report", "--study", "second-study", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert Document(str(target)).paragraphs[0].text == "Second study: study report"
    by_number = runner.invoke(args=["analysis", "report", "--study", str(other.id), "--output", str(target)])
    assert by_number.exit_code == 0


def test_cli_refuses_an_unknown_study(runner, tiny, tmp_path):
    target = tmp_path / "nothing.docx"
    result = runner.invoke(args=["analysis", "report", "--study", "no-such-study", "--output", str(target)])
    assert result.exit_code == 2
    assert "No study is called 'no-such-study'. Studies: who-are-our-users" in result.output
    assert not target.exists()
