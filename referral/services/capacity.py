"""Live shelter places: declared by the directory's managers, kept by admissions and exits.

Availability is for staff (caseworkers, officers, coordinators): never on a public page, and never
with a shelter's address. "Nearest with room" has no map to go by: the network's only geography is
the region, so the nearest shelters are those whose agency is in the same region as the full one,
then the others; within each group, most free beds first, then agency code (stable).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..audit.log import record
from ..dbutil import lock_row
from ..extensions import db
from ..models import Agency, Service, ShelterCapacity, User
from ..models.vocab import AgencyKind
from ..policy import Action, require
from .errors import InputError

#: Alternatives proposed when an emergency referral meets a full shelter.
PROPOSALS = 3


@dataclass(frozen=True)
class Availability:
    beds_free: int
    child_places_free: int
    accessible_free: int

    @property
    def full(self) -> bool:
        return self.beds_free <= 0


def capacities(service_ids) -> dict[int, ShelterCapacity]:
    ids = set(service_ids)
    if not ids:
        return {}
    rows = db.session.execute(select(ShelterCapacity).where(ShelterCapacity.service_id.in_(ids))).scalars()
    return {c.service_id: c for c in rows}


def availability(user: User, service_ids) -> dict[int, Availability]:
    """Free places per service that declares places, for staff; empty for anyone else."""
    require(user, Action.CAPACITY_READ)
    return {sid: Availability(c.beds_free, c.child_places_free, c.accessible_free)
            for sid, c in capacities(service_ids).items()}


def set_capacity(user: User, service: Service, *, beds: int, child_places: int, accessible_rooms: int,
                 max_stay_days: int) -> ShelterCapacity:
    """Declare a service's places. A count cannot drop below the places taken now."""
    require(user, Action.DIRECTORY_MANAGE)
    for name, value in (("beds", beds), ("child_places", child_places), ("accessible_rooms", accessible_rooms)):
        if value is None or value < 0 or value > 10000:
            raise InputError(name, "unknown_value")
    if max_stay_days is None or not 1 <= max_stay_days <= 3650:
        raise InputError("max_stay_days", "unknown_value")
    if accessible_rooms > beds:
        raise InputError("accessible_rooms", "more_than_beds")
    capacity = lock_capacity(service.id)
    if capacity is None:
        capacity = ShelterCapacity(service_id=service.id)
        db.session.add(capacity)
    for name, wanted, used in (("beds", beds, capacity.beds_used),
                               ("child_places", child_places, capacity.child_places_used),
                               ("accessible_rooms", accessible_rooms, capacity.accessible_used)):
        if wanted < (used or 0):
            raise InputError(name, "below_taken")
    capacity.beds, capacity.child_places, capacity.accessible_rooms = beds, child_places, accessible_rooms
    capacity.max_stay_days = max_stay_days
    db.session.flush()
    record("shelter.capacity_set", object_type="service", object_id=service.id,
           details={"beds": beds, "child_places": child_places, "accessible_rooms": accessible_rooms,
                    "max_stay_days": max_stay_days})
    return capacity


def lock_capacity(service_id: int) -> ShelterCapacity | None:
    """The service's capacity row, locked until the transaction ends and read fresh after the lock."""
    row_id = db.session.execute(select(ShelterCapacity.id).where(ShelterCapacity.service_id == service_id)).scalar()
    if row_id is None:
        return None
    lock_row(ShelterCapacity, row_id)
    return db.session.execute(select(ShelterCapacity).where(ShelterCapacity.id == row_id)
                              .execution_options(populate_existing=True)).scalar_one()


def nearest_with_room(service: Service, *, limit: int = PROPOSALS) -> list[Service]:
    """Other active services of the same category with a free bed: same region first (see module)."""
    region_id = service.agency.region_id
    rows = db.session.execute(
        select(Service, ShelterCapacity)
        .join(ShelterCapacity, ShelterCapacity.service_id == Service.id)
        .join(Agency, Agency.id == Service.agency_id)
        .where(Service.category == service.category, Service.id != service.id, Service.active.is_(True),
               Agency.active.is_(True), Agency.kind != AgencyKind.NETWORK,
               ShelterCapacity.beds_used < ShelterCapacity.beds)
        .options(selectinload(Service.agency))
    ).all()
    rows.sort(key=lambda row: (row[0].agency.region_id != region_id, -row[1].beds_free, row[0].agency.code))
    return [s for s, _ in rows[:limit]]
