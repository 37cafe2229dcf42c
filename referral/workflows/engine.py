"""The one engine that changes a referral's state.

A transition locks the referral row, checks who may fire it and its guards, then writes the new
state, a history row, the SLA timers, an audit event and the notifications in the caller's
transaction: they commit together or not at all. Two people acting on one referral at once cannot
both win: the row lock (PostgreSQL) and the version check make the second one fail cleanly.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from ..audit.log import record
from ..extensions import db
from ..models import Case, Referral, ReferralEvent, User
from ..models.base import utcnow
from ..models.vocab import DeclineReason, ReferralStatus, Role, SharedField
from ..notifications import agency_staff, notify
from ..policy import Action, NotFoundError, PermissionDenied, require
from ..policy.fields import consent_for
from ..security.case_crypto import seal
from ..stats import daily_stats
from . import sla
from .definition import BOUNCED_STATES, OPEN_STATES, TRANSITIONS, Transition
from .errors import ConcurrentUpdate, GuardFailed, InvalidTransition, StaleVersion, WorkflowError  # noqa: F401 (its callers catch it here)

SHAREABLE_FIELDS = frozenset(f.value for f in SharedField)

SIDE_ACTIONS = {
    "sender": Action.REFERRAL_SEND,
    "recipient": Action.REFERRAL_RECEIVE,
    "oversight": Action.REFERRAL_NUDGE,
}


def load_for_update(referral_id: uuid.UUID) -> Referral | None:
    return db.session.execute(
        select(Referral)
        .where(Referral.id == referral_id)
        .with_for_update()
        .execution_options(populate_existing=True)  # the lock may have waited: read the winner's row
    ).scalar_one_or_none()


@dataclass(frozen=True)
class PartnerActor:
    """A partner outside Masar answering one referral through its one-time link: no account. It may
    only take the receiving side's transitions, on that referral (services/partner_links.py checks
    the link itself)."""

    referral_id: uuid.UUID
    agency_id: int
    id: None = None


def fire(
    referral: Referral,
    action: str,
    user: User | PartnerActor,
    *,
    expected_version: int | None = None,
    reason: str | None = None,
    message: str | None = None,
    at: datetime | None = None,
    audit_details: dict | None = None,
) -> Referral:
    """Apply transition `action` to `referral` as `user`. Raises WorkflowError or a policy error.

    `audit_details` adds non-personal facts (references, codes) to the audit event."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise InvalidTransition("unknown_action", f"unknown action {action!r}", "action")
    locked = load_for_update(referral.id)
    if locked is None:
        raise NotFoundError(SIDE_ACTIONS[transition.side], "referral vanished")
    referral = locked
    if isinstance(user, PartnerActor):
        if transition.side != "recipient" or user.referral_id != referral.id or user.agency_id != referral.to_agency_id:
            raise PermissionDenied(SIDE_ACTIONS[transition.side], "a partner link answers its own referral", referral)
    else:
        require(user, SIDE_ACTIONS[transition.side], referral)
    if expected_version is not None and referral.version != expected_version:
        raise StaleVersion("stale_version", "this referral changed since you opened it", "version")
    if referral.status not in transition.sources:
        raise InvalidTransition(
            "invalid_transition", f"cannot {action} a referral that is {referral.status.value}", "action"
        )
    at = at or utcnow()
    _check_guards(referral, transition, user, reason, message, at)
    previous = referral.status
    counted_before = daily_stats.Facts.of(referral)
    if transition.keeps_state:
        # Nothing the parties see changes: an officer's open form (its version) stays valid.
        target = previous
    else:
        target = transition.target or referral.status_before_info_request
        _bump_version(referral, target)
        referral.status = target
        referral.is_open = target in OPEN_STATES
        referral.updated_at = at
        referral.status_before_info_request = previous if transition.pauses_timers else None
    for column in transition.stamps:
        if getattr(referral, column) is None:
            setattr(referral, column, at)
    if transition.requires_reason:
        referral.decline_reason = DeclineReason(reason)
    _apply_timers(referral, transition, at)
    referral.next_due_at = sla.next_due(referral) if referral.is_open else None
    daily_stats.apply_change(counted_before, daily_stats.Facts.of(referral))
    event = ReferralEvent(referral_id=referral.id, action=action, from_status=previous, to_status=target,
                          actor_user_id=user.id, actor_agency_id=user.agency_id, occurred_at=at,
                          reason_code=reason if transition.requires_reason else None)
    db.session.add(event)
    db.session.flush([event])
    if message:
        event.comment_ct = seal(referral.case_id, "referral_events", "comment", event.id, message)
        if action == "complete":
            referral.outcome_ct = seal(referral.case_id, "referrals", "outcome", referral.id, message)
    if not transition.keeps_state:
        # A coordinator's reminder is not work on the file: it must not reset the stalled clock.
        db.session.execute(update(Case).where(Case.id == referral.case_id).values(last_activity_at=at))
    record(f"referral.{action}", object_type="referral", object_id=referral.id, case_id=referral.case_id,
           details={**(audit_details or {}), "reference": referral.reference, "from": previous.value,
                    "to": target.value, "version": referral.version})
    _notify(referral, transition, user)
    return referral


def _bump_version(referral: Referral, target: ReferralStatus) -> None:
    """Optimistic check in SQL: on databases without row locks, the loser updates nothing."""
    result = db.session.execute(
        update(Referral)
        .where(Referral.id == referral.id, Referral.version == referral.version)
        .values(version=Referral.version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise ConcurrentUpdate("concurrent_update", "someone else changed this referral at the same moment")
    referral.version += 1
    db.session.flush()
    # The UPDATE above already wrote the version; keep the ORM from writing it twice.
    from sqlalchemy.orm.attributes import set_committed_value

    set_committed_value(referral, "version", referral.version)


def _check_guards(referral: Referral, transition: Transition, user: User, reason: str | None,
                  message: str | None, at: datetime) -> None:
    if transition.requires_reason:
        if not reason:
            raise GuardFailed("reason_required", "a reason is required", "reason")
        if reason not in {r.value for r in DeclineReason}:
            raise GuardFailed("unknown_reason", "unknown reason", "reason")
        if reason == DeclineReason.OTHER and not message:
            raise GuardFailed("message_required", "explain the reason", "message")
    if transition.requires_message and not (message or "").strip():
        raise GuardFailed("message_required", "a message is required", "message")
    if transition.own_draft_only and referral.created_by_id != user.id:
        raise GuardFailed("not_own_draft", "only the person who drafted this referral can send it", "action")
    if transition.requires_overdue and (referral.next_due_at is None or referral.next_due_at >= at):
        raise GuardFailed("not_overdue", "this referral is not overdue", "action")
    if transition.repeat_after is not None:
        last = db.session.execute(
            select(func.max(ReferralEvent.occurred_at))
            .where(ReferralEvent.referral_id == referral.id, ReferralEvent.action == transition.name)
        ).scalar()
        if last is not None and at - last < transition.repeat_after:
            raise GuardFailed("too_soon", "this was done a moment ago", "action")
    if transition.requires_consent:
        check_consent_covers(referral)


def check_consent_covers(referral: Referral) -> None:
    """No referral carries data beyond consent: the recipient must be covered, field by field."""
    case = db.session.get(Case, referral.case_id)
    consented = consent_for(case, referral.to_agency, referral.need)
    if consented is None:
        raise GuardFailed("no_consent", "the survivor has not consented to a referral to this agency",
                          "to_agency_id")
    shared = set(referral.shared_fields or [])
    if shared - SHAREABLE_FIELDS:
        raise GuardFailed("unknown_field", "unknown shared field", "shared_fields")
    if shared - consented:
        raise GuardFailed("beyond_consent", "some shared fields are not covered by consent", "shared_fields")


def _apply_timers(referral: Referral, transition: Transition, at: datetime) -> None:
    if transition.starts_timers:
        referral.timers.extend(sla.start_timers(referral, at))
    if transition.meets:
        sla.meet(referral, transition.meets, at)
    if transition.pauses_timers:
        sla.pause_all(referral, at)
    if transition.resumes_timers:
        sla.resume_all(referral, at)
    if transition.cancels_timers:
        sla.cancel_all(referral, at)
    if transition.meets or transition.cancels_timers:
        from .breaches import resolve_breaches

        resolve_breaches(referral, at)


def _notify(referral: Referral, transition: Transition, user: User) -> None:
    kind = transition.notify_kind or f"referral.{transition.name}"
    if transition.side == "sender" or transition.notify == "recipient":
        recipients = agency_staff(referral.to_agency_id, (Role.OFFICER, Role.CASEWORKER))
    else:
        recipients = [u for u in _sender_people(referral) if u is not None]
    notify([u for u in recipients if u.id != user.id], kind, referral=referral)


def _sender_people(referral: Referral) -> list[User | None]:
    case = db.session.get(Case, referral.case_id)
    people = [db.session.get(User, referral.created_by_id)]
    if case.caseworker_id:
        people.append(db.session.get(User, case.caseworker_id))
    return people


def is_bounced(referral: Referral) -> bool:
    return referral.status in BOUNCED_STATES
