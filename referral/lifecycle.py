"""One request lifecycle: load the user, deny by default, commit once at the end, audit denials.

Views never commit. A response under 400 commits the request's transaction (changes, audit
events, notifications and outbox emails together); anything else rolls it all back, and so does a
request marked refused (`refuse`) whatever its status. Denied accesses are then written in a
transaction of their own, so a refusal is logged even though the request's work is undone. The
browser session (flash messages, the idle clock) is saved after that, in its own transaction, so a
refusal's message survives the rollback.
"""

from __future__ import annotations

from flask import Flask, g, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import joinedload

from .audit import deferred
from .audit.context import Actor, reset_actor, set_actor
from .audit.deferred import keep_disclosures
from .extensions import db, login_manager
from .faults import database_fault, unavailable_response
from .models import User
from .security.proxies import client_ip
from .security.tokens import short_ref

#: Endpoints reachable without a logged-in user. Everything else is refused (deny by default).
PUBLIC_ENDPOINTS = frozenset(
    {
        "static",
        "auth.login",
        "auth.second_factor",
        "auth.enrol",
        "auth.logout",
        "i18n.set_language",
        "health.live",
        "health.ready",
        "calendar.feed",  # its secret address is the credential (services/calendar_feed.py)
    }
)
#: Pages of the public: their actor has no address and no session (the reporter's address is
#: never stored, not even in the access log). The awareness library is read the same way.
ANONYMOUS_PUBLIC_ENDPOINTS = frozenset({"public.report", "public.status", "public.add_information",
                                        "library.index", "library.item", "library.document", "library.help",
                                        # A partner outside Masar answering its referral letter's link.
                                        "partner.show", "partner.act"})
PUBLIC_ENDPOINTS = PUBLIC_ENDPOINTS | ANONYMOUS_PUBLIC_ENDPOINTS
#: Served while the database is down: they never read it.
OUTAGE_ENDPOINTS = frozenset({"static", "health.live"})
#: Reachable while the account must change its password first.
PASSWORD_CHANGE_ENDPOINTS = frozenset({"auth.change_password", "auth.logout", "i18n.set_language", "static"})


def user_of_the_session_row(_request=None) -> User | None:
    """Flask-Login's one loader (extensions.SessionRowLoginManager): the user of the server-side
    session row. The row is the one source of truth: it has a user only once both factors passed,
    and the session interface has already refused a revoked, idle or expired row
    (security/sessions.py). A disabled account has no user."""
    user_id = getattr(session, "user_id", None)
    if user_id is None:
        return None
    # Her roles in the same query (joined): every request asks them, the bare ones included. Her
    # agency too: every page's header names it, and it is the agency of every referral her
    # inbox and her received files list.
    user = db.session.get(User, user_id, options=[joinedload(User.role_rows), joinedload(User.agency)])
    if user is None or not user.active:
        return None
    return user


def _not_logged_in():
    """Flask-Login's answer to a page that needs a login: back to the login page, saying when her
    session had ended rather than never begun."""
    expired = 1 if getattr(session, "expired", False) else None
    return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None,
                            expired=expired))


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    # The server-side session is bound, revocable and rotated at login: Flask-Login's own session
    # protection would only write keys into it. Remember-me stays off: no remember cookie is ever
    # set, and one sent anyway is not read (the loader reads the row, nothing else).
    login_manager.session_protection = None
    app.config["REMEMBER_COOKIE_DURATION"] = 0
    login_manager.request_loader(user_of_the_session_row)
    login_manager.unauthorized_handler(_not_logged_in)


def refuse() -> None:
    """The request was refused: roll back everything it did, even if it answers with a redirect
    (a refusal told by a flash message on the page it goes back to)."""
    g.refused = True


def init_lifecycle(app: Flask) -> None:
    init_login(app)

    @app.before_request
    def load_user_and_deny_by_default():
        if g.get("db_fault") and request.endpoint not in OUTAGE_ENDPOINTS:
            return unavailable_response(g.db_fault)  # the session could not be read
        endpoint = request.endpoint or ""
        if endpoint in ANONYMOUS_PUBLIC_ENDPOINTS:
            g.user = None  # even a logged-in caseworker reporting from her phone is anonymous here
            g.actor_token = set_actor(Actor(channel="public"))
            return None
        if endpoint.startswith("api."):
            g.user = None  # the API authenticates with bearer tokens (its own check), never a cookie
            g.actor_token = set_actor(actor_for(None, channel="web"))
            return None
        # Views and services take the user as an argument: g.user is Flask-Login's current_user, the
        # object itself (not its proxy), or None.
        g.user = current_user._get_current_object() if current_user.is_authenticated else None
        g.actor_token = set_actor(actor_for(g.user, channel="web"))
        if g.user is None:
            return None if endpoint in PUBLIC_ENDPOINTS else login_manager.unauthorized()
        if g.user.must_change_password and endpoint not in PASSWORD_CHANGE_ENDPOINTS:
            return redirect(url_for("auth.change_password"))
        return None

    @app.after_request
    def commit_or_roll_back(response):
        try:
            if response.status_code < 400 and not g.get("refused"):
                db.session.commit()
            else:
                keep_disclosures()  # the answer was shown: what it showed of a file stays logged
                db.session.rollback()
            deferred.flush()
        except DBAPIError as exc:
            # A failed commit (a read-only or full database) is an outage the user must hear about
            # as one, not a 500: nothing was saved.
            reason = database_fault(exc)
            if reason is None:
                raise
            return unavailable_response(reason)
        return response

    @app.teardown_request
    def roll_back_on_error(exc):
        if exc is not None and not g.get("db_fault"):
            db.session.rollback()
            deferred.flush()
        token = g.pop("actor_token", None)
        if token is not None:
            reset_actor(token)


def actor_for(user: User | None, *, channel: str, session_digest: str | None = None) -> Actor:
    row = getattr(session, "row", None)
    digest = session_digest or (row.token_hash if row is not None else None)
    if user is None:
        return Actor(ip_address=client_ip(), channel=channel, session_ref=short_ref(digest) if digest else None)
    return Actor(
        user_id=user.id,
        username=user.username,
        agency_id=user.agency_id,
        roles=tuple(sorted(r.value for r in user.roles)),
        session_ref=short_ref(digest) if digest else None,
        ip_address=client_ip(),
        channel=channel,
    )
