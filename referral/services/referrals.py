"""Referrals as both faces use them: creating one (a draft, then sent through the workflow engine,
superseding the one it replaces), firing a workflow action, the inbox and outbox a page at a time, and
the read model of a referral's page. The web pages and the API call these; neither reaches the
engine or the database itself."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select, update
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..models import Case, Referral, ReferralEvent, Service, SlaTimer, User
from ..models.base import utcnow, uuid7
from ..models.referral import URGENCY_PRIORITY
from ..models.vocab import AgencyKind, CaseStatus, ReferralStatus, ServiceCategory, Urgency
from ..policy import Action, inbox_query, outbox_query, require
from ..policy.recipients import recipient_access
from ..security.case_crypto import seal
from ..workflows import engine
from ..workflows.definition import BOUNCED_STATES, TRANSITIONS, available_transitions
from ..workflows.errors import ConcurrentUpdate, InvalidTransition, StaleVersion, WorkflowError
from ..workflows.sla import CLINICAL_NEEDS
from .errors import InputError
from .numbers import next_number
from .paging import Page, page_of

__all__ = ["BOX_STATES", "TRANSITIONS", "ReferralPage", "WorkflowError", "box_page", "bounced", "create_referral",
           "get_referral", "is_conflict", "read_referral", "referral_page", "transition"]

#: The tabs of each box; the first is the default.
BOX_STATES = {"inbox": ("open", "closed"), "outbox": ("open", "closed", "back")}
#: Who sees sides of a referral with workflow actions (the others oversee it).
ACTING_SIDES = ("sender", "recipient")


def create_referral(user: User, case: Case, *, service: Service, urgency: Urgency | str, shared_fields: list[str],
                    message: str | None = None, assault_at: datetime | None = None, send: bool = True,
                    at: datetime | None = None, replaces: Referral | None = None) -> Referral:
    """Refer the survivor to `service`. Sending checks consent in the engine; nothing is sent
    beyond it. With `replaces` (a referral of the same file that came back), that one is marked
    superseded by the new one: once, however many people send it on at the same time."""
    require(user, Action.CASE_REFER, case)
    if case.status != CaseStatus.OPEN:
        raise InputError("case", "closed")
    if replaces is not None:
        require(user, Action.REFERRAL_SEND, replaces)
        if replaces.case_id != case.id or replaces.from_agency_id != user.agency_id:
            raise InputError("replaces", "unknown_referral")
        if replaces.status not in BOUNCED_STATES:
            raise InputError("replaces", "not_bounced")
        if replaces.superseded_by_id is not None:
            raise InputError("replaces", "already_replaced")
    if service is None or not service.active or not service.agency.active:
        raise InputError("service_id", "unknown_service")
    if service.agency_id == user.agency_id:
        raise InputError("service_id", "own_agency")
    if service.agency.kind == AgencyKind.NETWORK:
        raise InputError("service_id", "unknown_service")
    urgency = Urgency(urgency)
    need = ServiceCategory(service.category)
    if need in CLINICAL_NEEDS:
        if urgency == Urgency.STANDARD:
            raise InputError("urgency", "clinical_not_standard")
        if assault_at is None:
            raise InputError("assault_at", "required")
    at = at or utcnow()
    if assault_at is not None and assault_at > at:
        raise InputError("assault_at", "in_future")
    referral = Referral(id=uuid7(), reference=next_number("referral", "REF", at), case_id=case.id,
                        from_agency_id=user.agency_id, to_agency_id=service.agency_id, service_id=service.id,
                        need=need, urgency=urgency, priority=URGENCY_PRIORITY[urgency],
                        status=ReferralStatus.DRAFT, is_open=False, shared_fields=sorted(set(shared_fields)),
                        created_by_id=user.id, created_at=at, updated_at=at, assault_at=assault_at)
    db.session.add(referral)
    db.session.flush([referral])
    if message:
        referral.message_ct = seal(case.id, "referrals", "message", referral.id, message)
    if send:
        engine.fire(referral, "send", user, at=at)
    if replaces is not None:
        _supersede(replaces, referral)
    return referral


def _supersede(old: Referral, new: Referral) -> None:
    """Conditional, so two caseworkers (or a coordinator reassigning it) cannot both replace it."""
    done = db.session.execute(
        update(Referral).where(Referral.id == old.id, Referral.superseded_by_id.is_(None))
        .values(superseded_by_id=new.id).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise InputError("replaces", "already_replaced")
    db.session.refresh(old, ["superseded_by_id"])


def transition(user: User, referral: Referral, action: str, *, expected_version: int | None = None,
               reason: str | None = None, message: str | None = None) -> Referral:
    """Fire a workflow action on a referral (the one entry point of both faces): the engine checks
    the side, the state, the version and the reason, and writes nothing when it refuses."""
    return engine.fire(referral, action, user, expected_version=expected_version, reason=reason or None,
                       message=(message or "").strip() or None)


def is_conflict(error: WorkflowError) -> bool:
    """A refusal because the referral changed or moved on (409), not because of what was typed."""
    return isinstance(error, (StaleVersion, ConcurrentUpdate, InvalidTransition))


def bounced(query: Select) -> Select:
    """Referrals that came back (declined or returned) and were not sent elsewhere yet."""
    return query.where(Referral.status.in_(BOUNCED_STATES), Referral.superseded_by_id.is_(None))


def box_query(user: User, box: str, state: str) -> Select:
    """The inbox (to the user's agency) or outbox (from it) in one of its BOX_STATES."""
    if box == "inbox":
        query = inbox_query(user)
        if state == "closed":
            return query.where(~Referral.is_open).order_by(None).order_by(Referral.updated_at.desc(), Referral.id)
        return query.where(Referral.is_open)  # a plain column test: the partial and inbox indexes apply
    query = outbox_query(user)
    if state == "back":
        return bounced(query)
    return query.where(Referral.is_open if state == "open" else ~Referral.is_open)


def box_page(user: User, box: str, state: str, number: int) -> Page:
    """One page of a box, with both agencies of each referral loaded in one more query."""
    query = box_query(user, box, state).options(selectinload(Referral.from_agency),
                                                selectinload(Referral.to_agency))
    return page_of(query, number)


@dataclass(frozen=True)
class ReferralPage:
    """What a referral's page (and the API's referral) shows to one user."""

    referral: Referral
    case: Case
    side: str
    view: dict
    history: list[ReferralEvent]
    timers: list[SlaTimer]
    actions: list[str]


def referral_page(user: User, referral: Referral, decision) -> ReferralPage:
    """Read a referral for `user` (recorded in the access log by `read_referral`), with its
    history (the actors' names in the same query), its timers and the actions her side may take."""
    case = db.session.get(Case, referral.case_id)
    history = db.session.execute(
        select(ReferralEvent).where(ReferralEvent.referral_id == referral.id)
        .options(joinedload(ReferralEvent.actor).lazyload(User.role_rows))
        .order_by(ReferralEvent.occurred_at, ReferralEvent.id)).scalars().all()
    view = read_referral(user, referral, decision, events=history)  # its comments are in the history
    timers = db.session.execute(select(SlaTimer).where(SlaTimer.referral_id == referral.id)
                                .order_by(SlaTimer.due_at)).scalars().all()
    side = decision.relation
    actions = [t.name for t in available_transitions(referral.status, side)] if side in ACTING_SIDES else []
    return ReferralPage(referral=referral, case=case, side=side, view=view, history=list(history),
                        timers=list(timers), actions=actions)


def get_referral(referral_id: uuid.UUID | str) -> Referral | None:
    """The referral with its two agencies and its service (every page of a referral names them)."""
    try:
        key = referral_id if isinstance(referral_id, uuid.UUID) else uuid.UUID(str(referral_id))
    except ValueError:
        return None
    return db.session.get(Referral, key, options=[joinedload(Referral.from_agency), joinedload(Referral.to_agency),
                                                  joinedload(Referral.service)])


def read_referral(user: User, referral: Referral, decision, *, events: list[ReferralEvent]) -> dict:
    """What `user` may read of a referral: for both sides, the message, comments and the survivor
    fields the referral shares (cut by the consent covering it); for oversight, metadata only. A
    recipient whose access has ended keeps the record and her outcome, nothing written about her.
    `events`: the referral's events (its history), whose comments she reads here."""
    from ..audit.log import record
    from ..security.case_crypto import unseal_text
    from .cases import read_identity

    view: dict = {"identity": {}, "message": None, "outcome": None, "comments": {}, "access": None}
    if decision.relation not in ("sender", "recipient"):
        record("referral.read", object_type="referral", object_id=referral.id,
               details={"reference": referral.reference})
        return view
    case = db.session.get(Case, referral.case_id)
    if case.shredded_at is not None:
        return view
    # The outcome is the receiving agency's own record of its work: it stays when access to her ends.
    view["outcome"] = unseal_text(case.id, "referrals", "outcome", referral.id, referral.outcome_ct)
    if decision.relation == "recipient":
        from ..models.case import IDENTITY_COLUMNS

        access = view["access"] = recipient_access(case, referral)
        columns = [c for c, group in IDENTITY_COLUMNS.items() if group in access.fields]
        view["identity"] = read_identity(user, case, columns=columns, purpose="referral") if columns else {}
        if not access.open:
            record("referral.read", object_type="referral", object_id=referral.id, case_id=case.id,
                   fields=["outcome"] if view["outcome"] else (),
                   details={"reference": referral.reference, "access_ended": access.ended})
            return view
    view["message"] = unseal_text(case.id, "referrals", "message", referral.id, referral.message_ct)
    view["comments"] = {e.id: unseal_text(case.id, "referral_events", "comment", e.id, e.comment_ct)
                        for e in events if e.comment_ct is not None}
    record("referral.read", object_type="referral", object_id=referral.id, case_id=case.id,
           fields=["message", "comments"] + (["outcome"] if view["outcome"] else []),
           details={"reference": referral.reference})
    return view
