"""Recording and withdrawing the survivor's informed consent."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from ..audit.log import record
from ..extensions import db
from ..models import Agency, Case, CaseEvent, Consent, User
from ..models.base import utcnow
from ..models.vocab import AgencyKind, ServiceCategory, SharedField
from ..policy import Action, require
from ..security.case_crypto import seal
from .errors import InputError
from .records import get_record

SHAREABLE = frozenset(f.value for f in SharedField)


#: Built once (CONTRIBUTING.md, "Statements a page runs on every visit").
_CONSENTS_OF_CASE = (select(Consent).where(Consent.case_id == bindparam("case_id"))
                     .options(joinedload(Consent.agency)).order_by(Consent.recorded_at, Consent.id))


def consents_of(case: Case) -> list[Consent]:
    """The file's consents, withdrawn ones included, oldest first, with the agency each names."""
    return list(db.session.execute(_CONSENTS_OF_CASE, {"case_id": case.id}).scalars())


def consent_of(case: Case, consent_id) -> Consent | None:
    """One consent of this file (None for another file's: its id tells nothing)."""
    consent = get_record(Consent, consent_id)
    return consent if consent is not None and consent.case_id == case.id else None


def record_consent(user: User, case: Case, *, fields: list[str], agency_id: int | None = None,
                   service_category: ServiceCategory | str | None = None, note: str | None = None) -> Consent:
    require(user, Action.CASE_CONSENT, case)
    if (agency_id is None) == (service_category is None):
        raise InputError("scope", "agency_or_category")
    if set(fields) - SHAREABLE:
        raise InputError("fields", "unknown_field")
    if agency_id is not None:
        agency = db.session.get(Agency, agency_id)
        if agency is None or not agency.active or agency.kind == AgencyKind.NETWORK:
            raise InputError("agency_id", "unknown_agency")
    category = ServiceCategory(service_category) if service_category is not None else None
    at = utcnow()
    consent = Consent(case_id=case.id, agency_id=agency_id, service_category=category,
                      fields=sorted(set(fields)), recorded_by_id=user.id, recorded_at=at)
    db.session.add(consent)
    db.session.flush([consent])
    if note:
        consent.note_ct = seal(case.id, "consents", "note", consent.id, note)
    case.last_activity_at = at
    db.session.add(CaseEvent(case_id=case.id, kind="consent_recorded", occurred_at=at, actor_user_id=user.id,
                             actor_agency_id=user.agency_id,
                             details={"consent_id": consent.id, "agency_id": agency_id,
                                      "category": category.value if category else None,
                                      "fields": consent.fields}))
    record("consent.record", object_type="consent", object_id=consent.id, case_id=case.id,
           details={"fields": consent.fields, "agency_id": agency_id,
                    "category": category.value if category else None})
    return consent


def withdraw_consent(user: User, case: Case, consent: Consent) -> None:
    """Withdrawal stops future sharing at once: recipients lose the fields it covered."""
    require(user, Action.CASE_CONSENT, case)
    if consent.case_id != case.id:
        raise InputError("consent", "not_found")
    if consent.withdrawn_at is not None:
        raise InputError("consent", "already_withdrawn")
    at = utcnow()
    consent.withdrawn_at, consent.withdrawn_by_id = at, user.id
    db.session.add(CaseEvent(case_id=case.id, kind="consent_withdrawn", occurred_at=at, actor_user_id=user.id,
                             actor_agency_id=user.agency_id, details={"consent_id": consent.id}))
    record("consent.withdraw", object_type="consent", object_id=consent.id, case_id=case.id)
