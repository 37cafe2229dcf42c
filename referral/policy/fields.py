"""Which survivor fields a user may see, following consent."""

from __future__ import annotations

from sqlalchemy import bindparam, select

from ..extensions import db
from ..models import Agency, Case, Consent, Service
from ..models.vocab import SharedField
from .memo import request_memo

#: Built once (CONTRIBUTING.md, "Statements a page runs on every visit").
_ACTIVE_CONSENTS = select(Consent).where(Consent.case_id == bindparam("case_id"), Consent.withdrawn_at.is_(None))
#: Key prefixes, in the request's memo, of a file's consents in force and an agency's kinds of
#: active service.
_CONSENTS, _CATEGORIES = "consents", "categories"
_ACTIVE_CATEGORIES = select(Service.agency_id, Service.category).where(
    Service.agency_id.in_(bindparam("agency_ids", expanding=True)), Service.active.is_(True))


def _kept() -> dict:
    """The request's memo, or a dictionary of this call's own when nothing may be kept."""
    memo = request_memo()
    return {} if memo is None else memo


def active_consents(case: Case) -> list[Consent]:
    """The file's consents in force, read once per request (`memo`): the guard, the listing, what
    each agency sees and the directory's coverage all ask."""
    kept = _kept() if case.id is not None else {}
    if (_CONSENTS, case.id) not in kept:
        kept[(_CONSENTS, case.id)] = tuple(db.session.execute(_ACTIVE_CONSENTS, {"case_id": case.id}).scalars())
    return list(kept[(_CONSENTS, case.id)])


def consent_for(case: Case, agency: Agency | None, service_category=None, *,
                consents: list[Consent] | None = None) -> frozenset[str] | None:
    """Field groups the survivor agreed to share with `agency` (named, or through the category of
    its services), per the consents in force now; None when no consent covers the agency at all.

    An empty set is a real answer: she agreed to the referral without sharing her identity.
    `consents`: the file's consents in force, when the caller has them already.
    """
    if agency is None:
        return None
    return consent_covering(case, agency.id, active_categories({agency.id})[agency.id], service_category,
                            consents=consents)


def consent_for_services(case: Case, services) -> dict[int, frozenset[str] | None]:
    """`consent_for` of each service (its agency, its kind), by service id, for a page that lists
    many: one statement for the kinds of service of all their agencies."""
    categories = active_categories({s.agency_id for s in services})
    consents = active_consents(case)
    return {s.id: consent_covering(case, s.agency_id, categories[s.agency_id], s.category, consents=consents)
            for s in services}


def consent_covering(case: Case, agency_id: int, categories, service_category=None, *,
                     consents: list[Consent] | None = None) -> frozenset[str] | None:
    """`consent_for` with the agency given by its id and the categories of its active services
    (`active_categories`), for a page that asks about several agencies at once."""
    categories = set(categories)
    if service_category is not None:
        categories &= {service_category}
    covered = False
    allowed: set[str] = set()
    for consent in active_consents(case) if consents is None else consents:
        if consent.agency_id == agency_id or (
            consent.service_category is not None and consent.service_category in categories
        ):
            covered = True
            allowed.update(consent.fields or [])
    return frozenset(allowed) if covered else None


def active_categories(agency_ids) -> dict[int, frozenset]:
    """The categories of each agency's active services, in one query of two columns (no agency or
    service objects: a file page asks this of every agency its referrals went to), each agency's
    read once per request (`memo`)."""
    kept, wanted = _kept(), set(agency_ids)
    missing = sorted(agency_id for agency_id in wanted if (_CATEGORIES, agency_id) not in kept)
    if missing:
        read: dict[int, set] = {agency_id: set() for agency_id in missing}
        for agency_id, category in db.session.execute(_ACTIVE_CATEGORIES, {"agency_ids": missing}):
            read[agency_id].add(category)
        kept.update({(_CATEGORIES, agency_id): frozenset(categories) for agency_id, categories in read.items()})
    return {agency_id: kept[(_CATEGORIES, agency_id)] for agency_id in wanted}


def visible_risk_level(access, case: Case):
    """The file's risk level, for whoever may read the risk assessment (its own consent group)."""
    return case.risk_level if SharedField.RISK_ASSESSMENT in access.fields else None
