"""The service directory: who offers what, where (the same search the referral form uses)."""

from __future__ import annotations

from flask import g

from ..policy import Action
from ..policy.core import has_role_for
from ..services import capacity as places
from ..services.directory import ACCESSIBILITY, find_services, open_now
from .access import guard
from .base import ApiBlueprint
from .locale import api_locale
from .schemas.common import agency_ref
from .schemas.directory import ServiceArgsSchema, ServiceListSchema

bp = ApiBlueprint("services", __name__, url_prefix="/v1/services", tag="directory",
                  description="The service directory.")


@bp.route("", methods=["GET"])
@bp.arguments(ServiceArgsSchema, location="query")
@bp.response(200, ServiceListSchema)
@bp.problems(401, 403)
def list_services(args):
    """Active services, by need, region, language, accessibility and opening now; free places for staff"""
    guard(Action.DIRECTORY_READ)
    locale = api_locale()
    services = find_services(category=args["category"], region_id=args["region_id"], language=args["language"],
                             accessibility=tuple(args["accessibility"]))
    opened = open_now(services)
    if args["open_now"]:
        services = [s for s in services if s.agency_id in opened]
    free = places.availability(g.user, [s.id for s in services]) if has_role_for(g.user, Action.CAPACITY_READ) \
        else {}
    return {"items": [{
        "id": s.id, "category": s.category, "name": s.name(locale),
        "names": {"ar": s.name_ar, "fr": s.name_fr, "en": s.name_en}, "description": s.description,
        "agency": agency_ref(s.agency) | {
            "kind": s.agency.kind, "open_24_7": bool(s.agency.open_24_7), "open_now": s.agency_id in opened,
            "phone": s.agency.phone, "accessibility": [f for f in ACCESSIBILITY if getattr(s.agency, f)]},
        "region_ids": sorted(r.id for r in s.regions),
        "languages": s.languages,
        "availability": vars(free[s.id]) if s.id in free else None,
    } for s in services]}
