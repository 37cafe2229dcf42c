"""A lead's page: the account changes of her agency that wait for her approval.

Approving a new account or a password reset shows its temporary password once, in the answer to
the POST: the lead hands it over in person. Requests of other agencies are not found (404); her
own account's are refused (403); both are logged.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for

from ..policy import Action
from ..services import account_approvals
from ..services.admin import AccountError
from ..translation import gettext as _
from .access import guard
from .forms.admin import account_error_message
from .refusals import refused_redirect

bp = Blueprint("approvals", __name__, url_prefix="/approvals")


@bp.before_request
def require_lead():
    guard(Action.ACCOUNTS_APPROVE)


@bp.get("")
def index():
    return render_template("approvals/index.html", requests=account_approvals.waiting_for(g.user))


@bp.post("/<int:approval_id>/approve")
def approve(approval_id: int):
    approval = _load(approval_id)
    try:
        decided = account_approvals.approve(g.user, approval)
    except AccountError as exc:
        return _refused(exc)
    if decided.temporary_password is not None:
        return render_template("approvals/temporary_password.html", user=approval.user,
                               password=decided.temporary_password, kind=approval.kind)
    flash(_("Approved: the change is made and she was told."), "success")
    return redirect(url_for("approvals.index"))


@bp.post("/<int:approval_id>/refuse")
def refuse(approval_id: int):
    approval = _load(approval_id)
    try:
        account_approvals.refuse(g.user, approval)
    except AccountError as exc:
        return _refused(exc)
    flash(_("Refused: nothing changes. She and the administrator were told."), "success")
    return redirect(url_for("approvals.index"))


def _load(approval_id: int):
    approval = account_approvals.find_request(approval_id)
    if approval is None:
        abort(404)
    guard(Action.ACCOUNTS_APPROVE, approval)
    return approval


def _refused(exc: AccountError):
    return refused_redirect(url_for("approvals.index"), account_error_message(exc.field, exc.code))
