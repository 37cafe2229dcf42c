"""The observatory's report (JSON and XLSX) and the versions of its form, for coordinators, with
the same suppression as the pages (services.observatory_report)."""

from __future__ import annotations

from flask import Response, current_app, g

from ..models import Region
from ..models.base import utcnow
from ..models.vocab import plain_value
from ..services import hot_cases, observatory, observatory_export
from ..services.errors import InputError
from ..services.observatory import LOCALES, Period
from ..services.observatory_report import report
from ..services.records import get_record
from .base import ApiBlueprint
from .locale import api_locale
from .schemas.observatory import (
    HotCaseArgsSchema,
    HotCaseDetailSchema,
    HotCaseSchema,
    IndicatorSetSchema,
    ReportArgsSchema,
    ReportSchema,
)

bp = ApiBlueprint("observatory", __name__, url_prefix="/v1/observatory", tag="observatory",
                  description="The national observatory's periodic report and its form's versions, and the hot "
                              "cases a governorate's coalition follows (coordinators); counts under 5, and those "
                              "that would reveal them, are null.")


def _report(args, export: str | None = None):
    timezone = current_app.config.get("DEFAULT_TIMEZONE", "Africa/Casablanca")
    period = Period.parse(args["period"]) if args["period"] else Period.last_complete("quarter", utcnow(), timezone)
    region = None
    if args["region_id"] is not None:
        region = get_record(Region, args["region_id"])
        if region is None:
            raise InputError("region_id", "unknown_value")
    return report(g.user, period, region=region, version=args["form_version"], locale=api_locale(),
                  timezone=timezone, export=export)


def _row(row) -> dict:
    return {"region_id": row.region_id, "name": row.name, "cells": row.cells, "total": row.total,
            "trend": row.trend, "total_trend": row.total_trend}


@bp.route("/report", methods=["GET"])
@bp.arguments(ReportArgsSchema, location="query")
@bp.response(200, ReportSchema)
@bp.problems(401, 403, 404, 422)
def get_report(args):
    """The report of a period, for the whole country or one governorate"""
    result = _report(args)
    return {"period": result.period.code, "previous_period": result.previous.code, "version": result.version,
            "region_id": result.region.id if result.region else None, "files": result.files,
            "excluded_for_consent": result.excluded, "threshold": result.threshold,
            "tables": [{"key": t.key, "label": t.label, "multiple": t.multiple,
                        "columns": [{"code": c, "label": label} for c, label in t.columns],
                        "rows": [_row(r) for r in t.rows], "totals": _row(t.totals) if t.totals else None}
                       for t in result.tables]}


@bp.route("/report.xlsx", methods=["GET"])
@bp.arguments(ReportArgsSchema, location="query")
@bp.response(200, content_type=observatory_export.XLSX_MEDIA_TYPE,
             description="The report as a spreadsheet; hidden counts are written <5.")
@bp.problems(401, 403, 404, 422)
def get_report_xlsx(args):
    """The same report as an XLSX file (audited as an export)"""
    result = _report(args, export="xlsx")
    scope = result.region.code if result.region else "national"
    return Response(observatory_export.to_xlsx(result), mimetype=observatory_export.XLSX_MEDIA_TYPE, headers={
        "Content-Disposition": f'attachment; filename="masar-observatory-{scope}-{result.period.code}.xlsx"'})


@bp.route("/indicator-sets", methods=["GET"])
@bp.response(200, IndicatorSetSchema(many=True))
@bp.problems(401, 403)
def indicator_sets():
    """Every version of the form, newest first"""
    return [{"version": s.version, "created_at": s.created_at, "note": s.note,
             "indicators": [{"key": i.key, "source": i.source, "labels": {k: i.label(k) for k in LOCALES},
                             "categories": [{"code": v["code"], "sources": v.get("from", []),
                                             "labels": {k: v.get(k, "") for k in LOCALES}} for v in i.values]}
                            for i in s.indicators]}
            for s in observatory.all_sets(g.user)]


def _hot_case(hot, *, violence_type, age_band, risk_level, open_referrals, overdue_steps, review_due) -> dict:
    return {"id": hot.id, "number": hot.number, "region_id": hot.region_id, "reason": hot.reason,
            "flagged_at": hot.flagged_at, "review_every_days": hot.review_every_days,
            "next_review_at": hot.next_review_at, "review_due": review_due, "closed_at": hot.closed_at,
            "version": hot.version, "violence_type": violence_type, "age_band": age_band, "risk_level": risk_level,
            "open_referrals": open_referrals, "overdue_steps": overdue_steps}


@bp.route("/hot-cases", methods=["GET"])
@bp.arguments(HotCaseArgsSchema, location="query")
@bp.response(200, HotCaseSchema(many=True))
@bp.problems(401, 403, 422)
def list_hot_cases(args):
    """The hot cases of her governorate (every one for a national coordinator), without identity"""
    return [_hot_case(row.hot_case, violence_type=row.violence_type, age_band=row.age_band,
                      risk_level=row.risk_level, open_referrals=row.open_referrals,
                      overdue_steps=row.overdue_steps, review_due=row.review_due)
            for row in hot_cases.hot_cases(g.user, closed=args["closed"])]


@bp.route("/hot-cases/<int:hot_case_id>", methods=["GET"])
@bp.response(200, HotCaseDetailSchema)
@bp.problems(401, 403, 404)
def get_hot_case(hot_case_id):
    """One hot case: her referrals' steps and what is overdue, the coalition's decisions"""
    view = hot_cases.hot_case_view(g.user, hot_cases.get_hot_case(g.user, hot_case_id), locale=api_locale())
    open_referrals = sum(1 for line in view.referrals if line.referral.is_open)
    body = _hot_case(view.hot_case, **view.facts_for_list(), open_referrals=open_referrals,
                     overdue_steps=sum(len(line.overdue) for line in view.referrals), review_due=view.review_due)
    body.update(comment=view.comment, referrals=[_hot_referral(line) for line in view.referrals], decisions=[
        {"kind": d.kind, "text": text, "decided_at": d.decided_at, "decided_by": who,
         "next_review_at": d.next_review_at} for d, text, who in view.decisions])
    return body


def _hot_referral(line) -> dict:
    referral = line.referral
    return {"reference": referral.reference, "need": plain_value(referral.need), "from_agency": line.from_agency,
            "to_agency": line.to_agency, "status": plain_value(referral.status),
            "next_due_at": referral.next_due_at if referral.is_open else None,
            "steps": [{"action": plain_value(e.action), "to_status": plain_value(e.to_status),
                       "occurred_at": e.occurred_at} for e in line.events],
            "overdue": [{"step": plain_value(b.kind), "due_at": b.due_at} for b in line.overdue]}
