"""Stays under the Himaya protocol: admission from an accepted referral, the essential services
given, extensions approved by a second person, and the exit.

Admission and exit move the shelter's places under a lock on its capacity row (services/capacity.py
`lock_capacity`): two admissions released together into the last bed cannot both win.

What the referral's sender reads of the stay (`sender_view`): she is the woman's own caseworker, so
she follows the stay's progress as the shelter records it (admitted on, children admitted with her,
which essential services were given and when, the planned end and its extensions, the exit date and
outcome), but only while the consent covering the shelter referral is in force (withdrawn consent
stops the exchange both ways: she then sees only that a stay exists and whether it ended). Not the
shelter staff who gave each service (their names say nothing about her care and identify the
shelter's team), and the exit destination only when the consent covers her contact details, since
where she went is her whereabouts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from ..audit.log import record
from ..extensions import db
from ..models import (
    Agency,
    Case,
    EssentialService,
    Referral,
    Service,
    ShelterCapacity,
    Stay,
    StayExtension,
    StayService,
    StayServiceDue,
    User,
)
from ..models.base import utcnow
from ..models.vocab import ApprovalStatus, ExitDestination, ExitOutcome, ReferralStatus, Role, StayStatus
from ..notifications import agency_staff, notify
from ..policy import Action, require
from ..policy.fields import consent_for
from ..workflows import engine
from .capacity import lock_capacity
from .errors import InputError
from .records import get_record

ADMITTING_STATES = frozenset({ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS})
MAX_CHILDREN = 20
MAX_EXTENSION_DAYS = 365


def today_at(agency: Agency) -> date:
    return utcnow().astimezone(ZoneInfo(agency.timezone or "UTC")).date()


def stay_of(referral: Referral) -> Stay | None:
    return db.session.execute(select(Stay).where(Stay.referral_id == referral.id)).scalar_one_or_none()


def extension_of(stay_id: int, extension_id) -> StayExtension | None:
    """An extension request of this stay (None for another stay's)."""
    extension = get_record(StayExtension, extension_id)
    return extension if extension is not None and extension.stay_id == stay_id else None


def reread(stay: Stay) -> Stay:
    """The stay as it stands after a change: written, then its services and extensions read again."""
    db.session.flush()
    db.session.refresh(stay)
    return stay


def essential_services() -> list[EssentialService]:
    return db.session.execute(select(EssentialService).where(EssentialService.active.is_(True))
                              .order_by(EssentialService.position, EssentialService.code)).scalars().all()


def admit(user: User, referral: Referral, *, admitted_on: date, children: int = 0,
          accessible_room: bool = False) -> Stay:
    """Admit her (and `children`) from `referral`, taking places; starts care on the referral."""
    require(user, Action.REFERRAL_RECEIVE, referral)
    if referral.status not in ADMITTING_STATES:
        raise InputError("referral", "not_accepted")
    agency = db.session.get(Agency, referral.to_agency_id)
    if admitted_on is None:
        raise InputError("admitted_on", "required")
    if admitted_on > today_at(agency):
        raise InputError("admitted_on", "in_future")
    if children is None or not 0 <= children <= MAX_CHILDREN:
        raise InputError("children", "unknown_value")
    capacity = lock_capacity(referral.service_id) if referral.service_id else None
    if capacity is None:
        raise InputError("referral", "no_places_declared")
    # Read after the lock: a stay admitted by whoever held it is visible now.
    if stay_of(referral) is not None:
        raise InputError("referral", "already_admitted")
    if capacity.beds_free < 1:
        raise InputError("referral", "no_bed")
    if capacity.child_places_free < children:
        raise InputError("children", "no_child_place")
    if accessible_room and capacity.accessible_free < 1:
        raise InputError("accessible_room", "no_accessible_room")
    capacity.beds_used += 1
    capacity.child_places_used += children
    capacity.accessible_used += 1 if accessible_room else 0
    stay = Stay(referral_id=referral.id, case_id=referral.case_id, service_id=referral.service_id,
                agency_id=referral.to_agency_id, admitted_on=admitted_on, children=children,
                accessible_room=accessible_room, ends_on=admitted_on + timedelta(days=capacity.max_stay_days),
                admitted_by_id=user.id, status=StayStatus.IN_SHELTER)
    db.session.add(stay)
    db.session.flush()
    for essential in essential_services():
        if essential.due_within_days is None or (essential.for_children and not children):
            continue
        db.session.add(StayServiceDue(stay_id=stay.id, code=essential.code,
                                      due_on=admitted_on + timedelta(days=essential.due_within_days)))
    record("stay.admit", object_type="stay", object_id=stay.id, case_id=referral.case_id,
           details={"reference": referral.reference, "children": children, "accessible_room": accessible_room,
                    "admitted_on": admitted_on.isoformat()})
    if referral.status == ReferralStatus.ACCEPTED:
        engine.fire(referral, "start", user)
    _tell_sender(referral, "stay.admitted")
    return stay


def record_service(user: User, stay: Stay, *, code: str, given_on: date) -> StayService:
    require(user, Action.STAY_MANAGE, stay)
    _still_in_shelter(stay)
    essential = db.session.get(EssentialService, code) if code else None
    if essential is None or not essential.active:
        raise InputError("code", "unknown_value")
    _day_of_stay(stay, given_on, "given_on")
    given = StayService(stay_id=stay.id, code=code, given_on=given_on, given_by_id=user.id)
    db.session.add(given)
    db.session.execute(update(StayServiceDue).where(StayServiceDue.stay_id == stay.id, StayServiceDue.code == code,
                                                    StayServiceDue.done_on.is_(None)).values(done_on=given_on)
                       .execution_options(synchronize_session=False))
    db.session.flush()
    db.session.expire(stay)
    record("stay.service_given", object_type="stay", object_id=stay.id, case_id=stay.case_id,
           details={"service": code, "given_on": given_on.isoformat()})
    return given


def request_extension(user: User, stay: Stay, *, days: int) -> StayExtension:
    """Ask to lengthen the stay; nothing changes until another member of the shelter approves."""
    require(user, Action.STAY_MANAGE, stay)
    _still_in_shelter(stay)
    if days is None or not 1 <= days <= MAX_EXTENSION_DAYS:
        raise InputError("days", "unknown_value")
    if db.session.execute(select(StayExtension.id).where(StayExtension.stay_id == stay.id,
                                                         StayExtension.status == ApprovalStatus.PENDING)).first():
        raise InputError("days", "extension_pending")
    extension = StayExtension(stay_id=stay.id, days=days, requested_by_id=user.id)
    db.session.add(extension)
    db.session.flush()
    record("stay.extension_request", object_type="stay", object_id=stay.id, case_id=stay.case_id,
           details={"days": days, "extension_id": extension.id})
    others = [u for u in agency_staff(stay.agency_id, (Role.OFFICER, Role.CASEWORKER)) if u.id != user.id]
    notify(others, "stay.extension_requested", referral=stay.referral)
    return extension


def decide_extension(user: User, extension: StayExtension, *, approve: bool) -> StayExtension:
    """Approve or refuse, once: a conditional UPDATE decides, whoever else decides at the same moment."""
    require(user, Action.STAY_MANAGE, extension)
    stay = db.session.get(Stay, extension.stay_id)
    _still_in_shelter(stay)
    status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REFUSED
    won = db.session.execute(
        update(StayExtension).where(StayExtension.id == extension.id, StayExtension.status == ApprovalStatus.PENDING)
        .values(status=status, decided_by_id=user.id, decided_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not won:
        raise InputError("extension", "already_decided")
    db.session.refresh(extension)
    if approve:
        # Only one request is pending per stay and it is decided once (above): no lost update here.
        stay.ends_on = stay.ends_on + timedelta(days=extension.days)
    record("stay.extension_approve" if approve else "stay.extension_refuse", object_type="stay", object_id=stay.id,
           case_id=stay.case_id, details={"days": extension.days, "extension_id": extension.id,
                                          "ends_on": stay.ends_on.isoformat()})
    if extension.requested_by is not None:
        notify([extension.requested_by], "stay.extension_decided", referral=stay.referral,
               params={"decision": status.value})
    return extension


def exit_stay(user: User, stay: Stay, *, exited_on: date, destination: str, outcome: str) -> Stay:
    """Record the exit and give her places back."""
    require(user, Action.STAY_MANAGE, stay)
    capacity = lock_capacity(stay.service_id)
    db.session.refresh(stay)  # read after the lock: two exits at once give the places back once
    _still_in_shelter(stay)
    _day_of_stay(stay, exited_on, "exited_on")
    if destination not in {d.value for d in ExitDestination}:
        raise InputError("destination", "unknown_value")
    if outcome not in {o.value for o in ExitOutcome}:
        raise InputError("outcome", "unknown_value")
    if capacity is not None:
        capacity.beds_used -= 1
        capacity.child_places_used -= stay.children
        capacity.accessible_used -= 1 if stay.accessible_room else 0
    stay.status = StayStatus.EXITED
    stay.exited_on, stay.exit_destination, stay.exit_outcome = exited_on, ExitDestination(destination), \
        ExitOutcome(outcome)
    stay.exited_by_id = user.id
    # Services still due are no longer owed: the sweep must not alert on them.
    db.session.execute(update(StayServiceDue).where(StayServiceDue.stay_id == stay.id,
                                                    StayServiceDue.done_on.is_(None),
                                                    StayServiceDue.alerted_at.is_(None))
                       .values(alerted_at=utcnow()).execution_options(synchronize_session=False))
    db.session.flush()
    record("stay.exit", object_type="stay", object_id=stay.id, case_id=stay.case_id,
           details={"exited_on": exited_on.isoformat(), "destination": destination, "outcome": outcome,
                    "days": (exited_on - stay.admitted_on).days})
    _tell_sender(stay.referral, "stay.exited")
    return stay


def _still_in_shelter(stay: Stay) -> None:
    if stay.status != StayStatus.IN_SHELTER:
        raise InputError("stay", "stay_ended")


def _day_of_stay(stay: Stay, day: date | None, name: str) -> None:
    if day is None:
        raise InputError(name, "required")
    if day > today_at(db.session.get(Agency, stay.agency_id)):
        raise InputError(name, "in_future")
    if day < stay.admitted_on:
        raise InputError(name, "before_admission")


def _tell_sender(referral: Referral, kind: str) -> None:
    sender = db.session.get(User, referral.created_by_id) if referral.created_by_id else None
    if sender is not None and sender.active:
        notify([sender], kind, referral=referral)


# --- what each side reads ------------------------------------------------------------------------


@dataclass(frozen=True)
class SenderView:
    """The sending caseworker's view of a stay (see the module's docstring for why these fields)."""

    status: StayStatus
    #: False when the consent covering the shelter referral is no longer in force.
    within_consent: bool
    admitted_on: date | None = None
    children: int | None = None
    ends_on: date | None = None
    #: (essential service, day given) pairs, without who gave them.
    given: list = field(default_factory=list)
    extensions: list = field(default_factory=list)
    exited_on: date | None = None
    exit_outcome: ExitOutcome | None = None
    #: Only when her consent covers her contact details.
    exit_destination: ExitDestination | None = None


def sender_view(stay: Stay) -> SenderView:
    referral = stay.referral
    case = db.session.get(Case, stay.case_id)
    consented = consent_for(case, referral.to_agency, referral.need)
    if consented is None:
        return SenderView(stay.status, False)
    return SenderView(
        stay.status, True, admitted_on=stay.admitted_on, children=stay.children, ends_on=stay.ends_on,
        given=[(g.essential, g.given_on) for g in stay.given],
        extensions=[(e.days, e.status) for e in stay.extensions],
        exited_on=stay.exited_on, exit_outcome=stay.exit_outcome,
        exit_destination=stay.exit_destination if "contact" in consented else None)


# --- the coordinator's occupancy ---------------------------------------------------------------


@dataclass(frozen=True)
class Occupancy:
    service: Service
    capacity: ShelterCapacity
    in_shelter: int
    #: Mean length in days of the stays ended in the period, None when none ended.
    average_days: float | None
    exits: int


def occupancy(user: User, *, since: date) -> list[Occupancy]:
    """Every shelter's places, who is in, and the average length of stays ended since `since`:
    numbers only, no address, no woman. A regional coordinator sees her region's shelters."""
    require(user, Action.OCCUPANCY_READ)
    query = (select(Service, ShelterCapacity).join(ShelterCapacity, ShelterCapacity.service_id == Service.id)
             .join(Agency, Agency.id == Service.agency_id).order_by(Agency.code, Service.id))
    if user.region_id is not None:
        query = query.where(Agency.region_id == user.region_id)
    rows = db.session.execute(query).all()
    ids = [s.id for s, _ in rows]
    in_shelter = dict(db.session.execute(
        select(Stay.service_id, func.count()).where(Stay.service_id.in_(ids), Stay.status == StayStatus.IN_SHELTER)
        .group_by(Stay.service_id)).all()) if ids else {}
    ended = db.session.execute(
        select(Stay.service_id, Stay.admitted_on, Stay.exited_on)
        .where(Stay.service_id.in_(ids), Stay.status == StayStatus.EXITED, Stay.exited_on >= since)
    ).all() if ids else []
    lengths: dict[int, list[int]] = {}
    for service_id, admitted_on, exited_on in ended:
        lengths.setdefault(service_id, []).append((exited_on - admitted_on).days)
    return [Occupancy(s, c, in_shelter.get(s.id, 0),
                      sum(lengths[s.id]) / len(lengths[s.id]) if s.id in lengths else None,
                      len(lengths.get(s.id, [])))
            for s, c in rows]
