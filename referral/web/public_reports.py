"""Public report pages: no account, no cookie, no address kept.

The visitor's address is read here only to derive the day's keyed digest the rate limits use
(`security.visitors`); the lifecycle gives these pages an actor without an address, so no event
they write records one.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request

from ..extensions import csrf
from ..models.base import utcnow
from ..security.proxies import client_ip
from ..security.public_forms import access_token, form_token, report_id_from_access, same_origin, valid_form_token
from ..security.visitors import visitor_digest
from ..services import public_reports as reports
from ..translation import gettext as _
from .choices import region_choices
from .forms.public_reports import AddInformationForm, PublicReportForm, StatusForm
from .refusals import REFUSED, form_page

bp = Blueprint("public", __name__, url_prefix="/report")
csrf.exempt(bp)  # no session to hold a token: signed hidden field and origin check instead

#: A report is a few kilobytes; anything far larger is refused before it is parsed.
MAX_BODY = 64 * 1024
SUBMIT_PURPOSE, STATUS_PURPOSE, ADD_PURPOSE = "report", "status", "add"


@bp.before_request
def limit_body():
    request.max_content_length = MAX_BODY
    if request.method == "POST" and not same_origin():
        abort(403)


@bp.after_request
def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _visitor() -> str:
    return visitor_digest(client_ip(), utcnow())


def _limited(kind: str, setting: str):
    try:
        reports.throttle(kind, _visitor(), current_app.config[setting])
    except reports.TooManyAttempts:
        return render_template("public/limited.html"), 429
    return None


def _token_ok(form, purpose: str) -> bool:
    if valid_form_token(form.form_token.data, purpose):
        return True
    form.form_token.errors = [_("This form expired. Your text is still here: send it again.")]
    return False


def _fresh(form, purpose: str) -> None:
    form.form_token.data = form_token(purpose)


@bp.route("", methods=["GET", "POST"])
def report():
    form = PublicReportForm()
    form.region_id.choices = region_choices()
    if request.method == "POST":
        if (limited := _limited("submit", "PUBLIC_REPORTS_PER_HOUR")) is not None:
            return limited
        valid = form.validate() and _token_ok(form, SUBMIT_PURPOSE)
        if valid and form.website.data:  # the honeypot: answer as if stored, store nothing
            return render_template("public/receipt.html", receipt=None), 200
        if valid:
            fields = ("violence_type", "region_id", "incident_place", "incident_date", "ongoing", "danger_now",
                      "reporter_role", "narrative", "contact", "contact_instructions", "share_with_authority",
                      "authority_may_contact")
            try:
                _report, receipt = reports.submit_report({f: getattr(form, f).data for f in fields},
                                                         language=_language())
            except reports.ReportInputError as exc:
                getattr(form, exc.field).errors = [_("Please check this field.")]
            else:
                return render_template("public/receipt.html", receipt=receipt)
    _fresh(form, SUBMIT_PURPOSE)
    return form_page("public/report.html", form=form)


@bp.route("/status", methods=["GET", "POST"])
def status():
    form = StatusForm()
    if request.method == "POST":
        if (limited := _limited("status", "PUBLIC_STATUS_LOOKUPS_PER_HOUR")) is not None:
            return limited
        if form.validate() and _token_ok(form, STATUS_PURPOSE):
            found = reports.find_report(form.code.data, form.passphrase.data)
            if found is not None:
                return _status_page(found)
            form.code.errors = [_("No report matches this receipt code and passphrase.")]
    _fresh(form, STATUS_PURPOSE)
    return form_page("public/status_lookup.html", form=form)


def _status_page(found, add_form=None, status_code=200, added=False):
    add_form = add_form or AddInformationForm(formdata=None)
    add_form.access.data = access_token(found.id)
    _fresh(add_form, ADD_PURPOSE)
    return render_template("public/status.html", view=reports.status_for_reporter(found), form=add_form,
                           added=added), status_code


@bp.post("/add")
def add_information():
    form = AddInformationForm()
    found = reports.get_report(report_id_from_access(form.access.data) or "")
    if found is None:  # her half hour is over: she gives the receipt again
        status_form = StatusForm()
        _fresh(status_form, STATUS_PURPOSE)
        status_form.code.errors = [_("For your safety, the page expired. Enter your receipt code and passphrase "
                                     "again.")]
        return render_template("public/status_lookup.html", form=status_form), REFUSED
    if (limited := _limited("add", "PUBLIC_REPORTS_PER_HOUR")) is not None:
        return limited
    if form.validate() and _token_ok(form, ADD_PURPOSE):
        try:
            reports.add_information(found, form.text.data)
        except reports.ReportInputError:
            form.text.errors = [_("You cannot add more to this report. Send a new report instead.")]
        else:
            return _status_page(found, added=True)
    return _status_page(found, form, REFUSED)


def _language() -> str:
    from flask_babel import get_locale

    return str(get_locale())
