"""The calendar feed's own address: fetched by a calendar app, without a login or a session."""

from __future__ import annotations

from flask import Blueprint, Response, abort

from ..extensions import limiter
from ..services import calendar_feed

bp = Blueprint("calendar", __name__, url_prefix="/calendar")


@bp.get("/<secret>.ics")
@limiter.limit("60/hour")
def feed(secret):
    user = calendar_feed.user_for_feed(secret)
    if user is None:
        abort(404)  # unknown, replaced, revoked, or the account is closed: nothing to tell apart
    response = Response(calendar_feed.feed_for(user), mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="masar.ics"'
    return response
