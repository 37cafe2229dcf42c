"""The service directory: who offers what, where."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Agency, Holiday, Service, ServiceLanguage, service_regions
from ..models.base import utcnow
from ..models.service import SERVICE_LANGUAGES
from ..models.vocab import AgencyKind
from ..workflows.calendar import BusinessCalendar, is_open

#: Accessibility a search can ask for: the agency columns that answer it.
ACCESSIBILITY = ("step_free_access", "accessible_toilet", "sign_language")


def get_service(service_id) -> Service | None:
    """A service by its id as a form or an API body gives it (None for no such service)."""
    try:
        return db.session.get(Service, int(service_id)) if service_id is not None else None
    except (TypeError, ValueError):
        return None


def find_services(*, category: str | None = None, region_id: int | None = None,
                  exclude_agency_id: int | None = None, language: str | None = None,
                  accessibility: tuple[str, ...] = (), limit: int = 200) -> list[Service]:
    query = (
        select(Service)
        .join(Agency, Agency.id == Service.agency_id)
        .where(Service.active.is_(True), Agency.active.is_(True), Agency.kind != AgencyKind.NETWORK)
        .options(selectinload(Service.agency), selectinload(Service.regions), selectinload(Service.language_rows))
        .order_by(Service.category, Agency.code, Service.id)
        .limit(limit)
    )
    if language:
        query = query.where(Service.id.in_(select(ServiceLanguage.service_id)
                                           .where(ServiceLanguage.language == language)))
    for feature in accessibility:
        if feature not in ACCESSIBILITY:
            raise ValueError(f"unknown accessibility feature {feature!r}")
        query = query.where(getattr(Agency, feature).is_(True))
    if category:
        query = query.where(Service.category == category)
    if region_id:
        query = query.where(Service.id.in_(select(service_regions.c.service_id)
                                           .where(service_regions.c.region_id == region_id)))
    if exclude_agency_id:
        query = query.where(Service.agency_id != exclude_agency_id)
    return list(db.session.execute(query).scalars())


def open_now(services: list[Service], at: datetime | None = None) -> set[int]:
    """The agencies of `services` open at `at` (now by default): their weekly hours in their own
    time zone, minus the national, regional and agency holidays of those days; 24/7 ones always.
    One query for the holidays, whatever the number of agencies."""
    at = at or utcnow()
    agencies = {s.agency.id: s.agency for s in services}
    if not agencies:
        return set()
    # A day on each side of the UTC date: the agencies' local dates lie among these three.
    days = (at.date() - timedelta(days=1), at.date() + timedelta(days=1))
    holidays = db.session.execute(
        select(Holiday.day, Holiday.agency_id, Holiday.region_id).where(
            Holiday.day.between(*days),
            or_(Holiday.agency_id.in_(list(agencies)), Holiday.agency_id.is_(None)))).all()
    opened = set()
    for agency in agencies.values():
        off = frozenset(day for day, agency_id, region_id in holidays
                        if agency_id in (None, agency.id) and region_id in (None, agency.region_id))
        try:
            calendar = BusinessCalendar(timezone=agency.timezone, opening_hours=agency.opening_hours or {},
                                        holidays=off, open_24_7=agency.open_24_7)
        except ValueError:
            continue  # hours not set up (or unreadable): not shown as open
        if is_open(at, calendar):
            opened.add(agency.id)
    return opened


@dataclass(frozen=True)
class PublicHelp:
    """What the public help page shows of one agency: how to call it, never where it is (a
    shelter's address is kept from the public, and from anyone who would look for her there)."""

    agency: Agency
    phone: str | None
    categories: tuple[str, ...]
    open_now: bool
    #: Languages any of its services there is received in, in SERVICE_LANGUAGES order.
    languages: tuple[str, ...] = ()
    #: The accessibility features of its premises (ACCESSIBILITY names).
    accessibility: tuple[str, ...] = ()


def public_help(region_id: int) -> list[PublicHelp]:
    """The agencies serving `region_id`, each with the kinds of service it offers there."""
    services = find_services(region_id=region_id)
    opened = open_now(services)
    by_agency: dict[int, list[Service]] = {}
    for service in services:
        by_agency.setdefault(service.agency_id, []).append(service)
    helps = [PublicHelp(agency=group[0].agency, phone=group[0].agency.phone,
                        categories=tuple(sorted({s.category.value for s in group})),
                        open_now=agency_id in opened,
                        languages=tuple(c for c in SERVICE_LANGUAGES if any(c in s.languages for s in group)),
                        accessibility=tuple(f for f in ACCESSIBILITY if getattr(group[0].agency, f)))
             for agency_id, group in by_agency.items()]
    return sorted(helps, key=lambda h: (not h.open_now, h.agency.code))
