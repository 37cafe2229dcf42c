"""Emergency access pages (break-glass): ask by exact identity, read for an hour, approve a colleague."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, url_for

from ..audit.denials import record_denial
from ..notifications import emergency_reason_label
from ..policy import Action, PermissionDenied
from ..services import break_glass
from ..services.cases import get_case
from ..services.errors import InputError
from ..translation import gettext as _
from .access import guard
from .cases import bp
from .forms.cases import BreakGlassForm, ConfirmForm
from .refusals import attach_input_error, form_page


@bp.app_context_processor
def _emergency_reason_label() -> dict:
    return {"emergency_reason": emergency_reason_label}


def _guard_eligible(record=None) -> None:
    """403 and an `access.denied` event for roles and agencies that may not ask (e.g. employment)."""
    guard(Action.CASE_BREAK_GLASS)
    if not break_glass.may_ask(g.user):
        record_denial(Action.CASE_BREAK_GLASS, record, "agency_not_eligible")
        abort(403)


@bp.route("/emergency-access", methods=["GET", "POST"])
def emergency_access():
    _guard_eligible()
    form = BreakGlassForm()
    if form.validate_on_submit():
        try:
            outcome = break_glass.request_access(g.user, form.column.data, form.value.data, form.full_name.data,
                                                 form.reason.data, form.note.data)
        except InputError as exc:
            attach_input_error(form, exc)
        else:
            if outcome.granted:
                return redirect(url_for("cases.emergency_view", case_id=outcome.case.id))
            flash(_("You have used your emergency accesses for today: a colleague must approve this one. "
                    "The auditors were told."), "warning")
            return redirect(url_for("cases.emergency_access"))
    # Refused: 422 rolls back, and the failed lookup stays in the log (break_glass._trace_miss).
    return form_page("cases/emergency_form.html", form=form)


@bp.get("/emergency-access/<case_id>")
def emergency_view(case_id):
    case = get_case(case_id)
    if case is None:
        abort(404)
    _guard_eligible(case)
    ends = break_glass.open_window(g.user, case)
    try:
        identity = break_glass.read_during_window(g.user, case)
    except PermissionDenied:
        record_denial(Action.CASE_BREAK_GLASS, case, "expired")
        abort(403)
    return render_template("cases/emergency.html", case=case, identity=identity, ends=ends)


@bp.get("/emergency-access/approvals")
def emergency_approvals():
    _guard_eligible()
    return render_template("cases/emergency_approvals.html", requests=break_glass.pending_for(g.user),
                           form=ConfirmForm(), reason_label=emergency_reason_label)


@bp.post("/emergency-access/approvals/<request_id>")
def emergency_approve(request_id):
    _guard_eligible()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        case = break_glass.approve(g.user, request_id)
    except InputError:
        record_denial(Action.CASE_BREAK_GLASS, None, "not_found")
        abort(404)
    except PermissionDenied:
        record_denial(Action.CASE_BREAK_GLASS, None, "own_request")
        abort(403)
    flash(_("Emergency access to %(ref)s approved for one hour.", ref=case.case_number), "success")
    return redirect(url_for("cases.emergency_approvals"))
