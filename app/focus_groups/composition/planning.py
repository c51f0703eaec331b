"""Planning a study's groups from its volunteers: run the optimiser, keep organisers' locks and moves.

Confirmed groups are left as they are; the optimiser plans the remaining groups from the candidate
slots and the volunteers not already in a confirmed group. Its proposal is stored as placements
(status "proposed"), with the explanation in `study.composition_report`.

`propose_groups`, `move_volunteer` and `set_lock` are services: each is one unit of work and owns its
transaction. `compose_study` is the building block under `propose_groups` (the demo data calls it
inside its own transaction).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.audit.services import record
from app.clock import aware, uk_time, utcnow
from app.database import write_transaction
from app.extensions import db
from app.focus_groups.composition.optimiser import (
    REASON_ORGANISATION,
    REASONS,
    Composition,
    CompositionError,
    Person,
    Rules,
    SlotOption,
    compose,
    reserve_preference,
    violations,
)
from app.focus_groups.models import CompositionLock, Placement, Slot, Study, Volunteer
from app.wording import plural

ACTIVE_STATUSES = ("proposed", "invited", "accepted")


def organisation_key(volunteer: Volunteer) -> str:
    """What "the same organisation" means: the member organisation, else the name they typed."""
    if volunteer.organisation_id:
        return f"org:{volunteer.organisation_id}"
    if volunteer.organisation_name:
        return "name:" + " ".join(volunteer.organisation_name.lower().split())
    return f"volunteer:{volunteer.id}"


def active_volunteers(study: Study) -> list[Volunteer]:
    """Volunteers who have not withdrawn, in the order they came forward."""
    return [v for v in study.volunteers if v.withdrawn_at is None and v.erased_at is None]


def to_person(volunteer: Volunteer) -> Person:
    """A volunteer as the optimiser sees them."""
    return Person(
        id=str(volunteer.id),
        organisation=organisation_key(volunteer),
        region=volunteer.region,
        council_type=volunteer.council_type,
        supports_schools=volunteer.supports_schools,
        available=frozenset(str(a.slot_id) for a in volunteer.availability if a.answer == "yes"),
        if_need_be=frozenset(str(a.slot_id) for a in volunteer.availability if a.answer == "if_need_be"),
    )


def rules_for(study: Study, groups: int | None = None) -> Rules:
    """The study's settings as optimiser rules."""
    return Rules(
        groups=study.target_groups if groups is None else groups,
        min_size=study.min_size,
        target_size=study.target_size,
        max_size=study.max_size,
        places_per_reserve=study.places_per_reserve,
        one_per_organisation=study.one_per_organisation,
    )


def slot_label(slot: Slot) -> str:
    """How pages name a slot: its number and its time."""
    return f"{slot.label} ({uk_time(slot.starts_at, '%-d %b %Y, %-I:%M%p')})"


def names_for(study: Study) -> dict[str, str]:
    """How the optimiser's ids are written for organisers: volunteers' and slots' names."""
    names = {str(v.id): v.display_name for v in study.volunteers}
    names.update({str(s.id): slot_label(s) for s in study.slots})
    for volunteer in study.volunteers:
        names[organisation_key(volunteer)] = (
            volunteer.organisation.name if volunteer.organisation else volunteer.organisation_name or "Unknown"
        )
    return names


def _placement_map(study: Study) -> dict[int, Placement]:
    rows = db.session.scalars(select(Placement).where(Placement.study_id == study.id))
    return {p.volunteer_id: p for p in rows}


def lock_study(study: Study) -> None:
    """Hold the study's row until the transaction ends, so two runs (a double click) take turns.

    PostgreSQL takes a row lock; SQLite ignores FOR UPDATE, but a POST there already holds the
    database's write lock for its whole transaction (app/database.py).
    """
    db.session.execute(select(Study.id).where(Study.id == study.id).with_for_update())


def preload(study: Study) -> None:
    """Load the study's volunteers with their organisations, availability and placements, and its
    slots with their placements, in a few queries (pages list hundreds of them)."""
    volunteers = selectinload(Study.volunteers)
    db.session.scalars(
        select(Study)
        .where(Study.id == study.id)
        .options(
            volunteers.selectinload(Volunteer.organisation),
            volunteers.selectinload(Volunteer.availability),
            volunteers.selectinload(Volunteer.placement),
            selectinload(Study.slots).selectinload(Slot.placements),
        )
        .execution_options(populate_existing=True)
    ).all()


def compose_study(study: Study, by=None, now=None) -> Composition:
    """Propose groups for the study and store them as placements; raises CompositionError.

    Confirmed groups stay as they are, and everyone in them (participants and reserves, and people
    who declined) stays out of the new proposal. The other groups are planned afresh from the
    candidate slots that have not yet started; proposals in those slots and in cancelled ones are
    replaced.
    """
    lock_study(study)
    preload(study)
    now = now or utcnow()
    confirmed = [s for s in study.slots if s.status == "confirmed"]
    candidates = [s for s in study.slots if s.status == "candidate" and aware(s.starts_at) > now]
    replaced = [s for s in study.slots if s.status in ("candidate", "cancelled")]
    placements = _placement_map(study)
    in_confirmed = {vid for vid, p in placements.items() if p.slot.status == "confirmed"}
    # Reserves count too: any of them may be promoted into the confirmed group.
    confirmed_orgs = {
        organisation_key(p.volunteer)
        for p in placements.values()
        if p.slot.status == "confirmed" and p.status in ACTIVE_STATUSES
    }
    wanted = max(study.target_groups - len(confirmed), 0)
    pool, excluded = [], {}
    for volunteer in active_volunteers(study):
        if volunteer.id in in_confirmed:
            continue
        if study.one_per_organisation and organisation_key(volunteer) in confirmed_orgs:
            excluded[str(volunteer.id)] = REASON_ORGANISATION
            continue
        pool.append(volunteer)
    locks = db.session.scalars(select(CompositionLock).where(CompositionLock.study_id == study.id)).all()
    candidate_ids = {s.id for s in candidates}
    pool_ids = {v.id for v in pool}
    locked_in = {
        str(lock.volunteer_id): str(lock.slot_id)
        for lock in locks
        if lock.kind == "in" and lock.slot_id in candidate_ids and lock.volunteer_id in pool_ids
    }
    locked_out = [(str(lock.volunteer_id), str(lock.slot_id)) for lock in locks if lock.kind == "out"]
    people = [to_person(v) for v in pool]
    options = [SlotOption(str(s.id), s.capacity) for s in candidates]
    if wanted == 0:
        result = Composition(groups={}, reserves={}, not_placed={}, objective=0.0, optimal=True)
    else:
        result = compose(people, options, rules_for(study, wanted), locked_in=locked_in, locked_out=locked_out)
    result.not_placed.update(excluded)

    # Replace the previous proposal (and what a cancellation left behind).
    if replaced:
        db.session.execute(delete(Placement).where(Placement.slot_id.in_([s.id for s in replaced])))
        db.session.flush()
        db.session.expire_all()
    need_be = {p.id: p for p in people}
    for slot_id, members in result.groups.items():
        for person_id in members:
            db.session.add(
                Placement(
                    study_id=study.id,
                    slot_id=int(slot_id),
                    volunteer_id=int(person_id),
                    role="participant",
                    status="proposed",
                    if_need_be=slot_id not in need_be[person_id].available,
                )
            )
    for slot_id, reserve_ids in result.reserves.items():
        for rank, person_id in enumerate(reserve_ids, start=1):
            db.session.add(
                Placement(
                    study_id=study.id,
                    slot_id=int(slot_id),
                    volunteer_id=int(person_id),
                    role="reserve",
                    reserve_rank=rank,
                    status="proposed",
                    if_need_be=slot_id not in need_be[person_id].available,
                )
            )
    study.composition_report = {
        "run_at": utcnow().isoformat(),
        "groups_wanted": wanted,
        "groups_confirmed": len(confirmed),
        "groups_formed": result.groups_formed,
        "optimal": result.optimal,
        "objective": result.objective,
        "solve_seconds": round(result.solve_seconds, 3),
        "volunteers": len(people),
        "not_placed": result.not_placed,
        "council_types_missing": result.council_types_missing,
    }
    db.session.flush()
    record(
        "focus_groups.composed",
        study,
        actor=by,
        groups=result.groups_formed,
        placed=sum(len(m) for m in result.groups.values()),
        reserves=sum(len(r) for r in result.reserves.values()),
    )
    return result


def propose_groups(study: Study, by=None) -> dict:
    """Run the optimiser for a study as one unit of work; the outcome in words for the organiser."""
    try:
        with write_transaction():
            result = compose_study(study, by=by)
    except CompositionError as exc:
        return {"ok": False, "message": f"No groups were proposed: {exc}"}
    except IntegrityError:  # someone changed the groups at the same moment: nothing of this run is kept
        return {"ok": False, "message": "The groups changed while they were being planned: propose them again."}
    if not (study.composition_report or {}).get("groups_wanted"):
        return {"ok": True, "message": "Every group the study asks for is already confirmed: nothing to plan."}
    if result.groups_formed == 0:
        return {"ok": False, "message": "No group can be formed yet: too few volunteers can make the same slot."}
    proven = "the best possible under the rules" if result.optimal else "the best found in the time allowed"
    return {"ok": True, "message": f"{plural(result.groups_formed, 'group')} proposed: {proven}."}


def propose_groups_job(progress, study_id: int, user_id: int) -> dict:
    """`propose_groups` as a background job, for large pools."""
    from app.auth.models import User

    progress(1, "building the model and finding the best groups")
    study = db.session.get(Study, study_id)
    outcome = propose_groups(study, db.session.get(User, user_id))
    progress(3, "done")
    return outcome


@dataclass
class GroupView:
    """One planned or confirmed group, as the plan page shows it."""

    slot: Slot
    participants: list[Placement]
    reserves: list[Placement]
    regions: list[str]
    council_types: list[str]
    supports_schools: int
    does_not_support_schools: int


def current_groups(study: Study) -> list[GroupView]:
    """The groups as they stand: every slot with someone placed in it, in time order."""
    views = []
    for slot in study.slots:
        if slot.status == "cancelled":
            continue
        participants = [p for p in slot.placements if p.role == "participant" and p.status in ACTIVE_STATUSES]
        people = [p.volunteer for p in participants]
        # Best fit first, as a promotion would rank them against the group as it stands now.
        reserves = sorted(
            (p for p in slot.placements if p.role == "reserve" and p.status in ACTIVE_STATUSES),
            key=lambda p: (
                *reserve_preference(
                    people, p.volunteer.region, p.volunteer.council_type, p.volunteer.supports_schools, p.if_need_be
                ),
                p.reserve_rank or 10_000,
                p.id,
            ),
        )
        if not participants and not reserves and slot.status != "confirmed":
            continue
        views.append(
            GroupView(
                slot=slot,
                participants=participants,
                reserves=reserves,
                regions=sorted({v.region_label for v in people}),
                council_types=sorted({v.council_type_label for v in people}),
                supports_schools=sum(1 for v in people if v.supports_schools),
                does_not_support_schools=sum(1 for v in people if not v.supports_schools),
            )
        )
    return views


def plan_warnings(study: Study) -> list[str]:
    """Every rule the current groups break, in words (after organisers' moves, say)."""
    groups: dict[str, list[str]] = {}
    people: dict[str, Person] = {}
    for view in current_groups(study):
        groups[str(view.slot.id)] = [str(p.volunteer_id) for p in view.participants]
        for placement in view.participants:
            people[str(placement.volunteer_id)] = to_person(placement.volunteer)
    options = [SlotOption(str(s.id), s.capacity) for s in study.slots]
    problems = violations(list(people.values()), options, groups, rules_for(study), names_for(study))
    for view in current_groups(study):
        if view.participants and len(view.regions) == 1 and len(view.participants) > 1:
            problems.append(f"Everyone in {slot_label(view.slot)} is from {view.regions[0]}.")
    return problems


def move_volunteer(study: Study, volunteer: Volunteer, slot: Slot | None, role: str = "participant", by=None) -> None:
    """Put a volunteer in a group by hand (as participant or reserve), or take them out (slot None).

    Moves into or out of a confirmed group are refused: those go through invitations, declines and
    withdrawals, so that nobody's calendar is wrong. One unit of work: raises CompositionError, changing nothing.
    """
    with write_transaction():
        if role not in ("participant", "reserve"):
            raise CompositionError("Choose participant or reserve.")
        existing = _placement_map(study).get(volunteer.id)
        if existing is not None and existing.slot.status == "confirmed":
            raise CompositionError(
                f"{volunteer.display_name} is in a confirmed group: change it from the session page."
            )
        if slot is not None and slot.status != "candidate":
            raise CompositionError("People can be moved only into groups that are not yet confirmed.")
        if volunteer.withdrawn_at is not None:
            raise CompositionError(f"{volunteer.display_name} has withdrawn.")
        if existing is not None:
            db.session.delete(existing)
            db.session.flush()
        if slot is not None:
            rank = None
            if role == "reserve":
                ranks = [p.reserve_rank or 0 for p in slot.placements if p.role == "reserve"]
                rank = max(ranks, default=0) + 1
            db.session.add(
                Placement(
                    study_id=study.id,
                    slot_id=slot.id,
                    volunteer_id=volunteer.id,
                    role=role,
                    reserve_rank=rank,
                    status="proposed",
                    if_need_be=volunteer.answer_for(slot.id) != "yes",
                )
            )
        db.session.flush()
        db.session.expire(study)
        record(
            "focus_groups.moved",
            volunteer,
            actor=by,
            study=study.id,
            slot=slot.id if slot else None,
            role=role if slot else "not placed",
        )


def set_lock(study: Study, volunteer: Volunteer, slot: Slot, kind: str | None, by=None) -> None:
    """Lock a volunteer into ("in") or out of ("out") a group for the next run, or clear it (None)."""
    with write_transaction():
        if kind not in (None, "in", "out"):
            raise CompositionError("Choose in, out or none.")
        db.session.execute(
            delete(CompositionLock).where(
                CompositionLock.volunteer_id == volunteer.id, CompositionLock.slot_id == slot.id
            )
        )
        if kind == "in":  # one group only
            db.session.execute(
                delete(CompositionLock).where(
                    CompositionLock.volunteer_id == volunteer.id, CompositionLock.kind == "in"
                )
            )
        if kind:
            db.session.add(CompositionLock(study_id=study.id, volunteer_id=volunteer.id, slot_id=slot.id, kind=kind))
        db.session.flush()
        record("focus_groups.lock", volunteer, actor=by, study=study.id, slot=slot.id, kind=kind or "cleared")


def locks_for(study: Study) -> dict[int, list[CompositionLock]]:
    """Each volunteer's locks, by volunteer id (a volunteer may have several "out" locks)."""
    rows = db.session.scalars(select(CompositionLock).where(CompositionLock.study_id == study.id)).all()
    result: dict[int, list[CompositionLock]] = {}
    for lock in rows:
        result.setdefault(lock.volunteer_id, []).append(lock)
    return result


def not_placed(study: Study) -> list[tuple[Volunteer, str]]:
    """Active volunteers in no group, with the last composition's reason in words."""
    placed = {p.volunteer_id for p in _placement_map(study).values() if p.status in ACTIVE_STATUSES}
    reasons = (study.composition_report or {}).get("not_placed", {})
    rows = []
    for volunteer in active_volunteers(study):
        if volunteer.id in placed:
            continue
        reason = reasons.get(str(volunteer.id))
        rows.append((volunteer, REASONS.get(reason, "Not yet considered: propose groups again")))
    return rows
