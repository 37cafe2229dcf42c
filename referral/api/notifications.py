"""The caller's notifications: what happened to referrals she follows, newest first."""

from __future__ import annotations

from flask import g
from flask_babel import force_locale
from sqlalchemy import select

from ..extensions import db
from ..models import Notification
from ..models.base import utcnow
from ..services.notifications import notification_text
from .base import ApiBlueprint
from .errors import ApiProblem
from .locale import api_locale
from .schemas.notifications import NotificationArgsSchema, NotificationPageSchema, NotificationSchema

bp = ApiBlueprint("notifications", __name__, url_prefix="/v1/notifications", tag="notifications",
                  description="In-app notifications (reference numbers only, never survivor data).")

PAGE_SIZE = 30


def _item(notification: Notification) -> dict:
    params = notification.params or {}
    return {"id": notification.id, "kind": notification.kind, "text": notification_text(notification.kind, params),
            "reference": params.get("reference"), "referral_id": notification.referral_id,
            "case_id": notification.case_id,
            "created_at": notification.created_at, "read_at": notification.read_at}


@bp.route("", methods=["GET"])
@bp.arguments(NotificationArgsSchema, location="query")
@bp.response(200, NotificationPageSchema)
@bp.problems(401)
def list_notifications(args):
    """Your notifications, newest first"""
    page = args["page"]
    query = select(Notification).where(Notification.user_id == g.user.id)
    if args["unread"]:
        query = query.where(Notification.read_at.is_(None))
    rows = db.session.execute(query.order_by(Notification.created_at.desc(), Notification.id.desc())
                              .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).scalars().all()
    with force_locale(api_locale()):
        items = [_item(n) for n in rows[:PAGE_SIZE]]
    return {"items": items, "page": page, "page_size": PAGE_SIZE,
            "next_page": page + 1 if len(rows) > PAGE_SIZE else None}


@bp.route("/<int(max=2147483647):notification_id>/read", methods=["POST"])
@bp.response(200, NotificationSchema)
@bp.problems(401, 404)
def mark_read(notification_id):
    """Mark one of your notifications as read"""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != g.user.id:
        raise ApiProblem(404)
    if notification.read_at is None:
        notification.read_at = utcnow()
    with force_locale(api_locale()):
        return _item(notification)
