"""The service directory: who offers what, where."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Agency, Holiday, Region, Service, ServiceLanguage, service_regions
from ..models.base import utcnow
from ..models.service import SERVICE_LANGUAGES
from ..models.vocab import AgencyKind
from ..workflows.calendar import BusinessCalendar, is_open
from .records import get_record

#: Accessibility a search can ask for: the agency columns that answer it.
ACCESSIBILITY = ("step_free_access", "accessible_toilet", "sign_language")


def regions(region_id: int | None = None) -> list[Region]:
    """The regions in code order (only `region_id`'s when given: a regional coordinator's)."""
    query = select(Region).order_by(Region.code)
    if region_id is not None:
        query = query.where(Region.id == region_id)
    return list(db.session.execute(query).scalars())


def agencies(*, network: bool = True, region_id: int | None = None) -> list[Agency]:
    """Agencies by kind and code (without the network's own with ``network=False``; only a region's
    with `region_id`)."""
    query = select(Agency).order_by(Agency.kind, Agency.code)
    if not network:
        query = query.where(Agency.kind != AgencyKind.NETWORK)
    if region_id is not None:
        query = query.where(Agency.region_id == region_id)
    return list(db.session.execute(query).scalars())


def agency_names(lang: str) -> list[tuple[int, str]]:
    """(id, name in `lang` or English) of the active agencies one refers to, in code order: two
    columns, not the directory's objects (every file page of an association lists them all)."""
    localized = getattr(Agency, f"name_{lang}", Agency.name_en)
    rows = db.session.execute(
        select(Agency.id, localized, Agency.name_en)
        .where(Agency.active.is_(True), Agency.kind != AgencyKind.NETWORK).order_by(Agency.code)).all()
    return [(id_, name or name_en) for id_, name, name_en in rows]


def recent_holidays(since: date, limit: int = 200) -> list[Holiday]:
    return list(db.session.execute(select(Holiday).where(Holiday.day >= since)
                                   .order_by(Holiday.day).limit(limit)).scalars())


def get_service(service_id) -> Service | None:
    """A service by its id as a form or an API body gives it (None for no such service)."""
    return get_record(Service, service_id)


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
