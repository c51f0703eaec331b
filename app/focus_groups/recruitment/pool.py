"""The pool of volunteers: the pool dashboard's figures, the volunteer list and one volunteer's records."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sqlalchemy import func, select

from app.audit.services import record
from app.database import write_transaction
from app.extensions import db
from app.focus_groups.models import Availability, Slot, Study, Volunteer
from app.focus_groups.recruitment.consent import CONSENT_TEXTS
from app.focus_groups.recruitment.volunteering import forget_pending_changes, open_slots
from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS

# --- The pool ------------------------------------------------------------------------------------


def active_volunteers_query(study: Study):
    """A select of the study's volunteers who have not withdrawn."""
    return select(Volunteer).where(
        Volunteer.study_id == study.id, Volunteer.withdrawn_at.is_(None), Volunteer.erased_at.is_(None)
    )


@dataclass
class SlotAvailability:
    """How many active volunteers can make one slot."""

    slot: Slot
    yes: int = 0
    if_need_be: int = 0
    no: int = 0


@dataclass
class Pool:
    """The pool dashboard's figures for one study (active volunteers only)."""

    matrix: dict[str, dict[str, int]]  # region -> council type -> volunteers
    region_totals: dict[str, int]
    council_type_totals: dict[str, int]
    total: int
    places_needed: int
    reserves_needed: int
    supports_schools: int
    no_schools: int
    availability: list[SlotAvailability] = field(default_factory=list)

    @property
    def volunteers_needed(self) -> int:
        """Places and reserves together."""
        return self.places_needed + self.reserves_needed

    @property
    def still_needed(self) -> int:
        """How many more volunteers would reach the places and reserves needed."""
        return max(0, self.volunteers_needed - self.total)

    @property
    def regions_without(self) -> list[str]:
        """Regions with no volunteer, as slugs in the vocabulary's order."""
        return [r for r in REGIONS if not self.region_totals[r]]

    @property
    def council_types_without(self) -> list[str]:
        """Council types with no volunteer, as slugs in the vocabulary's order."""
        return [t for t in COUNCIL_TYPES if not self.council_type_totals[t]]


def places_needed(study: Study) -> int:
    """Places in the groups the study aims for: target groups times target size."""
    return study.target_groups * study.target_size


def reserves_needed(study: Study) -> int:
    """Reserves to recruit: one for every `places_per_reserve` places, rounded up."""
    return math.ceil(places_needed(study) / study.places_per_reserve)


def pool_for(study: Study) -> Pool:
    """Count the study's active volunteers by region and council type, against its targets, and per slot."""
    matrix = {region: dict.fromkeys(COUNCIL_TYPES, 0) for region in REGIONS}
    active = active_volunteers_query(study).subquery()
    for region, council_type, count in db.session.execute(
        select(active.c.region, active.c.council_type, func.count()).group_by(active.c.region, active.c.council_type)
    ):
        matrix[region][council_type] = count
    schools = dict(
        db.session.execute(select(active.c.supports_schools, func.count()).group_by(active.c.supports_schools)).all()
    )
    answers: dict[tuple[int, str], int] = {
        (slot_id, answer): count
        for slot_id, answer, count in db.session.execute(
            select(Availability.slot_id, Availability.answer, func.count())
            .join(active, active.c.id == Availability.volunteer_id)
            .group_by(Availability.slot_id, Availability.answer)
        )
    }
    total = sum(sum(row.values()) for row in matrix.values())
    availability = []
    for slot in open_slots(study):
        yes, maybe = answers.get((slot.id, "yes"), 0), answers.get((slot.id, "if_need_be"), 0)
        availability.append(SlotAvailability(slot, yes, maybe, total - yes - maybe))
    return Pool(
        matrix=matrix,
        region_totals={region: sum(row.values()) for region, row in matrix.items()},
        council_type_totals={t: sum(matrix[r][t] for r in REGIONS) for t in COUNCIL_TYPES},
        total=total,
        places_needed=places_needed(study),
        reserves_needed=reserves_needed(study),
        supports_schools=schools.get(True, 0),
        no_schools=schools.get(False, 0),
        availability=availability,
    )


def volunteers_query(study: Study, region: str = "", council_type: str = ""):
    """A select of the study's volunteers (withdrawn ones too), newest first, filtered by region and council type."""
    query = select(Volunteer).where(Volunteer.study_id == study.id).order_by(Volunteer.id.desc())
    if region in REGIONS:
        query = query.where(Volunteer.region == region)
    if council_type in COUNCIL_TYPES:
        query = query.where(Volunteer.council_type == council_type)
    return query


def consent_text(version: str | None) -> list[str]:
    """The consent text as shown for a version (empty for consent collected outside this service)."""
    return CONSENT_TEXTS.get(version or "", [])


def other_records(volunteer: Volunteer) -> list[Volunteer]:
    """The same person's volunteer records in other studies (same email), newest study first."""
    if not volunteer.email:
        return []
    return db.session.scalars(
        select(Volunteer)
        .where(func.lower(Volunteer.email) == volunteer.email.lower(), Volunteer.id != volunteer.id)
        .order_by(Volunteer.study_id.desc())
    ).all()


def deletable(volunteer: Volunteer) -> bool:
    """Whether a volunteer can simply be deleted: not once they are in a confirmed session (invited,
    with a pseudonym that notes may carry); those leave through withdrawal, which keeps the pseudonym."""
    placement = volunteer.placement
    return placement is None or placement.slot.status == "candidate"


def delete_volunteer(volunteer: Volunteer, by=None) -> None:
    """Remove a volunteer from the pool, with their availability and any proposed placement, as one unit of work.

    Raises ValueError for a volunteer in a confirmed session (see `deletable`).
    """
    if not deletable(volunteer):
        raise ValueError("in a confirmed session")
    with write_transaction():
        if volunteer.placement is not None:
            db.session.delete(volunteer.placement)
        record("focus_groups.volunteer_deleted", volunteer, actor=by, study=volunteer.study_id, source=volunteer.source)
        forget_pending_changes(volunteer)
        db.session.delete(volunteer)
