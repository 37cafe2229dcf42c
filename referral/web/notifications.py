"""The notification centre: what happened to referrals she follows, newest first."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for

from ..notifications import notification_text
from ..services import notification_lists
from ..translation import lazy_gettext as _l
from .forms.auth import ConfirmForm

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

GROUP_LABELS = {
    "referrals": _l("Referrals"),
    "messages": _l("Messages"),
    "tasks": _l("Follow-ups"),
    "overdue": _l("Overdue"),
    "stalled": _l("Files without activity"),
    "emergency": _l("Emergency access"),
    "duplicates": _l("Possible duplicates"),
    "accounts": _l("Accounts"),
}


@bp.get("/")
def index():
    page = max(1, request.args.get("page", 1, type=int))
    group = request.args.get("kind") or None
    if group is not None and group not in notification_lists.GROUPS:
        group = None  # an unknown filter shows everything rather than an empty page
    unread_only = request.args.get("unread") == "1"
    found = notification_lists.notifications_page(g.user, group=group, unread_only=unread_only, page=page)
    rows, has_next = found.items, found.has_next
    items = [(n, notification_text(n.kind, n.params or {})) for n in rows]
    digest = notification_lists.stalled_digest(g.user, unread_only=unread_only) if group is None else []
    return render_template("notifications/index.html", items=items, page=page, has_next=has_next,
                           form=ConfirmForm(), group=group, groups=GROUP_LABELS, unread_only=unread_only,
                           digest=digest, digest_names=notification_lists.DIGEST_NAMES)


@bp.post("/read")
def mark_all_read():
    if ConfirmForm().validate_on_submit():
        notification_lists.mark_all_read(g.user)
    return redirect(url_for("notifications.index"))


@bp.get("/<int:notification_id>")
def open_one(notification_id):
    notification = notification_lists.mark_read(g.user, notification_id)
    if notification is None:
        return redirect(url_for("notifications.index"))
    if notification.referral_id:
        return redirect(url_for("referrals.show", referral_id=notification.referral_id))
    if notification.case_id:
        return redirect(url_for("cases.show", case_id=notification.case_id))
    if notification.kind.startswith("hot_case.") and (notification.params or {}).get("hot_case_id"):
        return redirect(url_for("hot_cases.show", hot_case_id=notification.params["hot_case_id"]))
    if notification.kind == "account.approval_needed":
        return redirect(url_for("approvals.index"))
    return redirect(url_for("notifications.index"))
