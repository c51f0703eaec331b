"""Commands: `flask demo-data`, `flask invite-admin` and `flask where-emails-go`."""

from datetime import UTC, datetime

from sqlalchemy import select

from app.auth.models import User
from app.auth.passwords import verify_password
from app.clock import london, uk_time
from app.demo import DEMO_ORGANISATIONS
from app.extensions import db
from app.focus_groups.models import Study
from app.organisations.models import Organisation
from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS
from app.surveys.models import Survey
from config import TestingConfig


def test_demo_data_covers_every_region_and_council_type(runner):
    result = runner.invoke(args=["demo-data", "--password", "demo-password-1"])
    assert result.exit_code == 0, result.output
    orgs = db.session.scalars(select(Organisation)).all()
    assert len(orgs) == len(DEMO_ORGANISATIONS) and 80 <= len(orgs) <= 100
    assert {o.region for o in orgs} == set(REGIONS)
    assert {o.council_type for o in orgs} == set(COUNCIL_TYPES)
    for role in ("member", "organiser", "facilitator", "analyst", "admin"):
        user = db.session.scalar(select(User).where(User.email == f"{role}@demo.example"))
        assert user.roles == {role} and verify_password(user.password_hash, "demo-password-1")
        assert f"{role}@demo.example" in result.output
    member = db.session.scalar(select(User).where(User.email == "member@demo.example"))
    assert member.organisation is not None
    # A focus-group study with volunteers from every region, three groups confirmed for the facilitator.
    study = db.session.scalar(select(Study))
    assert study.title == "Who are our users?"
    assert {v.region for v in study.volunteers} == set(REGIONS)
    assert member.organisation_id not in {v.organisation_id for v in study.volunteers}
    confirmed = [s for s in study.slots if s.status == "confirmed"]
    assert len(confirmed) == 3 and {s.facilitator.email for s in confirmed} == {"facilitator@demo.example"}
    for slot in confirmed:
        assert {p.pseudonym for p in slot.placements if p.role == "participant"} >= {"P1", "P2", "P3", "P4"}
    assert [s.status for s in study.slots].count("candidate") == 1  # one group left for the organiser to confirm
    # The survey closes at the end of its closing date, as the dates page says every survey does.
    survey = db.session.scalar(select(Survey))
    assert london(survey.closes_at).strftime("%H:%M:%S") == "23:59:59"


def test_demo_data_is_idempotent_and_keeps_passwords_unless_told(runner):
    runner.invoke(args=["demo-data", "--password", "demo-password-1"])
    counts = (db.session.query(Organisation).count(), db.session.query(User).count())
    survey = db.session.scalar(select(Survey))
    survey.closes_at = datetime(2055, 1, 1, 13, 53, tzinfo=UTC)  # as older demo data set it: "at 1:53pm"
    db.session.commit()
    result = runner.invoke(args=["demo-data"], env={"DEMO_PASSWORD": ""})
    assert (
        result.exit_code == 0
        and "0 organisations, 0 people, 0 survey responses and 0 focus-group volunteers added" in result.output
    )
    assert "Passwords unchanged" in result.output
    assert uk_time(db.session.scalar(select(Survey)).closes_at) == "1 January 2055 at 11:59pm"
    assert (db.session.query(Organisation).count(), db.session.query(User).count()) == counts
    admin = db.session.scalar(select(User).where(User.email == "admin@demo.example"))
    assert verify_password(admin.password_hash, "demo-password-1")


def test_demo_data_prints_a_random_password_when_none_is_given(runner):
    result = runner.invoke(args=["demo-data"], env={"DEMO_PASSWORD": ""})
    password = result.output.split("Password for the demo accounts: ")[1].strip()
    admin = db.session.scalar(select(User).where(User.email == "admin@demo.example"))
    assert len(password) >= 12 and verify_password(admin.password_hash, password)


def test_demo_data_refuses_to_run_in_production(app, runner):
    app.config["ENVIRONMENT"] = "production"
    result = runner.invoke(args=["demo-data", "--password", "x"])
    assert result.exit_code != 0 and "refuses to run in production" in result.output
    assert db.session.query(Organisation).count() == 0
    app.config["ENVIRONMENT"] = TestingConfig.ENVIRONMENT


def test_invite_admin_creates_the_first_administrator(runner):
    result = runner.invoke(args=["invite-admin", "dana@socitm.example", "Dana Reid"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "dana@socitm.example"))
    assert user.roles == {"admin"} and user.password_hash is None
    again = runner.invoke(args=["invite-admin", "dana@socitm.example", "Dana Reid"])
    assert again.exit_code != 0 and "already has an account" in again.output


def test_demo_data_fills_the_survey_so_every_page_has_something_to_show(runner, client, make_user):
    runner.invoke(args=["demo-data", "--password", "demo-password-1"])
    from app.surveys.models import Response

    statuses = [r.status for r in db.session.scalars(select(Response))]
    assert statuses.count("submitted") >= 20 and "in_progress" in statuses
    client.post("/sign-in", data={"email": "organiser@demo.example", "password": "demo-password-1"})
    page = client.get("/surveys/manage/schools-ict/").get_data(as_text=True)
    submitted = statuses.count("submitted")
    assert "Response rate by region" in page and f"{submitted} of {len(DEMO_ORGANISATIONS)} organisations" in page
    client.post("/sign-out")
    client.post("/sign-in", data={"email": "member@demo.example", "password": "demo-password-1"})
    assert "Not started" in client.get("/surveys/").get_data(as_text=True)  # the demo member can try it


def test_demo_data_gives_the_analysis_varied_free_text_in_keeping_with_each_organisation(runner):
    from app.surveys.models import Survey
    from app.surveys.results.dataset import submitted_rows
    from app.surveys.results.free_text import free_texts
    from app.surveys.services import definition_for

    runner.invoke(args=["demo-data", "--password", "demo-password-1"])
    survey = db.session.scalar(select(Survey))
    rows = list(submitted_rows(survey))
    shown = free_texts(definition_for(survey.current_version), rows)  # what the results page and analysis read
    texts = [item.text for _, items in shown for item in items]
    assert len(set(texts)) >= 150
    assert {question.id for question, _ in shown} >= {
        "pupils_reason",
        "users_counting",
        "service_differences",
        "education_settings",  # its "please specify" text
        "services_to_schools",
    }
    written = [(row, value) for row in rows for key, value in row.answers.items() if _is_free_text(key)]
    assert len(written) == len(texts)
    for row, text in written:
        if not row.provides_education:  # nobody without schools talks about pupils
            assert "pupil" not in text.lower(), (row.organisation, text)
        if row.council_type in ("district", "northern-ireland-district", "other-public-body"):
            assert not row.provides_education, row.organisation
        for marker, region in (("LGfL", "london"), ("Hwb", "wales"), ("Glow", "scotland"), ("C2k", "northern-ireland")):
            if marker in text:
                assert row.region == region, (row.organisation, text)
        if row.council_type not in ("county", "unitary", "metropolitan-borough", "london-borough", "scottish", "welsh"):
            assert "library" not in text.lower() and "carers" not in text, (row.organisation, text)  # upper tier
        if row.region in ("scotland", "wales"):  # academies and Schools Forums are English
            assert "all academies" not in text and "Schools Forum" not in text, (row.organisation, text)
    # Written as people write: some a word or two, some a paragraph; not one template.
    lengths = sorted(len(text) for text in texts)
    assert lengths[0] <= 10 and lengths[-1] >= 250
    assert len({text.split()[0].lower() for text in texts}) >= 40


def _is_free_text(key: str) -> bool:
    return key in ("pupils_reason", "users_counting", "service_differences") or key.endswith("__other")


def test_demo_data_runs_three_focus_groups_with_over_a_hundred_notes_about_pseudonyms_only(runner):
    from app.focus_groups.models import Volunteer
    from app.focus_groups.notes.models import Note

    runner.invoke(args=["demo-data", "--password", "demo-password-1"])
    study = db.session.scalar(select(Study))
    sessions = [s for s in study.slots if s.status == "confirmed"]
    notes = db.session.scalars(select(Note).order_by(Note.id)).all()
    assert len(sessions) == 3 and len(notes) >= 100
    names = {word for v in db.session.scalars(select(Volunteer)) for word in v.name.replace("'", " ").split()}
    for session in sessions:
        mine = [n for n in notes if n.slot_id == session.id]
        people = {p.pseudonym: p.volunteer for p in session.placements if p.pseudonym}
        assert len(mine) >= 30
        # Filed against every question of the discussion guide, and general chatter besides.
        assert {n.guide_question.position for n in mine if n.guide_question} == {1, 2, 3, 4}
        assert sum(1 for n in mine if n.guide_question is None) >= 8
        assert {n.kind for n in mine} == {"observation", "quote", "key_point", "action"}
        for note in mine:
            assert set(note.pseudonyms) <= set(people), note.text
            assert not names & set(note.text.replace("'", " ").replace(".", " ").split()), note.text
            if note.kind == "quote" and "pupil" in note.text.lower():  # said by someone whose council has pupils
                assert all(people[p].supports_schools for p in note.pseudonyms), note.text
    text = " ".join(n.text for n in notes).lower()
    assert "dropped off the call" in text and "intros" in text  # the chatter that carries no theme
    for words in (  # something for each of the eight themes of the default codebook
        ("definition", "what is a user"),
        ("councillors", "office", "frontline"),
        ("pupils", "schools"),
        ("sla", "vip", "best efforts"),
        ("tickets", "load", "support time"),
        ("improve", "benchmark", "cost per user"),
        ("data", "hr system", "estimates"),
        ("m365", "cloud", "portal", "online account"),
    ):
        assert any(word in text for word in words), words


def test_demo_data_carries_the_demo_study_to_a_signed_off_recommendation_with_work_left_to_review(runner):
    from app.analysis.models import OUTCOMES, ChosenQuote, Code, OutcomeDecision, SignOff, ThemeSummary
    from app.analysis.recommendation import current_decisions, locked_by

    runner.invoke(args=["demo-data", "--password", "demo-password-1"])
    study = db.session.scalar(select(Study))
    statuses = [c.status for c in db.session.scalars(select(Code).where(Code.study_id == study.id))]
    assert statuses.count("accepted") >= 200 and statuses.count("suggested") >= 100  # some left to review
    themes = {s.theme for s in db.session.scalars(select(ThemeSummary))}
    assert len(themes) == 8 and db.session.query(ChosenQuote).count() >= 16
    assert set(current_decisions(study)) == set(OUTCOMES)
    lock = locked_by(study)
    assert lock is not None and lock.created_by.email == "lead_analyst@demo.example"
    # Run again: nothing is added twice.
    runner.invoke(args=["demo-data"], env={"DEMO_PASSWORD": ""})
    assert db.session.query(OutcomeDecision).count() == 4 and db.session.query(SignOff).count() == 1


def test_where_emails_go_names_the_outbox_page_and_how_to_read_it(app, runner):
    app.config.update(APP_BASE_URL="http://127.0.0.1:5090", MAIL_SERVER="")
    result = runner.invoke(args=["where-emails-go"])
    assert result.exit_code == 0, result.output
    assert "kept in the outbox" in result.output and "sign in as admin@demo.example" in result.output
    assert "http://127.0.0.1:5090/admin/outbox/" in result.output
    assert "Links in emails start http://127.0.0.1:5090;" in result.output
    app.config.update(MAIL_SERVER="smtp.example.org", MAIL_PORT=587)
    sent = runner.invoke(args=["where-emails-go"]).output
    assert "sent through the SMTP server smtp.example.org:587" in sent and "sign in as" not in sent
