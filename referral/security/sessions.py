"""Server-side, revocable browser sessions.

The cookie carries only a random token; the database keeps its digest, the owner, the small
session state and the two clocks (idle and absolute). Revoking a row ends the session everywhere,
which a signed cookie cannot do. Works unchanged with any number of app processes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask, Request, Response, request
from flask.sessions import SessionInterface, SessionMixin
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select, update
from werkzeug.datastructures import CallbackDict

from ..extensions import db
from ..models import UserSession
from ..models.base import utcnow
from .proxies import client_ip
from .tokens import new_token, token_digest

#: A signed anonymous cookie is a CSRF token, a language and a few flash messages at most.
MAX_ANONYMOUS_COOKIE = 3000
#: last_seen_at is written at most this often, so reading a page is not a write each time.
TOUCH_INTERVAL = timedelta(seconds=60)


class ServerSession(CallbackDict, SessionMixin):
    def __init__(self, initial=None, row: UserSession | None = None, expired: bool = False):
        def on_update(session):
            session.modified = True

        super().__init__(initial or {}, on_update)
        self.row = row
        # Read now: after the request's commit the row's attributes are expired, and reading them
        # again in save_session would cost a query on every page.
        self.row_id = row.id if row is not None else None
        self.seen_at = row.last_seen_at if row is not None else None
        self._user_id = row.user_id if row is not None else None
        self.modified = False
        #: The previous session ended by timeout: the login page says so.
        self.expired = expired
        #: Set by `start_authenticated_session`: issue a new token and forget the old one.
        self.new_token: str | None = None
        #: Set by `end_session`: the cookie is deleted.
        self.ended = False

    @property
    def user_id(self) -> int | None:
        return self._user_id if self.row is not None else None


def _is_live(row: UserSession, now: datetime, idle: timedelta) -> bool:
    return row.revoked_at is None and row.expires_at > now and row.last_seen_at + idle > now


#: What a visitor who has not started to log in may keep: held in a signed cookie, not in a row,
#: so anonymous requests write nothing (300 cookie-less visits to the login page made 300 rows).
#: Any other key (the pending login, the bound account) moves the session into the database.
ANONYMOUS_KEYS = frozenset({"csrf_token", "lang", "_flashes"})
ANONYMOUS_SALT = "masar.anonymous-session"


def _anonymous_serializer(app: Flask) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(app.secret_key, salt=ANONYMOUS_SALT)


def _open_anonymous(app: Flask, value: str) -> ServerSession:
    max_age = app.config["SESSION_ABSOLUTE_LIFETIME"].total_seconds()
    try:
        data = _anonymous_serializer(app).loads(value, max_age=max_age)
    except BadSignature:
        return ServerSession()
    return ServerSession({k: v for k, v in data.items() if k in ANONYMOUS_KEYS} if isinstance(data, dict) else {})


class DatabaseSessionInterface(SessionInterface):
    def open_session(self, app: Flask, request: Request) -> ServerSession:
        token = request.cookies.get(app.config["SESSION_COOKIE_NAME"])
        if token and "." in token and len(token) <= MAX_ANONYMOUS_COOKIE:
            return _open_anonymous(app, token)  # our database tokens never contain a dot
        if not token or len(token) > 100:
            return ServerSession()
        row = db.session.execute(
            select(UserSession).where(UserSession.token_hash == token_digest(token))
        ).scalar_one_or_none()
        now = utcnow()
        if row is None:
            return ServerSession()
        if not _is_live(row, now, app.config["SESSION_IDLE_TIMEOUT"]):
            return ServerSession(expired=row.user_id is not None and row.revoked_at is None)
        return ServerSession(dict(row.data or {}), row=row)

    def save_session(self, app: Flask, session: ServerSession, response: Response) -> None:
        name = app.config["SESSION_COOKIE_NAME"]
        cookie_args = {
            "domain": self.get_cookie_domain(app),
            "path": self.get_cookie_path(app),
            "secure": app.config["SESSION_COOKIE_SECURE"],
            "httponly": True,
            "samesite": app.config["SESSION_COOKIE_SAMESITE"],
        }
        now = utcnow()
        row = session.row
        if row is None and not session.modified:
            if session.expired or session.ended:
                response.delete_cookie(name, **{k: cookie_args[k] for k in ("domain", "path")})
            return
        if row is None and not session.new_token and set(session) <= ANONYMOUS_KEYS:
            value = _anonymous_serializer(app).dumps(dict(session))
            response.set_cookie(name, value, expires=None, **cookie_args)
            response.vary.add("Cookie")
            return
        if row is None or session.new_token:
            token = session.new_token or new_token()
            row = UserSession(
                token_hash=token_digest(token),
                user_id=session.pop("_bind_user_id", None),
                data={},
                created_at=now,
                last_seen_at=now,
                expires_at=now + app.config["SESSION_ABSOLUTE_LIFETIME"],
            )
            row.data = dict(session)
            if row.user_id is not None:
                _describe_client(row)
            db.session.add(row)
            db.session.commit()
            response.set_cookie(name, token, expires=None, **cookie_args)
            response.vary.add("Cookie")
            return
        if session.modified:
            db.session.execute(
                update(UserSession).where(UserSession.id == session.row_id).values(data=dict(session), last_seen_at=now)
            )
            db.session.commit()
        elif now - session.seen_at > TOUCH_INTERVAL:
            db.session.execute(
                update(UserSession).where(UserSession.id == session.row_id).values(last_seen_at=now)
            )
            db.session.commit()
        response.vary.add("Cookie")


def _describe_client(row: UserSession) -> None:
    """Where a signed-in session was opened, so she can recognise it on her account page."""
    row.ip_address = client_ip()
    row.user_agent = (request.user_agent.string or "")[:300] or None


def start_authenticated_session(session: ServerSession, user_id: int, keep: dict | None = None) -> None:
    """Log in: a new token and a new row (no session fixation); the old row is revoked."""
    if session.row is not None:
        session.row.revoked_at = utcnow()
    session.clear()
    session.update(keep or {})
    session["_bind_user_id"] = user_id
    session.row = None
    session.new_token = new_token()


def revoke_user_sessions(user_id: int, *, except_row_id: int | None = None) -> int:
    """End every session of a user (logout everywhere, password change, account disabled)."""
    statement = (
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    if except_row_id is not None:
        statement = statement.where(UserSession.id != except_row_id)
    return db.session.execute(statement).rowcount


def end_session(session: ServerSession) -> None:
    if session.row is not None:
        session.row.revoked_at = utcnow()
    session.clear()
    session.row = None
    session.modified = False
    session.ended = True
