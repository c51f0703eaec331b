"""The facilitator and the note-taker add and edit notes at the same moment, each through their own
client in their own thread and database connection: every note is kept, and of two edits made from
the same version exactly one lands while the other is refused with both versions shown.

Runs on the run's database: SQLite by default, PostgreSQL when TEST_DATABASE_URL points at a server
(as `make test` and CI do), where the two transactions truly overlap.
"""

from __future__ import annotations

import threading

from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.focus_groups.notes.models import Note, NoteRevision, SessionNotes, SessionRevision
from app.focus_groups.notes.taking import NoteInput, add_note
from tests.conftest import sign_in
from tests.focus_groups.notes.support import make_session

NOTES_EACH = 12


def _run_together(app: Flask, jobs: list) -> list:
    """Run each job(client) in its own thread with its own app context and signed-in client, all at once."""
    start = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)
    errors: list[BaseException] = []

    def worker(index: int, email: str, job) -> None:
        with app.app_context():
            try:
                client = app.test_client()
                assert sign_in(client, email).status_code == 302
                start.wait(timeout=20)
                results[index] = job(client)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i, email, job)) for i, (email, job) in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


def test_two_people_adding_notes_at_once_keep_every_note(app, make_study, make_volunteer, make_user):
    facilitator, note_taker = make_user("facilitator"), make_user("facilitator")
    slot = make_session(make_study, make_volunteer, facilitator=facilitator, note_taker=note_taker)
    path = f"/focus-groups/sessions/{slot.id}/notes/new"

    def adder(who: str):
        def job(client):
            statuses = []
            for n in range(NOTES_EACH):
                data = {"text": f"{who} note {n}", "participants": "P1", "client_id": f"{who}-client-{n:04d}"}
                statuses.append(client.post(path, data=data, headers={"Accept": "application/json"}).status_code)
                # The same note resent at once (a retry after a dropped connection) is stored once.
                statuses.append(client.post(path, data=data, headers={"Accept": "application/json"}).status_code)
            return statuses

        return job

    results = _run_together(app, [(facilitator.email, adder("fran")), (note_taker.email, adder("nat"))])
    for statuses in results:
        assert statuses == [201, 200] * NOTES_EACH
    db.session.rollback()  # end the test's own read transaction, to see what the threads committed
    texts = sorted(db.session.scalars(select(Note.text).where(Note.slot_id == slot.id)))
    assert texts == sorted(f"{who} note {n}" for who in ("fran", "nat") for n in range(NOTES_EACH))


def test_two_edits_from_the_same_version_one_lands_and_the_other_is_refused(app, make_study, make_volunteer, make_user):
    facilitator, note_taker = make_user("facilitator"), make_user("facilitator")
    slot = make_session(make_study, make_volunteer, facilitator=facilitator, note_taker=note_taker)
    notes = [add_note(slot, NoteInput(f"Original {n}."))[0] for n in range(6)]
    db.session.commit()
    ids = [note.id for note in notes]

    def editor(who: str):
        def job(client):
            outcomes = {}
            for note_id in ids:
                data = {"text": f"{who}'s edit", "version": "1", "kind": "observation", "guide_question": "general"}
                response = client.post(f"/focus-groups/sessions/{slot.id}/notes/{note_id}/edit", data=data)
                outcomes[note_id] = (response.status_code, response.get_data(as_text=True))
            return outcomes

        return job

    fran, nat = _run_together(app, [(facilitator.email, editor("Fran")), (note_taker.email, editor("Nat"))])
    db.session.rollback()  # end the test's own read transaction, to see what the threads committed
    for note_id in ids:
        statuses = sorted((fran[note_id][0], nat[note_id][0]))
        assert statuses == [302, 409], (note_id, statuses)  # one saved, one refused
        note = db.session.get(Note, note_id)
        winner = "Fran" if fran[note_id][0] == 302 else "Nat"
        loser_page = (nat if winner == "Fran" else fran)[note_id][1]
        assert note.text == f"{winner}'s edit" and note.version == 2
        assert "Nothing has been overwritten" in loser_page and f"{winner}&#39;s edit" in loser_page
        edits = db.session.scalar(
            select(func.count(NoteRevision.id)).where(NoteRevision.note_id == note_id, NoteRevision.action == "edited")
        )
        assert edits == 1


SESSIONS = 4


def test_two_debrief_saves_from_the_same_version_one_lands_and_both_are_in_the_history(
    app, make_study, make_volunteer, make_user
):
    facilitator, note_taker = make_user("facilitator"), make_user("facilitator")
    slots = [
        make_session(make_study, make_volunteer, facilitator=facilitator, note_taker=note_taker)
        for _ in range(SESSIONS)
    ]
    ids = [slot.id for slot in slots]

    def writer(who: str):
        def job(client):
            return {
                slot_id: client.post(
                    f"/focus-groups/sessions/{slot_id}/debrief", data={"debrief": f"{who}'s debrief", "version": "0"}
                ).status_code
                for slot_id in ids
            }

        return job

    fran, nat = _run_together(app, [(facilitator.email, writer("Fran")), (note_taker.email, writer("Nat"))])
    db.session.rollback()
    for slot_id in ids:
        assert sorted((fran[slot_id], nat[slot_id])) == [302, 409], slot_id
        state = db.session.get(SessionNotes, slot_id)
        assert state.debrief_version == 1
        revisions = db.session.scalars(select(SessionRevision).where(SessionRevision.slot_id == slot_id)).all()
        assert [(r.version, r.after["text"]) for r in revisions] == [(1, state.debrief)]


def test_marking_complete_while_the_debrief_is_saved_is_never_a_server_error(
    app, make_study, make_volunteer, make_user
):
    facilitator, note_taker = make_user("facilitator"), make_user("facilitator")
    slots = [
        make_session(make_study, make_volunteer, facilitator=facilitator, note_taker=note_taker)
        for _ in range(SESSIONS)
    ]
    ids = [slot.id for slot in slots]

    def completer(client):
        return [client.post(f"/focus-groups/sessions/{slot_id}/notes/complete").status_code for slot_id in ids]

    def debriefer(client):
        data = {"debrief": "Written at the last moment.", "version": "0"}
        return [client.post(f"/focus-groups/sessions/{slot_id}/debrief", data=data).status_code for slot_id in ids]

    def adder(client):
        data = {"text": "A last note.", "client_id": "last-note-0001"}
        return [client.post(f"/focus-groups/sessions/{slot_id}/notes/new", data=data).status_code for slot_id in ids]

    results = _run_together(
        app, [(facilitator.email, completer), (note_taker.email, debriefer), (note_taker.email, adder)]
    )
    db.session.rollback()
    assert results[0] == [302] * SESSIONS
    assert set(results[1]) <= {302} and set(results[2]) <= {302, 409}, results
    for slot_id, added in zip(ids, results[2], strict=True):
        assert db.session.get(SessionNotes, slot_id).completed_at is not None
        stored = db.session.scalars(select(Note.text).where(Note.slot_id == slot_id)).all()
        assert stored == (["A last note."] if added == 302 else [])
