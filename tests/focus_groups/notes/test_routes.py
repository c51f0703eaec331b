"""The session-notes console through the test client: who may use it, plain form posts (no JavaScript),
the JSON the console's script uses, stale edits, history, the grid, the lock, print and downloads."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.focus_groups.notes.access import session_participants
from app.focus_groups.notes.models import NOTE_MAX_LENGTH, Note
from app.focus_groups.notes.proportions import proportion_rows, share_field
from app.focus_groups.notes.taking import NoteInput, add_note, notes_for, session_notes
from tests.conftest import page_text, sign_in
from tests.focus_groups.notes.support import make_session


@pytest.fixture
def staff(make_user):
    return make_user("facilitator", name="Fran Facilitator"), make_user("facilitator", name="Nat Notes")


@pytest.fixture
def slot(make_study, make_volunteer, staff):
    return make_session(make_study, make_volunteer, facilitator=staff[0], note_taker=staff[1])


def url(slot, path: str = "notes") -> str:
    return f"/focus-groups/sessions/{slot.id}/{path}"


def as_person(app, user):
    client = app.test_client()
    assert sign_in(client, user.email).status_code == 302
    return client


def test_only_the_sessions_staff_organisers_and_admins_use_the_console(app, slot, staff, make_user):
    for person in (*staff, make_user("organiser"), make_user("admin")):
        assert as_person(app, person).get(url(slot)).status_code == 200
    for person in (make_user("facilitator"), make_user("analyst"), make_user("member")):
        client = as_person(app, person)
        assert client.get(url(slot)).status_code == 403
        assert client.post(url(slot, "notes/new"), data={"text": "Sneaky."}).status_code == 403
    assert notes_for(slot) == []
    analyst = as_person(app, make_user("analyst"))
    assert analyst.get(url(slot, "notes/print")).status_code == 200  # pseudonyms only
    assert app.test_client().get(url(slot)).status_code == 302  # sign in first


def test_the_console_shows_the_guide_and_participants_by_pseudonym_only(app, slot, staff):
    text = page_text(as_person(app, staff[0]).get(url(slot)))
    for question in slot.study.questions:
        assert question.text in text
    for prompt in slot.study.questions[0].prompt_list:
        assert prompt in text
    assert "P1" in text and "P3" in text
    assert "Priya" not in text and "volunteer" not in text.lower().replace("volunteers", "")


def test_a_study_titled_as_a_question_heads_the_console_without_a_colon(app, slot, staff):
    slot.study.title = "Who are our users?"
    db.session.commit()
    text = page_text(as_person(app, staff[0]).get(url(slot)))
    assert f"Who are our users? – session on {slot.starts_at.strftime('%-d %B %Y')}" in text
    assert "users?:" not in text


def test_a_note_posted_without_javascript_is_saved_with_names_replaced_and_the_section_kept(app, slot, staff):
    client = as_person(app, staff[1])
    question = slot.study.questions[2]
    response = client.post(
        url(slot, "notes/new"),
        data={
            "text": "Tom Evans: pupils are 70% of accounts",
            "guide_question": question.id,
            "participants": "P2",
            "kind": "quote",
        },
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    text = page_text(page)
    assert "Note saved. Names replaced with pseudonyms: P2." in text
    assert "“P2: pupils are 70% of accounts”" in text
    assert f'value="{question.id}" data-shortcut="3" checked' in page.get_data(as_text=True)  # last-used section
    note = db.session.scalar(select(Note))
    assert (note.kind, note.pseudonyms, note.created_by_id) == ("quote", ["P2"], staff[1].id)


def test_a_double_clicked_save_without_javascript_stores_the_note_once(app, slot, staff):
    import re

    client = as_person(app, staff[0])
    page = client.get(url(slot)).get_data(as_text=True)
    client_id = re.search(r'name="client_id" autocomplete="off" value="([0-9a-f]{32})"', page).group(1)
    data = {"text": "Same note, sent twice.", "kind": "observation", "client_id": client_id}
    assert client.post(url(slot, "notes/new"), data=data).status_code == 302
    assert client.post(url(slot, "notes/new"), data=data).status_code == 302
    assert [n.text for n in notes_for(slot)] == ["Same note, sent twice."]
    fresh = client.get(url(slot)).get_data(as_text=True)
    assert client_id not in fresh  # the next note gets its own id


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": ""}, "Enter the note"),
        ({"text": "y" * (NOTE_MAX_LENGTH + 5)}, "The note must be 2,000 characters or fewer (it has 2,005): split it"),
        ({"text": "Typed carefully.", "participants": "P7"}, "P7 is not a participant in this session"),
        (
            {"text": "Typed carefully.", "guide_question": "999999"},
            "Choose a question from this session's discussion guide",
        ),
    ],
)
def test_bad_notes_show_the_error_summary_and_keep_what_was_typed(app, slot, staff, data, message):
    response = as_person(app, staff[0]).post(url(slot, "notes/new"), data={"kind": "key_point", **data})
    text = page_text(response)
    assert response.status_code == 200
    assert "There is a problem" in text and message in text
    assert data["text"] in text  # nothing lost
    assert 'value="key_point" checked' in response.get_data(as_text=True)
    assert notes_for(slot) == []


def test_a_section_from_another_guide_is_refused(app, slot, staff, make_study):
    other = make_study(slots=1)
    response = as_person(app, staff[0]).post(
        url(slot, "notes/new"), data={"text": "Kept.", "guide_question": other.questions[0].id}
    )
    assert "Choose a question from this session's discussion guide, or General" in page_text(response)
    assert notes_for(slot) == []


def test_the_scripts_json_post_is_idempotent_and_reports_problems(app, slot, staff):
    client = as_person(app, staff[0])
    note = {"text": "Morag: we count devices", "kind": "quote", "guide_question": "general", "participants": ["P3"]}
    note |= {"client_id": "0f6e2c1a-7d3b-4a5e-9c8f-112233445566", "typed_at": "2055-03-01T10:05:00Z"}
    headers = {"Accept": "application/json"}
    first = client.post(url(slot, "notes/new"), data=note, headers=headers)
    assert first.status_code == 201
    assert first.json["created"] is True and first.json["replaced"] == ["P3"]
    assert f'id="note-{first.json["note_id"]}"' in first.json["html"]
    again = client.post(url(slot, "notes/new"), data=note, headers=headers)
    assert again.status_code == 200 and again.json["created"] is False
    assert again.json["note_id"] == first.json["note_id"]
    assert len(notes_for(slot)) == 1
    bad = client.post(url(slot, "notes/new"), data={"text": " ", "client_id": "aaaaaaaa-1"}, headers=headers)
    assert bad.status_code == 422 and bad.json["errors"] == {"text": "Enter the note"}


def test_a_stale_edit_shows_both_versions_and_overwrites_nothing(app, slot, staff):
    note, _ = add_note(slot, NoteInput("Original wording.", pseudonyms=["P1"]))
    db.session.commit()
    fran, nat = as_person(app, staff[0]), as_person(app, staff[1])
    assert 'name="version" value="1"' in nat.get(url(slot, f"notes/{note.id}/edit")).get_data(as_text=True)
    saved = fran.post(
        url(slot, f"notes/{note.id}/edit"),
        data={
            "text": "The first wording.",
            "version": "1",
            "participants": "P1",
            "kind": "observation",
            "guide_question": "general",
        },
    )
    assert saved.status_code == 302
    stale = nat.post(
        url(slot, f"notes/{note.id}/edit"),
        data={"text": "The second wording.", "version": "1", "kind": "observation", "guide_question": "general"},
    )
    text = page_text(stale)
    assert stale.status_code == 409
    assert "Someone changed this note" in text and "Nothing has been overwritten" in text
    assert "Your version (not saved)" in text and "The second wording." in text
    assert "The saved version" in text and "The first wording." in text
    assert 'name="version" value="2"' in stale.get_data(as_text=True)  # saving again is a deliberate choice
    db.session.expire_all()
    assert db.session.get(Note, note.id).text == "The first wording."


def test_history_delete_and_restore(app, slot, staff):
    note, _ = add_note(slot, NoteInput("Pupils are users."), by=staff[0])
    db.session.commit()
    client = as_person(app, staff[1])
    client.post(
        url(slot, f"notes/{note.id}/edit"),
        data={"text": "Pupils are users too.", "version": "1", "kind": "key_point", "guide_question": "general"},
    )
    deleted = client.post(url(slot, f"notes/{note.id}/delete"), data={"version": "2"}, follow_redirects=True)
    assert "Note deleted." in page_text(deleted)
    assert "Pupils are users too." not in page_text(client.get(url(slot)))
    assert "Pupils are users too." in page_text(client.get(url(slot, "notes/deleted")))
    history = page_text(client.get(url(slot, f"notes/{note.id}/history")))
    for words in ("Added (version 1)", "Changed (version 2)", "Deleted (version 3)", "Fran Facilitator", "Nat Notes"):
        assert words in history
    assert "Pupils are users." in history and "Key point" in history
    restored = client.post(url(slot, f"notes/{note.id}/restore"), follow_redirects=True)
    assert "Note restored." in page_text(restored)
    assert [n.id for n in notes_for(slot)] == [note.id]


def test_the_proportion_grid_validates_keeps_typed_values_and_flags_rows(app, slot, staff):
    client = as_person(app, staff[0])
    people = {p.pseudonym: p for p in session_participants(slot)}
    bad = {
        share_field(people["P1"], "pupils"): "-3",
        share_field(people["P1"], "office_staff"): "abc",
        share_field(people["P2"], "pupils"): "250",
        share_field(people["P3"], "pupils"): "55.5",
    }
    response = client.post(url(slot, "proportions"), data=bad)
    text = page_text(response)
    assert "There is a problem" in text
    assert "P1's share of pupils must be between 0 and 100" in text
    assert "Enter P1's share of office-based staff as a number from 0 to 100, like 12.5" in text
    assert "P2's share of pupils must be between 0 and 100" in text
    for value in ('value="-3"', 'value="abc"', 'value="250"', 'value="55.5"'):
        assert value in response.get_data(as_text=True)
    assert 'name="grid_version" value="0"' in response.get_data(as_text=True)
    good = {share_field(people["P1"], "pupils"): "60", share_field(people["P1"], "office_staff"): "40"}
    good["grid_version"] = "0"
    good[share_field(people["P3"], "pupils")] = "55.5"
    saved = client.post(url(slot, "proportions"), data=good, follow_redirects=True)
    text = page_text(saved)
    assert "Proportions saved." in text
    assert "P3's shares add up to 55.5%, not 100%." in text
    assert "P1's shares add up" not in text


def test_complete_locks_the_notes_and_only_organisers_reopen_them(app, slot, staff, make_user):
    add_note(slot, NoteInput("Before."))
    db.session.commit()
    fran = as_person(app, staff[0])
    done = fran.post(url(slot, "notes/complete"), follow_redirects=True)
    assert "Notes marked complete" in page_text(done)
    refused = fran.post(url(slot, "notes/new"), data={"text": "Too late, but kept."})
    assert refused.status_code == 409
    assert "These notes are marked complete" in page_text(refused) and "Too late, but kept." in page_text(refused)
    assert fran.post(url(slot, "notes/reopen")).status_code == 403
    organiser = as_person(app, make_user("organiser"))
    assert "Notes reopened" in page_text(organiser.post(url(slot, "notes/reopen"), follow_redirects=True))
    assert fran.post(url(slot, "notes/new"), data={"text": "After."}).status_code == 302
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "slot")).all()
    assert "focus_groups.notes_completed" in actions and "focus_groups.notes_reopened" in actions


def test_print_and_downloads_carry_pseudonyms_and_never_names(app, slot, staff, make_user):
    q1, q4 = slot.study.questions[0], slot.study.questions[3]
    add_note(slot, NoteInput("Priya: a user is anyone with a login.", "quote", q1.id, ["P1"]))
    add_note(slot, NoteInput("=SUM(A1) schools get best efforts.", "observation", q4.id, ["P2"]))
    db.session.commit()
    analyst = as_person(app, make_user("analyst"))
    text = page_text(analyst.get(url(slot, "notes/print")))
    assert text.index("1. What is a user?") < text.index("P1: a user is anyone") < text.index("4. Whether particular")
    assert "Priya" not in text and "@example.org" not in text
    csv_response = analyst.get(url(slot, "notes.csv"))
    rows = list(csv.DictReader(io.StringIO(csv_response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r["pseudonyms"] for r in rows] == ["P1", "P2"]
    assert rows[0]["regions"] == "London" and rows[1]["supports_schools"] == "no"
    assert rows[1]["text"].startswith("'=SUM")  # formulas neutralised by the one CSV writer
    assert "Priya" not in csv_response.get_data(as_text=True)
    workbook = load_workbook(io.BytesIO(analyst.get(url(slot, "notes.xlsx")).data))
    assert workbook["notes"]["F2"].value == "P1"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "focus_groups.notes_exported"))
    assert analyst.get(url(slot, "notes.pdf")).status_code == 404


def test_the_debrief_is_saved_and_a_stale_save_shows_both(app, slot, staff):
    fran, nat = as_person(app, staff[0]), as_person(app, staff[1])
    saved = fran.post(
        url(slot, "debrief"), data={"debrief": "Priya led; lively.", "version": "0"}, follow_redirects=True
    )
    assert "Debrief saved. Names replaced with pseudonyms: P1." in page_text(saved)
    stale = nat.post(url(slot, "debrief"), data={"debrief": "My own view.", "version": "0"})
    text = page_text(stale)
    assert stale.status_code == 409
    assert "My own view." in text and "P1 led; lively." in text and "Nothing has been overwritten" in text


def test_the_session_page_links_to_the_console(app, slot, staff):
    text = as_person(app, staff[0]).get(f"/focus-groups/sessions/{slot.id}").get_data(as_text=True)
    assert f'href="/focus-groups/sessions/{slot.id}/notes"' in text


# --- review fixes: tampered input, stale grids, reused client ids, print and history ----------


@pytest.mark.parametrize("question", ["²", "9" * 5000, "1" * 30, "-1", "0"])
def test_a_tampered_guide_question_is_refused_with_the_note_kept(app, slot, staff, question):
    data = {"text": "Kept \x00 safe.", "guide_question": question}
    response = as_person(app, staff[0]).post(url(slot, "notes/new"), data=data)
    assert response.status_code == 200
    text = page_text(response)
    assert "Choose a question from this session's discussion guide" in text and "Kept  safe." in text
    assert notes_for(slot) == []


@pytest.mark.parametrize("version", ["²", "9" * 5000, "1" * 30, ""])
def test_a_tampered_version_is_treated_as_stale_not_a_server_error(app, slot, staff, version):
    note, _ = add_note(slot, NoteInput("Original."))
    db.session.commit()
    client = as_person(app, staff[0])
    edited = client.post(url(slot, f"notes/{note.id}/edit"), data={"text": "Mine.", "version": version})
    assert edited.status_code == 409 and "Mine." in page_text(edited)
    deleted = client.post(url(slot, f"notes/{note.id}/delete"), data={"version": version}, follow_redirects=True)
    assert "This note was not deleted" in page_text(deleted)
    debrief = client.post(url(slot, "debrief"), data={"debrief": "View.", "version": version})
    assert debrief.status_code == 409 and "View." in page_text(debrief)
    grid = client.post(url(slot, "proportions"), data={"grid_version": version})
    assert grid.status_code == 409
    db.session.expire_all()
    assert [n.text for n in notes_for(slot)] == ["Original."]


@pytest.mark.parametrize("path", ["notes", "notes/{big}/edit", "notes/{big}/history", "proportions", "debrief"])
def test_ids_too_large_for_the_database_are_not_found(app, slot, staff, path):
    big = "9" * 30
    client = as_person(app, staff[0])
    assert client.get(f"/focus-groups/sessions/{big}/{path.format(big=big)}").status_code == 404
    assert client.get(url(slot, path.format(big=big))).status_code in (200, 404)
    if "{big}" in path:
        assert client.get(url(slot, path.format(big=big))).status_code == 404
        assert client.post(url(slot, f"notes/{big}/delete"), data={"version": "1"}).status_code == 404


def test_nul_characters_are_dropped_from_notes_and_the_debrief(app, slot, staff):
    client = as_person(app, staff[0])
    assert client.post(url(slot, "notes/new"), data={"text": "Null\x00 byte."}).status_code == 302
    assert [n.text for n in notes_for(slot)] == ["Null byte."]
    assert client.post(url(slot, "debrief"), data={"debrief": "De\x00brief.", "version": "0"}).status_code == 302
    db.session.expire_all()
    assert session_notes(slot).debrief == "Debrief."


def test_a_stale_grid_page_is_refused_with_both_figures_shown(app, slot, staff):
    people = {p.pseudonym: p for p in session_participants(slot)}
    pupils = share_field(people["P1"], "pupils")
    fran, nat = as_person(app, staff[0]), as_person(app, staff[1])
    assert 'name="grid_version" value="0"' in nat.get(url(slot, "proportions")).get_data(as_text=True)
    fran.post(url(slot, "proportions"), data={pupils: "60", "grid_version": "0"})
    stale = nat.post(url(slot, "proportions"), data={pupils: "", "grid_version": "0"})  # Nat's page was blank
    text = page_text(stale)
    assert stale.status_code == 409 and "Nothing has been overwritten" in text and "Saved: 60" in text
    db.session.expire_all()
    assert proportion_rows(slot)[0].shares["pupils"] == 60
    page = nat.get(url(slot, "proportions"))
    assert 'value="60"' in page.get_data(as_text=True) and "blank → 60" in page_text(page)


def test_shares_are_redisplayed_exactly(app, slot, staff):
    people = {p.pseudonym: p for p in session_participants(slot)}
    cell = share_field(people["P1"], "pupils")
    client = as_person(app, staff[0])
    client.post(url(slot, "proportions"), data={cell: "12,345678", "grid_version": "0"})
    assert 'value="12.345678"' in client.get(url(slot, "proportions")).get_data(as_text=True)


def test_the_debrief_page_shows_its_history(app, slot, staff):
    client = as_person(app, staff[0])
    client.post(url(slot, "debrief"), data={"debrief": "First.", "version": "0"})
    client.post(url(slot, "debrief"), data={"debrief": "Second.", "version": "1"})
    text = page_text(client.get(url(slot, "debrief")))
    assert "History" in text and "Fran Facilitator (version 2)" in text
    assert text.index("Second.") < text.index("First.", text.index("History"))


def test_a_reused_client_id_with_a_different_note_is_saved_and_said_so(app, slot, staff):
    client = as_person(app, staff[0])
    page = client.get(url(slot)).get_data(as_text=True)
    assert 'name="client_id" autocomplete="off"' in page
    data = {"text": "One note.", "client_id": "reused-client-id"}
    assert client.post(url(slot, "notes/new"), data=data).status_code == 302
    second = client.post(url(slot, "notes/new"), data={**data, "text": "Another note."}, follow_redirects=True)
    assert "Note saved as a new note" in page_text(second)
    headers = {"Accept": "application/json"}
    third = client.post(url(slot, "notes/new"), data={**data, "text": "A third."}, headers=headers)
    assert third.status_code == 201 and third.json["renamed"] is True
    assert sorted(n.text for n in notes_for(slot)) == ["A third.", "Another note.", "One note."]


def test_the_print_page_lists_the_sessions_participants_not_people_who_declined(
    app, make_study, make_volunteer, staff, make_user
):
    slot = make_session(make_study, make_volunteer, facilitator=staff[0], statuses={3: "declined"})
    add_note(slot, NoteInput("About P1.", pseudonyms=["P1"]))
    db.session.commit()
    text = page_text(as_person(app, make_user("analyst")).get(url(slot, "notes/print")))
    assert "P1" in text and "P2" in text and "P3" not in text


def test_an_export_with_no_notes_still_has_its_header_row(app, slot, staff):
    body = as_person(app, staff[0]).get(url(slot, "notes.csv")).get_data(as_text=True).lstrip("\ufeff")
    assert body.splitlines()[0].startswith("note_id,session,guide_question_number")


def test_a_note_taken_before_or_after_the_session_says_so_instead_of_counting_minutes(app, slot, staff):
    from datetime import timedelta

    from app.clock import utcnow

    client = as_person(app, staff[0])
    slot.starts_at = utcnow() + timedelta(days=34)  # weeks away: "48958 min before the start" says nothing
    db.session.commit()
    client.post(url(slot, "notes/new"), data={"text": "Checked the room booking."})
    slot.starts_at = utcnow() - timedelta(minutes=12)
    db.session.commit()
    client.post(url(slot, "notes/new"), data={"text": "Warm-up is over."})
    slot.starts_at = utcnow() - timedelta(minutes=slot.duration_minutes + 30)
    db.session.commit()
    client.post(url(slot, "notes/new"), data={"text": "Follow-up call booked."})
    text = page_text(client.get(url(slot)))
    assert "(before the session)" in text and "min before" not in text
    assert "(12 min in)" in text
    assert "(after the session)" in text
    before = next(n for n in notes_for(slot) if n.text == "Checked the room booking.")
    assert "(before the session)" in page_text(client.get(url(slot, f"notes/{before.id}/history")))
    assert "(before the session)" in page_text(client.get(url(slot, "notes/print")))


def test_after_a_note_is_saved_without_javascript_the_kind_goes_back_to_an_observation(app, slot, staff):
    client = as_person(app, staff[0])
    note = {"text": "“It just works.”", "kind": "quote"}
    saved = client.post(url(slot, "notes/new"), data=note, follow_redirects=True)
    page = saved.get_data(as_text=True)
    assert "Note saved." in page_text(saved)
    assert 'value="observation" checked' in page and 'value="quote" checked' not in page


def test_grid_errors_sit_on_a_row_of_their_own_above_the_participant_s_row(app, slot, staff):
    import re

    people = {p.pseudonym: p for p in session_participants(slot)}
    pupils, office = share_field(people["P2"], "pupils"), share_field(people["P2"], "office_staff")
    response = as_person(app, staff[0]).post(url(slot, "proportions"), data={pupils: "250", office: "abc"})
    html = response.get_data(as_text=True)
    rows = re.findall(r"<tr class=\"govuk-table__row([^\"]*)\">(.*?)</tr>", html, re.S)
    errors_at = next(i for i, (kind, _) in enumerate(rows) if "app-grid-errors" in kind)
    cell = rows[errors_at][1]
    columns = html.count('<th scope="col"')
    assert f'colspan="{columns}"' in cell  # across the whole table
    assert "P2&#39;s share of pupils must be between 0 and 100" in cell
    assert "Enter P2&#39;s share of office-based staff as a number" in cell
    assert ">P2<br>" in rows[errors_at + 1][1]  # the row the errors are about comes next
    for name in (pupils, office):
        assert f'id="{name}-error"' in cell
        assert re.search(rf'id="{name}"[^>]*aria-describedby="{name}-error"', html)
    assert html.count("app-grid-errors") == 1  # only P2's row has problems
