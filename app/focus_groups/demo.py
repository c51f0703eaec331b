"""Demo content for `flask demo-data`: the "Who are our users?" study with volunteers and groups.

Deterministic: the same volunteers, availability and groups every time. Three groups are confirmed, with
the demo facilitator running them and notes taken in each (`app.focus_groups.demo_notes`), so every role
and the analysis have something to see; the fourth is proposed, for the organiser to confirm. The demo
member's organisation has no volunteer, so the member can volunteer.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, time, timedelta

from sqlalchemy import select

from app.auth.models import User
from app.clock import LONDON, aware, utcnow
from app.extensions import db
from app.focus_groups.demo_notes import DEBRIEFS, ROLES, SESSIONS, SHARES_WITH_SCHOOLS, SHARES_WITHOUT_SCHOOLS
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
# (after the first slot, online?, meeting link or venue): four slots, three confirmed groups with notes.
SLOT_PLAN = [
    (timedelta(0), True, "https://meet.socitm.example/who-are-our-users-1"),
    (timedelta(days=2, hours=4), True, "https://meet.socitm.example/who-are-our-users-2"),
    (timedelta(weeks=1), False, "Socitm, 8a Basepoint, Rivermead Drive, Westlea, Swindon SN5 7EX"),
    (timedelta(weeks=2, days=2), True, "https://meet.socitm.example/who-are-our-users-4"),
]
CONFIRMED_GROUPS = 3


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
    study.target_groups = len(SLOT_PLAN)
    first = _first_slot_day(now)
    slots = [
        add_slot(study, first + offset, location=where, online=online, by=organiser)
        for offset, online, where in SLOT_PLAN
    ]

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
    for group in current_groups(study)[:CONFIRMED_GROUPS]:  # confirmed and run by the demo facilitator
        slot = group.slot
        slot.status = "confirmed"
        slot.confirmed_at = now
        slot.facilitator_id = facilitator.id if facilitator else None
        for number, placement in enumerate(group.participants, start=1):
            placement.pseudonym = f"P{number}"
            placement.status = "accepted" if number % 4 else "invited"
            placement.invited_at = now
            placement.responded_at = now if placement.status == "accepted" else None
    db.session.flush()
    compose_study(study, by=organiser)  # the group left to plan, as the organiser would propose it
    db.session.commit()
    return added


# --- session notes ----------------------------------------------------------------------------


def _concerning(roles: str, people: list, turn: int) -> list[str] | None:
    """Pseudonyms for a note's roles (`demo_notes.ROLES`: "S" supports schools, "N" does not, "A" anyone...),
    a different person for each letter, taken in turn so that notes spread across the group; None when the
    group has nobody fitting."""
    chosen: list[str] = []
    for offset, role in enumerate(roles):
        fits = [p.pseudonym for p in people if p.pseudonym not in chosen and ROLES[role](p.volunteer)]
        if not fits:
            return None
        chosen.append(fits[(turn + offset * 2) % len(fits)])
    return chosen


def _shares(people: list) -> dict[str, str]:
    """The proportions grid of the first three participants, each as their organisation would answer it."""
    form, with_schools, without = {}, iter(SHARES_WITH_SCHOOLS), iter(SHARES_WITHOUT_SCHOOLS)
    for placement in people[:3]:
        shares = next(with_schools if placement.volunteer.supports_schools else without, None)
        for category, value in (shares or {}).items():
            form[share_field(placement, category)] = str(value)
    return form


def _load_session_notes(slot, notes: list, debrief: str, facilitator) -> int:
    """One session's notes, proportions and debrief; returns how many notes were added."""
    people = session_participants(slot)
    questions = {q.position: q for q in slot.study.questions}
    start = aware(slot.starts_at)
    added = 0
    for turn, (position, kind, text, roles) in enumerate(notes):
        where, _, said = text.partition(":") if text.startswith(("online:", "room:")) else ("", "", text)
        if where and (where == "online") != slot.online:
            continue  # chatter about a call in a room, or about the room on a call
        pseudonyms = _concerning(roles, people, turn)
        if pseudonyms is None:
            continue  # nobody in this group could have said it
        question = questions.get(position) if position else None
        entry = NoteInput(said.format(*pseudonyms), kind, question.id if question else None, pseudonyms)
        add_note(slot, entry, by=facilitator, now=start + timedelta(minutes=2 + turn * 80 // len(notes)))
        added += 1
    save_proportions(slot, _shares(people), expected_version=0, by=facilitator, now=start + timedelta(minutes=60))
    save_debrief(slot, debrief, expected_version=0, by=facilitator)
    return added


def load_demo_notes() -> int:
    """Notes, participants' proportions and a debrief for each of the demo's confirmed sessions (run by the
    demo facilitator); returns how many notes were added (0 if the sessions have notes already)."""
    facilitator = db.session.scalar(select(User).where(User.email == "facilitator@demo.example"))
    study = db.session.scalar(select(Study).where(Study.title == DEMO_STUDY_TITLE))
    if study is None:
        return 0
    slots = sorted((s for s in study.slots if s.status == "confirmed"), key=lambda s: s.starts_at)
    if not slots or db.session.scalar(select(Note.id).where(Note.slot_id.in_([s.id for s in slots])).limit(1)):
        return 0
    return sum(
        _load_session_notes(slot, notes, debrief, facilitator)
        for slot, notes, debrief in zip(slots, SESSIONS, DEBRIEFS, strict=False)
    )
