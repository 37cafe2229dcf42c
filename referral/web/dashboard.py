"""The coordinator's dashboard: response times per group, weekly trends drawn on the server as
SVG, drill-downs to overdue and declined referrals, a CSV export, and the nudges.

Only referral metadata appears here (references, agencies, needs, urgencies, times): never
survivor data. Figures for fewer than 5 referrals are shown as "<5" (see services.metrics).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

from babel.units import format_unit
from flask import Blueprint, Response, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import format_date, format_decimal, format_percent, get_locale

from ..labels import label
from ..models.base import utcnow
from ..policy import Action
from ..policy.core import has_role_for
from ..services import metrics, nudges
from ..services.directory import get_service
from ..services.metrics import DIMENSIONS, STEPS, SUPPRESS_BELOW, is_suppressed_count
from ..translation import gettext as _
from ..translation import lazy_gettext as _l
from .access import guard, load_referral
from .choices import service_choices
from .formatting import day, isolate
from .forms.dashboard import FILTER_ARGS, DashboardFilterForm, ReassignForm, RemindForm
from .redirects import local_path
from .refusals import discard_refused_changes, refused_redirect

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
PAGE_SIZE = 25

DIMENSION_TITLES = {"agency": _l("By receiving agency"), "service": _l("By service"),
                    "region": _l("By region"), "urgency": _l("By urgency")}
STEP_TITLES = {"acknowledge": _l("To acknowledge"), "decide": _l("To accept or decline"),
               "first_action": _l("To first action"), "complete": _l("To completion")}
SERIES_TITLES = {"sent": _l("Sent"), "overdue": _l("Went overdue"), "completed": _l("Completed")}
#: History entries of the nudges (the shared labels cover the other transitions).
NUDGE_EVENTS = {"remind": _l("Reminder from a coordinator"), "reassign": _l("Sent on by a coordinator")}
NUDGE_ERRORS = {
    "not_overdue": _l("This referral is not overdue: no reminder is needed."),
    "too_soon": _l("A reminder was sent less than an hour ago."),
    "invalid_state": _l("This is not possible in the referral's current state."),
    "not_declined": _l("Only a declined referral can be sent to another service."),
    "already_reassigned": _l("This referral was already sent elsewhere."),
    "unknown_service": _l("Choose one of the services listed."),
    "case_closed": _l("The survivor's file is closed: only her caseworker can reopen it."),
}


@bp.before_request
def require_dashboard_read():
    guard(Action.DASHBOARD_READ)


def _lang() -> str:
    return str(get_locale())


def _filter_form() -> DashboardFilterForm:
    return DashboardFilterForm(g.user, _lang(), formdata=request.args)


def _filter_args() -> dict:
    """The current filters, to carry over in links (the grouping and page are set per link)."""
    return {k: request.args[k] for k in FILTER_ARGS if request.args.get(k)}


def _by() -> str:
    by = request.args.get("by")
    return by if by in DIMENSIONS else "agency"


@bp.get("")
def index():
    form = _filter_form()
    by = _by()
    view = metrics.overview(g.user, form.filters(), by, lang=_lang()) if form.validate() else None
    return _index_page(form, by, view)


def _index_page(form: DashboardFilterForm, by: str, view: metrics.Overview | None):
    args = _filter_args()
    return render_template(
        "dashboard/index.html", form=form, view=view, by=by, args=args, period=form.period(),
        chart=trend_chart(view.trend, rtl=_lang() == "ar") if view else None,
        drill_links=_drill_links(view, args) if view else {},
        sla_link=url_for("sla.index") if has_role_for(g.user, Action.SLA_MANAGE) and "sla.index" in
        current_app.view_functions else None,
        dimensions=DIMENSION_TITLES, steps=STEP_TITLES, series=SERIES_TITLES, threshold=SUPPRESS_BELOW,
        exact_limit=metrics.EXACT_PERCENTILES_UP_TO,
    ), 200 if view else 400


def _drill_links(view: metrics.Overview, args: dict) -> dict:
    """Each group's overdue referrals: the drill-down with the group as one more filter."""
    name = {"agency": "agency", "service": "category", "region": "region", "urgency": "urgency"}[view.by]
    return {row.key: url_for("dashboard.overdue", **{**args, name: row.key})
            for row in view.groups if row.key is not None}


@bp.get("/overdue")
def overdue():
    return _drill_down("overdue")


@bp.get("/declined")
def declined():
    return _drill_down("declined")


def _drill_down(kind: str):
    form = _filter_form()
    page = max(request.args.get("page", 1, type=int), 1)
    lines, has_next, names = [], False, {}
    if form.validate():
        if kind == "overdue":
            lines, has_next = metrics.overdue_referrals(g.user, form.filters(), page=page, page_size=PAGE_SIZE)
        else:
            lines, has_next = metrics.declined_referrals(g.user, form.filters(), page=page, page_size=PAGE_SIZE)
        names = metrics.group_names("agency", {line.to_agency_id for line in lines}, _lang())
    return render_template("dashboard/drill_down.html", kind=kind, form=form, lines=lines, names=names,
                           page=page, has_next=has_next, args=_filter_args(), remind_form=RemindForm(),
                           here=request.full_path), 200 if not form.errors else 400


@bp.get("/export.csv")
def export_csv():
    form = _filter_form()
    if not form.validate():
        return _index_page(form, _by(), None)
    view = metrics.export(g.user, form.filters(), _by(), lang=_lang())
    filename = f"masar-response-times-{view.by}-{utcnow():%Y%m%d}.csv"
    return Response(_csv(view), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# --- the coordinator's view of one referral, and the nudges ---------------------------------


@bp.get("/referrals/<referral_id>")
def referral(referral_id):
    record, _decision = load_referral(referral_id, Action.REFERRAL_NUDGE)
    return _referral_page(record, ReassignForm())


def _referral_page(record, reassign_form: ReassignForm, status: int = 200):
    view = nudges.coordinator_view(g.user, record)
    reassign_form.service_id.choices = service_choices(view.services)
    return render_template("dashboard/referral.html", view=view, remind_form=RemindForm(),
                           reassign_form=reassign_form, events=NUDGE_EVENTS), status


@bp.post("/referrals/<referral_id>/remind")
def remind(referral_id):
    record, _decision = load_referral(referral_id, Action.REFERRAL_NUDGE)
    form = RemindForm()
    back = local_path(form.next.data, under="/dashboard") or url_for("dashboard.referral", referral_id=record.id)
    reference, agency = record.reference, record.to_agency.name(_lang())
    try:
        nudges.send_reminder(g.user, record)
    except nudges.NudgeError as exc:
        return refused_redirect(back, _nudge_error(exc))
    flash(_("Reminder sent to %(agency)s about %(ref)s.", agency=agency, ref=reference), "success")
    return redirect(back)


@bp.post("/referrals/<referral_id>/reassign")
def reassign(referral_id):
    record, _decision = load_referral(referral_id, Action.REFERRAL_NUDGE)
    form = ReassignForm()
    form.service_id.choices = service_choices(nudges.reassignment_services(g.user, record))
    if form.validate_on_submit():
        try:
            new = nudges.reassign(g.user, record, get_service(form.service_id.data))
        except nudges.NudgeError as exc:
            discard_refused_changes()
            form.service_id.errors = [_nudge_error(exc, record)]
        else:
            flash(_("Referral %(ref)s sent to %(agency)s.", ref=new.reference, agency=new.to_agency.name(_lang())),
                  "success")
            return redirect(url_for("dashboard.referral", referral_id=new.id))
    return _referral_page(record, form, 422)


def _nudge_error(exc: nudges.NudgeError, record=None) -> str:
    if exc.code == "consent_needed":
        return _("Her consent does not cover this agency, or not all the information this referral shares. "
                 "Ask her caseworker at %(agency)s to record her consent, or to refer her again.",
                 agency=record.from_agency.name(_lang()) if record is not None else "")
    return str(NUDGE_ERRORS.get(exc.code, _l("The request could not be completed.")))


# --- CSV ------------------------------------------------------------------------------------

CSV_HEADER = ("dimension", "key", "name", "sent", "open", "overdue", "breached", "breach_rate") + tuple(
    f"{step}_{what}" for step in STEPS for what in ("count", "median_minutes", "p90_minutes")) + ("percentiles",)


def _csv(view: metrics.Overview) -> str:
    buffer = io.StringIO()
    buffer.write("\ufeff")  # spreadsheet programs then read UTF-8 (Arabic names)
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    writer.writerow(_csv_row("all", view.totals, "", _("All referrals")))
    for row in view.groups:
        writer.writerow(_csv_row(view.by, row, row.key, group_name(view, row.key)))
    return buffer.getvalue()


def _csv_row(dimension: str, row: metrics.GroupStats, key, name: str) -> list:
    def count(value):
        return f"<{SUPPRESS_BELOW}" if row.suppressed or is_suppressed_count(value) else value

    cells = [dimension, "" if key is None else key, _no_formula(name), count(row.sent), count(row.open),
             count(row.overdue), count(row.breached),
             "" if row.suppressed or row.breach_rate is None else round(row.breach_rate, 4)]
    for step in STEPS:
        d = row.durations[step]
        hidden = row.suppressed or d.suppressed
        cells += [count(d.count), "" if hidden or d.median is None else d.median,
                  "" if hidden or d.p90 is None else d.p90]
    # Large populations: estimated from the daily histograms (metrics.EXACT_PERCENTILES_UP_TO).
    return [*cells, "estimated" if row.durations[STEPS[0]].estimated else "exact"]


def _no_formula(value: str) -> str:
    # An agency's name must not run as a formula in a spreadsheet.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


# --- display helpers ------------------------------------------------------------------------


def group_name(view: metrics.Overview, key) -> str:
    if view.by in ("agency", "region"):
        return view.names.get(key) or (_("No region") if view.by == "region" else str(key))
    return label(key)


@bp.app_template_global("dashboard_group_name")
def _group_name_global(view, key) -> str:
    return group_name(view, key)


@bp.app_template_filter("response_time")
def response_time(minutes: float | None) -> str:
    """A duration in the reader's language, in the unit a person would use."""
    if minutes is None:
        return "—"
    locale = get_locale()
    if minutes < 90:
        return format_unit(round(minutes), "duration-minute", length="short", locale=locale)
    if minutes < 48 * 60:
        return format_unit(round(minutes / 60, 1), "duration-hour", length="short", format="#,##0.#", locale=locale)
    return format_unit(round(minutes / 1440, 1), "duration-day", length="short", format="#,##0.#", locale=locale)


@bp.app_template_filter("calendar_day")
def calendar_day(value) -> str:
    return day(value)


@bp.app_template_filter("rate")
def rate(value: float | None) -> str:
    return "—" if value is None else format_percent(value, "#,##0.#%")


# --- the trend chart (inline SVG: no script, no library; CSP allows presentation attributes) ---

SERIES = ("sent", "overdue", "completed")
CHART_WIDTH, CHART_HEIGHT = 720, 240
PAD_START, PAD_END, PAD_TOP, PAD_BOTTOM = 48, 8, 12, 30
#: Height of the marker drawn for a suppressed value: fixed, so the picture leaks nothing.
STUB = 3


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: str
    title: str
    suppressed: bool


@dataclass(frozen=True)
class ChartLabel:
    x: float
    y: float
    text: str
    anchor: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    grid: list[float]
    y_labels: list[ChartLabel]
    x_labels: list[ChartLabel]
    baseline: float
    plot_start: float
    plot_end: float


def _nice_top(peak: int) -> int:
    """The smallest round number (1, 2, 5 x 10^k per gridline, four gridlines) at or above `peak`."""
    rough = max(peak, 1) / 4
    magnitude = 10 ** math.floor(math.log10(rough))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= rough)
    return int(math.ceil(step)) * 4


def trend_chart(points: list[metrics.WeekPoint], *, rtl: bool = False) -> Chart:
    """Grouped bars per week (sent, went overdue, completed); time runs right to left in Arabic."""
    values = [getattr(p, s) for p in points for s in SERIES]
    top = _nice_top(max([v for v in values if not is_suppressed_count(v)] + [SUPPRESS_BELOW]))
    plot_width = CHART_WIDTH - PAD_START - PAD_END
    plot_height = CHART_HEIGHT - PAD_TOP - PAD_BOTTOM
    baseline = PAD_TOP + plot_height
    slot = plot_width / max(len(points), 1)
    bar_width = slot * 0.8 / len(SERIES)

    def place(x: float, width: float = 0) -> float:
        return round(CHART_WIDTH - x - width if rtl else x, 1)

    bars = []
    for i, point in enumerate(points):
        week = format_date(point.week, "d MMM")
        for j, series in enumerate(SERIES):
            value = getattr(point, series)
            if value == 0:
                continue
            hidden = is_suppressed_count(value)
            height = STUB if hidden else plot_height * value / top
            shown = isolate(f"<{SUPPRESS_BELOW}") if hidden else format_decimal(value)
            x = PAD_START + i * slot + slot * 0.1 + j * bar_width
            bars.append(Bar(place(x, bar_width), round(baseline - height, 1), round(bar_width, 1), round(height, 1),
                            series, f"{SERIES_TITLES[series]} · {week}: {shown}", hidden))
    grid, y_labels = [], []
    for k in range(5):
        y = round(baseline - plot_height * k / 4, 1)
        grid.append(y)
        y_labels.append(ChartLabel(place(PAD_START - 6), y + 4, format_decimal(top * k // 4),
                                   "start" if rtl else "end"))
    every = max(1, math.ceil(len(points) / 8))
    x_labels = [ChartLabel(place(PAD_START + i * slot + slot / 2), CHART_HEIGHT - 10,
                           format_date(p.week, "d MMM"), "middle")
                for i, p in enumerate(points) if i % every == 0]
    return Chart(CHART_WIDTH, CHART_HEIGHT, bars, grid, y_labels, x_labels, baseline,
                 place(PAD_START), place(CHART_WIDTH - PAD_END))
