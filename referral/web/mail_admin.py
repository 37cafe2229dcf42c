"""The administrator's view of email delivery: the abandoned emails, queued again with one action."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, url_for

from ..policy import Action
from ..services import outbox_admin
from ..translation import ngettext
from .access import guard

bp = Blueprint("mail_admin", __name__, url_prefix="/admin/email")


@bp.before_request
def require_admin():
    guard(Action.USERS_MANAGE)  # the administrator's pages share one permission


@bp.get("")
def index():
    return render_template("admin/email.html", emails=outbox_admin.abandoned_emails(g.user),
                           count=outbox_admin.abandoned_count())


@bp.post("/requeue")
def requeue():
    count = outbox_admin.requeue_abandoned(g.user)
    flash(ngettext("%(num)d email queued again.", "%(num)d emails queued again.", count), "success")
    return redirect(url_for("mail_admin.index"))
