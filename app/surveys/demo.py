"""Demo responses to the schools ICT survey, so organisers and analysts see a populated study.

Deterministic (a fixed seed) and idempotent: organisations that already have a response are left alone.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app.auth.models import User
from app.clock import utcnow
from app.extensions import db
from app.organisations.models import Organisation
from app.surveys.answering.pages import DONT_KNOW, other_key, relevant_answers
from app.surveys.demo_text import (
    FUNDING_OTHER,
    SERVICES_OTHER,
    SETTINGS_OTHER,
    profile_of,
    pupils_reason,
    service_differences,
    specify,
    users_counting,
)
from app.surveys.models import Answer, Invitation, PageVisit, Response, ResponseSnapshot, Survey
from app.surveys.services import definition_for

# Council types that usually run education ICT (traded services to schools); others rarely do.
EDUCATION_LIKELY = {
    "county": 0.85,
    "unitary": 0.8,
    "metropolitan-borough": 0.85,
    "london-borough": 0.75,
    "scottish": 0.9,
    "welsh": 0.8,
    "district": 0.0,  # in two-tier areas the county runs education
    "northern-ireland-district": 0.0,  # in Northern Ireland the Education Authority does
    "other-public-body": 0.0,
}
SKIP = {"Kent County Council"}  # the demo member's organisation is invited with nothing answered, to try the survey

# Members who answered for their organisation and said yes to hearing about focus groups (accounts without a
# password: nobody signs in as them), so the organisers' list of members to invite has people on it.
DEMO_INTERESTED_MEMBERS = (
    "Priya Shah",
    "Tom Ellison",
    "Aisha Rahman",
    "Gareth Hughes",
    "Fiona MacLeod",
    "Ciaran Doherty",
    "Helen Brooks",
    "Marcus Green",
)


def _answers(rng: random.Random, org: Organisation) -> dict[str, Any]:
    schools = rng.random() < EDUCATION_LIKELY.get(org.council_type, 0.3)
    staff = rng.randrange(300, 9000, 50)
    answers: dict[str, Any] = {"provides_education": "yes" if schools else "no"}
    pupils = rng.randrange(5000, 120000, 500) if schools else 0
    school_staff = rng.randrange(400, 9000, 50) if schools else 0
    answers["users"] = {
        "office_staff": staff,
        "frontline_staff": int(staff * rng.uniform(0.2, 0.8)),
        # Fire and park authorities have a few members, police none; councils dozens.
        "councillors": rng.randrange(0, 25) if org.council_type == "other-public-body" else rng.randrange(30, 120),
        "school_staff": school_staff,
        "pupils": pupils,
        "partners": rng.randrange(0, 800, 10),
        "contractors": rng.randrange(20, 400, 10),
        "volunteers": rng.randrange(0, 200, 5),
        "residents": 0 if org.council_type == "other-public-body" else rng.choice([0, 0, 500, 2500, 12000]),
    }
    counted = ["office_staff", "frontline_staff", "councillors"]
    if schools and rng.random() < 0.4:
        counted += ["school_staff"] + (["pupils"] if rng.random() < 0.3 else [])
    answers["counted_in_benchmark"] = counted if rng.random() > 0.1 else ["no-return"]
    if schools:
        answers["education_settings"] = sorted(
            rng.sample(
                [
                    "maintained-primary",
                    "maintained-secondary",
                    "special",
                    "pru",
                    "early-years",
                    # Academies and free schools are English: Scottish and Welsh councils run every school.
                    *(["single-academy", "mat", "free-school"] if org.region not in ("scotland", "wales") else []),
                ],
                rng.randint(2, 5),
            )
            + (["other"] if rng.random() < 0.3 else [])
        )
        answers["settings_supported"] = rng.randrange(15, 450)
        answers["services_to_schools"] = sorted(
            rng.sample(
                [
                    "connectivity",
                    "filtering",
                    "email",
                    "curriculum-devices",
                    "mis",
                    "service-desk",
                    "technicians",
                    "cyber",
                    "licensing",
                    "procurement",
                    "data-protection",
                ],
                rng.randint(3, 9),
            )
            + (["other"] if rng.random() < 0.35 else [])
        )
        answers["service_level"] = {
            "school_staff": rng.choice(["same", "separate", "separate", "best-efforts"]),
            "pupils": rng.choice(["separate", "best-efforts", "none", "same"]),
        }
        answers["pupil_funding"] = rng.choice(
            ["traded", "traded", "council-budget", "grant", "mixed", "other", "dont-know"]
        )
        school_share = rng.choice([5, 10, 15, 20, 30, DONT_KNOW])
        pupil_share = rng.choice([5, 10, 20, 25, DONT_KNOW])
        if isinstance(school_share, int) and isinstance(pupil_share, int) and school_share + pupil_share > 100:
            pupil_share = 100 - school_share
        answers["incidents_school_staff"] = school_share
        answers["incidents_pupils"] = pupil_share
        for key in ("share_devices", "share_licences", "share_staff_time", "share_spend"):
            answers[key] = rng.choice([10, 15, 25, 35, 40, DONT_KNOW])
    if rng.random() < 0.75:
        answers["ict_revenue_spend"] = float(rng.randrange(1_500_000, 40_000_000, 50_000))
        answers["ict_staff_fte"] = round(rng.uniform(15, 260), 1)
    answers["pupils_should_count"] = rng.choice(
        ["strongly-agree", "agree", "neither", "disagree", "strongly-disagree"]
        if schools
        else ["neither", "disagree", "agree", "neither"]
    )
    answers["focus_group_interest"] = rng.choice(["yes", "no", "yes"])
    _write_free_text(rng, org, answers)
    return answers


def _write_free_text(rng: random.Random, org: Organisation, answers: dict[str, Any]) -> None:
    """The free-text answers, in keeping with the organisation and its other answers (`app.surveys.demo_text`)."""
    profile = profile_of(org.name, org.region, org.council_type, answers)
    for question, pool in (
        ("education_settings", SETTINGS_OTHER),
        ("services_to_schools", SERVICES_OTHER),
        ("pupil_funding", FUNDING_OTHER),
    ):
        chosen = answers.get(question)
        if chosen == "other" or (isinstance(chosen, list) and "other" in chosen):
            answers[other_key(question)] = specify(rng, pool, profile)
    for question, write, share in (
        ("pupils_reason", pupils_reason, 0.9),
        ("users_counting", users_counting, 0.85),
        ("service_differences", service_differences, 0.8),
    ):
        if rng.random() < share:
            answers[question] = write(rng, profile)


def load_demo_responses(survey: Survey) -> int:
    """Invite the demo organisations and give most of them a response; returns how many were added."""
    now = utcnow()
    version = survey.current_version
    definition = definition_for(version)
    organisations = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    have = set(db.session.scalars(select(Response.organisation_id).where(Response.survey_id == survey.id)))
    invited = set(db.session.scalars(select(Invitation.organisation_id).where(Invitation.survey_id == survey.id)))
    added = 0
    from app.surveys.invitations.services import record_invitation

    for org in organisations:
        rng = random.Random(f"demo-2027-{org.name}")  # noqa: S311 - demo content; the same choices every run
        roll, reminded = rng.random(), rng.random() < 0.5
        if org.id not in invited and org.contact_email:
            invitation = record_invitation(survey, org, org.contact_email)
            invitation.sent_at = now - timedelta(days=14)
            if reminded:
                invitation.last_reminded_at = now - timedelta(days=rng.randint(3, 6))
                invitation.reminders_sent = 1
        if org.name in SKIP:
            continue  # invited, as the survey is answered only by invited organisations, but not started
        if org.id in have or roll > 0.8:
            continue  # about one in five has not started
        started = now - timedelta(days=rng.randint(2, 13), minutes=rng.randint(0, 600))
        answers = _answers(rng, org)
        submitted = roll < 0.68
        if not submitted:  # in progress: only the first few pages
            answers = {k: v for k, v in answers.items() if k in ("provides_education", "users")}
        response = Response(
            survey_id=survey.id,
            version_id=version.id,
            organisation_id=org.id,
            reference=f"SIC-DEMO-{org.id:04d}",
            started_at=started,
            updated_at=started,
            device=rng.choice(["desktop", "desktop", "desktop", "mobile", "tablet"]),
            via_invitation=rng.random() < 0.6,
        )
        db.session.add(response)
        db.session.flush()
        for key, value in answers.items():
            db.session.add(
                Answer(
                    response_id=response.id,
                    question_id=key,
                    value=value,
                    updated_at=started,
                    updated_by_label="Demo data",
                )
            )
        for page in definition.pages:
            if page.questions[0].id in answers or (submitted and page.id == "focus_group"):
                db.session.add(PageVisit(response_id=response.id, page_id=page.id, first_seen_at=started))
        if submitted:
            response.status = "submitted"
            response.submitted_at = started + timedelta(minutes=rng.randint(6, 35))
            response.submission_count = 1
            response.satisfaction = rng.choice([5, 4, 4, 4, 3, 5, 2, None])
            response.submitted_answers = relevant_answers(definition, answers)
            db.session.add(
                ResponseSnapshot(
                    response_id=response.id,
                    submission_number=1,
                    submitted_at=response.submitted_at,
                    answers=relevant_answers(definition, answers),
                )
            )
        added += 1
    db.session.flush()
    _answered_by_interested_members(survey)
    db.session.commit()
    return added


def _answered_by_interested_members(survey: Survey) -> None:
    """Give some submitted responses that said yes to focus groups a member who answered them (once)."""
    responses = db.session.scalars(
        select(Response)
        .join(Organisation, Organisation.id == Response.organisation_id)
        .where(Response.survey_id == survey.id, Response.status == "submitted")
        .order_by(Organisation.name)
    ).all()
    saying_yes = [r for r in responses if (r.submitted_answers or {}).get("focus_group_interest") == "yes"]
    for name, response in zip(DEMO_INTERESTED_MEMBERS, saying_yes[::3], strict=False):
        organisation = db.session.get(Organisation, response.organisation_id)
        if not organisation.contact_email:
            continue
        first, last = name.lower().split()
        email = f"{first}.{last}@{organisation.contact_email.split('@', 1)[1]}"
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(email=email, name=name, organisation_id=organisation.id)
            db.session.add(user)
            user.set_roles({"member"})
            db.session.flush()
        answer = next((a for a in response.answers if a.question_id == "focus_group_interest"), None)
        if answer is not None and answer.updated_by_id is None:
            answer.updated_by_id, answer.updated_by_label = user.id, name
            response.submitted_by_id = response.submitted_by_id or user.id
