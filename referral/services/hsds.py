"""The service directory in Open Referral HSDS 3.0 (issue 19, part 3): export, validation, import.

An export is a list of HSDS services, each with its organization, its service areas (our regions),
its languages, its schedules (the agency's weekly hours) and one location (accessibility, and the
address only for staff and never for an agency that offers shelter). What HSDS has no field for
travels as HSDS attributes under Masar's own taxonomies (`masar-*`): the three names, the service
category, the agency's code, kind and IANA time zone, and whether it is a partner outside Masar.
Identifiers are UUIDv5 of our codes, so the same directory always exports the same ids and an
import recognises what it already holds.

Validation uses the published HSDS 3.0 JSON schemas, vendored in referral/hsds/schema (CC BY-SA
4.0, openreferral/specification tag v3.0). An import is validated whole first; then it creates or
updates agencies and services through the directory's own service functions (the same checks,
business-calendar recomputation and access-log events as an edit by hand), in one transaction. A
dry run does all of it, reports what would change, and is rolled back.

Holidays are not exported: HSDS 3.0 schedules describe opening hours, and the network's holidays
are a calendar of their own (`/directory/holidays`).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import jsonschema_rs
from sqlalchemy import select

from ..extensions import db
from ..models import Agency, Region, Service, User
from ..models.service import SERVICE_LANGUAGES
from ..models.vocab import AgencyKind, ServiceCategory
from ..policy import Action, require
from . import directory_admin
from .directory import ACCESSIBILITY, find_services
from .errors import InputError

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "hsds" / "schema"
NAMESPACE = uuid.UUID("6f1c3c5e-2f4a-4c39-9a1e-6d2f0b7a4e11")
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
LANGUAGE_NAMES = {"ar": "Arabic", "zgh": "Tamazight", "fr": "French", "en": "English", "es": "Spanish"}
SHELTER = ServiceCategory.SHELTER.value


class HsdsInvalid(ValueError):
    """The document does not follow HSDS 3.0 (or Masar's taxonomies): each error with its path."""

    def __init__(self, errors: list[str]):
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors


def _id(*parts) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join(str(p) for p in parts)))


@lru_cache(maxsize=1)
def _validator():
    def retrieve(uri: str):
        return json.loads((SCHEMA_DIR / uri.rsplit("/", 1)[-1]).read_text())

    schema = json.loads((SCHEMA_DIR / "service.json").read_text())
    return jsonschema_rs.validator_for(schema, retriever=retrieve, base_uri="https://masar.invalid/hsds/service.json",
                                       validate_formats=True)


def validate(document) -> list[str]:
    """HSDS 3.0 errors of an exported or imported document ({"contents": [service, ...]})."""
    if not isinstance(document, dict) or not isinstance(document.get("contents"), list):
        return ["contents: a list of HSDS services is expected"]
    errors = []
    for index, service in enumerate(document["contents"]):
        for error in _validator().iter_errors(service):
            path = "/".join(str(p) for p in ["contents", index, *error.instance_path])
            errors.append(f"{path}: {error.message}")
    return errors


# --- export ---------------------------------------------------------------------------------------

def _attribute(link_id: str, entity: str, taxonomy: str, code: str, value: str | None = None) -> dict:
    return {"id": _id("attribute", link_id, taxonomy, code), "link_id": link_id, "link_type": taxonomy,
            "link_entity": entity, "value": value if value is not None else code,
            "taxonomy_term": {"id": _id("term", taxonomy, code), "code": code, "name": code,
                              "description": f"Masar {taxonomy} {code}", "taxonomy": taxonomy}}


AROUND_THE_CLOCK = "Open around the clock"


def _region_attributes(link_id: str, entity: str, region: Region) -> list[dict]:
    """A region's names and country, so that an install without it can create it."""
    return ([_attribute(link_id, entity, "masar-region-name", lang, getattr(region, f"name_{lang}"))
             for lang in ("ar", "fr", "en")] + [_attribute(link_id, entity, "masar-region-country", region.country)])


def _schedules(agency: Agency, service_id: str) -> list[dict]:
    """Its weekly hours; an agency open around the clock has one more schedule saying so (its
    office hours still matter to its staff)."""
    rows = []
    if agency.open_24_7:
        rows.append({"id": _id("schedule", agency.code, "24/7"), "service_id": service_id, "freq": "WEEKLY",
                     "byday": ",".join(DAYS), "opens_at": "00:00", "closes_at": "23:59",
                     "description": AROUND_THE_CLOCK})
    for day, intervals in sorted((agency.opening_hours or {}).items()):
        for opens, closes in intervals:
            rows.append({"id": _id("schedule", agency.code, day, opens), "service_id": service_id, "freq": "WEEKLY",
                         "byday": DAYS[int(day)], "opens_at": opens, "closes_at": closes})
    return rows


def _organization(agency: Agency, *, staff: bool) -> dict:
    org_id = _id("agency", agency.code)
    attributes = [_attribute(org_id, "organization", "masar-agency-kind", agency.kind.value),
                  _attribute(org_id, "organization", "masar-timezone", agency.timezone)]
    attributes += [_attribute(org_id, "organization", "masar-name", lang, getattr(agency, f"name_{lang}"))
                   for lang in ("ar", "fr", "en")]
    if agency.region is not None:
        attributes.append(_attribute(org_id, "organization", "masar-region", agency.region.code))
        attributes += _region_attributes(org_id, "organization", agency.region)
    if agency.external_partner:
        attributes.append(_attribute(org_id, "organization", "masar-partner", "outside-masar"))
    organization = {
        "id": org_id, "name": agency.name_fr, "alternate_name": agency.name_ar,
        "description": agency.sector or agency.kind.value,
        "organization_identifiers": [{"id": _id("identifier", agency.code), "organization_id": org_id,
                                      "identifier_scheme": "MASAR", "identifier_type": "agency_code",
                                      "identifier": agency.code}],
        "attributes": attributes,
    }
    if agency.email and staff:
        organization["email"] = agency.email
    return organization


def _location(agency: Agency, offers_shelter: bool, *, staff: bool) -> dict:
    location_id = _id("location", agency.code)
    location = {"id": location_id, "location_type": "physical", "organization_id": _id("agency", agency.code),
                "name": agency.name_fr,
                "accessibility": [{"id": _id("accessibility", agency.code, feature), "location_id": location_id,
                                   "description": feature, "details": feature}
                                  for feature in ACCESSIBILITY if getattr(agency, feature)]}
    if staff and agency.address and not offers_shelter:
        location["addresses"] = [{"id": _id("address", agency.code), "location_id": location_id,
                                  "address_1": agency.address, "city": "", "state_province":
                                  agency.region.name_fr if agency.region else "", "postal_code": "",
                                  "country": agency.region.country if agency.region else "MA",
                                  "address_type": "physical"}]
    return location


def export_directory(*, staff: bool) -> dict:
    """Every active service as HSDS. `staff`: addresses (never a shelter's) and emails included."""
    services = find_services(limit=100_000)
    shelters = {s.agency_id for s in services if s.category.value == SHELTER}
    counts: dict[tuple[str, str], int] = {}
    contents = []
    for service in services:
        agency = service.agency
        key = (agency.code, service.category.value)
        counts[key] = counts.get(key, 0) + 1
        service_id = _id("service", agency.code, service.category.value, counts[key])
        attributes = [_attribute(service_id, "service", "masar-service-category", service.category.value)]
        attributes += [_attribute(service_id, "service", "masar-name", lang, getattr(service, f"name_{lang}"))
                       for lang in ("ar", "fr", "en")]
        item = {
            "id": service_id, "name": service.name_fr, "alternate_name": service.name_ar, "status": "active",
            "description": service.description or "", "organization": _organization(agency, staff=staff),
            "service_areas": [{"id": (area := _id("area", service_id, region.code)), "service_id": service_id,
                               "name": region.code, "description": region.name_fr, "extent_type": "region",
                               "attributes": _region_attributes(area, "service_area", region)}
                              for region in sorted(service.regions, key=lambda r: r.code)],
            "languages": [{"id": _id("language", service_id, code), "service_id": service_id, "code": code,
                           "name": LANGUAGE_NAMES[code]} for code in service.languages],
            "phones": ([{"id": _id("phone", service_id), "service_id": service_id, "number": agency.phone}]
                       if agency.phone else []),
            "schedules": _schedules(agency, service_id),
            "service_at_locations": [{"id": _id("sal", service_id), "service_id": service_id,
                                      "location_id": _id("location", agency.code),
                                      "location": _location(agency, agency.id in shelters, staff=staff)}],
            "attributes": attributes,
        }
        contents.append(item)
    return {"total_items": len(contents), "total_pages": 1, "page_number": 1, "size": len(contents),
            "first_page": True, "last_page": True, "empty": not contents, "contents": contents}


# --- import ---------------------------------------------------------------------------------------

@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: dict[str, list[str]] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return len(self.created) + len(self.updated)


def _attrs(node: dict, taxonomy: str) -> dict[str, str]:
    return {a["taxonomy_term"]["code"]: a.get("value") for a in node.get("attributes") or []
            if a.get("link_type") == taxonomy and a.get("taxonomy_term", {}).get("code")}


def _hours(schedules: list[dict]) -> tuple[dict[str, str], bool]:
    days: dict[str, list[str]] = {}
    always_open = False
    for row in schedules:
        if row.get("description") == AROUND_THE_CLOCK:
            always_open = True
            continue
        for code in (row.get("byday") or "").split(","):
            if code in DAYS and row.get("opens_at") and row.get("closes_at"):
                days.setdefault(str(DAYS.index(code)), []).append(f"{row['opens_at']}-{row['closes_at']}")
    return {day: ", ".join(sorted(v)) for day, v in days.items()}, always_open


def import_directory(user: User, document: dict, *, dry_run: bool) -> ImportReport:
    """Create or update the agencies and services of an HSDS document. Raises HsdsInvalid (nothing
    written) when it is not valid HSDS 3.0 or not Masar's taxonomies; the caller commits, or rolls
    back after a dry run."""
    require(user, Action.DIRECTORY_MANAGE)
    errors = validate(document)
    if errors:
        raise HsdsInvalid(errors)
    regions = {r.code: r for r in db.session.execute(select(Region)).scalars()}
    report = ImportReport()
    _create_missing_regions(document, regions, report)
    seen_agencies: dict[str, Agency] = {}
    ordinals: dict[tuple[str, str], int] = {}  # the n-th service of a kind at an agency matches its n-th
    for index, item in enumerate(document["contents"]):
        where = f"contents/{index}"
        organization = item.get("organization") or {}
        code = next((i["identifier"] for i in organization.get("organization_identifiers") or []
                     if i.get("identifier_scheme") == "MASAR"), None)
        if not code:
            raise HsdsInvalid([f"{where}/organization: a MASAR agency_code identifier is required"])
        agency = seen_agencies.get(code) or _import_agency(user, organization, code, item, regions, where, report)
        seen_agencies[code] = agency
        _import_service(user, agency, item, regions, where, report, ordinals)
    return report


def _create_missing_regions(document: dict, regions: dict[str, Region], report: ImportReport) -> None:
    """Regions the document names with their names (masar-region-name) and this install lacks."""
    from ..audit.log import record

    for item in document["contents"]:
        nodes = [(a.get("name"), a) for a in item.get("service_areas") or []]
        organization = item.get("organization") or {}
        nodes.append((next(iter(_attrs(organization, "masar-region")), None), organization))
        for code, node in nodes:
            names = _attrs(node, "masar-region-name")
            if not code or code in regions or not names.get("fr"):
                continue
            region = Region(code=code, name_ar=names.get("ar") or names["fr"], name_fr=names["fr"],
                            name_en=names.get("en") or names["fr"],
                            country=next(iter(_attrs(node, "masar-region-country")), "MA")[:2])
            db.session.add(region)
            db.session.flush([region])
            regions[code] = region
            report.created.append(f"region {code}")
            record("directory.region_create", object_type="region", object_id=region.id, details={"code": code})


def _import_agency(user, organization, code, item, regions, where, report) -> Agency:
    names = _attrs(organization, "masar-name")
    kind = next(iter(_attrs(organization, "masar-agency-kind")), AgencyKind.ASSOCIATION.value)
    if kind not in {k.value for k in AgencyKind} or kind == AgencyKind.NETWORK.value:
        raise HsdsInvalid([f"{where}/organization: unknown agency kind {kind!r}"])
    region_code = next(iter(_attrs(organization, "masar-region")), None)
    if region_code is not None and region_code not in regions:
        raise HsdsInvalid([f"{where}/organization: unknown region {region_code!r}"])
    location = ((item.get("service_at_locations") or [{}])[0].get("location") or {})
    features = {a.get("details") or a.get("description") for a in location.get("accessibility") or []}
    address = next((a.get("address_1") for a in location.get("addresses") or []), None)
    hours, always_open = _hours(item.get("schedules") or [])
    agency = db.session.execute(select(Agency).where(Agency.code == code)).scalar_one_or_none()
    values = {
        "code": code, "kind": kind, "sector": organization.get("description") or kind,
        "name_ar": names.get("ar") or organization.get("alternate_name") or organization["name"],
        "name_fr": names.get("fr") or organization["name"], "name_en": names.get("en") or organization["name"],
        "region_id": regions[region_code].id if region_code else None,
        "phone": next((p["number"] for p in item.get("phones") or []), None),
        "email": organization.get("email") or (agency.email if agency else None),
        "address": address or (agency.address if agency else None),
        "timezone": next(iter(_attrs(organization, "masar-timezone")), "Africa/Casablanca"),
        "open_24_7": always_open, "active": True,
        "external_partner": bool(_attrs(organization, "masar-partner")),
        **{feature: feature in features for feature in ACCESSIBILITY},
    }
    before = _agency_state(agency)
    try:
        saved = directory_admin.save_agency(user, agency, values, hours)
    except InputError as exc:
        raise HsdsInvalid([f"{where}/organization: {exc.field}: {exc.code}"]) from None
    after = _agency_state(saved)
    _report(report, f"agency {code}", before, after)
    return saved


def _agency_state(agency: Agency | None) -> dict | None:
    if agency is None:
        return None
    names = ("kind", "sector", "name_ar", "name_fr", "name_en", "region_id", "phone", "email", "address", "timezone",
             "open_24_7", "opening_hours", "external_partner", *ACCESSIBILITY)
    return {n: getattr(getattr(agency, n), "value", getattr(agency, n)) for n in names}


def _import_service(user, agency: Agency, item, regions, where, report, ordinals) -> None:
    category = next(iter(_attrs(item, "masar-service-category")), None)
    if category not in {c.value for c in ServiceCategory}:
        raise HsdsInvalid([f"{where}: a masar-service-category attribute is required"])
    names = _attrs(item, "masar-name")
    area_codes = [a.get("name") for a in item.get("service_areas") or []]
    unknown = [c for c in area_codes if c not in regions]
    if unknown:
        raise HsdsInvalid([f"{where}/service_areas: unknown region {unknown[0]!r}"])
    languages = [lang.get("code") for lang in item.get("languages") or []]
    if set(languages) - set(SERVICE_LANGUAGES):
        raise HsdsInvalid([f"{where}/languages: unknown language"])
    existing = [s for s in agency.services if s.category.value == category]
    ordinal = ordinals.get((agency.code, category), 0)
    ordinals[(agency.code, category)] = ordinal + 1
    service = existing[ordinal] if ordinal < len(existing) else None
    before = _service_state(service)
    values = {"category": category, "name_ar": names.get("ar") or item.get("alternate_name") or item["name"],
              "name_fr": names.get("fr") or item["name"], "name_en": names.get("en") or item["name"],
              "description": item.get("description") or None, "active": item.get("status") == "active",
              "languages": languages}
    saved = directory_admin.save_service(user, service, agency, values, [regions[c].id for c in area_codes])
    _report(report, f"service {agency.code}/{category}", before, _service_state(saved))


def _service_state(service: Service | None) -> dict | None:
    if service is None:
        return None
    return {"name_ar": service.name_ar, "name_fr": service.name_fr, "name_en": service.name_en,
            "description": service.description, "active": service.active, "languages": list(service.languages),
            "regions": sorted(r.code for r in service.regions)}


def _report(report: ImportReport, label: str, before: dict | None, after: dict) -> None:
    if before is None:
        report.created.append(label)
        return
    changed = sorted(k for k in after if before.get(k) != after.get(k))
    if changed:
        report.updated[label] = changed
    else:
        report.unchanged.append(label)
