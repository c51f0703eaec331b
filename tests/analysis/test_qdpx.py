"""The study as a REFI-QDA project (.qdpx): what the zip and its XML hold, offsets that select exactly each
passage, no names or emails, a round trip through a fresh import, and hostile files refused in words."""

from __future__ import annotations

import io
import zipfile

import pytest
from defusedxml.ElementTree import fromstring
from sqlalchemy import delete, select

from app.analysis.models import AnalysisPassage, Code
from app.analysis.qdc import code_guid
from app.analysis.qdpx import NAMESPACE, QdpxError, user_guid, write_qdpx
from app.analysis.qdpx_import import parse_qdpx, read_qdpx
from app.analysis.services import code_by_hand, codebook_of, current_version, decide, link_surveys
from app.analysis.sources import sync_study
from app.audit.models import AuditEvent
from app.extensions import db
from app.focus_groups.models import Volunteer
from app.organisations.models import Organisation

N = f"{{{NAMESPACE}}}"


def _passage(study, starts: str) -> AnalysisPassage:
    return db.session.scalar(
        select(AnalysisPassage).where(AnalysisPassage.study_id == study.id, AnalysisPassage.text.startswith(starts))
    )


@pytest.fixture
def coded_study(study_with_notes, submitted_answer, make_user):
    """The notes' study with one survey answer linked, read, and coded by two analysts: three accepted
    codes, one suggestion and one rejected code. Returns (study, ana, bea)."""
    study, _slot, _notes = study_with_notes
    survey, _response = submitted_answer("We count pupils because schools buy our traded service.")
    link_surveys(study, {survey.id})
    sync_study(study)
    ana = make_user("analyst", name="Ana Lyst", email="ana@example.org")
    bea = make_user("lead_analyst", name="Bea Lead", email="bea@example.org")
    version = current_version(study)
    codebook = codebook_of(version)
    themes = [theme.slug for theme in codebook.themes]
    code_by_hand(_passage(study, "P1 said"), themes[0], None, codebook, version.number, by=ana)
    code_by_hand(_passage(study, "P1 said"), themes[1], None, codebook, version.number, by=bea)
    code_by_hand(_passage(study, "We count pupils"), themes[2], None, codebook, version.number, by=bea)
    suggested = code_by_hand(_passage(study, "P2 counts"), themes[3], None, codebook, version.number, by=ana)
    rejected = code_by_hand(_passage(study, "Coffee"), themes[4], None, codebook, version.number, by=ana)
    for code, status in ((suggested, "suggested"), (rejected, "rejected")):
        code.status = status
    db.session.commit()
    return study, ana, bea


def _export(study) -> tuple[bytes, dict]:
    buffer = io.BytesIO()
    summary = write_qdpx(study, buffer)
    return buffer.getvalue(), summary


def _accepted(study) -> set[tuple[str, str, int]]:
    return {
        (code.passage.key, code.theme, code.coder_id)
        for code in db.session.scalars(select(Code).where(Code.study_id == study.id, Code.status == "accepted"))
    }


def test_the_zip_holds_the_project_and_each_source_as_plain_text(coded_study):
    study, _ana, _bea = coded_study
    data, summary = _export(study)
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    assert names[0] == "project.qde"
    root = fromstring(archive.read("project.qde"))
    sources = root.findall(f"{N}Sources/{N}TextSource")
    assert len(sources) == summary["sources"] == 2  # the session's notes, the survey question's answers
    for source in sources:
        path = source.get("plainTextPath")
        assert path == f"internal://{source.get('guid')}.txt"
        text = archive.read(f"Sources/{source.get('guid')}.txt").decode("utf-8")
        assert "\r" not in text
    # Five passages: P1's note is two sentences. Cases: three organisations (the answering one and the two
    # participants'), and participants P1 and P2.
    assert summary == {"sources": 2, "passages": 5, "codings": 3, "coders": 2, "cases": 5, "left_out": 0}


def test_the_xml_is_in_the_project_namespace_with_required_attributes_in_schema_order(coded_study):
    study, ana, bea = coded_study
    root = fromstring(zipfile.ZipFile(io.BytesIO(_export(study)[0])).read("project.qde"))
    assert root.tag == f"{N}Project"
    assert root.get("name") == study.title
    order = [child.tag.removeprefix(N) for child in root]
    assert order == ["Users", "CodeBook", "Variables", "Cases", "Sources", "Sets", "Description"]
    users = {user.get("guid"): user.get("name") for user in root.iter(f"{N}User")}
    assert users == {user_guid(ana.id): "Ana Lyst", user_guid(bea.id): "Bea Lead"}
    for code in root.iter(f"{N}Code"):
        assert code.get("guid") and code.get("name") and code.get("isCodable") == "true"
    for variable in root.iter(f"{N}Variable"):
        assert variable.get("typeOfVariable") in {"Text", "Boolean"}
    for selection in root.iter(f"{N}PlainTextSelection"):
        assert {"guid", "startPosition", "endPosition"} <= set(selection.attrib)
        for coding in selection.findall(f"{N}Coding"):
            assert coding.get("guid") and coding.find(f"{N}CodeRef").get("targetGUID")
    for source in root.iter(f"{N}TextSource"):  # Description?, PlainTextContent?, PlainTextSelection*, Coding*
        assert [child.tag for child in source] == [f"{N}PlainTextSelection"] * len(source)


def test_every_selection_selects_exactly_its_passage_and_codings_name_their_coder(coded_study):
    study, ana, bea = coded_study
    archive = zipfile.ZipFile(io.BytesIO(_export(study)[0]))
    root = fromstring(archive.read("project.qde"))
    texts = {p.text for p in db.session.scalars(select(AnalysisPassage).where(AnalysisPassage.study_id == study.id))}
    coded = set()
    for source in root.iter(f"{N}TextSource"):
        text = archive.read(f"Sources/{source.get('guid')}.txt").decode("utf-8")
        for selection in source.findall(f"{N}PlainTextSelection"):
            selected = text[int(selection.get("startPosition")) : int(selection.get("endPosition"))]
            assert selected in texts
            for coding in selection.findall(f"{N}Coding"):
                coded.add((selected[:10], coding.find(f"{N}CodeRef").get("targetGUID"), coding.get("creatingUser")))
    themes = [t.slug for t in codebook_of(current_version(study)).themes]
    assert coded == {
        ("P1 said th", code_guid(themes[0]), user_guid(ana.id)),
        ("P1 said th", code_guid(themes[1]), user_guid(bea.id)),
        ("We count p", code_guid(themes[2]), user_guid(bea.id)),
    }


def test_no_names_or_emails_of_members_participants_or_organisations(coded_study, make_organisation):
    study, _ana, _bea = coded_study
    data = _export(study)[0]
    archive = zipfile.ZipFile(io.BytesIO(data))
    everything = b"".join(archive.read(name) for name in archive.namelist()).decode("utf-8")
    assert "@" not in everything
    assert "org:" not in everything and "person:" not in everything
    people = db.session.scalars(select(Volunteer.name)).all() + db.session.scalars(select(Organisation.name)).all()
    assert people and not [name for name in people if name in everything]
    root = fromstring(archive.read("project.qde"))
    variables = {v.get("guid"): v.get("name") for v in root.iter(f"{N}Variable")}
    cases = {}
    for case in root.iter(f"{N}Case"):
        values = {
            variables[value.find(f"{N}VariableRef").get("targetGUID")]: value[1].text
            for value in case.findall(f"{N}VariableValue")
        }
        cases[case.get("name")] = (values, len(case.findall(f"{N}SelectionRef")))
    assert set(cases) == {"Org 001", "Org 002", "Org 003", "P1", "P2"}
    answering = {
        "Case type": "Organisation",
        "Region": "Wales",
        "Council type": "Welsh council",
        "Supports schools": "true",
    }
    assert (answering, 1) in cases.values()  # the survey answer's organisation, as the fixture made it
    assert cases["P1"][1] == 2  # P1's note: two sentences


def test_round_trip_export_clear_codes_import_gives_the_same_codes_and_coders(coded_study, make_user):
    study, ana, bea = coded_study
    before = _accepted(study)
    data = _export(study)[0]
    db.session.execute(delete(Code).where(Code.study_id == study.id, Code.status == "accepted"))
    db.session.commit()
    lead = make_user("lead_analyst", name="Importing Lead")
    preview = read_qdpx(study, data, lead, dry_run=True)
    assert (preview.added, preview.written, _accepted(study)) == (3, False, set())
    report = read_qdpx(study, data, lead)
    assert report.written and report.added == 3 and report.problems == []
    assert dict(report.by_coder) == {"Ana Lyst": 1, "Bea Lead": 2}
    assert _accepted(study) == before
    again = read_qdpx(study, data, lead)
    assert (again.added, again.duplicates) == (0, 3)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "analysis.qdpx_imported")).all()
    assert len(events) == 2


def test_a_suggestion_is_accepted_and_a_rejected_code_stays_rejected(coded_study, make_user):
    study, ana, _bea = coded_study
    data = _export(study)[0]
    suggested = db.session.scalar(select(Code).where(Code.study_id == study.id, Code.status == "suggested"))
    decide(suggested, True, by=ana)  # accepted, then exported, then turned back into a suggestion
    data = _export(study)[0]
    suggested.status = "suggested"
    db.session.commit()
    report = read_qdpx(study, data, make_user("lead_analyst"))
    assert (report.added, report.accepted_suggestions, report.duplicates) == (0, 1, 3)
    assert db.session.get(Code, suggested.id).status == "accepted"


def test_an_unknown_coder_is_reported_and_the_code_attributed_to_the_importer(coded_study, make_user):
    study, ana, _bea = coded_study
    data = _export(study)[0]
    db.session.execute(delete(Code).where(Code.study_id == study.id, Code.status == "accepted"))
    ana.disabled = True  # no longer an analyst who can code
    db.session.commit()
    lead = make_user("lead_analyst", name="Importing Lead")
    report = read_qdpx(study, data, lead)
    assert report.unknown_coders == ["Ana Lyst"]
    assert any("'Ana Lyst' is not an analyst" in p and "attributed to Importing Lead" in p for p in report.problems)
    assert dict(report.by_coder) == {"Importing Lead": 1, "Bea Lead": 2}


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    return buffer.getvalue()


PROJECT = '<Project xmlns="urn:QDA-XML:project:1.0" name="x">{}</Project>'


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty"),
        (b"not a zip at all", "is a zip"),
        (_zip({"readme.txt": b"hello"}), "no project.qde"),
        (_zip({"project.qde": b"<Project"}), "not well-formed XML"),
        (_zip({"project.qde": b"<CodeBook/>"}), "its root element is <CodeBook>"),
        (
            _zip({"project.qde": b'<!DOCTYPE x [<!ENTITY a "aaaa">]><Project name="x">&a;</Project>'}),
            "document type or entities",
        ),
        (_zip({"project.qde": b"<Project/>", "Sources/big.txt": b"a" * (20 * 1024 * 1024)}), "compressed suspiciously"),
        (_zip({f"Sources/{n}.txt": b"" for n in range(5001)} | {"project.qde": b"<Project/>"}), "at most 5,000"),
    ],
)
def test_malformed_and_hostile_files_are_refused_in_words(data, message):
    with pytest.raises(QdpxError) as refused:
        parse_qdpx(data)
    assert message in " ".join(refused.value.messages)


def test_selections_outside_their_text_or_matching_nothing_are_reported_row_by_row(coded_study, make_user):
    study, _ana, _bea = coded_study
    themes = [t.slug for t in codebook_of(current_version(study)).themes]
    guid = "11111111-2222-3333-4444-555555555555"
    project = PROJECT.format(
        f'<CodeBook><Codes><Code guid="{code_guid(themes[0])}" name="x" isCodable="true"/>'
        '<Code guid="99999999-2222-3333-4444-555555555555" name="Not ours" isCodable="true"/></Codes></CodeBook>'
        f'<Sources><TextSource guid="{guid}" name="Elsewhere" plainTextPath="internal://{guid}.txt">'
        '<PlainTextSelection guid="21111111-2222-3333-4444-555555555555" startPosition="0" endPosition="999">'
        f'<Coding guid="31111111-2222-3333-4444-555555555555"><CodeRef targetGUID="{code_guid(themes[0])}"/></Coding>'
        "</PlainTextSelection>"
        '<PlainTextSelection guid="41111111-2222-3333-4444-555555555555" startPosition="0" endPosition="5">'
        f'<Coding guid="51111111-2222-3333-4444-555555555555"><CodeRef targetGUID="{code_guid(themes[0])}"/></Coding>'
        "</PlainTextSelection>"
        '<PlainTextSelection guid="61111111-2222-3333-4444-555555555555" startPosition="6" endPosition="20">'
        '<Coding guid="71111111-2222-3333-4444-555555555555">'
        '<CodeRef targetGUID="99999999-2222-3333-4444-555555555555"/></Coding>'
        "</PlainTextSelection></TextSource></Sources>"
    )
    text = "Hello P2 counts only office staff as users. That's the honest answer."
    data = _zip({"project.qde": project.encode(), f"Sources/{guid}.txt": text.encode()})
    report = read_qdpx(study, data, make_user("lead_analyst"), dry_run=True)
    assert any("selection 1: its positions (0–999)" in p for p in report.problems)
    assert any("Selection 1 in 'Elsewhere' (\"Hello\") matches no passage" in p for p in report.problems)
    assert any("The code 'Not ours' is not in this study's codebook" in p for p in report.problems)
    assert report.added == 0


def test_a_study_not_read_yet_exports_its_codebook_and_variables_only(make_study):
    study = make_study()
    data, summary = _export(study)
    root = fromstring(zipfile.ZipFile(io.BytesIO(data)).read("project.qde"))
    assert [child.tag.removeprefix(N) for child in root] == ["CodeBook", "Variables", "Description"]
    assert summary == {"sources": 0, "passages": 0, "codings": 0, "coders": 0, "cases": 0, "left_out": 0}
