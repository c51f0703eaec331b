"""Database chores for `bench.survey`, run in a subprocess against the benchmark database only.

    python -m bench.survey_db create --pages 20 --members 100   (password in BENCH_MEMBER_PASSWORD)
    python -m bench.survey_db inspect                            (JSON on stdout)

`create` adds one organisation and one member account per simulated person: each organisation has
exactly one response to a survey, so two people from one organisation would share (and fight over) it.
Every account gets the same password hash, made once (argon2 is deliberately slow).

`inspect` reports, for each benchmark account, its organisation's response to the schools ICT survey:
status, submission count, the question ids of the stored answers and of the submitted answers.

The database is the one DATABASE_URL names; `bench.survey` points it at a fresh temporary database.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

ORGANISATION_PREFIX = "Bench council"
EMAIL_DOMAIN = "bench.example"
GROUPS = ("page", "member")  # page-benchmark users, and the members who answer the whole survey


def email_for(group: str, number: int) -> str:
    """The sign-in email of benchmark account `number` (from 1) in `group`."""
    return f"{group}-{number:03d}@{EMAIL_DOMAIN}"


def emails(group: str, count: int) -> list[str]:
    """The emails of the first `count` accounts of `group`."""
    return [email_for(group, n) for n in range(1, count + 1)]


def create(pages: int, members: int, password: str) -> dict[str, int]:
    """Add an organisation and a member account for every page user and every member."""
    from app.auth.models import User
    from app.auth.passwords import hash_password
    from app.extensions import db
    from app.organisations.models import Organisation
    from app.surveys.invitations.services import record_invitation
    from app.surveys.services import DEFAULT_SLUG, find_survey
    from wsgi import app

    password_hash = hash_password(password)
    with app.app_context():
        survey = find_survey(DEFAULT_SLUG)  # each organisation is invited to it, as only invited ones may answer
        for group, count in zip(GROUPS, (pages, members), strict=True):
            for number in range(1, count + 1):
                organisation = Organisation(
                    name=f"{ORGANISATION_PREFIX} {group} {number:03d}", region="wales", council_type="welsh"
                )
                db.session.add(organisation)
                db.session.flush()
                record_invitation(survey, organisation, email_for(group, number))
                user = User(
                    email=email_for(group, number),
                    name=f"Bench {group} {number:03d}",
                    organisation_id=organisation.id,
                    password_hash=password_hash,
                )
                user.set_roles({"member"})
                db.session.add(user)
        db.session.commit()
    return {"page": pages, "member": members}


def inspect() -> dict[str, dict]:
    """Every benchmark account's response: status, submissions, the question ids and values stored."""
    from sqlalchemy import select

    from app.auth.models import User
    from app.extensions import db
    from app.surveys.models import Answer, Response
    from app.surveys.services import DEFAULT_SLUG, find_survey
    from wsgi import app

    found: dict[str, dict] = {}
    with app.app_context():
        survey = find_survey(DEFAULT_SLUG)
        users = db.session.scalars(select(User).where(User.email.like(f"%@{EMAIL_DOMAIN}"))).all()
        responses = {
            r.organisation_id: r
            for r in db.session.scalars(
                select(Response).where(Response.survey_id == survey.id, Response.organisation_id.is_not(None))
            )
        }
        answers: dict[int, list[str]] = {}
        values: dict[int, dict] = {}
        for response_id, question_id, value in db.session.execute(
            select(Answer.response_id, Answer.question_id, Answer.value)
        ):
            answers.setdefault(response_id, []).append(question_id)
            values.setdefault(response_id, {})[question_id] = value
        for user in users:
            response = responses.get(user.organisation_id)
            found[user.email] = {
                "status": response.status if response else None,
                "submission_count": response.submission_count if response else 0,
                "answers": sorted(answers.get(response.id, [])) if response else [],
                "submitted_answers": sorted(response.submitted_answers or {}) if response else [],
                "values": values.get(response.id, {}) if response else {},
                "submitted_values": (response.submitted_answers or {}) if response else {},
            }
    return found


def main(argv: list[str] | None = None) -> int:
    """Command line: create or inspect."""
    parser = argparse.ArgumentParser(prog="python -m bench.survey_db", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("create", help="add organisations and member accounts")
    make.add_argument("--pages", type=int, required=True)
    make.add_argument("--members", type=int, required=True)
    commands.add_parser("inspect", help="print every benchmark account's response as JSON")
    args = parser.parse_args(argv)
    if args.command == "create":
        password = os.environ.get("BENCH_MEMBER_PASSWORD", "")
        if not password:
            parser.error("set BENCH_MEMBER_PASSWORD")
        print(json.dumps(create(args.pages, args.members, password)))
    else:
        print(json.dumps(inspect()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
