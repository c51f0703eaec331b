"""Setting up a study: a new study with the brief's discussion guide, its settings, its guide and its
candidate slots. `create_study` and `add_slot` build inside the caller's transaction (the demo data and
tests use them); every other change here is one unit of work that owns its transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from app.audit.services import record
from app.database import write_transaction
from app.extensions import db
from app.focus_groups.models import Availability, GuideQuestion, Placement, Slot, Study, Volunteer

# The brief's discussion guide (shared/DOMAIN.md), with prompts a facilitator can use.
DEFAULT_GUIDE: list[tuple[str, list[str]]] = [
    (
        "What is a user?",
        [
            "Who do you count as a user of your ICT service today?",
            "Does a user need an account, a device, or just to call the service desk?",
        ],
    ),
    (
        "Our current definition versus who organisations actually support.",
        [
            "Who do you support that the benchmarking definition leaves out?",
            "Schools, pupils, partners, councillors, residents: who is in and who is out?",
        ],
    ),
    (
        "The approximate proportion of users in different categories.",
        [
            "Roughly what share of your users are office staff, frontline staff, school staff, pupils, partners?",
            "How confident are you in those figures, and where do they come from?",
        ],
    ),
    (
        "Whether particular groups of users receive a markedly different form of service, in quality or attention.",
        [
            "Do schools or pupils get the same service levels as corporate users?",
            "Which groups take more (or less) of your team's time than their numbers suggest?",
        ],
    ),
]


def create_study(
    title: str,
    *,
    theme: str = "",
    target_groups: int = 2,
    min_size: int = 4,
    target_size: int = 6,
    max_size: int = 8,
    places_per_reserve: int = 5,
    by=None,
) -> Study:
    """A new study with the brief's four-question discussion guide (editable afterwards)."""
    study = Study(
        title=title,
        theme=theme,
        target_groups=target_groups,
        min_size=min_size,
        target_size=target_size,
        max_size=max_size,
        places_per_reserve=places_per_reserve,
        created_by_id=getattr(by, "id", None),
    )
    for position, (text, prompts) in enumerate(DEFAULT_GUIDE, start=1):
        study.questions.append(GuideQuestion(position=position, text=text, prompts="\n".join(prompts)))
    db.session.add(study)
    db.session.flush()
    record("focus_groups.study_created", study, actor=by, title=title)
    return study


def add_slot(
    study: Study,
    starts_at: datetime,
    *,
    location: str,
    online: bool = True,
    capacity: int = 8,
    duration_minutes: int = 90,
    by=None,
) -> Slot:
    """Add a candidate slot; `starts_at` is timezone-aware (organisers type it in UK time)."""
    slot = Slot(
        study=study,
        starts_at=starts_at.astimezone(UTC),
        location=location,
        online=online,
        capacity=capacity,
        duration_minutes=duration_minutes,
    )
    db.session.add(slot)
    db.session.flush()
    record("focus_groups.slot_added", slot, actor=by, study=study.id)
    return slot


# What the set-up pages show -----------------------------------------------------------------------


def studies_overview() -> tuple[list[Study], dict[int, int], dict[int, int]]:
    """Every study, newest first, with its volunteers still in and its confirmed groups (by study id)."""
    studies = list(db.session.scalars(select(Study).order_by(Study.id.desc())))
    volunteers = dict(
        db.session.execute(
            select(Volunteer.study_id, func.count(Volunteer.id))
            .where(Volunteer.withdrawn_at.is_(None))
            .group_by(Volunteer.study_id)
        ).all()
    )
    confirmed = dict(
        db.session.execute(
            select(Slot.study_id, func.count(Slot.id)).where(Slot.status == "confirmed").group_by(Slot.study_id)
        ).all()
    )
    return studies, volunteers, confirmed


def volunteer_count(study: Study) -> int:
    """How many volunteers the study has who have not withdrawn."""
    return db.session.scalar(
        select(func.count(Volunteer.id)).where(Volunteer.study_id == study.id, Volunteer.withdrawn_at.is_(None))
    )


def availability_counts(study: Study) -> dict[int, dict[str, int]]:
    """For each slot, how many volunteers still in said "yes" and "if need be"."""
    counts: dict[int, dict[str, int]] = {slot.id: {"yes": 0, "if_need_be": 0} for slot in study.slots}
    rows = db.session.execute(
        select(Availability.slot_id, Availability.answer, func.count())
        .join(Volunteer, Volunteer.id == Availability.volunteer_id)
        .where(Volunteer.study_id == study.id, Volunteer.withdrawn_at.is_(None))
        .group_by(Availability.slot_id, Availability.answer)
    ).all()
    for slot_id, answer, count in rows:
        if slot_id in counts and answer in counts[slot_id]:
            counts[slot_id][answer] = count
    return counts


def has_confirmed_group(study: Study) -> bool:
    """Whether any of the study's slots is a confirmed session (the study can then not be deleted)."""
    return any(slot.status == "confirmed" for slot in study.slots)


def proposed_count(slot: Slot) -> int:
    """How many people the composition has proposed for a slot."""
    return db.session.scalar(select(func.count(Placement.id)).where(Placement.slot_id == slot.id))


# The study and its settings: each one unit of work with its own transaction ------------------------


def start_study(title: str, *, one_per_organisation: bool, recruiting: bool, by=None, **settings) -> Study:
    """Create a study (`create_study`) with its recruitment settings, and commit it."""
    with write_transaction():
        study = create_study(title, by=by, **settings)
        study.one_per_organisation = one_per_organisation
        study.recruiting = recruiting
    return study


def change_settings(study: Study, values: dict) -> None:
    """Save a study's settings (only those in `values`), recording which changed."""
    with write_transaction():
        changes = {}
        for name, value in values.items():
            if getattr(study, name) != value:
                changes[name] = value
                setattr(study, name, value)
        record("focus_groups.study_changed", study, changed=sorted(changes))


def delete_study(study: Study) -> str | None:
    """Delete a study with everything in it; returns its title, or None (nothing done) once a group is confirmed."""
    with write_transaction():
        if has_confirmed_group(study):
            return None
        title = study.title
        record("focus_groups.study_deleted", study, title=title)
        db.session.delete(study)
    return title


# The discussion guide ------------------------------------------------------------------------------


def add_guide_question(study: Study, text: str, prompts: str) -> GuideQuestion:
    """Add a question to the end of the study's discussion guide."""
    with write_transaction():
        position = max((q.position for q in study.questions), default=0) + 1
        question = GuideQuestion(study=study, position=position, text=text, prompts=prompts)
        db.session.add(question)
        db.session.flush()
        record("focus_groups.guide_question_added", question, study=study.id)
    return question


def change_guide_question(study: Study, question: GuideQuestion, text: str, prompts: str) -> None:
    """Change a guide question and its prompts."""
    with write_transaction():
        question.text = text
        question.prompts = prompts
        record("focus_groups.guide_question_changed", question, study=study.id)


def move_guide_question(study: Study, question: GuideQuestion, up: bool) -> None:
    """Move a guide question up or down one place (nothing happens at either end)."""
    with write_transaction():
        questions = list(study.questions)
        index = questions.index(question)
        other = index - 1 if up else index + 1
        if 0 <= other < len(questions):
            questions[index], questions[other] = questions[other], questions[index]
            for position, item in enumerate(questions, start=1):
                item.position = position
            record("focus_groups.guide_question_moved", question, study=study.id)


def delete_guide_question(study: Study, question: GuideQuestion) -> None:
    """Remove a question from the guide and number the rest again."""
    with write_transaction():
        record("focus_groups.guide_question_deleted", question, study=study.id, text=question.text[:200])
        db.session.delete(question)
        db.session.flush()
        for position, item in enumerate(sorted(study.questions, key=lambda q: q.position), start=1):
            item.position = position


# Candidate slots -----------------------------------------------------------------------------------


def save_slot(
    study: Study,
    slot: Slot | None,
    starts_at: datetime,
    *,
    location: str,
    online: bool,
    capacity: int,
    duration_minutes: int,
) -> Slot:
    """Add a candidate slot (`slot` None) or change one; `starts_at` is timezone-aware."""
    with write_transaction():
        if slot is None:
            return add_slot(
                study,
                starts_at,
                location=location,
                online=online,
                capacity=capacity,
                duration_minutes=duration_minutes,
            )
        slot.starts_at = starts_at
        slot.location = location
        slot.online = online
        slot.capacity = capacity
        slot.duration_minutes = duration_minutes
        record("focus_groups.slot_changed", slot, study=study.id)
    return slot


def delete_slot(study: Study, slot: Slot) -> bool:
    """Remove a candidate slot (with anyone proposed for it); False, and nothing done, for a session."""
    with write_transaction():
        if slot.status != "candidate":
            return False
        record("focus_groups.slot_deleted", slot, study=study.id)
        db.session.delete(slot)
    return True
