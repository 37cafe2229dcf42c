"""Coordinators' response times per agency, service, region and urgency (services.metrics)."""

from __future__ import annotations

from datetime import timedelta

from flask import g
from flask_babel import force_locale

from ..labels import label
from ..services import metrics
from ..translation import lazy_gettext as _l
from .base import ApiBlueprint
from .errors import ApiProblem, field_error
from .locale import api_locale
from .schemas.metrics import MetricsArgsSchema, ResponseTimesSchema

bp = ApiBlueprint("metrics", __name__, url_prefix="/v1/metrics", tag="metrics",
                  description="Response-time statistics for coordinators; cells under 5 are suppressed.")


def _filters(args) -> metrics.MetricsFilter:
    extra = {k: args[k] for k in ("region_id", "agency_id", "category", "urgency")}
    default = metrics.MetricsFilter.default(**extra)
    first = args["date_from"] or default.start.date()
    last = args["date_to"] or (default.end - timedelta(days=1)).date()
    if last < first:
        raise ApiProblem(422, errors=[field_error("date_to", "before_start", _l("The end is before the start."),
                                                  "query")])
    if (last - first).days >= metrics.MAX_PERIOD_DAYS:
        raise ApiProblem(422, errors=[field_error("date_from", "period_too_long",
                                                  _l("Choose a period of at most %(days)d days.",
                                                     days=metrics.MAX_PERIOD_DAYS), "query")])
    return metrics.MetricsFilter.for_dates(first, last, **extra)


@bp.route("/response-times", methods=["GET"])
@bp.arguments(MetricsArgsSchema, location="query")
@bp.response(200, ResponseTimesSchema)
@bp.problems(401, 403)
def response_times(args):
    """Referrals sent in the period: counts, overdue, breaches, median and 90th percentile minutes"""
    f = _filters(args)
    lang = api_locale()
    result = metrics.overview(g.user, f, args["by"], lang=lang, trend=False)

    with force_locale(lang):
        groups = [metrics.published(s) | {"name": _name(args["by"], s.key, result.names)} for s in result.groups]
    return {"date_from": f.start.date(), "date_to": (f.end - timedelta(days=1)).date(), "by": args["by"],
            "totals": metrics.published(result.totals) | {"name": None}, "groups": groups}


def _name(by: str, key, names: dict) -> str | None:
    if key is None:
        return None
    if by in ("agency", "region"):
        return names.get(key)
    return label(key)
