"""Creating referrals (a draft, then sent through the workflow engine) and loading them for a user."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Case, Referral, Service, User
from ..models.base import utcnow, uuid7
from ..models.referral import URGENCY_PRIORITY
from ..models.vocab import AgencyKind, CaseStatus, ReferralStatus, ServiceCategory, Urgency
from ..policy import Action, require
from ..policy.recipients import recipient_access
from ..security.case_crypto import seal
from ..workflows import engine
from ..workflows.sla import CLINICAL_NEEDS
from .cases import CaseInputError
from .numbers import next_number


def create_referral(user: User, case: Case, *, service: Service, urgency: Urgency | str, shared_fields: list[str],
                    message: str | None = None, assault_at: datetime | None = None, send: bool = True,
                    at: datetime | None = None) -> Referral:
    """Refer the survivor to `service`. Sending checks consent in the engine; nothing is sent
    beyond it."""
    require(user, Action.CASE_REFER, case)
    if case.status != CaseStatus.OPEN:
        raise CaseInputError("case", "closed")
    if service is None or not service.active or not service.agency.active:
        raise CaseInputError("service_id", "unknown_service")
    if service.agency_id == user.agency_id:
        raise CaseInputError("service_id", "own_agency")
    if service.agency.kind == AgencyKind.NETWORK:
        raise CaseInputError("service_id", "unknown_service")
    urgency = Urgency(urgency)
    need = ServiceCategory(service.category)
    if need in CLINICAL_NEEDS:
        if urgency == Urgency.STANDARD:
            raise CaseInputError("urgency", "clinical_not_standard")
        if assault_at is None:
            raise CaseInputError("assault_at", "required")
    at = at or utcnow()
    if assault_at is not None and assault_at > at:
        raise CaseInputError("assault_at", "in_future")
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
    return referral


def get_referral(referral_id: uuid.UUID | str) -> Referral | None:
    """The referral with its two agencies and its service (every page of a referral names them)."""
    try:
        key = referral_id if isinstance(referral_id, uuid.UUID) else uuid.UUID(str(referral_id))
    except ValueError:
        return None
    return db.session.get(Referral, key, options=[joinedload(Referral.from_agency), joinedload(Referral.to_agency),
                                                  joinedload(Referral.service)])


def read_referral(user: User, referral: Referral, decision) -> dict:
    """What `user` may read of a referral: for both sides, the message, comments and the survivor
    fields the referral shares (cut by the consent covering it); for oversight, metadata only. A
    recipient whose access has ended keeps the record and her outcome, nothing written about her."""
    from sqlalchemy import select

    from ..audit.log import record
    from ..models import ReferralEvent
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
    events = db.session.execute(select(ReferralEvent).where(ReferralEvent.referral_id == referral.id,
                                                            ReferralEvent.comment_ct.is_not(None))).scalars()
    view["comments"] = {e.id: unseal_text(case.id, "referral_events", "comment", e.id, e.comment_ct) for e in events}
    record("referral.read", object_type="referral", object_id=referral.id, case_id=case.id,
           fields=["message", "comments"] + (["outcome"] if view["outcome"] else []),
           details={"reference": referral.reference})
    return view
