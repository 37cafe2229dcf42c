"""The survivor's consents on a file: record, list, withdraw (the owning association only)."""

from __future__ import annotations

from flask import g

from ..policy import Action
from ..services import consents
from .access import load_case
from .base import ApiBlueprint
from .errors import ApiProblem
from .schemas.cases import ConsentCreateSchema, ConsentListSchema, ConsentSchema

bp = ApiBlueprint("consents", __name__, url_prefix="/v1/cases/<uuid:case_id>/consents", tag="consents",
                  description="What the survivor agreed to share, with which agency or kind of service.")


@bp.route("", methods=["POST"])
@bp.arguments(ConsentCreateSchema)
@bp.response(201, ConsentSchema)
@bp.problems(401, 403, 404)
def record_consent(data, case_id):
    """Record consent to share field groups with one agency or every agency of a kind"""
    case, _access = load_case(case_id, Action.CASE_CONSENT)
    return consents.record_consent(g.user, case, fields=data["fields_"], agency_id=data["agency_id"],
                                   service_category=data["service_category"], note=data["note"])


@bp.route("", methods=["GET"])
@bp.response(200, ConsentListSchema)
@bp.problems(401, 403, 404)
def list_consents(case_id):
    """List the file's consents, withdrawn ones included"""
    case, _access = load_case(case_id, Action.CASE_CONSENT)
    return {"items": consents.consents_of(case)}


@bp.route("/<int(max=2147483647):consent_id>/withdraw", methods=["POST"])
@bp.response(200, ConsentSchema)
@bp.problems(401, 403, 404)
def withdraw_consent(case_id, consent_id):
    """Withdraw a consent: agencies it covered stop seeing her data at once"""
    case, _access = load_case(case_id, Action.CASE_CONSENT)
    consent = consents.consent_of(case, consent_id)
    if consent is None:
        raise ApiProblem(404)
    consents.withdraw_consent(g.user, case, consent)
    return consent
