"""The service directory: who offers what, where."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Agency, Service, service_regions
from ..models.vocab import AgencyKind


def find_services(*, category: str | None = None, region_id: int | None = None,
                  exclude_agency_id: int | None = None, limit: int = 200) -> list[Service]:
    query = (
        select(Service)
        .join(Agency, Agency.id == Service.agency_id)
        .where(Service.active.is_(True), Agency.active.is_(True), Agency.kind != AgencyKind.NETWORK)
        .options(selectinload(Service.agency), selectinload(Service.regions))
        .order_by(Service.category, Agency.code, Service.id)
        .limit(limit)
    )
    if category:
        query = query.where(Service.category == category)
    if region_id:
        query = query.where(Service.id.in_(select(service_regions.c.service_id)
                                           .where(service_regions.c.region_id == region_id)))
    if exclude_agency_id:
        query = query.where(Service.agency_id != exclude_agency_id)
    return list(db.session.execute(query).scalars())
