"""The focus groups' parts of people's home pages (hook `HOME`): for organisers, each study with its next
step; for facilitators, their next sessions with the way into each one's notes console.

`next_step` is a plain function of a study's figures (`StudyFacts`), so the order of the work (slots,
volunteers, groups, invitations, staff, attendance) is tested without a request; the figures come from a
few grouped queries, whatever the number of studies and slots.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from app.auth.roles import FACILITATOR, ORGANISER
from app.clock import aware, london, utcnow
from app.extensions import db
from app.focus_groups.models import Placement, Slot, Study, Volunteer
from app.focus_groups.notes.models import SessionNotes
from app.focus_groups.recruitment.pool import places_needed, reserves_needed
from app.focus_groups.scheduling.placements import ACTIVE
from app.hooks import HOME_ORDER, HomeSection

STUDIES_SHOWN = 5
SESSIONS_SHOWN = 5
LONGEST_SESSION = timedelta(minutes=480)  # the longest a slot may last (the fg_slot check constraint)


def when(moment: datetime) -> str:
    """A session's start as people read it: "Tuesday 3 March 2026, 10:00am" in UK time."""
    return london(moment).strftime("%A %-d %B %Y, %-I:%M%p").replace("AM", "am").replace("PM", "pm")


@dataclass(frozen=True)
class SlotFacts:
    """What the next step needs to know about one slot."""

    id: int
    starts_at: datetime
    ends_at: datetime
    status: str
    has_facilitator: bool
    placed: int  # participants still expected (proposed, invited or accepted)
    attendance_recorded: int


@dataclass(frozen=True)
class StudyFacts:
    """A study's figures for its next step: groups wanted, recruitment, volunteers and its slots by start."""

    study_id: int
    target_groups: int
    recruiting: bool
    volunteers: int
    volunteers_needed: int
    slots: list[SlotFacts] = field(default_factory=list)

    @property
    def confirmed(self) -> list[SlotFacts]:
        return [slot for slot in self.slots if slot.status == "confirmed"]


@dataclass(frozen=True)
class NextStep:
    """What to do next in a study, in words, and the page where it is done (an endpoint and its values)."""

    text: str
    link_text: str
    endpoint: str
    values: dict[str, Any]
    waiting: bool = False  # nothing to do until the next session


def next_step(facts: StudyFacts, now: datetime) -> NextStep:
    """The study's next step, in the order the work is done: slots, volunteers, groups, invitations, a
    facilitator for each session, then attendance once sessions have been held."""
    study = {"study_id": facts.study_id}
    live = [slot for slot in facts.slots if slot.status != "cancelled"]
    confirmed = facts.confirmed
    if not live:
        return NextStep(
            "Add the dates and times the groups could meet.", "Add a slot", "focus_groups.add_slot_page", study
        )
    if len(confirmed) < facts.target_groups:
        if facts.volunteers == 0 or (facts.recruiting and facts.volunteers < facts.volunteers_needed):
            return NextStep(
                f"Recruit volunteers: {facts.volunteers} of the {facts.volunteers_needed} needed so far.",
                "Invite members to volunteer",
                "focus_groups.recruit",
                study,
            )
        proposed = any(slot.status == "candidate" and slot.placed and slot.starts_at > now for slot in live)
        if not proposed:
            return NextStep(
                f"Compose the groups from the {facts.volunteers} volunteer{'' if facts.volunteers == 1 else 's'}.",
                "Plan the groups",
                "focus_groups.groups",
                study,
            )
        return NextStep(
            f"Confirm the groups and send their invitations: {len(confirmed)} of {facts.target_groups} confirmed.",
            "Plan the groups",
            "focus_groups.groups",
            study,
        )
    upcoming = [slot for slot in confirmed if slot.starts_at > now]
    for slot in upcoming:
        if not slot.has_facilitator:
            return NextStep(
                f"Choose a facilitator for the session on {when(slot.starts_at)}.",
                "Choose the facilitator",
                "focus_groups.slot_detail",
                {**study, "slot_id": slot.id},
            )
    for slot in confirmed:
        if slot.ends_at <= now and slot.placed and not slot.attendance_recorded:
            return NextStep(
                f"Record who came to the session on {when(slot.starts_at)}.",
                "Record attendance",
                "focus_groups.attendance",
                {**study, "slot_id": slot.id},
            )
    if upcoming:
        return NextStep(
            f"Nothing to do until the next session, on {when(upcoming[0].starts_at)}.",
            "See the session",
            "focus_groups.slot_detail",
            {**study, "slot_id": upcoming[0].id},
            waiting=True,
        )
    return NextStep(
        "Every session has been held: its notes are ready for the analysis.",
        "See the study",
        "focus_groups.study",
        study,
        waiting=True,
    )


@dataclass(frozen=True)
class StudyProgress:
    """A study on an organiser's home page: its figures and its next step."""

    study: Study
    facts: StudyFacts
    step: NextStep
    next_session: datetime | None


def studies_progress(now: datetime | None = None, limit: int = STUDIES_SHOWN) -> tuple[list[StudyProgress], int]:
    """The newest studies (at most `limit`) with their figures and next steps, and how many studies there are."""
    now = now or utcnow()
    total = db.session.scalar(select(func.count(Study.id)))
    studies = db.session.scalars(select(Study).order_by(Study.id.desc()).limit(limit)).all()
    ids = [study.id for study in studies]
    volunteers = dict(
        db.session.execute(
            select(Volunteer.study_id, func.count(Volunteer.id))
            .where(Volunteer.study_id.in_(ids), Volunteer.withdrawn_at.is_(None), Volunteer.erased_at.is_(None))
            .group_by(Volunteer.study_id)
        ).all()
    )
    expected = (Placement.role == "participant") & Placement.status.in_(ACTIVE)
    placements = {
        slot_id: (int(placed or 0), int(attended or 0))
        for slot_id, placed, attended in db.session.execute(
            select(
                Placement.slot_id,
                func.sum(case((expected, 1), else_=0)),
                func.sum(case((Placement.attendance.is_not(None), 1), else_=0)),
            )
            .where(Placement.study_id.in_(ids))
            .group_by(Placement.slot_id)
        )
    }
    slots: dict[int, list[SlotFacts]] = {study_id: [] for study_id in ids}
    for slot in db.session.execute(
        select(Slot.id, Slot.study_id, Slot.starts_at, Slot.duration_minutes, Slot.status, Slot.facilitator_id)
        .where(Slot.study_id.in_(ids))
        .order_by(Slot.starts_at, Slot.id)
    ):
        starts = aware(slot.starts_at)
        placed, attended = placements.get(slot.id, (0, 0))
        slots[slot.study_id].append(
            SlotFacts(
                slot.id,
                starts,
                starts + timedelta(minutes=slot.duration_minutes),
                slot.status,
                slot.facilitator_id is not None,
                placed,
                attended,
            )
        )
    found = []
    for study in studies:
        facts = StudyFacts(
            study.id,
            study.target_groups,
            study.recruiting,
            volunteers.get(study.id, 0),
            places_needed(study) + reserves_needed(study),
            slots[study.id],
        )
        coming = next((slot.starts_at for slot in facts.confirmed if slot.starts_at > now), None)
        found.append(StudyProgress(study, facts, next_step(facts, now), coming))
    return found, total


def organiser_home(user) -> HomeSection | None:
    """An organiser's focus-groups part of their home page: each study's next step."""
    if not user.has_role(ORGANISER):
        return None
    items, total = studies_progress()
    return HomeSection(
        heading="Focus groups",
        template="focus_groups/home_organiser.html",
        order=HOME_ORDER["focus_groups"],
        context={"items": items, "total": total},
    )


@dataclass(frozen=True)
class StaffSession:
    """One of a facilitator's sessions on their home page."""

    slot: Slot
    ends_at: datetime
    part: str  # "Facilitator" or "Note-taker"


def _part(slot: Slot, user) -> str:
    return "Facilitator" if slot.facilitator_id == user.id else "Note-taker"


def staff_sessions(
    user, now: datetime | None = None, limit: int = SESSIONS_SHOWN
) -> tuple[list[StaffSession], list[StaffSession]]:
    """The confirmed sessions `user` facilitates or takes notes in: the next ones (those not over yet, at
    most `limit`, soonest first), and those held whose notes are not marked complete yet."""
    now = now or utcnow()
    theirs = (Slot.facilitator_id == user.id) | (Slot.note_taker_id == user.id)
    query = select(Slot).options(joinedload(Slot.study)).where(Slot.status == "confirmed", theirs)
    coming = db.session.scalars(
        query.where(Slot.starts_at > now - LONGEST_SESSION).order_by(Slot.starts_at, Slot.id)
    ).all()
    upcoming = []
    for slot in coming:
        ends = aware(slot.starts_at) + timedelta(minutes=slot.duration_minutes)
        if ends > now and len(upcoming) < limit:
            upcoming.append(StaffSession(slot, ends, _part(slot, user)))
    held = db.session.scalars(
        query.outerjoin(SessionNotes, SessionNotes.slot_id == Slot.id)
        .where(Slot.starts_at <= now, SessionNotes.completed_at.is_(None))
        .order_by(Slot.starts_at.desc(), Slot.id)
        .limit(limit * 2)
    ).all()
    unfinished = []
    for slot in held:
        ends = aware(slot.starts_at) + timedelta(minutes=slot.duration_minutes)
        if ends <= now and len(unfinished) < limit:
            unfinished.append(StaffSession(slot, ends, _part(slot, user)))
    return upcoming, unfinished


def facilitator_home(user) -> HomeSection | None:
    """A facilitator's part of their home page: their next sessions, and notes still to finish."""
    if not user.has_role(FACILITATOR):
        return None
    upcoming, unfinished = staff_sessions(user)
    return HomeSection(
        heading="Your sessions",
        template="focus_groups/home_facilitator.html",
        order=HOME_ORDER["sessions"],
        context={"upcoming": upcoming, "unfinished": unfinished},
    )
