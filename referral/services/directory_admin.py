"""Managing the directory: agencies with their business calendars, their services, holidays."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from ..audit.log import record
from ..extensions import db
from ..models import Agency, Holiday, Region, Service, User
from ..models.service import SERVICE_LANGUAGES
from ..models.vocab import AgencyKind, ServiceCategory
from ..policy import Action, require
from ..workflows import sla
from ..workflows.calendar import BusinessCalendar
from .errors import InputError

WEEKDAYS = tuple(str(d) for d in range(7))
INTERVAL = re.compile(r"^\s*(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*$")
AGENCY_FIELDS = ("code", "kind", "sector", "name_ar", "name_fr", "name_en", "region_id", "phone", "email",
                 "address", "timezone", "open_24_7", "active", "step_free_access", "accessible_toilet",
                 "sign_language", "external_partner")
#: Changes that move an agency's business calendar (the region: its regional holidays).
CALENDAR_FIELDS = {"opening_hours", "timezone", "open_24_7", "region_id"}


def parse_hours(day_texts: dict[str, str]) -> dict[str, list[list[str]]]:
    """{"0": "08:30-12:00, 14:00-16:30", ...} -> opening hours; an empty day is a day off."""
    hours: dict[str, list[list[str]]] = {}
    for day in WEEKDAYS:
        text = (day_texts.get(day) or "").strip()
        if not text:
            continue
        intervals = []
        for part in text.split(","):
            match = INTERVAL.match(part)
            if not match:
                raise InputError(f"hours_{day}", "bad_hours")
            intervals.append([_pad(match.group(1)), _pad(match.group(2))])
        hours[day] = intervals
    return hours


def format_hours(hours: dict) -> dict[str, str]:
    return {day: ", ".join(f"{a}-{b}" for a, b in (hours or {}).get(day, [])) for day in WEEKDAYS}


def _pad(value: str) -> str:
    hour, minute = value.split(":")
    return f"{int(hour):02d}:{minute}"


def save_agency(user: User, agency: Agency | None, values: dict, day_texts: dict[str, str]) -> Agency:
    require(user, Action.DIRECTORY_MANAGE)
    hours = parse_hours(day_texts)
    try:
        BusinessCalendar(timezone=values["timezone"], opening_hours=hours, open_24_7=bool(values.get("open_24_7")))
    except ValueError:
        raise InputError("timezone" if "zone" in str(values.get("timezone")) else "hours_0", "bad_hours") \
            from None
    if not hours and not values.get("open_24_7"):
        raise InputError("hours_0", "never_open")
    code = (values.get("code") or "").strip().upper()
    clash = db.session.execute(select(Agency.id).where(Agency.code == code)).scalar_one_or_none()
    if clash is not None and (agency is None or clash != agency.id):
        raise InputError("code", "taken")
    if values.get("region_id") and db.session.get(Region, values["region_id"]) is None:
        raise InputError("region_id", "unknown_value")
    created = agency is None
    agency = agency or Agency()
    before = {name: getattr(agency, name, None) for name in AGENCY_FIELDS} if not created else {}
    before_hours = None if created else agency.opening_hours
    for name in AGENCY_FIELDS:
        if name in values:
            setattr(agency, name, values[name])
    agency.code = code
    agency.kind = AgencyKind(values["kind"])
    agency.opening_hours = hours
    db.session.add(agency)
    db.session.flush([agency])
    changed = [n for n in AGENCY_FIELDS if created or before.get(n) != getattr(agency, n)]
    if not created and before_hours != agency.opening_hours:
        changed.append("opening_hours")
    details = {"code": agency.code, "changed": changed}
    if not created and set(changed) & CALENDAR_FIELDS:
        # Its open referrals' time limits now run on the new calendar.
        details["referrals_recomputed"] = sla.recompute_calendar([agency.id])
    record("directory.agency_create" if created else "directory.agency_update", object_type="agency",
           object_id=agency.id, details=details)
    return agency


def save_service(user: User, service: Service | None, agency: Agency, values: dict, region_ids: list[int]) -> Service:
    require(user, Action.DIRECTORY_MANAGE)
    if agency.kind == AgencyKind.NETWORK:
        raise InputError("agency_id", "unknown_agency")
    created = service is None
    service = service or Service(agency_id=agency.id)
    service.category = ServiceCategory(values["category"])
    for name in ("name_ar", "name_fr", "name_en", "description", "active"):
        if name in values:
            setattr(service, name, values[name])
    service.regions = list(db.session.execute(select(Region).where(Region.id.in_(region_ids))).scalars())
    if "languages" in values:
        unknown = set(values["languages"] or ()) - set(SERVICE_LANGUAGES)
        if unknown:
            raise InputError("languages", "unknown_value")
        service.languages = values["languages"]
    db.session.add(service)
    db.session.flush([service])
    record("directory.service_create" if created else "directory.service_update", object_type="service",
           object_id=service.id, details={"agency": agency.code, "category": service.category.value,
                                          "active": service.active, "regions": sorted(region_ids),
                                          "languages": service.languages})
    return service


def add_holiday(user: User, *, day: date, name: str, region_id: int | None, agency_id: int | None) -> Holiday:
    require(user, Action.DIRECTORY_MANAGE)
    exists = db.session.execute(select(Holiday.id).where(
        Holiday.day == day, Holiday.region_id.is_(region_id) if region_id is None else Holiday.region_id == region_id,
        Holiday.agency_id.is_(agency_id) if agency_id is None else Holiday.agency_id == agency_id)).first()
    if exists:
        raise InputError("day", "taken")
    holiday = Holiday(day=day, name=name.strip(), region_id=region_id, agency_id=agency_id)
    db.session.add(holiday)
    db.session.flush([holiday])
    recomputed = sla.recompute_calendar(_observing(holiday))
    record("directory.holiday_create", object_type="holiday", object_id=holiday.id,
           details={"day": day.isoformat(), "region_id": region_id, "agency_id": agency_id,
                    "referrals_recomputed": recomputed})
    return holiday


def remove_holiday(user: User, holiday: Holiday) -> None:
    require(user, Action.DIRECTORY_MANAGE)
    observing = _observing(holiday)
    db.session.delete(holiday)
    db.session.flush()
    recomputed = sla.recompute_calendar(observing)
    record("directory.holiday_delete", object_type="holiday", object_id=holiday.id,
           details={"day": holiday.day.isoformat(), "referrals_recomputed": recomputed})


def _observing(holiday: Holiday) -> list[int] | None:
    """The agencies that keep a holiday: one agency, a region's, or (None) every agency."""
    if holiday.agency_id is not None:
        return [holiday.agency_id]
    if holiday.region_id is not None:
        return list(db.session.execute(select(Agency.id).where(Agency.region_id == holiday.region_id)).scalars())
    return None
