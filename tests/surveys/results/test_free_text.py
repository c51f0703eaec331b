"""Free text (results/free_text.py): shown with region and council type, never a name, and handed to the
analysis as sentence passages with stable ids."""

from app.surveys.results.free_text import free_texts
from tests.surveys.results.support import SURVEY, _row


def test_free_text_shows_region_and_council_type_not_the_name():
    rows = [
        _row(
            1,
            region="london",
            council_type="london-borough",
            provides_education="yes",
            pupils_reason="Pupils are real users.",
        )
    ]
    [(question, texts)] = free_texts(SURVEY, rows)
    assert question.id == "pupils_reason"
    assert (texts[0].text, texts[0].region, texts[0].council_type) == (
        "Pupils are real users.",
        "London",
        "London borough",
    )
    assert "Org 1" not in repr(texts[0])


def test_free_text_becomes_passages_for_the_analysis_without_names():
    from app.passages import Passage, passage_id
    from app.surveys.results.free_text import free_text_passages

    rows = [
        _row(
            1,
            region="wales",
            council_type="welsh",
            provides_education="yes",
            pupils_reason="Pupils count.",
            pupil_funding="other",
            pupil_funding__other="Charity funding",
        )
    ]
    passages = free_text_passages(SURVEY, rows)
    assert passages == [
        Passage(
            id=passage_id("survey", "response:1:pupil_funding__other", "Charity funding", 1),
            source_kind="survey",
            source_ref={"response": 1, "question": "pupil_funding__other", "sentence": 1},
            text="Charity funding",
            start=0,
            end=15,
            section="pupil_funding__other",
            source_key="response:1:pupil_funding__other",
            section_label="How are the ICT services that pupils use mainly funded?",
            region="wales",
            council_type="welsh",
            supports_schools=True,
            organisations=("org:1",),
        ),
        Passage(
            id=passage_id("survey", "response:1:pupils_reason", "Pupils count.", 1),
            source_kind="survey",
            source_ref={"response": 1, "question": "pupils_reason", "sentence": 1},
            text="Pupils count.",
            start=0,
            end=13,
            section="pupils_reason",
            source_key="response:1:pupils_reason",
            section_label="Why do you say that?",
            region="wales",
            council_type="welsh",
            supports_schools=True,
            organisations=("org:1",),
        ),
    ]
    assert all(p.id.startswith("s-") and p.pseudonyms == () and p.note_kind is None for p in passages)
    assert "Org 1" not in repr(passages) and "R1" not in repr(passages)


def test_free_text_passages_are_sentences_with_offsets_into_the_answer_as_stored():
    from app.surveys.results.free_text import free_text_passages

    answer = "  Pupils count. Staff do too.\nSo do governors."
    rows = [_row(7, region="london", council_type="london-borough", provides_education="no", pupils_reason=answer)]
    passages = free_text_passages(SURVEY, rows)
    assert [(p.text, p.start, p.end, p.source_ref["sentence"]) for p in passages] == [
        ("Pupils count.", 2, 15, 1),
        ("Staff do too.", 16, 29, 2),
        ("So do governors.", 30, 46, 3),
    ]
    assert all(answer[p.start : p.end] == p.text for p in passages)
    assert {(p.region, p.council_type, p.supports_schools) for p in passages} == {("london", "london-borough", False)}
    assert len({p.id for p in passages}) == 3


def test_a_survey_passage_id_survives_rereading_and_changes_with_the_text():
    from app.surveys.results.free_text import free_text_passages

    def read(reason):
        return free_text_passages(SURVEY, [_row(3, provides_education="yes", pupils_reason=reason)])

    first, again = read("Pupils are users too."), read("Pupils are users too.")
    assert [p.id for p in first] == [p.id for p in again]
    changed = read("Pupils are users as well.")
    assert changed[0].id != first[0].id
    elsewhere = free_text_passages(SURVEY, [_row(4, provides_education="yes", pupils_reason="Pupils are users too.")])
    assert elsewhere[0].id != first[0].id  # another response's identical answer is another passage
