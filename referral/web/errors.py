"""Error pages: translated, generic, never echoing the request (no survivor data in error pages)."""

from __future__ import annotations

import logging
import traceback

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..audit.denials import record_denial
from ..faults import database_fault, unavailable_response
from ..policy.core import NotFoundError, PolicyError

log = logging.getLogger(__name__)


def register_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return render_template("errors/error.html", code=400, kind="csrf"), 400

    @app.errorhandler(PolicyError)
    def refused(exc: PolicyError):
        # A refusal a service raised below the view's own guard (a sender accepting her own
        # referral, a recipient writing on a file she no longer sees): the same 404 or 403 page as
        # the guard's, and the same access.denied event. The API blueprint answers its own.
        code, answer = (404, "not_found") if isinstance(exc, NotFoundError) else (403, "forbidden")
        record_denial(exc.action, exc.record, answer)
        return render_template("errors/error.html", code=code, kind=str(code)), code

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        # A failure after the view (Flask wraps it in a 500) may be the database going away.
        fault = database_fault(exc) if exc.code == 500 else None
        if fault:
            return unavailable_response(fault)
        code = exc.code or 500
        return render_template("errors/error.html", code=code, kind=str(code)), code

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):
        fault = database_fault(exc)
        if fault:
            return unavailable_response(fault)
        # The log gets the exception type and where it happened, not its message: messages and
        # arguments can carry survivor data.
        frames = traceback.extract_tb(exc.__traceback__)
        where = " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}:{f.name}" for f in reversed(frames[-6:]))
        log.error("unhandled %s at %s", type(exc).__name__, where)
        if app.config.get("PROPAGATE_UNEXPECTED"):
            raise exc
        return render_template("errors/error.html", code=500, kind="500"), 500
