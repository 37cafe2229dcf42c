"""The caller's notifications: what happened to referrals she follows, newest first."""

from __future__ import annotations

from flask import g
from flask_babel import force_locale

from ..models import Notification
from ..notifications import notification_text
from ..services import notification_lists
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
    found = notification_lists.notifications_page(g.user, group=None, unread_only=args["unread"],
                                                  page=args["page"], every_kind=True, size=PAGE_SIZE)
    with force_locale(api_locale()):
        items = [_item(n) for n in found.items]
    return {"items": items, "page": found.number, "page_size": found.size, "next_page": found.next_number}


@bp.route("/<int(max=2147483647):notification_id>/read", methods=["POST"])
@bp.response(200, NotificationSchema)
@bp.problems(401, 404)
def mark_read(notification_id):
    """Mark one of your notifications as read"""
    notification = notification_lists.mark_read(g.user, notification_id)
    if notification is None:
        raise ApiProblem(404)
    with force_locale(api_locale()):
        return _item(notification)
