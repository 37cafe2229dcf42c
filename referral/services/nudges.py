"""A coordinator's nudges: a reminder on an overdue referral, and reassigning a declined one.

Both run through the workflow engine, so they are locked, recorded in the referral's history,
audited and notified like any transition. The coordinator never reads survivor data here: the
consent check compares field-group names, and nothing is decrypted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from ..audit.log import record
from ..extensions import db
from ..models import Agency, Case, Referral, ReferralEvent, Service, SlaTimer, User
from ..models.base import utcnow, uuid7
from ..models.referral import URGENCY_PRIORITY
from ..models.vocab import AgencyKind, CaseStatus, ReferralStatus
from ..notifications import notify
from ..policy import Action, Decision, NotFoundError, require
from ..workflows import engine
from ..workflows.definition import TRANSITIONS
from .numbers import next_number


class NudgeError(Exception):
    """A nudge was refused; nothing changed. `code` is stable (translated by the caller)."""

    def __init__(self, code: str, field: str | None = None):
        super().__init__(code)
        self.code = code
        self.field = field


#: Engine guard codes a coordinator can meet, as nudge codes.
_GUARD_CODES = {
    "no_consent": "consent_needed",
    "beyond_consent": "consent_needed",
    "not_overdue": "not_overdue",
    "too_soon": "too_soon",
    "invalid_transition": "invalid_state",
}


def _as_nudge_error(exc: engine.WorkflowError) -> NudgeError:
    return NudgeError(_GUARD_CODES.get(exc.code, exc.code), "service_id" if exc.code.endswith("consent") else None)


def send_reminder(user: User, referral: Referral, *, at: datetime | None = None) -> Referral:
    """Remind the receiving agency of an overdue referral; its state and version do not change."""
    require(user, Action.REFERRAL_NUDGE, referral)
    try:
        return engine.fire(referral, "remind", user, at=at)
    except engine.WorkflowError as exc:
        raise _as_nudge_error(exc) from None


def reassignment_services(user: User, referral: Referral) -> list[Service]:
    """Services a declined referral can go to: same need, another agency than the two involved,
    and (for a regional coordinator) in her region, where she can follow it."""
    query = (
        select(Service)
        .join(Agency, Agency.id == Service.agency_id)
        .where(Service.active.is_(True), Agency.active.is_(True), Agency.kind != AgencyKind.NETWORK,
               Service.category == referral.need,
               Agency.id.not_in([referral.to_agency_id, referral.from_agency_id]))
        .options(selectinload(Service.agency))
        .order_by(Agency.code, Service.id)
        .limit(200)
    )
    if user.region_id is not None:
        query = query.where(Agency.region_id == user.region_id)
    return list(db.session.execute(query).scalars())


def reassign(user: User, referral: Referral, service: Service | None, *, at: datetime | None = None) -> Referral:
    """Send a declined referral on to `service`: a new referral of the same file, need, urgency and
    shared fields, sent only if the survivor's consent covers the new agency; the declined one is
    marked superseded. Returns the new referral."""
    require(user, Action.REFERRAL_NUDGE, referral)
    at = at or utcnow()
    old = engine.load_for_update(referral.id)
    if old.status != ReferralStatus.DECLINED:
        raise NudgeError("not_declined")
    if old.superseded_by_id is not None:
        raise NudgeError("already_reassigned")
    if service is None or service.id not in {s.id for s in reassignment_services(user, old)}:
        raise NudgeError("unknown_service", "service_id")
    case = db.session.get(Case, old.case_id)
    if case.status != CaseStatus.OPEN or case.shredded_at is not None:
        raise NudgeError("case_closed")
    new = Referral(id=uuid7(), reference=next_number("referral", "REF", at), case_id=old.case_id,
                   from_agency_id=old.from_agency_id, to_agency_id=service.agency_id, service_id=service.id,
                   need=old.need, urgency=old.urgency, priority=URGENCY_PRIORITY[old.urgency],
                   status=ReferralStatus.DRAFT, is_open=False, shared_fields=list(old.shared_fields or []),
                   created_by_id=user.id, created_at=at, updated_at=at, assault_at=old.assault_at)
    db.session.add(new)
    db.session.flush([new])
    try:
        engine.fire(new, "reassign", user, at=at, audit_details={"replaces": old.reference})
    except engine.WorkflowError as exc:
        raise _as_nudge_error(exc) from None
    except NotFoundError:
        raise NudgeError("unknown_service", "service_id") from None
    # Conditional, so two coordinators (or a caseworker sending it elsewhere) cannot both win.
    done = db.session.execute(
        update(Referral).where(Referral.id == old.id, Referral.superseded_by_id.is_(None))
        .values(superseded_by_id=new.id).execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        raise NudgeError("already_reassigned")
    db.session.refresh(old, ["superseded_by_id"])
    notify(_file_caseworkers(old, case), "referral.reassign", referral=new,
           params={"previous": old.reference})
    return new


def _file_caseworkers(referral: Referral, case: Case) -> list[User]:
    """The caseworkers to whom the declined referral came back (closed loop)."""
    ids = {referral.created_by_id, case.caseworker_id} - {None}
    return [u for u in (db.session.get(User, i) for i in ids) if u is not None and u.active]


@dataclass(frozen=True)
class CoordinatorView:
    """What a coordinator sees of one referral: metadata, timers and history, and her nudges."""

    referral: Referral
    timers: list[SlaTimer]
    history: list[ReferralEvent]
    superseded_by: Referral | None
    can_remind: bool
    can_reassign: bool
    services: list[Service]


def coordinator_view(user: User, referral: Referral, *, now: datetime | None = None) -> CoordinatorView:
    """Load the page's data (no survivor data, nothing decrypted) and record the read."""
    decision: Decision = require(user, Action.REFERRAL_NUDGE, referral)
    now = now or utcnow()
    timers = db.session.execute(select(SlaTimer).where(SlaTimer.referral_id == referral.id)
                                .order_by(SlaTimer.due_at)).scalars().all()
    history = db.session.execute(
        select(ReferralEvent).where(ReferralEvent.referral_id == referral.id)
        .options(selectinload(ReferralEvent.actor)).order_by(ReferralEvent.occurred_at, ReferralEvent.id)
    ).scalars().all()
    superseded_by = db.session.get(Referral, referral.superseded_by_id) if referral.superseded_by_id else None
    remind = TRANSITIONS["remind"]
    can_remind = (referral.status in remind.sources and referral.next_due_at is not None
                  and referral.next_due_at < now)
    can_reassign = referral.status == ReferralStatus.DECLINED and superseded_by is None
    record("referral.read", object_type="referral", object_id=referral.id,
           details={"reference": referral.reference, "relation": decision.relation})
    return CoordinatorView(referral=referral, timers=list(timers), history=list(history), superseded_by=superseded_by,
                           can_remind=can_remind, can_reassign=can_reassign,
                           services=reassignment_services(user, referral) if can_reassign else [])
