"""Her own account: the live browser sessions and API tokens that let her in, each revocable, and
"log out everywhere". Only her own: another account's session or token is "not found"."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, session, url_for

from ..audit import deferred
from ..models.vocab import AuditOutcome
from ..security.sessions import end_session
from ..services import calendar_feed, credentials
from ..translation import gettext as _
from .forms.auth import ConfirmForm

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.get("")
def index():
    return _account_page()


def _account_page(feed_url: str | None = None):
    return render_template("auth/account.html", sessions=credentials.live_sessions(g.user),
                           tokens=credentials.live_tokens(g.user), current_session_id=session.row_id,
                           may_have_feed=calendar_feed.may_have_feed(g.user), feed_url=feed_url)


@bp.post("/calendar")
def issue_calendar_feed():
    """A new address for her calendar feed, shown once (the former one stops working)."""
    if not calendar_feed.may_have_feed(g.user) or not ConfirmForm().validate_on_submit():
        abort(403)
    secret = calendar_feed.issue_feed(g.user)
    base = current_app.config["BASE_URL"].rstrip("/")
    return _account_page(feed_url=base + url_for("calendar.feed", secret=secret))


@bp.post("/calendar/revoke")
def revoke_calendar_feed():
    if not ConfirmForm().validate_on_submit():
        abort(403)
    calendar_feed.revoke_feed(g.user)
    flash(_("Your calendar feed was stopped: calendars that read it get nothing more."), "success")
    return redirect(url_for("account.index"))


@bp.post("/keep-alive")
def keep_alive():
    """The page's "stay signed in" button: the request itself renews the session's idle time."""
    return "", 204


@bp.post("/sessions/<int(max=2147483647):session_id>/revoke")
def revoke_session(session_id: int):
    row = _own_or_404(credentials.own_session(g.user, session_id), "user_session", session_id)
    credentials.revoke_session(row)
    if row.id == session.row_id:
        end_session(session)  # ending this very session is logging out
        return redirect(url_for("auth.login"))
    flash(_("The session was ended."), "success")
    return redirect(url_for("account.index"))


@bp.post("/tokens/<int(max=2147483647):token_id>/revoke")
def revoke_token(token_id: int):
    row = _own_or_404(credentials.own_token(g.user, token_id), "api_token", token_id)
    credentials.revoke_token(row)
    flash(_("The access token was revoked."), "success")
    return redirect(url_for("account.index"))


def _own_or_404(row, object_type: str, object_id: int):
    if row is None or not ConfirmForm().validate_on_submit():
        deferred.record_after("access.denied", outcome=AuditOutcome.DENIED, object_type=object_type,
                              object_id=object_id, details={"action": "account.revoke", "answer": "not_found"})
        abort(404)
    return row
