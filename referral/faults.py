"""When the database cannot serve: name the fault, answer 503 without touching the database again.

A database that is unreachable, read-only or out of space is an outage, not a bug: users get a
translated page (API clients a problem) saying the service is temporarily unavailable and nothing
was saved, with ``Retry-After``, and operators get one log line, ``database.unavailable
reason=...``, to alert on. Nothing on this path may read the database: not the user's locale,
not the session, not the navigation, or the error page fails in turn and the server falls back
to a bare 500.
"""

from __future__ import annotations

import logging
import traceback

from flask import current_app, g, jsonify, render_template, request, session
from flask_babel import force_locale
from sqlalchemy.exc import DBAPIError

from .translation import lazy_gettext as _l

log = logging.getLogger(__name__)

UNREACHABLE, READ_ONLY, FULL = "unreachable", "read_only", "full"

#: PostgreSQL error codes (SQLSTATE) and what they mean for us; a class prefix covers its family
#: (53: insufficient resources, of which only 53100 is a full disk; 57P: shut down or terminated).
PG_CODES = {"25006": READ_ONLY, "53100": FULL, "53": UNREACHABLE, "08": UNREACHABLE, "57P": UNREACHABLE}
#: SQLite reports its faults only in words.
SQLITE_MESSAGES = {
    "attempt to write a readonly database": READ_ONLY,
    "database or disk is full": FULL,
    "unable to open database file": UNREACHABLE,
    "disk i/o error": UNREACHABLE,
    "database is locked": UNREACHABLE,
}

#: The API's answers are RFC 9457 problem documents; their types are URNs of this prefix.
PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:masar:problem:"

TITLE = _l("The service is temporarily unavailable")
DETAIL = _l("Nothing was saved. Try again after the number of seconds in Retry-After.")


def database_fault(exc: BaseException | None) -> str | None:
    """UNREACHABLE, READ_ONLY or FULL when ``exc`` (or what it wraps) is a database outage, else None."""
    while exc is not None and not isinstance(exc, DBAPIError):
        exc = getattr(exc, "original_exception", None) or exc.__cause__
    if exc is None:
        return None
    if exc.connection_invalidated:
        return UNREACHABLE
    code = getattr(exc.orig, "pgcode", None)
    if code:
        for prefix in sorted(PG_CODES, key=len, reverse=True):
            if code.startswith(prefix):
                return PG_CODES[prefix]
        return None
    message = str(exc.orig).lower()
    for words, reason in SQLITE_MESSAGES.items():
        if words in message:
            return reason
    # A PostgreSQL connection that could not even start has no SQLSTATE.
    if type(exc.orig).__name__ == "OperationalError" and exc.orig.__class__.__module__.startswith("psycopg"):
        return UNREACHABLE
    return None


def note_fault(reason: str, *, session_open: bool = True) -> None:
    """Log the fault once per request, forget the transaction, and drop pooled connections that may
    carry the fault with them (a connection opened while the database was read-only stays read-only
    after it is writable again, and pre-ping cannot tell)."""
    from .extensions import db

    try:
        db.session.rollback()
    except DBAPIError:
        db.session.invalidate()
    if session_open:  # False while the session itself is being opened
        spare_session()
    if g.get("db_fault"):
        return
    g.db_fault = reason
    log.warning("database.unavailable reason=%s path=%s", reason, request.path)
    if db.engine.dialect.name != "sqlite":  # SQLite keeps no state per connection worth dropping
        db.engine.dispose()


def spare_session() -> None:
    """The browser session is saved to the database after the response: not during an outage."""
    if hasattr(session, "row_id"):
        session.modified = False
        session.new_token = None
        if session.row is not None:
            from .models.base import utcnow

            session.seen_at = utcnow()  # nothing to touch either


def _offline_locale() -> str:
    """The reader's language from what is already in memory: the session's choice, the account's
    (if loaded before the fault), Accept-Language for the API, else the default."""
    languages = current_app.config["LANGUAGES"]
    if request.path.startswith("/api"):
        chosen = request.accept_languages.best_match(languages)
        if chosen:
            return chosen
    lang = session.get("lang") if hasattr(session, "get") else None
    user = g.get("user")
    loaded = getattr(user, "__dict__", {}).get("locale") if user is not None else None
    for candidate in (lang, loaded):
        if candidate in languages:
            return candidate
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def wants_problem() -> bool:
    return request.path.startswith("/api") or request.path in ("/readyz", "/healthz")


def unavailable_response(reason: str):
    """The 503 for a database fault, as a problem (API, probes) or a page, in the reader's language."""
    note_fault(reason)
    return outage_response(reason)


def outage_response(reason: str):
    """The 503 itself, for any reason the service cannot serve (a database fault, a failed
    start-up self-check); reads nothing from the database."""
    retry = str(current_app.config["UNAVAILABLE_RETRY_SECONDS"])
    with force_locale(_offline_locale()):
        if wants_problem():
            response = jsonify({"type": TYPE_PREFIX + "service-unavailable", "title": str(TITLE), "status": 503,
                                "detail": str(DETAIL), "reason": reason, "errors": []})
            response.mimetype = PROBLEM_MEDIA_TYPE
        else:
            response = current_app.make_response(render_template("errors/unavailable.html", retry=retry))
    response.status_code = 503
    response.headers["Retry-After"] = retry
    response.headers["Cache-Control"] = "no-store"
    return response


def log_unexpected(logger: logging.Logger, exc: BaseException) -> None:
    """Log an unexpected error by its type and where it happened, never its message or arguments:
    they can carry survivor data (a name in a failed query, a narrative in a validation error)."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}:{f.name}" for f in reversed(frames[-6:]))
    logger.error("unhandled %s at %s", type(exc).__name__, where)
