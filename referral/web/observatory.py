"""The observatory (issue 18): the periodic report for the whole country or one governorate, its
CSV and XLSX files, a print layout with bar charts drawn on the server, and the versions of the
unified form. Coordinators only; a regional coordinator reaches her own governorate alone."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, redirect, render_template, request, url_for
from flask_babel import get_locale

from ..models import Region
from ..models.base import utcnow
from ..policy import Action, can
from ..services import observatory, observatory_export
from ..services.errors import InputError, input_error_message
from ..services.observatory import PERIOD_KINDS, SOURCES, Period
from ..services.observatory_report import coalition, report
from ..services.records import get_record
from .access import guard
from .refusals import form_page

bp = Blueprint("observatory", __name__, url_prefix="/observatory")


def _lang() -> str:
    return str(get_locale())


def _timezone() -> str:
    return current_app.config.get("DEFAULT_TIMEZONE", "Africa/Casablanca")


def _report(export: str | None = None):
    """The report the query asks for: ?period=2027-Q1 (default: last quarter), ?region=<id>, ?version=<n>."""
    code = request.args.get("period")
    period = Period.parse(code) if code else Period.last_complete("quarter", utcnow(), _timezone())
    region = None
    if request.args.get("region"):
        region = get_record(Region, request.args.get("region", type=int) or 0)
        if region is None:
            raise InputError("region", "unknown_value")
    version = request.args.get("version", type=int) if request.args.get("version") else None
    return report(g.user, period, region=region, version=version, locale=_lang(), timezone=_timezone(),
                  export=export)


def _refused_filters(exc: InputError):
    guard(Action.OBSERVATORY_READ)
    return render_template("observatory/report.html", result=None, error=input_error_message(exc.code),
                           **_page_context()), 422


def _page_context() -> dict:
    regions = [] if g.user.region_id else list(Region.query.order_by(Region.code))
    return {"regions": regions, "kinds": PERIOD_KINDS, "args": request.args, "lang": _lang()}


@bp.get("")
def index():
    try:
        result = _report()
    except InputError as exc:
        return _refused_filters(exc)
    members = coalition(g.user, result.region) if result.region is not None else []
    return render_template("observatory/report.html", result=result, error=None, members=members,
                           charts={t.key: bar_chart(t, result.region is not None) for t in result.tables},
                           **_page_context())


@bp.get("/report.csv")
def export_csv():
    return _download("csv", observatory_export.to_csv, "text/csv")


@bp.get("/report.xlsx")
def export_xlsx():
    return _download("xlsx", observatory_export.to_xlsx, observatory_export.XLSX_MEDIA_TYPE)


def _download(kind: str, write, mimetype: str):
    try:
        result = _report(kind)
    except InputError as exc:
        return _refused_filters(exc)
    return Response(write(result), mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{_filename(result)}.{kind}"'})


def _filename(result) -> str:
    scope = result.region.code if result.region is not None else "national"
    return f"masar-observatory-{scope}-{result.period.code}"


# --- the versions of the form ---------------------------------------------------------------


@bp.route("/indicators", methods=["GET", "POST"])
def indicators():
    if not can(g.user, Action.OBSERVATORY_READ):
        guard(Action.OBSERVATORY_MANAGE)
    may_change = can(g.user, Action.OBSERVATORY_MANAGE) and g.user.region_id is None
    values, error = {}, None
    if request.method == "POST":
        guard(Action.OBSERVATORY_MANAGE)
        values = {k: request.form.get(k, "") for k in ("key", "source", "label_ar", "label_fr", "label_en", "note")}
        try:
            new = observatory.new_version(g.user, key=values["key"], source=values["source"] or None,
                                          labels={k: values[f"label_{k}"] for k in observatory.LOCALES},
                                          note=values["note"])
            return redirect(url_for("observatory.indicators", _anchor=f"v{new.version}"))
        except InputError as exc:
            error = (exc.field, input_error_message(exc.code))
    return form_page("observatory/indicators.html", sets=observatory.all_sets(g.user), may_change=may_change,
                     values=values, error=error, sources=sorted(SOURCES), lang=_lang())


# --- charts ---------------------------------------------------------------------------------

BAR_HEIGHT, BAR_GAP, LABEL_WIDTH, PLOT_WIDTH = 18, 6, 220, 300


def bar_chart(table, regional: bool) -> dict:
    """Horizontal bars of the national totals (or the governorate's row), for the page and print.
    A hidden count has no bar, only the symbol: its length would give it away."""
    row = table.rows[0] if regional else table.totals
    values = [v for v in row.cells if v is not None]
    top = max(values, default=0) or 1
    bars = []
    for i, ((_code, label), value) in enumerate(zip(table.columns, row.cells, strict=True)):
        y = i * (BAR_HEIGHT + BAR_GAP)
        width = 0 if value is None else round(PLOT_WIDTH * value / top, 1)
        bars.append({"label": label, "value": value, "y": y, "width": width, "text_y": y + BAR_HEIGHT - 5})
    return {"bars": bars, "height": len(bars) * (BAR_HEIGHT + BAR_GAP), "label_width": LABEL_WIDTH,
            "width": LABEL_WIDTH + PLOT_WIDTH + 60, "bar_height": BAR_HEIGHT, "plot_width": PLOT_WIDTH}

