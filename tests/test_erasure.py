"""Erasure leaves nothing behind (issue 11, finding 3).

A person with a distinctive name and address acts everywhere the service keeps data; then they are
erased (an account holder) or withdraw (a volunteer). Every text and JSON column of every table is
then read back and searched for their name parts and address, case-insensitively; on SQLite the
database file and its write-ahead log are searched byte for byte too.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import JSON, String, select

from app.audit.models import AuditEvent
from app.auth.erasure import Erasure
from app.auth.mfa.services import encrypt_secret, new_secret
from app.auth.models import RecoveryCode, User
from app.auth.services import invite_person
from app.email.models import OutboxMessage
from app.extensions import db
from app.focus_groups.models import Placement, Volunteer
from app.focus_groups.notes.debrief import save_debrief
from app.focus_groups.notes.output import notes_table
from app.focus_groups.notes.pseudonyms import people_to_hide, pseudonymise, scrub_stored_notes
from app.focus_groups.notes.taking import NoteInput, StaleNote, add_note, edit_note
from app.focus_groups.recruitment.consent import CURRENT_CONSENT_VERSION
from app.focus_groups.scheduling.emails import email_volunteer
from app.focus_groups.scheduling.withdrawal import withdraw_volunteer
from app.focus_groups.services import new_salt, volunteer_token
from app.focus_groups.studies.services import add_slot, create_study
from app.jobs.models import Job
from app.surveys.invitations.services import invite_organisation
from app.surveys.models import Answer, Invitation
from app.surveys.services import ensure_default_survey
from tests.conftest import sign_in
from tests.surveys.conftest import answer_page

NAME = "Zephyrine Quillfeather"
ADDRESS = "zephyrine.quillfeather@ravenmoor.example"
PHONE = "07700 900461"
NEEDLES = ("Zephyrine", "Quillfeather", ADDRESS)


def traces(*needles: str) -> list[str]:
    """Where any of the needles is held, case-insensitively: every text and JSON column of every table."""
    db.session.commit()
    found = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | JSON)]
        if not columns:
            continue
        keys = list(table.primary_key.columns)
        for row in db.session.execute(select(*keys, *columns)):
            key, values = row[: len(keys)], row[len(keys) :]
            for column, value in zip(columns, values, strict=True):
                if value is None:
                    continue
                held = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                for needle in needles:
                    if needle.lower() in held.lower():
                        found.append(f"{table.name}.{column.name} {tuple(key)}: {needle!r} in {held[:160]!r}")
    return found


def file_traces(needle: str) -> list[str]:
    """On SQLite, which of the database's files hold the needle's bytes (any case)."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        return []
    path = Path(url.database)
    return [
        candidate.name
        for candidate in (path, Path(f"{path}-wal"))
        if candidate.exists() and needle.lower().encode() in candidate.read_bytes().lower()
    ]


def _study_with_session(facilitator=None):
    study = create_study("Who are our users?")
    first = add_slot(study, datetime(2055, 3, 1, 10, 0, tzinfo=UTC), location="https://meet.example.org/1")
    second = add_slot(study, datetime(2055, 3, 8, 10, 0, tzinfo=UTC), location="https://meet.example.org/2")
    for slot in (first, second):
        slot.status = "confirmed"
        slot.facilitator_id = getattr(facilitator, "id", None)
    db.session.commit()
    return study, first, second


def _volunteer(study, name: str, email: str, **kwargs) -> Volunteer:
    volunteer = Volunteer(
        study_id=study.id,
        name=name,
        email=email,
        job_role="Head of digital",
        organisation_name="Ravenmoor Borough Council",
        region="london",
        council_type="london-borough",
        consented_at=datetime.now(UTC),
        consent_version=CURRENT_CONSENT_VERSION,
        salt=new_salt(),
        **kwargs,
    )
    db.session.add(volunteer)
    db.session.flush()
    return volunteer


def _place(slot, volunteer, *, pseudonym: str | None, role: str = "participant", status: str = "invited"):
    placement = Placement(
        study_id=slot.study_id,
        slot_id=slot.id,
        volunteer_id=volunteer.id,
        role=role,
        status=status,
        pseudonym=pseudonym,
    )
    db.session.add(placement)
    db.session.flush()
    return placement


# --- an account holder is erased --------------------------------------------------------------


def test_an_erased_person_is_found_in_no_column_of_any_table_nor_in_the_files(
    app, client, make_user, make_organisation
):
    admin = make_user("admin", name="Ada Lovelace", email="ada@socitm.example")
    organisation = make_organisation(name="Ravenmoor Borough Council", contact_email=ADDRESS)
    colleague = make_user("member", name="Bryn Colleague", email="bryn@ravenmoor.example", organisation=organisation)
    # Notes taken before they had an account (nothing then knew their name), and changed since.
    study, slot, _ = _study_with_session(facilitator=admin)
    priya = _volunteer(study, "Priya Shah", "priya@lambeth.example")
    _place(slot, priya, pseudonym="P1", status="accepted")
    db.session.commit()
    early, _ = add_note(slot, NoteInput(f"{NAME} from Ravenmoor will facilitate; ask Zephyrine first."), by=admin)
    edit_note(early, NoteInput(f"{NAME} ({ADDRESS}) will facilitate."), expected_version=1, by=admin)
    db.session.commit()

    person = make_user(("member", "facilitator"), name=NAME, email=ADDRESS, organisation=organisation)
    slot.facilitator_id = person.id
    _volunteer(study, NAME, ADDRESS, user_id=person.id)  # they volunteered for another group too
    db.session.commit()
    # They sign in (once wrongly), from their own browser.
    browser = app.test_client()
    sign_in(browser, ADDRESS, "not my password")
    assert sign_in(browser, ADDRESS).status_code == 302
    # Their council's invitation goes to them; they answer for it and save for later (an email to them).
    survey = ensure_default_survey()
    assert invite_organisation(survey, organisation, by=admin) is None
    browser.post("/surveys/schools-ict/start")
    saved = answer_page(browser, "provides", {"provides_education": "no"}, action="save_exit")
    assert saved.status_code == 200
    reason = {"pupils_should_count": "disagree", "pupils_reason": f"Ask {NAME} ({ADDRESS}) why."}
    assert answer_page(browser, "pupils_as_users", reason, action="save_exit").status_code == 200
    # A background job whose record names them.
    db.session.add(Job(kind="export", title=f"Export for {NAME}", message=ADDRESS, result={"sent": [ADDRESS]}))
    # They invite a colleague (an email that names them).
    newcomer = "newcomer@ravenmoor.example"
    invite_person(email=newcomer, name="Nia Newcomer", roles=["analyst"], organisation_id=None, invited_by=person)
    # In the focus group they take notes and write the debrief; others name them in notes.
    add_note(slot, NoteInput("Pupils are users here."), by=person)
    add_note(slot, NoteInput(f"Zephyrine summed up; {NAME} can be reached on {PHONE} or {ADDRESS}."), by=admin)
    save_debrief(slot, "A good session, Zephyrine thought.", expected_version=0, by=person)
    db.session.commit()
    # They have since set up two-factor authentication.
    person.totp_secret_encrypted, person.totp_enrolled_at = encrypt_secret(new_secret()), datetime.now(UTC)
    db.session.add(RecoveryCode(user_id=person.id, code_hash="0" * 64))
    assert traces(*NEEDLES)  # the test can see them before

    sign_in(client, "ada@socitm.example")
    assert client.post(f"/admin/people/{person.id}/erase").status_code == 302

    assert traces(*NEEDLES) == []
    assert file_traces(ADDRESS) == []
    label = f"Erased person {person.id}"
    db.session.expire_all()
    erased = db.session.get(User, person.id)
    assert erased.name == label and erased.totp_secret_encrypted is None and not erased.has_two_factor
    assert db.session.scalars(select(RecoveryCode)).all() == []
    theirs = db.session.scalars(select(AuditEvent).where(AuditEvent.actor_id == person.id)).all()
    assert theirs and {e.actor_label for e in theirs} == {label} and {e.ip_address for e in theirs} == {None}
    (failed,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.sign_in_failed")).all()
    assert failed.ip_address is None and failed.detail == {"email": label}
    assert {a.updated_by_label for a in db.session.scalars(select(Answer))} == {label}
    assert f"Ask {label} ({label}) why." in {a.value for a in db.session.scalars(select(Answer))}
    assert db.session.scalar(select(Invitation.email)) == colleague.email  # their council is still invited
    to_them = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == label)).all()
    assert to_them and all(m.text_body is None and m.html_body is None for m in to_them)
    (invitation,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == newcomer))
    assert f"{label} has invited you" in invitation.text_body
    notes = [row["text"] for row in notes_table(slot)]
    assert "[name] summed up; [name] can be reached on [phone] or [email]." in notes
    assert "[name] ([email]) will facilitate." in notes  # stored before they had an account, taken out now


# --- a volunteer withdraws --------------------------------------------------------------------


def test_a_withdrawn_volunteer_is_found_in_no_column_of_any_table_nor_in_the_files(app, client, make_user):
    facilitator = make_user("facilitator", name="Fran Okoro", email="fran@socitm.example")
    study, slot, other_slot = _study_with_session(facilitator=facilitator)
    priya = _volunteer(study, "Priya Shah", "priya@lambeth.example")
    _place(slot, priya, pseudonym="P1", status="accepted")
    db.session.commit()
    # A note from before they volunteered: nothing then knew their name.
    add_note(slot, NoteInput(f"{NAME} of Ravenmoor may join us; Zephyrine is at {ADDRESS}."), by=facilitator)
    db.session.commit()

    leaver = _volunteer(study, NAME, ADDRESS)
    placement = _place(slot, leaver, pseudonym="P2")
    db.session.commit()
    email_volunteer(placement, "invite")
    db.session.commit()
    visitor = app.test_client()  # the volunteer, from their own browser
    visitor.post(f"/focus-groups/respond/{volunteer_token(leaver, 'respond')}", data={"answer": "accept"})
    add_note(slot, NoteInput(f"Zephyrine said pupils are users; call her on {PHONE}."), by=facilitator)
    add_note(other_slot, NoteInput(f"{NAME} was mentioned by someone here."), by=facilitator)
    save_debrief(slot, "Zephyrine Quillfeather led the talk.", expected_version=0, by=facilitator)
    db.session.commit()
    assert traces(*NEEDLES)

    response = visitor.post(f"/focus-groups/withdraw/{volunteer_token(leaver, 'withdraw')}")
    assert response.status_code == 302

    assert traces(*NEEDLES) == []
    assert file_traces(ADDRESS) == []
    texts = [row["text"] for row in notes_table(slot)]
    assert any(t.startswith("P2 said pupils are users; call her on [phone]") for t in texts)
    assert any("P2 of Ravenmoor may join us; P2 is at [email]." == t for t in texts)


# --- pseudonymisation at save time ------------------------------------------------------------


def test_notes_name_no_volunteer_of_the_study_no_account_holder_and_no_address_or_phone(app, make_user):
    make_user("analyst", name="Gwendolyn Ashdown")
    study, slot, other_slot = _study_with_session()
    _place(slot, _volunteer(study, "Priya Shah", "priya@lambeth.example"), pseudonym="P1", status="accepted")
    _place(slot, _volunteer(study, "Ottoline Brackenbury", "otto@bury.example"), pseudonym=None, role="reserve")
    _place(other_slot, _volunteer(study, "Isambard Fothergill", "isambard@kent.example"), pseudonym="P1")
    _volunteer(study, "Rosalind Pemberton", "ros@york.example")  # in the pool, not in any group
    elsewhere = create_study("Another study")
    _volunteer(elsewhere, "Zoe Walsh", "zoe@walsh.example")
    db.session.commit()

    # The session's own people by any part of their name; everyone else by their full name only.
    said = (
        "Priya agreed with Ottoline, Isambard Fothergill and rosalind pemberton; Gwendolyn Ashdown disagreed, "
        "Isambard, Pemberton and Gwendolyn did not. Zoe Walsh was quoted. Write to otto@bury.example or "
        "priya.shah@lambeth.gov.uk; ring 07700 900123, +44 7700 900123, +44 (0)20 7946 0018, (020) 7946 0018, "
        "01632 960001 or 0113 496 0000. 2,400 staff in 2026."
    )
    assert pseudonymise(said, slot) == (
        "P1 agreed with [name], [name] and [name]; [name] disagreed, Isambard, Pemberton and Gwendolyn did not. "
        "Zoe Walsh was quoted. Write to [email] or [email]; ring [phone], [phone], [phone], [phone], [phone] or "
        "[phone]. 2,400 staff in 2026.",
        ["P1"],
    )
    note, _ = add_note(slot, NoteInput("Ottoline Brackenbury said so (otto@bury.example)."))
    assert note.text == "[name] said so ([email])."
    assert "Ottoline" not in str(notes_table(slot))


def test_a_member_s_surname_alone_is_an_ordinary_word_but_their_full_name_is_hidden(app, make_user):
    make_user("member", name="Sam Power")
    study, slot, _ = _study_with_session()
    _place(slot, _volunteer(study, "Priya Shah", "priya@lambeth.example"), pseudonym="P1", status="accepted")
    db.session.commit()

    assert pseudonymise("Power BI is rolled out; Sam joined.", slot) == ("Power BI is rolled out; Sam joined.", [])
    assert pseudonymise("Sam Power said so, as did SAM  POWER.", slot) == ("[name] said so, as did [name].", [])
    note, _ = add_note(slot, NoteInput("Power BI is rolled out, Sam Power said."))
    assert note.text == "Power BI is rolled out, [name] said."


def test_an_account_named_with_a_number_does_not_make_its_word_a_name(app, make_user):
    make_user("analyst", name="Analyst 02")
    make_user("member", name="J Grace")  # a one-letter initial is never a name alone
    study, slot, _ = _study_with_session()
    db.session.commit()

    said = "The Analyst said Grace Hopper's rule applies; J and Analyst agreed."
    assert pseudonymise(said, slot) == (said, [])
    assert pseudonymise("J Grace wrote it.", slot) == ("[name] wrote it.", [])


def test_a_session_participant_s_lone_first_name_or_surname_still_becomes_their_pseudonym(app, make_user):
    make_user("member", name="Priya Shah")  # also an account holder: the pseudonym wins
    study, slot, other_slot = _study_with_session()
    _place(slot, _volunteer(study, "Priya Shah", "priya@lambeth.example"), pseudonym="P1", status="accepted")
    _place(slot, _volunteer(study, "Will Page", "will@page.example"), pseudonym=None, role="reserve")
    _place(other_slot, _volunteer(study, "Grace Hill", "grace@hill.example"), pseudonym="P1")
    db.session.commit()

    assert pseudonymise("Priya thinks Shah's team and Will agree; Grace and Hill do not.", slot) == (
        "P1 thinks P1's team and [name] agree; Grace and Hill do not.",
        ["P1"],
    )
    assert pseudonymise("they will go in may", slot) == ("they will go in may", [])


def test_names_are_found_however_the_note_spells_them_among_many_accounts(app, make_user):
    for number in range(30):
        make_user("member", name=f"Member Number{chr(97 + number % 26)}{number}")
    make_user("member", name="Zoë Brontë")
    make_user("member", name="Aoife Mc Donald")
    make_user("member", name="Jo Ng")
    make_user("member", name="Ciarán O'Brien")
    study, slot, _ = _study_with_session()
    db.session.commit()

    said = "Zoe Bronte, Aoife McDonald, JO NG and Ciaran OBrien agreed; Jon and Bronte did not."
    assert pseudonymise(said, slot) == ("[name], [name], [name] and [name] agreed; Jon and Bronte did not.", [])
    # Only accounts whose names could be in the text are compared, not every account's.
    assert {name for name, _, _ in people_to_hide(slot, "Jo Ng and Aoife McDonald")} == {
        "Jo Ng",
        "Aoife Mc Donald",
        "Zoë Brontë",  # SQL cannot fold accents, so such names are always compared
        "Ciarán O'Brien",
    }


def test_scrubbing_finds_a_leaver_s_name_however_a_stored_note_spells_it(app, make_user):
    study, slot, other_slot = _study_with_session()
    first, _ = add_note(slot, NoteInput("Zoë Brontë and Siobhan agreed; Dana did not."))
    second, _ = add_note(other_slot, NoteInput("Nothing about them here."))
    save_debrief(slot, "Zoë led.", expected_version=0)
    db.session.commit()

    changed = scrub_stored_notes(["Zoe Bronte"], ["zoe@bronte.example"], study_id=study.id, pseudonyms={slot.id: "P4"})

    assert changed == 4  # the note and its first version in the history; the debrief and its history
    assert first.text == "P4 and Siobhan agreed; Dana did not." and second.text == "Nothing about them here."
    assert "Zo" not in json.dumps([r.after for r in first.revisions]) and second.version == 1


def test_an_edit_begun_before_a_withdrawal_cannot_put_the_name_back(app, make_user):
    facilitator = make_user("facilitator", name="Fran Okoro", email="fran@socitm.example")
    study, slot, _ = _study_with_session(facilitator=facilitator)
    old, _ = add_note(slot, NoteInput(f"{NAME} may join."), by=facilitator)  # before they volunteered
    leaver = _volunteer(study, NAME, ADDRESS)
    _place(slot, leaver, pseudonym="P1")
    db.session.commit()
    withdraw_volunteer(leaver)
    db.session.commit()
    assert old.text == "P1 may join." and old.version == 2
    with pytest.raises(StaleNote):  # the page still showed version 1, with the name
        edit_note(old, NoteInput(f"{NAME} may join us."), expected_version=1, by=facilitator)


def test_mentions_are_found_as_typed_and_as_html_writes_them_but_a_one_word_name_is_left():
    erasure = Erasure(label="Erased person 4", names=("Siobhán O'Brien",), emails=("SOB@cork.example",))
    assert erasure.redact("Dear Siobhán  O'Brien (sob@cork.example), <p>Siobhán O&#39;Brien</p>") == (
        "Dear Erased person 4 (Erased person 4), <p>Erased person 4</p>"
    )
    assert Erasure(label="Erased person 5", names=("Admin",)).redact("Admin changed it.") == "Admin changed it."
