"""Reading a study's sources into passages and keeping them in step: unchanged sentences keep their
codes, changed ones carry them for re-review, deleted ones count in nothing, withdrawn people keep
only their pseudonym."""

from __future__ import annotations

from sqlalchemy import select

from app.analysis.models import AnalysisPassage, Code, StudySurvey
from app.analysis.sources import sync_study
from app.extensions import db
from app.focus_groups.notes.taking import NoteInput, delete_note, edit_note


def _passages(study, present=True):
    query = select(AnalysisPassage).where(AnalysisPassage.study_id == study.id)
    if present is not None:
        query = query.where(AnalysisPassage.present.is_(present))
    return db.session.scalars(query.order_by(AnalysisPassage.source_key, AnalysisPassage.position)).all()


def _accept(passage, theme):
    code = Code(
        study_id=passage.study_id,
        passage_id=passage.id,
        theme=theme,
        status="accepted",
        origin="hand",
        codebook_version=1,
    )
    db.session.add(code)
    db.session.commit()
    return code


def test_a_study_is_read_a_sentence_at_a_time_with_pseudonyms_and_attributes(study_with_notes):
    study, _slot, _notes = study_with_notes
    report = sync_study(study)
    texts = [p.text for p in _passages(study)]
    assert report.added == len(texts) == 4
    assert "P1 said their traded SLA covers 40 primary schools." in texts
    # A short fragment stays with the sentence before it only when Punkt keeps it; each line is its own source.
    about_p1 = next(p for p in _passages(study) if p.text.startswith("P1 said"))
    assert about_p1.pseudonyms == ["P1"]
    assert (about_p1.region, about_p1.council_type, about_p1.supports_schools) == ("london", "london-borough", True)
    assert about_p1.source_kind == "note" and about_p1.source_key.startswith("note:")


def test_reading_again_changes_nothing_when_nothing_changed(study_with_notes):
    study, _slot, _notes = study_with_notes
    sync_study(study)
    before = [(p.id, p.key) for p in _passages(study)]
    report = sync_study(study)
    assert (report.added, report.changed, report.removed, report.unchanged) == (0, 0, 0, 4)
    assert [(p.id, p.key) for p in _passages(study)] == before


def test_an_edited_sentence_carries_its_codes_for_review_and_unchanged_ones_keep_theirs(study_with_notes):
    study, _slot, notes = study_with_notes
    sync_study(study)
    first, second = (p for p in _passages(study) if p.source_key == f"note:{notes[0].id}")
    kept = _accept(first, "pupils-and-schools")
    carried = _accept(second, "service-quality-differences")
    edit_note(
        notes[0],
        NoteInput(
            "P1 said their traded SLA covers 40 primary schools. Pupils' devices sit on a separate schools network.",
            pseudonyms=["P1"],
        ),
        expected_version=notes[0].version,
    )
    report = sync_study(study)
    assert (report.added, report.changed, report.removed, report.codes_flagged) == (0, 1, 0, 1)
    db.session.expire_all()
    assert db.session.get(Code, kept.id).needs_review is False
    assert db.session.get(Code, kept.id).passage_id == first.id
    moved = db.session.get(Code, carried.id)
    assert moved.needs_review is True and moved.status == "accepted"
    assert moved.passage.text == "Pupils' devices sit on a separate schools network."
    assert db.session.get(AnalysisPassage, second.id).present is False


def test_a_deleted_note_leaves_the_analysis_but_its_codes_are_kept(study_with_notes):
    study, _slot, notes = study_with_notes
    sync_study(study)
    passage = next(p for p in _passages(study) if p.source_key == f"note:{notes[2].id}")
    code = _accept(passage, "user-definitions")
    delete_note(notes[2], expected_version=notes[2].version)
    report = sync_study(study)
    assert report.removed == 1
    db.session.expire_all()
    assert db.session.get(AnalysisPassage, passage.id).present is False
    assert db.session.get(Code, code.id).status == "accepted"
    assert passage.id not in {p.id for p in _passages(study)}


def test_a_withdrawn_participant_keeps_only_their_pseudonym(study_with_notes):
    study, slot, _notes = study_with_notes
    placement = next(p for p in slot.placements if p.pseudonym == "P1")
    placement.status = "withdrawn"
    db.session.commit()
    sync_study(study)
    about_p1 = next(p for p in _passages(study) if p.text.startswith("P1 said"))
    assert about_p1.pseudonyms == ["P1"]
    assert (about_p1.region, about_p1.council_type, about_p1.supports_schools) == (None, None, None)


def test_linked_surveys_bring_their_free_text_answers_without_names(study_with_notes, submitted_answer):
    study, _slot, _notes = study_with_notes
    survey, response = submitted_answer("Pupils are users too. Our SLA with 60 schools proves it.")
    db.session.add(StudySurvey(study_id=study.id, survey_id=survey.id))
    db.session.commit()
    sync_study(study)
    answers = [p for p in _passages(study) if p.source_kind == "survey"]
    assert [p.text for p in answers] == ["Pupils are users too.", "Our SLA with 60 schools proves it."]
    assert answers[0].source_key == f"response:{response.id}:pupils_reason"
    assert (answers[0].region, answers[0].council_type, answers[0].supports_schools) == ("wales", "welsh", True)
    assert answers[0].pseudonyms == []
    assert response.organisation.name not in " ".join(str(p.source_ref) for p in answers)
