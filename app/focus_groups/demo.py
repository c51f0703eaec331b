"""Demo content for `flask demo-data`: the "Who are our users?" study with volunteers and groups.

Deterministic: the same volunteers, availability and groups every time. One group is confirmed, with
the demo facilitator running it, so every role has something to see; the other is proposed, for the
organiser to confirm. The demo member's organisation has no volunteer, so the member can volunteer.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, time, timedelta

from sqlalchemy import select

from app.auth.models import User
from app.clock import LONDON, utcnow
from app.extensions import db
from app.focus_groups.models import Availability, Study, Volunteer
from app.focus_groups.recruitment.consent import CURRENT_CONSENT_VERSION
from app.focus_groups.services import add_slot, create_study, new_salt
from app.organisations.models import Organisation

DEMO_STUDY_TITLE = "Who are our users?"
DEMO_THEME = (
    "Councils now serve school pupils and people from outside the organisation as well as their own staff. "
    "Do these users place an equivalent strain on ICT services, and should benchmarking count them?"
)
FIRST_NAMES = [
    "Amira", "Ben", "Carys", "Declan", "Ella", "Farid", "Grace", "Harri", "Isla", "Jamal", "Kirsty", "Liam",
    "Morag", "Niamh", "Owen", "Priya", "Rhys", "Saoirse", "Tom", "Uma", "Vikram", "Wendy", "Yusuf", "Zoe",
    "Aled", "Bethan", "Callum", "Deepa", "Euan", "Fiona", "Gareth", "Hannah", "Ivan", "Jess", "Kwame", "Lowri",
]  # fmt: skip
LAST_NAMES = [
    "Ahmed", "Brown", "Campbell", "Davies", "Evans", "Fraser", "Gill", "Hughes", "Iqbal", "Jones", "Kelly",
    "Lewis", "McDonald", "Nolan", "O'Neill", "Price", "Quinn", "Roberts", "Shah", "Thomas", "Usman", "Walsh",
]  # fmt: skip
JOB_ROLES = ["Head of ICT", "ICT service manager", "Chief digital officer", "IT operations lead", "Director of digital"]
SCHOOLS_BY_TYPE = {"county", "unitary", "metropolitan-borough", "london-borough", "scottish", "welsh"}
SKIPPED_ORGANISATION = "Kent County Council"  # the demo member's own: left free so they can volunteer


def _draw(*parts: object) -> float:
    """A stable pseudo-random number in [0, 1) from its inputs."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _first_slot_day(today: datetime) -> datetime:
    """The first Tuesday at least four weeks away, at 10:00 UK time."""
    day = (today + timedelta(weeks=4)).date()
    day += timedelta(days=(1 - day.weekday()) % 7)
    return datetime.combine(day, time(10, 0), tzinfo=LONDON)


def load_demo_study(now: datetime | None = None) -> int:
    """Create the demo study if it is missing; returns how many volunteers were added."""
    if db.session.scalar(select(Study.id).where(Study.title == DEMO_STUDY_TITLE)) is not None:
        return 0
    now = now or utcnow()
    organiser = db.session.scalar(select(User).where(User.email == "organiser@demo.example"))
    facilitator = db.session.scalar(select(User).where(User.email == "facilitator@demo.example"))
    study = create_study(DEMO_STUDY_TITLE, theme=DEMO_THEME, by=organiser)
    first = _first_slot_day(now)
    plan = [
        (first, True, "https://meet.socitm.example/who-are-our-users-1"),
        (first + timedelta(days=2, hours=4), True, "https://meet.socitm.example/who-are-our-users-2"),
        (first + timedelta(weeks=1), False, "Socitm, 8a Basepoint, Rivermead Drive, Westlea, Swindon SN5 7EX"),
        (first + timedelta(weeks=2, days=2), True, "https://meet.socitm.example/who-are-our-users-4"),
    ]
    slots = [add_slot(study, when, location=where, online=online, by=organiser) for when, online, where in plan]

    organisations = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    added = 0
    for n, org in enumerate(o for o in organisations if o.name != SKIPPED_ORGANISATION):
        first_name = FIRST_NAMES[n % len(FIRST_NAMES)]
        last_name = LAST_NAMES[(n * 7) % len(LAST_NAMES)]
        volunteer = Volunteer(
            study_id=study.id,
            name=f"{first_name} {last_name}",
            email=f"{first_name}.{last_name}".lower().replace("'", "") + f"@{org.id}.demo.example",
            job_role=JOB_ROLES[n % len(JOB_ROLES)],
            organisation_id=org.id,
            organisation_name=org.name,
            region=org.region,
            council_type=org.council_type,
            supports_schools=org.council_type in SCHOOLS_BY_TYPE and _draw("schools", org.name) < 0.85,
            access_needs="Captions on video calls, please." if n % 11 == 3 else None,
            consented_at=now - timedelta(days=3 + n % 9),
            consent_version=CURRENT_CONSENT_VERSION,
            audio_consent=_draw("audio", org.name) < 0.7,
            source="form",
            salt=new_salt(),
        )
        for slot in slots:
            draw = _draw("availability", org.name, slot.starts_at)
            answer = "yes" if draw < 0.55 else "if_need_be" if draw < 0.7 else "no"
            volunteer.availability.append(Availability(slot_id=slot.id, answer=answer))
        db.session.add(volunteer)
        added += 1
    db.session.flush()

    from app.focus_groups.composition.planning import compose_study, current_groups

    compose_study(study, by=organiser)
    db.session.flush()
    groups = current_groups(study)
    if groups:  # the first group is confirmed and run by the demo facilitator
        slot = groups[0].slot
        slot.status = "confirmed"
        slot.confirmed_at = now
        slot.facilitator_id = facilitator.id if facilitator else None
        for number, placement in enumerate(groups[0].participants, start=1):
            placement.pseudonym = f"P{number}"
            placement.status = "accepted" if number % 4 else "invited"
            placement.invited_at = now
            placement.responded_at = now if placement.status == "accepted" else None
    db.session.commit()
    return added
