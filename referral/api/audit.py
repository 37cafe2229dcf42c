"""For auditors: the access log with filters, and the verification of its hash chain."""

from __future__ import annotations

from flask import g

from ..services import audit_queries
from ..services.audit_queries import AuditFilters
from .base import ApiBlueprint
from .schemas.audit import AuditEventArgsSchema, AuditEventPageSchema, ChainVerificationSchema

bp = ApiBlueprint("audit", __name__, url_prefix="/v1/audit", tag="audit",
                  description="The access log (auditors): events and chain verification.")


@bp.route("/events", methods=["GET"])
@bp.arguments(AuditEventArgsSchema, location="query")
@bp.response(200, AuditEventPageSchema)
@bp.problems(401, 403)
def list_events(args):
    """Events, newest first, a page at a time (keyset: pass older_than as before)"""
    filters = AuditFilters(username=args["username"], agency_id=args["agency_id"],
                           case_number=args["case_number"], action=args["action"], outcome=args["outcome"],
                           date_from=args["date_from"], date_to=args["date_to"],
                           break_glass_only=args["break_glass_only"])
    page = audit_queries.events_page(g.user, filters, before=args["before"])
    return {"items": [row._asdict() for row in page.rows], "older_than": page.older_than}


@bp.route("/verify", methods=["GET"])
@bp.response(200, ChainVerificationSchema)
@bp.problems(401, 403)
def verify():
    """Verify the chain: every hash, every link, no gap, and the signed checkpoints"""
    return audit_queries.chain_status(g.user).result.as_dict()
