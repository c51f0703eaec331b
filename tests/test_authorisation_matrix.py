"""Every route × every role: the expected outcome is declared here, and a route without a
declaration fails the test, so nobody adds a page without deciding who may use it."""

from __future__ import annotations

import pytest

from tests.conftest import sign_in

ROLES = ("member", "organiser", "facilitator", "analyst", "lead_analyst", "admin")
EVERYONE = "everyone"  # public: anonymous visitors and every role
SIGNED_IN = "signed-in"  # any role; visitors are sent to sign in
OWN_OR_ADMIN = "own-or-admin"  # signed in, and only the object's owner or an admin (the sample is nobody's)
RESPONDENT = "respondent"  # members answering for their organisation (or an invitation holder); others 403
# Facilitators on that session (the sample session has none, so facilitators get 403), organisers and admins.
SESSION_STAFF = "session-staff"
SESSION_STAFF_ROLES = frozenset({"facilitator", "organiser", "admin"})
# As SESSION_STAFF, and analysts too (pages carrying pseudonyms only, such as printed session notes).
SESSION_READERS = "session-readers"
SESSION_READERS_ROLES = frozenset({"facilitator", "organiser", "admin", "analyst", "lead_analyst"})
# A double-coding round's own two coders (any analyst role may be one): the sample round's coders are other
# people, so every role gets 403, administrators included (nobody codes on another's behalf).
ROUND_CODERS = "round-coders"
ROUND_CODERS_ROLES = frozenset({"admin", "analyst", "lead_analyst"})


def only(*roles: str) -> frozenset[str]:
    """Only these roles; other roles get 403 and visitors are sent to sign in."""
    return frozenset(roles)


ADMIN = only("admin")
MANAGERS = only("admin", "organiser")
READERS = only("admin", "organiser", "analyst", "lead_analyst")
ANALYSTS = only("admin", "analyst", "lead_analyst")
ANALYSIS_LEADS = only("admin", "lead_analyst")

# endpoint -> who may use it. Token pages answer 404 for an unknown token, which counts as allowed.
EXPECTED: dict[str, object] = {
    "static": EVERYONE,
    "main.home": EVERYONE,
    "main.healthz": EVERYONE,
    "main.privacy": EVERYONE,
    "main.accessibility": EVERYONE,
    "main.contact": EVERYONE,
    "auth.sign_in": EVERYONE,
    "auth.forgot_password": EVERYONE,
    "auth.reset_requested": EVERYONE,
    "auth.accept_invitation": EVERYONE,
    "auth.reset_password": EVERYONE,
    "auth.sign_out": SIGNED_IN,
    "auth.account": SIGNED_IN,
    "auth.account_password": SIGNED_IN,
    "auth.account_export": SIGNED_IN,
    "auth.sign_in_code": EVERYONE,  # without a sign-in waiting for its code, it sends people to sign in
    "auth.confirm_identity": SIGNED_IN,
    "auth.two_factor_set_up": SIGNED_IN,
    "auth.two_factor_recovery_codes": SIGNED_IN,
    "auth.two_factor_new_codes": SIGNED_IN,
    "auth.two_factor_turn_off": SIGNED_IN,
    "people.index": ADMIN,
    "people.invite": ADMIN,
    "people.show": ADMIN,
    "people.edit": ADMIN,
    "people.disable": ADMIN,
    "people.enable": ADMIN,
    "people.resend": ADMIN,
    "people.erase": ADMIN,
    "people.reset_two_factor": ADMIN,
    "privacy.find": ADMIN,
    "privacy.person": ADMIN,
    "privacy.person_archive": ADMIN,
    "privacy.volunteer": ADMIN,
    "privacy.volunteer_archive": ADMIN,
    "organisations.index": MANAGERS,
    "organisations.create": MANAGERS,
    "organisations.edit": MANAGERS,
    "organisations.delete": ADMIN,
    "organisations.import_csv": MANAGERS,
    "audit.index": ADMIN,
    "outbox.index": ADMIN,
    "outbox.show": ADMIN,
    "outbox.html": ADMIN,
    "outbox.attachment": ADMIN,
    "surveys.index": only("member"),
    "surveys.start": RESPONDENT,
    "surveys.begin": RESPONDENT,
    "surveys.page": RESPONDENT,
    "surveys.check": RESPONDENT,
    "surveys.submit": RESPONDENT,
    "surveys.done": RESPONDENT,
    "surveys.invitation": EVERYONE,
    "surveys.manage_index": MANAGERS,
    "surveys.dashboard": MANAGERS,
    "surveys.invite": MANAGERS,
    "surveys.remind": MANAGERS,
    "surveys.revoke": MANAGERS,
    "surveys.resend": MANAGERS,
    "surveys.dates": MANAGERS,
    "surveys.publish": MANAGERS,
    "surveys.export_definition": MANAGERS,
    "surveys.import_definition": MANAGERS,
    "jobs.show": OWN_OR_ADMIN,
    "surveys.build": MANAGERS,
    "surveys.create_survey": MANAGERS,
    "surveys.edit_question": MANAGERS,
    "surveys.add_question": MANAGERS,
    "surveys.add_page_route": MANAGERS,
    "surveys.add_section_route": MANAGERS,
    "surveys.move": MANAGERS,
    "surveys.remove_question": MANAGERS,
    "surveys.edit_page": MANAGERS,
    "surveys.preview": MANAGERS,
    "surveys.import_xlsform_route": MANAGERS,
    "surveys.results_index": READERS,
    "surveys.results": READERS,
    "surveys.results_crosstab": READERS,
    "surveys.results_free_text": READERS,
    "surveys.results_export": READERS,
    "surveys.results_impact": READERS,
    "surveys.set_member_comparison": MANAGERS,
    "surveys.set_open_to_all_members": MANAGERS,
    "surveys.comparison": RESPONDENT,
    "surveys.results_impact_export": READERS,
    "jobs.download": OWN_OR_ADMIN,
    "jobs.retry": OWN_OR_ADMIN,
    "focus_groups.index": MANAGERS,
    "focus_groups.create": MANAGERS,
    "focus_groups.study": MANAGERS,
    "focus_groups.settings": MANAGERS,
    "focus_groups.delete_study": MANAGERS,
    "focus_groups.add_guide_question": MANAGERS,
    "focus_groups.edit_guide_question": MANAGERS,
    "focus_groups.move_guide_question": MANAGERS,
    "focus_groups.delete_guide_question": MANAGERS,
    "focus_groups.add_slot_page": MANAGERS,
    "focus_groups.edit_slot": MANAGERS,
    "focus_groups.delete_slot": MANAGERS,
    "focus_groups.groups": MANAGERS,
    "focus_groups.compose": MANAGERS,
    "focus_groups.move": MANAGERS,
    "focus_groups.lock": MANAGERS,
    "focus_groups.slot_detail": MANAGERS,
    "focus_groups.slot_staff": MANAGERS,
    "focus_groups.slot_names": MANAGERS,
    "focus_groups.confirm_slot": MANAGERS,
    "focus_groups.reschedule": MANAGERS,
    "focus_groups.cancel": MANAGERS,
    "focus_groups.attendance": MANAGERS,
    "focus_groups.my_sessions": only("facilitator", "organiser", "admin"),
    "focus_groups.session_detail": SESSION_STAFF,
    "focus_groups.notes_console": SESSION_STAFF,
    "focus_groups.add_session_note": SESSION_STAFF,
    "focus_groups.edit_session_note": SESSION_STAFF,
    "focus_groups.delete_session_note": SESSION_STAFF,
    "focus_groups.restore_session_note": SESSION_STAFF,
    "focus_groups.session_note_history": SESSION_STAFF,
    "focus_groups.deleted_session_notes": SESSION_STAFF,
    "focus_groups.session_proportions": SESSION_STAFF,
    "focus_groups.session_debrief": SESSION_STAFF,
    "focus_groups.complete_session_notes": SESSION_STAFF,
    "focus_groups.reopen_session_notes": MANAGERS,
    "focus_groups.print_session_notes": SESSION_READERS,
    "focus_groups.export_session_notes": SESSION_READERS,
    "focus_groups.respond": EVERYONE,
    "focus_groups.withdraw": EVERYONE,
    "focus_groups.withdrawn": EVERYONE,
    "focus_groups.volunteer_form": EVERYONE,
    "focus_groups.volunteer_thanks": EVERYONE,
    "focus_groups.confirm_volunteer_change": EVERYONE,
    "focus_groups.recruit": MANAGERS,
    "focus_groups.interested_members": MANAGERS,
    "focus_groups.invite_interested_members": MANAGERS,
    "focus_groups.import_volunteers": MANAGERS,
    "focus_groups.pool": MANAGERS,
    "focus_groups.pool_volunteer": MANAGERS,
    "focus_groups.delete_pool_volunteer": MANAGERS,
    "analysis.index": ANALYSTS,
    "analysis.study": ANALYSTS,
    "analysis.rounds": ANALYSTS,
    "analysis.rounds_new": ANALYSIS_LEADS,
    "analysis.rounds_delete": ANALYSIS_LEADS,
    "analysis.rounds_code": ROUND_CODERS,
    "analysis.rounds_code_item": ROUND_CODERS,
    "analysis.rounds_agreement": ANALYSTS,
    "analysis.rounds_resolve": ANALYSIS_LEADS,
    "analysis.tag_study": ANALYSTS,
    "analysis.study_surveys": ANALYSIS_LEADS,
    "analysis.passages": ANALYSTS,
    "analysis.passage": ANALYSTS,
    "analysis.decide_code": ANALYSTS,
    "analysis.review": ANALYSTS,
    "analysis.codebook": ANALYSTS,
    "analysis.codebook_version": ANALYSTS,
    "analysis.codebook_export": ANALYSTS,
    "analysis.codebook_theme": ANALYSIS_LEADS,
    "analysis.codebook_new_theme": ANALYSIS_LEADS,
    "analysis.codebook_remove_theme": ANALYSIS_LEADS,
    "analysis.codebook_import": ANALYSIS_LEADS,
    "analysis.codebook_import_confirm": ANALYSIS_LEADS,
    "analysis.themes": ANALYSTS,
    "analysis.themes_theme": ANALYSTS,
    "analysis.themes_quote_choose": ANALYSTS,
    "analysis.themes_quote_remove": ANALYSTS,
    "analysis.themes_quote_move": ANALYSTS,
    "analysis.themes_summary": ANALYSTS,
    "analysis.themes_history": ANALYSTS,
    "analysis.passages_download": ANALYSTS,
    "analysis.matrices": ANALYSTS,
    "analysis.matrices_crosstab": ANALYSTS,
    "analysis.matrices_cell": ANALYSTS,
    "analysis.matrices_download": ANALYSTS,
    "analysis.exchange": ANALYSTS,
    "analysis.exchange_download": ANALYSTS,
    "analysis.exchange_prepare": ANALYSTS,
    "analysis.exchange_import": ANALYSIS_LEADS,
    "analysis.exchange_import_confirm": ANALYSIS_LEADS,
    "analysis.recommendation": ANALYSTS,
    "analysis.recommendation_decide": ANALYSTS,
    "analysis.recommendation_history": ANALYSTS,
    "analysis.recommendation_rules": ANALYSTS,
    "analysis.recommendation_rules_version": ANALYSTS,
    "analysis.recommendation_rules_shipped": ANALYSTS,
    "analysis.recommendation_rules_edit": ANALYSIS_LEADS,
    "analysis.recommendation_sign_off": ANALYSIS_LEADS,
    "analysis.recommendation_reopen": ANALYSIS_LEADS,
    "analysis.report": ANALYSTS,
    "analysis.report_docx": ANALYSTS,
}


def _rules(app):
    return sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint)


def test_every_route_has_a_declared_rule(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    undeclared = sorted(endpoints - EXPECTED.keys())
    assert not undeclared, f"Declare who may use these routes in EXPECTED: {undeclared}"
    assert not sorted(EXPECTED.keys() - endpoints), "EXPECTED names routes that no longer exist"


def test_every_view_states_its_rule_in_code(app):
    """Each view is marked @public or @role_required, and the mark agrees with EXPECTED."""
    for endpoint, view in app.view_functions.items():
        if endpoint == "static":
            continue
        expected = EXPECTED[endpoint]
        if expected == EVERYONE:
            assert getattr(view, "is_public", False), f"{endpoint} should be marked @public"
        elif expected == RESPONDENT:
            assert getattr(view, "access_rule", None) == "respondent", f"{endpoint} should be @respondent_required"
        else:
            roles = getattr(view, "required_roles", None)
            assert roles is not None, f"{endpoint} has no @role_required"
            if expected == SESSION_STAFF:
                expected = SESSION_STAFF_ROLES
            elif expected == SESSION_READERS:
                expected = SESSION_READERS_ROLES
            elif expected == ROUND_CODERS:
                expected = ROUND_CODERS_ROLES
            assert roles == (frozenset() if expected in (SIGNED_IN, OWN_OR_ADMIN) else expected), endpoint


@pytest.fixture
def sample_args(app, make_user, make_organisation):
    """Real ids for the URL parameters of every route."""
    from app.email.sender import send_email
    from app.extensions import db
    from app.jobs.models import Job
    from app.surveys.invitations.services import invite_organisation
    from app.surveys.services import ensure_default_survey

    survey = ensure_default_survey()
    org = make_organisation(contact_email="ict@example.org")
    invite_organisation(survey, org)
    job = Job(kind="invitations", title="Someone else's job", total=1, result={})
    db.session.add(job)
    person = make_user("analyst", password=None)
    message = send_email(
        "someone@example.org",
        "Hello",
        "invitation",
        [("invite.ics", "text/calendar; method=REQUEST", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")],
        user=person,
        invited_by=None,
        link="http://localhost/x",
        hours=1,
    )
    study, slot, volunteer, placement = focus_group_sample()
    from app.focus_groups.notes.taking import NoteInput, add_note

    note, _ = add_note(slot, NoteInput("A sample note about Sam Sample."))
    db.session.commit()
    passage, code = analysis_sample(study)
    coding_round = double_coding_sample(study, make_user)
    return {
        "study_id": study.id,
        "guide_question_id": study.questions[0].id,
        "slot_id": slot.id,
        "volunteer_id": volunteer.id,
        "placement_id": placement.id,
        "note_id": note.id,
        "user_id": person.id,
        "organisation_id": org.id,
        "message_id": message.id,
        "attachment_id": message.attachments[0].id,
        "token": "not-a-token",
        "filename": "favicon.svg",
        "slug": "schools-ict",
        "page_id": "provides",
        "job_id": job.id,
        "question_id": "provides_education",
        "section_id": "education",
        "fmt": "csv",
        "passage_id": passage.id,
        "code_id": code.id,
        "theme": "pupils-and-schools",
        "number": 1,
        "extension": "qdc",
        "round_id": coding_round.id,
        "item_id": coding_round.items[0].id,
        "kind": "organisation",
        "row": "001",
        "outcome": "amend-definition",
    }


def analysis_sample(study):
    """The study's notes read by the analysis, and one suggestion on the first passage."""
    from app.analysis.models import AnalysisPassage, Code
    from app.analysis.sources import sync_study
    from app.extensions import db

    sync_study(study)
    passage = db.session.scalar(db.select(AnalysisPassage).where(AnalysisPassage.study_id == study.id))
    code = Code(study_id=study.id, passage_id=passage.id, theme="user-definitions", codebook_version=1)
    db.session.add(code)
    db.session.commit()
    return passage, code


def double_coding_sample(study, make_user):
    """A double-coding round of the study's one passage (read by `analysis_sample`), coded by both of its
    coders (neither is a role the matrix signs in as), so its agreement and resolution pages show something."""
    from app.analysis.rounds import create_round, save_coding

    coder_a, coder_b = make_user("analyst"), make_user("analyst")
    coding_round = create_round(study, "Sample round", 1, coder_a.id, coder_b.id)
    save_coding(coding_round.items[0], "a", ["user-definitions"], by=coder_a)
    save_coding(coding_round.items[0], "b", [], by=coder_b)
    return coding_round


def focus_group_sample():
    """A study with one slot and one volunteer placed in it (a participant awaiting invitation)."""
    from datetime import UTC, datetime

    from app.extensions import db
    from app.focus_groups.models import Availability, Placement, Volunteer
    from app.focus_groups.services import new_salt
    from app.focus_groups.studies.services import add_slot, create_study

    study = create_study("Who are our users?")
    slot = add_slot(study, datetime(2055, 3, 10, 10, 0, tzinfo=UTC), location="https://meet.example.org/a")
    volunteer = Volunteer(
        study=study,
        name="Sam Sample",
        email="sam@example.org",
        region="london",
        council_type="london-borough",
        supports_schools=True,
        salt=new_salt(),
    )
    volunteer.availability.append(Availability(slot_id=slot.id, answer="yes"))
    db.session.add(volunteer)
    db.session.flush()
    placement = Placement(study_id=study.id, slot_id=slot.id, volunteer_id=volunteer.id, pseudonym="P1")
    db.session.add(placement)
    db.session.flush()
    return study, slot, volunteer, placement


def _request(client, rule, args):
    url = rule.build(args, append_unknown=False)[1]
    method = "GET" if "GET" in rule.methods else "POST"
    return method, url, client.open(url, method=method)


def _outcome(response) -> str:
    if response.status_code == 403:
        return "forbidden"
    if response.status_code == 302 and "/sign-in" in response.headers.get("Location", ""):
        return "sign-in"
    return "allowed"


@pytest.mark.parametrize("who", ["anonymous", *ROLES])
def test_authorisation_matrix(app, make_user, sample_args, who):
    client = app.test_client()
    if who != "anonymous":
        user = make_user(who)
        assert sign_in(client, user.email).status_code == 302
    problems = []
    for rule in _rules(app):
        if rule.endpoint == "auth.sign_out":
            continue  # checked last: it ends the session
        expected = EXPECTED[rule.endpoint]
        method, url, response = _request(client, rule, sample_args)
        if expected == EVERYONE:
            want = "allowed"
        elif who == "anonymous":
            want = "sign-in"
        elif expected == RESPONDENT:
            want = "allowed" if who == "member" else "forbidden"
        elif expected == OWN_OR_ADMIN:
            want = "allowed" if who == "admin" else "forbidden"
        elif expected == SESSION_STAFF:
            want = "allowed" if who in ("organiser", "admin") else "forbidden"
        elif expected == SESSION_READERS:
            want = "allowed" if who in ("organiser", "admin", "analyst", "lead_analyst") else "forbidden"
        elif expected == ROUND_CODERS:
            want = "forbidden"
        elif expected == SIGNED_IN or who in expected:
            want = "allowed"
        else:
            want = "forbidden"
        got = _outcome(response)
        response.close()
        if rule.endpoint in ("auth.sign_in",) and who != "anonymous":
            got = "allowed"  # signed-in people are sent home from the sign-in page
        if rule.endpoint == "auth.sign_in_code" and got == "sign-in" and who == "anonymous":
            got = "allowed"  # no password was entered, so there is no code to ask for: back to the first step
        if got != want:
            problems.append(f"{who} {method} {url}: expected {want}, got {got} ({response.status_code})")
        assert response.status_code < 500, f"{method} {url} gave {response.status_code}"
    assert client.post("/sign-out").status_code == 302
    assert _outcome(client.get("/account")) == "sign-in"
    assert not problems, "\n".join(problems)
