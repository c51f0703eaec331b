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
from app.clock import LONDON, aware, utcnow
from app.extensions import db
from app.focus_groups.models import Availability, Study, Volunteer
from app.focus_groups.notes.access import session_participants
from app.focus_groups.notes.debrief import save_debrief
from app.focus_groups.notes.models import Note
from app.focus_groups.notes.proportions import save_proportions, share_field
from app.focus_groups.notes.taking import NoteInput, add_note
from app.focus_groups.recruitment.consent import CURRENT_CONSENT_VERSION
from app.focus_groups.services import new_salt
from app.focus_groups.studies.services import add_slot, create_study
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


# --- session notes ----------------------------------------------------------------------------

DEMO_NOTES: list[tuple[int | None, str, str, list[int]]] = [
    # (guide question position or None, kind, text, participant numbers)
    (1, "key_point", "Most of the group count a user as anyone with an account on the council's network.", []),
    (1, "quote", "If they can ring our service desk, they're a user, whatever the benchmark says.", [1]),
    (1, "observation", "Disagreement on whether a shared library PC counts as one user or many.", [2, 3]),
    (2, "quote", "We support 40,000 pupils and none of them appear in our cost per user.", [2]),
    (2, "key_point", "Councils with traded services to schools all support users outside the definition.", []),
    (3, "observation", "Pupils were the biggest group for the county councils here. Office staff came second.", [1]),
    (3, "quote", "Pupils are about three quarters of our accounts, but maybe a tenth of our tickets.", [3]),
    (4, "quote", "Schools get best efforts; corporate users get the SLA. That's the honest answer.", [1]),
    (4, "observation", "Two participants said school staff take more support time per head than office staff.", [2, 3]),
    (None, "action", "Send the group the draft definition of a user for comment.", []),
]
DEMO_SHARES = [
    {"office_staff": 18, "frontline_staff": 7, "councillors": 1, "school_staff": 12, "pupils": 58, "partners": 4},
    {"office_staff": 35, "frontline_staff": 20, "councillors": 2, "school_staff": 8, "pupils": 30, "residents": 5},
]


def load_demo_notes() -> int:
    """Add a handful of notes, two participants' proportions and a debrief to the demo's confirmed
    session (run by the demo facilitator); returns how many notes were added (0 if it has notes already)."""
    facilitator = db.session.scalar(select(User).where(User.email == "facilitator@demo.example"))
    study = db.session.scalar(select(Study).where(Study.title == DEMO_STUDY_TITLE))
    if study is None:
        return 0
    slot = next((s for s in study.slots if s.status == "confirmed"), None)
    if slot is None or db.session.scalar(select(Note.id).where(Note.slot_id == slot.id).limit(1)) is not None:
        return 0
    people = session_participants(slot)
    questions = {q.position: q for q in study.questions}
    start = aware(slot.starts_at)
    added = 0
    for minute, (position, kind, text, numbers) in enumerate(DEMO_NOTES):
        pseudonyms = [people[n - 1].pseudonym for n in numbers if n <= len(people)]
        question = questions.get(position) if position else None
        entry = NoteInput(text, kind, question.id if question else None, pseudonyms)
        add_note(slot, entry, by=facilitator, now=start + timedelta(minutes=5 + minute * 8))
        added += 1
    form = {
        share_field(placement, category): str(value)
        for placement, shares in zip(people, DEMO_SHARES, strict=False)
        for category, value in shares.items()
    }
    save_proportions(slot, form, expected_version=0, by=facilitator, now=start + timedelta(minutes=60))
    save_debrief(
        slot,
        "A lively group. Everyone agreed pupils are users in practice; nobody thought they strain the service "
        "as much as staff do. Follow up on how to count shared devices.",
        expected_version=0,
        by=facilitator,
    )

    return added
