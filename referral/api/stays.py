"""Shelter places and stays under the Himaya protocol, for shelters' and associations' own apps:
the same services and policy as the pages (referral/web/stays.py). Places are for staff, never
with an address; the referral's sender reads the stay within her consent (services/stays.py)."""

from __future__ import annotations

from datetime import timedelta

from flask import g
from flask_babel import get_locale

from ..models import Stay
from ..policy import Action
from ..services import capacity as places
from ..services import stays
from ..services.directory import get_service
from ..services.records import flush, get_record
from .access import guard, load_referral
from .base import ApiBlueprint
from .errors import ApiProblem
from .schemas.stays import (
    AdmitSchema,
    CapacitySchema,
    CapacityUpdateSchema,
    EssentialServiceListSchema,
    ExitSchema,
    ExtensionRequestSchema,
    GivenSchema,
    OccupancyArgsSchema,
    OccupancyListSchema,
    StaySchema,
)

bp = ApiBlueprint("stays", __name__, url_prefix="/v1", tag="shelters",
                  description="Shelter places (staff only, never an address) and stays: admission from an "
                              "accepted referral, the protocol's services, extensions approved by a second "
                              "person, exit.")


def _capacity_row(service_id: int) -> dict:
    capacity = places.capacities([service_id]).get(service_id)
    if capacity is None:
        raise ApiProblem(404)
    return {"service_id": service_id, "beds": capacity.beds, "child_places": capacity.child_places,
            "accessible_rooms": capacity.accessible_rooms, "max_stay_days": capacity.max_stay_days,
            "beds_free": capacity.beds_free, "child_places_free": capacity.child_places_free,
            "accessible_free": capacity.accessible_free}


@bp.route("/shelters/<int:service_id>/capacity", methods=["GET"])
@bp.response(200, CapacitySchema)
@bp.problems(401, 403, 404)
def get_capacity(service_id):
    """A shelter's declared places and what is free now"""
    guard(Action.CAPACITY_READ)
    return _capacity_row(service_id)


@bp.route("/shelters/<int:service_id>/capacity", methods=["PUT"])
@bp.arguments(CapacityUpdateSchema)
@bp.response(200, CapacitySchema)
@bp.problems(401, 403, 404, 422)
def put_capacity(data, service_id):
    """Declare a shelter's places (directory managers); never below the places taken now"""
    guard(Action.DIRECTORY_MANAGE)
    service = get_service(service_id)
    if service is None:
        raise ApiProblem(404)
    places.set_capacity(g.user, service, **data)
    flush()
    return _capacity_row(service_id)


@bp.route("/shelters/occupancy", methods=["GET"])
@bp.arguments(OccupancyArgsSchema, location="query")
@bp.response(200, OccupancyListSchema)
@bp.problems(401, 403)
def occupancy(args):
    """Every shelter's places, who is in and the average stay: numbers only (coordinators)"""
    guard(Action.OCCUPANCY_READ)
    since = args["since"] or stays.today_at(g.user.agency) - timedelta(days=365)
    return {"items": [{"service_id": row.service.id, "agency_code": row.service.agency.code,
                       "beds": row.capacity.beds, "beds_free": row.capacity.beds_free,
                       "in_shelter": row.in_shelter, "average_days": row.average_days, "exits": row.exits}
                      for row in stays.occupancy(g.user, since=since)]}


@bp.route("/stays/essential-services", methods=["GET"])
@bp.response(200, EssentialServiceListSchema)
@bp.problems(401, 403)
def essential_services():
    """The essential services of the protocol, in the order a stay gives them"""
    guard(Action.STAY_READ)
    lang = str(get_locale())
    return {"items": [{"code": e.code, "name": e.name(lang), "due_within_days": e.due_within_days,
                       "for_children": bool(e.for_children)} for e in stays.essential_services()]}


def _load_stay(stay_id: int, action: Action):
    stay = get_record(Stay, stay_id)
    if stay is None:
        raise ApiProblem(404)
    return stay, guard(action, stay)


def _stay_body(stay: Stay, relation: str) -> dict:
    if relation == "sender":
        view = stays.sender_view(stay)
        return {"id": stay.id, "reference": stay.referral.reference, "view": "sender",
                "within_consent": view.within_consent, "status": view.status.value,
                "admitted_on": view.admitted_on, "children": view.children, "accessible_room": None,
                "ends_on": view.ends_on,
                "given": [{"code": essential.code, "given_on": day} for essential, day in view.given],
                "extensions": [{"id": None, "days": days, "status": getattr(status, "value", status)}
                               for days, status in view.extensions],
                "exited_on": view.exited_on,
                "exit_outcome": getattr(view.exit_outcome, "value", None),
                "exit_destination": getattr(view.exit_destination, "value", None)}
    return {"id": stay.id, "reference": stay.referral.reference, "view": "shelter", "within_consent": True,
            "status": stay.status.value, "admitted_on": stay.admitted_on, "children": stay.children,
            "accessible_room": stay.accessible_room, "ends_on": stay.ends_on,
            "given": [{"code": given.code, "given_on": given.given_on} for given in stay.given],
            "extensions": [{"id": e.id, "days": e.days, "status": e.status.value} for e in stay.extensions],
            "due": [{"code": due.code, "given_on": due.due_on} for due in stay.dues if due.done_on is None],
            "exited_on": stay.exited_on, "exit_outcome": getattr(stay.exit_outcome, "value", None),
            "exit_destination": getattr(stay.exit_destination, "value", None)}


def _fresh_shelter_view(stay: Stay) -> dict:
    """The shelter's record as it stands after a change (its services and extensions re-read)."""
    return _stay_body(stays.reread(stay), "shelter")


@bp.route("/referrals/<uuid:referral_id>/stay", methods=["POST"])
@bp.arguments(AdmitSchema)
@bp.response(201, StaySchema)
@bp.problems(401, 403, 404, 422)
def admit(data, referral_id):
    """Admit her (and her children) from an accepted referral: takes the places, atomically"""
    referral, _decision = load_referral(referral_id, Action.REFERRAL_RECEIVE)
    stay = stays.admit(g.user, referral, **data)
    return _stay_body(stay, "shelter"), 201


@bp.route("/stays/<int:stay_id>", methods=["GET"])
@bp.response(200, StaySchema)
@bp.problems(401, 403, 404)
def get_stay(stay_id):
    """The stay: the shelter's record, or the sender's view within her consent"""
    stay, decision = _load_stay(stay_id, Action.STAY_READ)
    return _stay_body(stay, decision.relation)


@bp.route("/stays/<int:stay_id>/services", methods=["POST"])
@bp.arguments(GivenSchema)
@bp.response(201, StaySchema)
@bp.problems(401, 403, 404, 422)
def record_service(data, stay_id):
    """Record an essential service given during the stay"""
    stay, _decision = _load_stay(stay_id, Action.STAY_MANAGE)
    stays.record_service(g.user, stay, **data)
    return _fresh_shelter_view(stay), 201


@bp.route("/stays/<int:stay_id>/extensions", methods=["POST"])
@bp.arguments(ExtensionRequestSchema)
@bp.response(201, StaySchema)
@bp.problems(401, 403, 404, 422)
def request_extension(data, stay_id):
    """Ask to lengthen the stay: applied only when a colleague approves"""
    stay, _decision = _load_stay(stay_id, Action.STAY_MANAGE)
    stays.request_extension(g.user, stay, **data)
    return _fresh_shelter_view(stay), 201


@bp.route("/stays/<int:stay_id>/extensions/<int:extension_id>/<any(approve, refuse):decision>", methods=["POST"])
@bp.response(200, StaySchema)
@bp.problems(401, 403, 404, 422)
def decide_extension(stay_id, extension_id, decision):
    """Approve or refuse a colleague's extension request (never one's own)"""
    extension = stays.extension_of(stay_id, extension_id)
    if extension is None:
        raise ApiProblem(404)
    guard(Action.STAY_MANAGE, extension)
    stays.decide_extension(g.user, extension, approve=decision == "approve")
    return _fresh_shelter_view(get_record(Stay, stay_id))


@bp.route("/stays/<int:stay_id>/exit", methods=["POST"])
@bp.arguments(ExitSchema)
@bp.response(200, StaySchema)
@bp.problems(401, 403, 404, 422)
def exit_stay(data, stay_id):
    """Record her exit, its destination and outcome: her places are free again"""
    stay, _decision = _load_stay(stay_id, Action.STAY_MANAGE)
    stays.exit_stay(g.user, stay, **data)
    return _stay_body(stay, "shelter")
