"""Commands: `flask demo-data` and `flask invite-admin`."""

from sqlalchemy import select

from app.auth.models import User
from app.auth.passwords import verify_password
from app.extensions import db
from app.focus_groups.models import Study
from app.organisations.models import Organisation
from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS
from config import TestingConfig


def test_demo_data_covers_every_region_and_council_type(runner):
    result = runner.invoke(args=["demo-data", "--password", "demo-password-1"])
    assert result.exit_code == 0, result.output
    orgs = db.session.scalars(select(Organisation)).all()
    assert 35 <= len(orgs) <= 45
    assert {o.region for o in orgs} == set(REGIONS)
    assert {o.council_type for o in orgs} == set(COUNCIL_TYPES)
    for role in ("member", "organiser", "facilitator", "analyst", "admin"):
        user = db.session.scalar(select(User).where(User.email == f"{role}@demo.example"))
        assert user.roles == {role} and verify_password(user.password_hash, "demo-password-1")
        assert f"{role}@demo.example" in result.output
    member = db.session.scalar(select(User).where(User.email == "member@demo.example"))
    assert member.organisation is not None
    # A focus-group study with volunteers from every region, one group confirmed for the facilitator.
    study = db.session.scalar(select(Study))
    assert study.title == "Who are our users?"
    assert {v.region for v in study.volunteers} == set(REGIONS)
    assert member.organisation_id not in {v.organisation_id for v in study.volunteers}
    confirmed = [s for s in study.slots if s.status == "confirmed"]
    assert len(confirmed) == 1 and confirmed[0].facilitator.email == "facilitator@demo.example"
    assert {p.pseudonym for p in confirmed[0].placements if p.role == "participant"} >= {"P1", "P2", "P3", "P4"}


def test_demo_data_is_idempotent_and_keeps_passwords_unless_told(runner):
    runner.invoke(args=["demo-data", "--password", "demo-password-1"])
    counts = (db.session.query(Organisation).count(), db.session.query(User).count())
    result = runner.invoke(args=["demo-data"], env={"DEMO_PASSWORD": ""})
    assert (
        result.exit_code == 0
        and "0 organisations, 0 people, 0 survey responses and 0 focus-group volunteers added" in result.output
    )
    assert "Passwords unchanged" in result.output
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
    assert "Response rate by region" in page and f"{submitted} of 42 organisations" in page
    client.post("/sign-out")
    client.post("/sign-in", data={"email": "member@demo.example", "password": "demo-password-1"})
    assert "Not started" in client.get("/surveys/").get_data(as_text=True)  # the demo member can try it
