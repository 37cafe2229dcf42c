"""Survivor files: open, list, search by the blind indexes, read (identity per policy), update."""

from __future__ import annotations

from flask import g, url_for

from ..models import Case
from ..policy import Action
from ..policy.fields import visible_risk_level
from ..services import case_views, cases
from ..services.cases import StaleCase
from .access import etag, expected_version, load_case
from .base import ETAG_HEADER, ApiBlueprint
from .errors import ApiProblem
from .schemas.cases import (
    CaseCreateSchema,
    CaseDetailSchema,
    CaseInputSchema,
    CaseListArgsSchema,
    CasePageSchema,
    CaseSchema,
    CaseSearchResultSchema,
    CaseSearchSchema,
    CreatedCaseSchema,
)
from .schemas.common import IfMatchSchema

bp = ApiBlueprint("cases", __name__, url_prefix="/v1/cases", tag="cases",
                  description="Survivor files of the caller's association (caseworkers); identity per consent.")

IDENTITY_FIELDS = ("full_name", "phone", "address", "contact_instructions", "national_id", "date_of_birth",
                   "narrative")


def case_dict(case: Case) -> dict:
    values = {name: getattr(case, name) for name in CaseSchema().fields if hasattr(case, name)}
    values["violence_flags"] = list(case.violence_flags or [])
    values["shredded"] = case.shredded_at is not None
    return values


def _split(data: dict) -> tuple[dict, dict]:
    identity = {k: v for k, v in data.items() if k in IDENTITY_FIELDS}
    if identity.get("date_of_birth") is not None:
        identity["date_of_birth"] = identity["date_of_birth"].isoformat()
    details = {k: v for k, v in data.items() if k not in IDENTITY_FIELDS}
    return identity, details


def _rows(rows) -> list[dict]:
    return [{"id": r.case.id, "case_number": r.case.case_number, "status": r.case.status,
             "risk_level": r.case.risk_level, "opened_at": r.case.opened_at,
             "last_activity_at": r.case.last_activity_at, "version": r.case.version, "full_name": r.name,
             "open_referrals": r.open_referrals} for r in rows]


@bp.route("", methods=["POST"])
@bp.arguments(CaseCreateSchema)
@bp.response(201, CreatedCaseSchema, headers=ETAG_HEADER)
@bp.problems(401, 403)
def create_case(data):
    """Open a file for the caller's association"""
    identity, details = _split(data)
    case, duplicates = cases.open_case(g.user, identity, details)
    body = case_dict(case) | {"possible_duplicate": bool(duplicates)}
    return body, 201, {"ETag": etag(case.version), "Location": url_for("api.cases.get_case", case_id=case.id)}


@bp.route("", methods=["GET"])
@bp.arguments(CaseListArgsSchema, location="query")
@bp.response(200, CasePageSchema)
@bp.problems(401, 403)
def list_cases(args):
    """List the association's files, most recently active first"""
    rows, has_next = case_views.list_cases(g.user, status=args["status"], risk=args["risk"], page=args["page"])
    return {"items": _rows(rows), "page": args["page"], "page_size": case_views.PAGE_SIZE,
            "next_page": args["page"] + 1 if has_next else None}


@bp.route("/search", methods=["POST"])
@bp.arguments(CaseSearchSchema)
@bp.response(200, CaseSearchResultSchema)
@bp.problems(401, 403)
def search_cases(data):
    """Find the association's files by exact phone, national ID or full name

    A POST, so that the value (survivor data) never appears in a URL or an access log.
    """
    matches = cases.search(g.user, data["column"], data["value"])
    rows, _has_next = case_views.list_cases(g.user, only=matches)
    return {"items": _rows(rows)}


@bp.route("/<uuid:case_id>", methods=["GET"])
@bp.response(200, CaseDetailSchema, headers=ETAG_HEADER)
@bp.problems(401, 403, 404)
def get_case(case_id):
    """Read a file: the identity fields the caller may see, per role and consent"""
    case, access = load_case(case_id, Action.CASE_READ)
    identity = cases.read_identity(g.user, case)
    body = case_dict(case) | {"relation": access.relation, "visible_fields": sorted(access.fields),
                              "identity": identity, "risk_level": visible_risk_level(access, case)}
    return body, 200, {"ETag": etag(case.version)}


@bp.route("/<uuid:case_id>", methods=["PATCH"])
@bp.arguments(IfMatchSchema, location="headers")
@bp.arguments(CaseInputSchema)
@bp.response(200, CaseSchema, headers=ETAG_HEADER)
@bp.problems(401, 403, 404, 409, 412)
def update_case(headers, data, case_id):
    """Update a file: only the fields sent change

    Send the ETag you read in If-Match: if the file changed since, the answer is 412 and nothing
    changes. Without If-Match, a concurrent change is refused with 409.
    """
    case, _access = load_case(case_id, Action.CASE_UPDATE)
    expected = expected_version(headers["if_match"], case.version, fallback=case.version)
    try:
        identity, details = _split(data)
        cases.update_case(g.user, case, identity, details, expected_version=expected)
    except StaleCase:
        if headers["if_match"] is None:
            raise ApiProblem(409, "concurrent-update") from None
        raise
    return case_dict(case), 200, {"ETag": etag(case.version)}
