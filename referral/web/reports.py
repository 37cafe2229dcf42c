"""Triage of public reports: the regional queue and one report's page with its actions."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from ..policy import Action
from ..services import report_triage as triage
from ..services.directory import get_service
from ..services.errors import InputError
from ..services.public_reports import ReportInputError
from ..translation import gettext as _
from ..workflows.errors import WorkflowError
from .access import guard, load_report
from .choices import service_choices
from .forms.reports import ActionForm, AlertForm, CloseForm, MessageForm
from .refusals import refused_redirect

bp = Blueprint("reports", __name__, url_prefix="/reports")

MESSAGES = {
    "already_claimed": lambda: _("Another caseworker claimed this report first."),
    "not_claimed": lambda: _("Claim the report first."),
    "closed": lambda: _("This report is closed."),
    "already_has_file": lambda: _("A file was already opened from this report."),
}


@bp.get("")
def index():
    guard(Action.REPORT_READ)
    closed = request.args.get("tab") == "closed"
    page = request.args.get("page", 1, type=int)
    rows = triage.queue(g.user, include_closed=closed, page=page)
    return render_template("reports/list.html", rows=rows, tab="closed" if closed else "open", page=page,
                           has_next=len(rows) == triage.PAGE_SIZE)


def _page(report, **forms):
    view = triage.read_report(g.user, report)
    alert = forms.get("alert") or AlertForm(formdata=None)
    alert.service_id.choices = service_choices(triage.authority_services(report))
    context = {"view": view, "action": ActionForm(), "message": forms.get("message") or MessageForm(formdata=None),
               "alert": alert, "close": forms.get("close") or CloseForm(formdata=None)}
    return render_template("reports/show.html", **context), 422 if forms else 200


@bp.get("/<uuid:report_id>")
def show(report_id):
    report, _decision = load_report(report_id, Action.REPORT_READ)
    return _page(report)


def _act(report_id, work, done: str, form=None, name: str | None = None):
    report, _decision = load_report(report_id, Action.REPORT_HANDLE)
    form = form or ActionForm()
    if not form.validate_on_submit():
        return _page(report, **({name: form} if name else {"action": form}))
    try:
        result = work(report, form)
    except (ReportInputError, InputError, WorkflowError) as exc:
        message = MESSAGES.get(getattr(exc, "code", ""), lambda: _("This could not be done."))()
        return refused_redirect(url_for("reports.show", report_id=report.id), message)
    flash(done, "success")
    if result is not None and hasattr(result, "case_number"):
        return redirect(url_for("cases.show", case_id=result.id))
    if result is not None and hasattr(result, "reference"):
        return redirect(url_for("referrals.show", referral_id=result.id))
    return redirect(url_for("reports.show", report_id=report.id))


@bp.post("/<uuid:report_id>/claim")
def claim(report_id):
    return _act(report_id, lambda r, f: triage.claim(g.user, r), _("You are handling this report."))


@bp.post("/<uuid:report_id>/message")
def message(report_id):
    return _act(report_id, lambda r, f: triage.send_message(g.user, r, f.text.data),
                _("Message sent: she will read it on her status page."), MessageForm(), "message")


@bp.post("/<uuid:report_id>/open-file")
def open_file(report_id):
    return _act(report_id, lambda r, f: triage.open_file(g.user, r), _("Survivor file opened from the report."))


@bp.post("/<uuid:report_id>/anonymous-case")
def anonymous_case(report_id):
    return _act(report_id, lambda r, f: triage.record_anonymous(g.user, r),
                _("Recorded as an anonymous case for the observatory."))


@bp.post("/<uuid:report_id>/alert")
def alert(report_id):
    form = AlertForm()
    report, _decision = load_report(report_id, Action.REPORT_HANDLE)
    form.service_id.choices = service_choices(triage.authority_services(report))
    return _act(report_id, lambda r, f: triage.alert_authority(g.user, r, get_service(f.service_id.data)),
                _("The authority was alerted."), form, "alert")


@bp.post("/<uuid:report_id>/close")
def close(report_id):
    return _act(report_id, lambda r, f: triage.close(g.user, r, f.outcome.data), _("Report closed."), CloseForm(),
                "close")
