"""Which survivor fields a user may see, following consent."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Agency, Case, Consent
from ..models.vocab import SharedField


def active_consents(case: Case) -> list[Consent]:
    return list(
        db.session.execute(
            select(Consent).where(Consent.case_id == case.id, Consent.withdrawn_at.is_(None))
        ).scalars()
    )


def consent_for(case: Case, agency: Agency | None, service_category=None, *,
                consents: list[Consent] | None = None) -> frozenset[str] | None:
    """Field groups the survivor agreed to share with `agency` (named, or through the category of
    its services), per the consents in force now; None when no consent covers the agency at all.

    An empty set is a real answer: she agreed to the referral without sharing her identity.
    `consents`: the file's consents in force, when the caller has them already.
    """
    if agency is None:
        return None
    categories = {s.category for s in agency.services if s.active}
    if service_category is not None:
        categories &= {service_category}
    covered = False
    allowed: set[str] = set()
    for consent in active_consents(case) if consents is None else consents:
        if consent.agency_id == agency.id or (
            consent.service_category is not None and consent.service_category in categories
        ):
            covered = True
            allowed.update(consent.fields or [])
    return frozenset(allowed) if covered else None


def visible_risk_level(access, case: Case):
    """The file's risk level, for whoever may read the risk assessment (its own consent group)."""
    return case.risk_level if SharedField.RISK_ASSESSMENT in access.fields else None
