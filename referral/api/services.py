"""The service directory: who offers what, where (the same search the referral form uses)."""

from __future__ import annotations

from ..policy import Action
from ..services.directory import find_services
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
    """Active services, by category and region"""
    guard(Action.DIRECTORY_READ)
    locale = api_locale()
    services = find_services(category=args["category"], region_id=args["region_id"])
    return {"items": [{
        "id": s.id, "category": s.category, "name": s.name(locale),
        "names": {"ar": s.name_ar, "fr": s.name_fr, "en": s.name_en}, "description": s.description,
        "agency": agency_ref(s.agency) | {"kind": s.agency.kind, "open_24_7": bool(s.agency.open_24_7)},
        "region_ids": sorted(r.id for r in s.regions),
    } for s in services]}
