"""A supervisor's pages (the association's lead): the casework waiting for her approval, the steps
her association puts under approval, and her decision on a request (also offered on the file page)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for

from ..models.approval import CASEWORK_STEPS
from ..policy import Action
from ..services import supervision
from ..services.errors import InputError, input_error_message
from ..translation import gettext as _
from .access import guard
from .forms.supervision import DecisionForm, StepsForm
from .refusals import form_page, refused_redirect

bp = Blueprint("supervision", __name__, url_prefix="/supervision")


@bp.get("")
def index():
    guard(Action.ACCOUNTS_APPROVE)
    return render_template("supervision/index.html", requests=supervision.waiting_for(g.user))


@bp.route("/steps", methods=["GET", "POST"])
def steps():
    guard(Action.ACCOUNTS_APPROVE)
    form = StepsForm()
    if form.validate_on_submit():
        supervision.set_steps(g.user, form.steps.data or [])
        flash(_("Saved: these steps now wait for a supervisor's approval."), "success")
        return redirect(url_for("supervision.steps"))
    if not form.is_submitted():
        form.steps.data = sorted(supervision.steps_of(g.user.agency_id))
    return form_page("supervision/steps.html", form=form, all_steps=CASEWORK_STEPS)


@bp.post("/<int(max=2147483647):approval_id>/<any(approve, return):decision>")
def decide(approval_id: int, decision: str):
    approval = supervision.find(approval_id)
    if approval is None:
        abort(404)
    back = url_for("cases.show", case_id=approval.case_id) + "#approvals"
    form = DecisionForm()
    if not form.validate_on_submit():
        return refused_redirect(back, _("The request could not be completed."))
    try:
        supervision.decide(g.user, approval, approve=decision == "approve", comment=form.comment.data)
    except InputError as exc:
        if exc.field == "comment" and exc.code == "required":
            return refused_redirect(back, _("Say what she should change: your comments go back to her."))
        return refused_redirect(back, input_error_message(exc.code))
    flash(_("Approved.") if decision == "approve" else _("Returned to her with your comments."), "success")
    return redirect(back)
