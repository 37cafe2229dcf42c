"""The observatory's report (JSON and XLSX) and the versions of its form, for coordinators, with
the same suppression as the pages (services.observatory_report)."""

from __future__ import annotations

from flask import Response, current_app, g

from ..models import Region
from ..models.base import utcnow
from ..services import observatory, observatory_export
from ..services.errors import InputError
from ..services.observatory import LOCALES, Period
from ..services.observatory_report import report
from ..services.records import get_record
from .base import ApiBlueprint
from .locale import api_locale
from .schemas.observatory import IndicatorSetSchema, ReportArgsSchema, ReportSchema

bp = ApiBlueprint("observatory", __name__, url_prefix="/v1/observatory", tag="observatory",
                  description="The national observatory's periodic report and its form's versions (coordinators); "
                              "counts under 5, and those that would reveal them, are null.")


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
