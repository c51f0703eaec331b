"""The facilitator's console: taking notes live against the discussion guide, changing them without
overwriting anyone, their history, the proportion grid, the debrief, marking them complete, and
printing or downloading them.

Every page works with plain form posts; the console's script (static/js/notes.mjs) posts the same
form with `Accept: application/json` and gets JSON back, so it can keep unsent notes and resend them.
Access: the session's facilitator and note-taker, organisers and admins (analysts may also print and
download, which carry pseudonyms only).
"""

from __future__ import annotations

import io
import os
import tempfile
import uuid
from pathlib import Path

from flask import abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask import session as browser_session  # the cookie; "session" here means a group's meeting
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy.orm.exc import StaleDataError

from app.auth.decorators import role_required
from app.auth.roles import ADMIN, ANALYST, FACILITATOR, LEAD_ANALYST, MANAGERS, ORGANISER
from app.clock import london
from app.extensions import db
from app.focus_groups import bp
from app.focus_groups.models import Slot
from app.focus_groups.notes.access import can_read_notes, can_take_notes, session_participants
from app.focus_groups.notes.debrief import StaleDebrief, save_debrief
from app.focus_groups.notes.forms import GENERAL, entered, expected_version, note_input, typed_at
from app.focus_groups.notes.models import DEBRIEF_MAX_LENGTH, NOTE_KINDS, NOTE_MAX_LENGTH, USER_CATEGORIES, Note
from app.focus_groups.notes.output import NOTES_TABLE_COLUMNS, export_notes_table
from app.focus_groups.notes.proportions import StaleGrid, proportion_rows, save_proportions, share_field, share_text
from app.focus_groups.notes.taking import (
    NoteProblem,
    NotesLocked,
    StaleNote,
    add_note,
    complete_notes,
    delete_note,
    edit_note,
    is_locked,
    notes_by_question,
    notes_for,
    reopen_notes,
    restore_note,
    session_notes,
    session_revisions,
)
from app.focus_groups.recruitment.forms import without_nul
from app.focus_groups.services import slot_ends_at
from app.identifiers import get_or_404
from app.tables import write_table

SESSION_STAFF = (FACILITATOR, ORGANISER, ADMIN)
NOTE_READERS = (FACILITATOR, ORGANISER, ADMIN, ANALYST, LEAD_ANALYST)
EXPORT_TYPES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
LOCKED_MESSAGE = "These notes are marked complete, so they cannot be changed. An organiser can reopen them."


def _staff_session(slot_id: int) -> Slot:
    """The session, for its facilitator or note-taker, or an organiser or admin; others get 403."""
    slot = get_or_404(Slot, slot_id)
    if not can_take_notes(current_user, slot):
        abort(403)
    return slot


def _readable_session(slot_id: int) -> Slot:
    """The session, for its staff, organisers, admins and analysts (who see pseudonyms only)."""
    slot = get_or_404(Slot, slot_id)
    if not can_read_notes(current_user, slot):
        abort(403)
    return slot


def note_or_404(slot: Slot, note_id: int) -> Note:
    """One of the session's notes, or a 404 page (also for an id no row can have)."""
    note = get_or_404(Note, note_id)
    if note.slot_id != slot.id:
        abort(404)
    return note


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _section_key(slot: Slot) -> str:
    return f"notes_section_{slot.id}"


def _replaced_message(replaced: list[str]) -> str:
    return f" Names replaced with pseudonyms: {', '.join(replaced)}." if replaced else ""


def _console(slot: Slot, errors: dict | None = None, typed: dict | None = None, status: int = 200):
    """The console page; after a problem, the error summary and everything as typed."""
    state = session_notes(slot)
    locked = state is not None and state.completed_at is not None
    typed = typed or {
        "text": "",
        "kind": "observation",
        "guide_question": browser_session.get(_section_key(slot), GENERAL),
        "participants": [],
    }
    return (
        render_template(
            "focus_groups/notes/console.html",
            errors=errors or {},
            typed=typed,
            notes=notes_for(slot),
            deleted_count=len(notes_for(slot, deleted=True)),
            locked=locked,
            state=state,
            **_context(slot),
        ),
        status,
    )


def _context(slot: Slot) -> dict:
    return {
        "slot": slot,
        "study": slot.study,
        "questions": slot.study.questions,
        "participants": session_participants(slot),
        "kinds": NOTE_KINDS,
        "general": GENERAL,
        "starts_at": london(slot.starts_at),
        "ends_at": london(slot_ends_at(slot)),
        "note_max_length": NOTE_MAX_LENGTH,
        "is_manager": current_user.has_role(*MANAGERS),
        # Without JavaScript, the form's own id makes a double-clicked Save store the note once.
        "form_client_id": uuid.uuid4().hex,
    }


@bp.route("/sessions/<int:slot_id>/notes")
@role_required(*SESSION_STAFF)
def notes_console(slot_id: int):
    """The console: the discussion guide, the composer and the session's notes, newest first."""
    return _console(_staff_session(slot_id))


@bp.route("/sessions/<int:slot_id>/notes/new", methods=["POST"])
@role_required(*SESSION_STAFF)
def add_session_note(slot_id: int):
    """Save one note (a form post, or JSON for the console's script); a resent note is stored once."""
    slot = _staff_session(slot_id)
    entry = note_input(request.form)
    browser_session[_section_key(slot)] = entered(entry)["guide_question"]  # the last-used section stays selected
    client_id = (request.form.get("client_id") or "").strip() or None
    try:
        note, created = add_note(slot, entry, by=current_user, client_id=client_id, typed_at=typed_at(request.form))
    except NotesLocked:
        if _wants_json():
            return jsonify(errors={"text": LOCKED_MESSAGE}, locked=True), 409
        return _console(slot, {"text": LOCKED_MESSAGE}, entered(entry), 409)
    except NoteProblem as problem:
        if _wants_json():
            return jsonify(errors=problem.errors), 422
        return _console(slot, problem.errors, entered(entry))
    replaced = list(note.names_replaced or []) if created else []
    # The client id was already used for a different note: this one was stored as a new note.
    renamed = created and client_id is not None and note.client_id != client_id
    message = "Note saved as a new note (this form had already saved a different one)." if renamed else "Note saved."
    if _wants_json():
        html = render_template("focus_groups/notes/_note.html", note=note, slot=slot, locked=False)
        return jsonify(
            note_id=note.id, created=created, renamed=renamed, replaced=replaced, html=html, message=message
        ), (201 if created else 200)
    flash(message + _replaced_message(replaced), "success")
    return redirect(url_for("focus_groups.notes_console", slot_id=slot.id) + "#composer")


@bp.route("/sessions/<int:slot_id>/notes/<int:note_id>/edit", methods=["GET", "POST"])
@role_required(*SESSION_STAFF)
def edit_session_note(slot_id: int, note_id: int):
    """Change a note; if someone changed it meanwhile, show both versions and overwrite nothing."""
    slot = _staff_session(slot_id)
    note = note_or_404(slot, note_id)
    if is_locked(slot):
        flash(LOCKED_MESSAGE, "important")
        return redirect(url_for("focus_groups.notes_console", slot_id=slot.id))
    if request.method == "GET":
        typed = {
            "text": note.text,
            "kind": note.kind,
            "guide_question": str(note.guide_question_id) if note.guide_question_id else GENERAL,
            "participants": list(note.pseudonyms or []),
        }
        return _edit_page(slot, note, typed, note.version)
    entry = note_input(request.form)
    try:
        replaced = edit_note(note, entry, expected_version=expected_version(request.form), by=current_user)
    except (StaleNote, StaleDataError):
        saved = note_or_404(slot, note_id)
        db.session.refresh(saved)
        return _edit_page(slot, saved, entered(entry), saved.version, stale=True, status=409)
    except NoteProblem as problem:
        return _edit_page(slot, note, entered(entry), expected_version(request.form), errors=problem.errors)
    except NotesLocked:
        flash(LOCKED_MESSAGE, "important")
        return redirect(url_for("focus_groups.notes_console", slot_id=slot.id))
    flash("Note changed." + _replaced_message(replaced), "success")
    return redirect(url_for("focus_groups.notes_console", slot_id=slot.id) + f"#note-{note.id}")


def _edit_page(slot, note, typed, version, *, stale=False, errors=None, status=200):
    people = {p.pseudonym for p in session_participants(slot)}
    extra = [p for p in (note.pseudonyms or []) if p not in people]
    return (
        render_template(
            "focus_groups/notes/edit.html",
            note=note,
            typed=typed,
            version=version,
            stale=stale,
            errors=errors or {},
            former_participants=extra,
            **_context(slot),
        ),
        status,
    )


@bp.route("/sessions/<int:slot_id>/notes/<int:note_id>/delete", methods=["POST"])
@role_required(*SESSION_STAFF)
def delete_session_note(slot_id: int, note_id: int):
    """Delete a note softly (it can be restored from the deleted notes)."""
    slot = _staff_session(slot_id)
    note = note_or_404(slot, note_id)
    try:
        delete_note(note, expected_version=expected_version(request.form), by=current_user)
    except NotesLocked:
        flash(LOCKED_MESSAGE, "important")
    except (StaleNote, StaleDataError):
        flash(
            "This note was not deleted: someone changed it since you opened the page, or the page was out of date. "
            "Check it first.",
            "important",
        )
    else:
        link = url_for("focus_groups.deleted_session_notes", slot_id=slot.id)
        flash(Markup('Note deleted. <a class="govuk-link" href="{}">Restore it</a>').format(escape(link)), "success")
    return redirect(url_for("focus_groups.notes_console", slot_id=slot.id))


@bp.route("/sessions/<int:slot_id>/notes/<int:note_id>/restore", methods=["POST"])
@role_required(*SESSION_STAFF)
def restore_session_note(slot_id: int, note_id: int):
    """Bring back a deleted note."""
    slot = _staff_session(slot_id)
    note = note_or_404(slot, note_id)
    try:
        restore_note(note, by=current_user)
    except NotesLocked:
        flash(LOCKED_MESSAGE, "important")
        return redirect(url_for("focus_groups.deleted_session_notes", slot_id=slot.id))
    flash("Note restored.", "success")
    return redirect(url_for("focus_groups.notes_console", slot_id=slot.id) + f"#note-{note.id}")


@bp.route("/sessions/<int:slot_id>/notes/<int:note_id>/history")
@role_required(*SESSION_STAFF)
def session_note_history(slot_id: int, note_id: int):
    """Every change to a note: who, when, before and after."""
    slot = _staff_session(slot_id)
    note = note_or_404(slot, note_id)
    questions = {q.id: q for q in slot.study.questions}
    return render_template(
        "focus_groups/notes/history.html",
        note=note,
        revisions=list(reversed(note.revisions)),
        question_texts=questions,
        locked=is_locked(slot),
        **_context(slot),
    )


@bp.route("/sessions/<int:slot_id>/notes/deleted")
@role_required(*SESSION_STAFF)
def deleted_session_notes(slot_id: int):
    """The session's deleted notes, each with Restore."""
    slot = _staff_session(slot_id)
    return render_template(
        "focus_groups/notes/deleted.html", notes=notes_for(slot, deleted=True), locked=is_locked(slot), **_context(slot)
    )


# --- the proportion grid ----------------------------------------------------------------------


@bp.route("/sessions/<int:slot_id>/proportions", methods=["GET", "POST"])
@role_required(*SESSION_STAFF)
def session_proportions(slot_id: int):
    """Each participant's estimate of the share of their ICT users in each user category.

    The form carries the grid's version: a save from a page opened before someone else's save is
    refused, with their figures and yours side by side (nothing overwritten).
    """
    slot = _staff_session(slot_id)
    state = session_notes(slot)
    if request.method == "GET":
        return _proportions_page(slot, state.grid_version if state else 0)
    version = expected_version(request.form, "grid_version")
    typed = {key: without_nul(value) for key, value in request.form.items() if key.startswith("share-")}
    try:
        errors = save_proportions(slot, request.form, expected_version=version, by=current_user)
    except NotesLocked:
        flash(LOCKED_MESSAGE, "important")
        return redirect(url_for("focus_groups.session_proportions", slot_id=slot.id))
    except StaleGrid:
        state = session_notes(slot)  # saving again replaces the saved figures, knowingly
        return _proportions_page(slot, state.grid_version if state else 0, typed=typed, stale=True)
    if errors:
        return _proportions_page(slot, version or 0, typed=typed, errors=errors)
    flash("Proportions saved.", "success")
    return redirect(url_for("focus_groups.session_proportions", slot_id=slot.id))


def _proportions_page(slot: Slot, version: int, *, typed: dict | None = None, stale: bool = False, errors=None):
    """The grid as saved; after a refusal, what was typed, and the saved figures beside it."""
    rows = proportion_rows(slot)
    saved = {share_field(row.placement, c): share_text(v) for row in rows for c, v in row.shares.items()}
    return render_template(
        "focus_groups/notes/proportions.html",
        rows=rows,
        typed=saved if typed is None else typed,
        saved=saved,
        stale=stale,
        version=version,
        revisions=session_revisions(slot, "proportions"),
        pseudonyms={str(p.id): p.pseudonym for p in slot.placements if p.pseudonym},
        errors=errors or {},
        categories=USER_CATEGORIES,
        share_field=share_field,
        share_text=share_text,
        locked=is_locked(slot),
        **_context(slot),
    ), (409 if stale else 200)


# --- the debrief ------------------------------------------------------------------------------


@bp.route("/sessions/<int:slot_id>/debrief", methods=["GET", "POST"])
@role_required(*SESSION_STAFF)
def session_debrief(slot_id: int):
    """The facilitator's debrief, written straight after the session (versioned: no overwriting)."""
    slot = _staff_session(slot_id)
    state = session_notes(slot)
    text = state.debrief if state else ""
    version = state.debrief_version if state else 0
    errors: dict[str, str] = {}
    stale = None
    if request.method == "POST":
        text = without_nul(request.form.get("debrief", ""))
        try:
            replaced = save_debrief(slot, text, expected_version=expected_version(request.form), by=current_user)
            flash("Debrief saved." + _replaced_message(replaced), "success")
            return redirect(url_for("focus_groups.session_debrief", slot_id=slot.id))
        except StaleDebrief:
            stale = session_notes(slot)
            version = stale.debrief_version
        except NoteProblem as problem:
            errors = problem.errors
            version = expected_version(request.form) or 0
        except NotesLocked:
            flash(LOCKED_MESSAGE, "important")
            return redirect(url_for("focus_groups.session_debrief", slot_id=slot.id))
    return render_template(
        "focus_groups/notes/debrief.html",
        text=text,
        version=version,
        errors=errors,
        stale=stale,
        state=state,
        revisions=session_revisions(slot, "debrief"),
        max_length=DEBRIEF_MAX_LENGTH,
        locked=is_locked(slot),
        **_context(slot),
    ), (409 if stale else 200)


# --- complete and reopen ----------------------------------------------------------------------


@bp.route("/sessions/<int:slot_id>/notes/complete", methods=["POST"])
@role_required(*SESSION_STAFF)
def complete_session_notes(slot_id: int):
    """Mark the notes complete: they are locked (an organiser can reopen them)."""
    slot = _staff_session(slot_id)
    complete_notes(slot, by=current_user)
    flash("Notes marked complete. They can no longer be changed.", "success")
    return redirect(url_for("focus_groups.notes_console", slot_id=slot.id))


@bp.route("/sessions/<int:slot_id>/notes/reopen", methods=["POST"])
@role_required(*MANAGERS)
def reopen_session_notes(slot_id: int):
    """Reopen completed notes so they can be changed again (organisers and admins)."""
    slot = get_or_404(Slot, slot_id)
    reopen_notes(slot, by=current_user)
    flash("Notes reopened: they can be changed again.", "success")
    return redirect(url_for("focus_groups.notes_console", slot_id=slot.id))


# --- out of the console -----------------------------------------------------------------------


@bp.route("/sessions/<int:slot_id>/notes/print")
@role_required(*NOTE_READERS)
def print_session_notes(slot_id: int):
    """The session's notes grouped by guide question, for printing (pseudonyms only)."""
    slot = _readable_session(slot_id)
    state = session_notes(slot)
    groups = notes_by_question(slot)
    rows = [row for row in proportion_rows(slot) if row.given]
    # The session's participants, and anyone a note or the grid still refers to; not people who declined.
    shown = {p.pseudonym for p in session_participants(slot)} | {row.placement.pseudonym for row in rows}
    shown |= {pseudonym for _, notes in groups for note in notes for pseudonym in note.pseudonyms or []}
    return render_template(
        "focus_groups/notes/print.html",
        groups=groups,
        people={p.pseudonym: p for p in slot.placements if p.pseudonym in shown},
        rows=rows,
        categories=USER_CATEGORIES,
        state=state,
        **_context(slot),
    )


@bp.route("/sessions/<int:slot_id>/notes.<fmt>")
@role_required(*NOTE_READERS)
def export_session_notes(slot_id: int, fmt: str):
    """The session's notes as CSV or XLSX (pseudonyms, region, council type; never names). Audit-logged."""
    if fmt not in EXPORT_TYPES:
        abort(404)
    slot = _readable_session(slot_id)
    table = export_notes_table(slot, fmt)  # a GET that writes (the audit event)
    handle, path = tempfile.mkstemp(suffix=f".{fmt}")
    os.close(handle)
    try:
        write_table(table, fmt, path, sheet="notes", columns=NOTES_TABLE_COLUMNS)
        content = Path(path).read_bytes()  # a session's notes are small: no temporary file outlives the request
    finally:
        os.remove(path)
    name = f"session-{slot.id}-notes-{london(slot.starts_at):%Y-%m-%d}.{fmt}"
    return send_file(io.BytesIO(content), mimetype=EXPORT_TYPES[fmt], as_attachment=True, download_name=name)


@bp.app_template_filter("minutes_in")
def minutes_in(minutes: int, duration_minutes: int | None = None) -> str:
    """When a note was taken, as the note shows it: "12 min in" during the session, otherwise "before
    the session" or (past its `duration_minutes`) "after the session" - minutes from a start days away
    say nothing."""
    if minutes < 0:
        return "before the session"
    if duration_minutes is not None and minutes > duration_minutes:
        return "after the session"
    return f"{minutes} min in"
