"""The notification centre: what happened to referrals she follows, newest first."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for
from sqlalchemy import select, update

from ..extensions import db
from ..models import Notification
from ..models.base import utcnow
from ..services.notifications import notification_text
from .forms.auth import ConfirmForm

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
PAGE_SIZE = 30


@bp.get("/")
def index():
    page = max(1, request.args.get("page", 1, type=int))
    rows = db.session.execute(
        select(Notification).where(Notification.user_id == g.user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    ).scalars().all()
    items = [(n, notification_text(n.kind, n.params or {})) for n in rows[:PAGE_SIZE]]
    return render_template("notifications/index.html", items=items, page=page, has_next=len(rows) > PAGE_SIZE,
                           form=ConfirmForm())


@bp.post("/read")
def mark_all_read():
    if ConfirmForm().validate_on_submit():
        db.session.execute(update(Notification).where(Notification.user_id == g.user.id,
                                                       Notification.read_at.is_(None)).values(read_at=utcnow()))
    return redirect(url_for("notifications.index"))


@bp.get("/<int:notification_id>")
def open_one(notification_id):
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != g.user.id:
        return redirect(url_for("notifications.index"))
    if notification.read_at is None:
        notification.read_at = utcnow()
    if notification.referral_id:
        return redirect(url_for("referrals.show", referral_id=notification.referral_id))
    if notification.case_id:
        return redirect(url_for("cases.show", case_id=notification.case_id))
    if notification.kind == "account.approval_needed":
        return redirect(url_for("approvals.index"))
    return redirect(url_for("notifications.index"))
