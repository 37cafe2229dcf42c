"""Which associations triage a public report: those that cover its region in the service directory.

An association covers a region when it sits in it or one of its active services lists it
(`service_regions`), so coordinators route reports by editing the directory, nothing else.
"""

from __future__ import annotations

from sqlalchemy import Select, exists, false, or_, select

from ..extensions import db
from ..models import Agency, PublicReport, Service, User, service_regions
from ..models.vocab import AgencyKind, Role


def _covers(region_id):
    """SQL condition: the agency (Agency row) covers `region_id` (a value or a column)."""
    serves = exists().where(
        Service.agency_id == Agency.id, Service.active.is_(True),
        service_regions.c.service_id == Service.id, service_regions.c.region_id == region_id,
    )
    return or_(Agency.region_id == region_id, serves)


def covering_agency_ids(region_id: int) -> list[int]:
    return list(db.session.execute(
        select(Agency.id).where(Agency.kind == AgencyKind.ASSOCIATION, Agency.active.is_(True), _covers(region_id))
    ).scalars())


def agency_covers(agency_id: int, region_id: int) -> bool:
    return agency_id in covering_agency_ids(region_id)


def reports_query(user: User) -> Select:
    """Reports of the regions the caseworker's association covers; danger first, oldest first."""
    if Role.CASEWORKER not in user.roles:
        return select(PublicReport).where(false())
    covered = select(Agency.id).where(
        Agency.id == user.agency_id, Agency.kind == AgencyKind.ASSOCIATION, Agency.active.is_(True),
        _covers(PublicReport.region_id),
    ).exists()
    return (select(PublicReport).where(covered)
            .order_by(PublicReport.danger_now.desc(), PublicReport.created_at, PublicReport.id))
