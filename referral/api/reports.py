"""Reports from the public, for partner apps: a hotline app posts a caller's report, the
associations of the region pull their queue and claim, under the same policy as the pages."""

from __future__ import annotations

from flask import g

from ..models import PublicReport
from ..policy import Action
from ..services import public_reports, report_triage
from .access import guard
from .base import ApiBlueprint
from .errors import ApiProblem
from .schemas.reports import ReceiptSchema, ReportCreateSchema, ReportPageSchema, ReportQueueArgsSchema, ReportRowSchema

bp = ApiBlueprint("reports", __name__, url_prefix="/v1/reports", tag="reports",
                  description="Reports of violence from the public: posted by a hotline app, triaged by the "
                              "associations of the region. What she wrote is never in the queue.")


def _row(report: PublicReport) -> dict:
    return {"id": report.id, "reference": report.reference, "status": report.status, "outcome": report.outcome,
            "danger_now": report.danger_now, "region_id": report.region_id, "violence_type": report.violence_type,
            "created_at": report.created_at, "claimed": report.claimed_agency_id is not None,
            "claimed_by_your_association": report.claimed_agency_id == g.user.agency_id}


@bp.route("", methods=["POST"])
@bp.arguments(ReportCreateSchema)
@bp.response(201, ReceiptSchema)
@bp.problems(401, 403)
def post_report(data):
    """Record what a caller reports (hotline staff)"""
    guard(Action.CASE_CREATE)  # the caseworkers who answer the line
    report, receipt = public_reports.submit_report(data, language=g.user.locale or "ar")
    return {"id": report.id, "reference": report.reference, "receipt_code": receipt.code,
            "passphrase": receipt.passphrase, "status": report.status.value}, 201


@bp.route("", methods=["GET"])
@bp.arguments(ReportQueueArgsSchema, location="query")
@bp.response(200, ReportPageSchema)
@bp.problems(401, 403)
def queue(args):
    """The queue of the regions your association covers: danger now first, then oldest first"""
    guard(Action.REPORT_READ)
    rows = report_triage.queue(g.user, include_closed=args["include_closed"], page=args["page"])
    page_size = report_triage.PAGE_SIZE
    return {"items": [_row(r) for r in rows], "page": args["page"], "page_size": page_size,
            "next_page": args["page"] + 1 if len(rows) == page_size else None}


@bp.route("/<uuid:report_id>/claim", methods=["POST"])
@bp.response(200, ReportRowSchema)
@bp.problems(401, 403, 404, 409)
def claim(report_id):
    """Claim a report for your association: from then on, only your association handles it"""
    report = public_reports.get_report(report_id)
    if report is None:
        raise ApiProblem(404)
    guard(Action.REPORT_HANDLE, report)
    if report.claimed_agency_id is not None:
        raise ApiProblem(409)  # another association (or a colleague) claimed it first
    try:
        report_triage.claim(g.user, report)
    except public_reports.ReportInputError as exc:
        if exc.code == "already_claimed":  # lost a race with another claim
            raise ApiProblem(409) from None
        raise
    return _row(report)
