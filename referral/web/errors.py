"""Error pages: translated, generic, never echoing the request (no survivor data in error pages)."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..faults import database_fault, log_unexpected, unavailable_response
from ..policy.core import PolicyError
from ..policy.refusals import record_refusal

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
        code = record_refusal(exc)
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
        log_unexpected(log, exc)
        if app.config.get("PROPAGATE_UNEXPECTED"):
            raise exc
        return render_template("errors/error.html", code=500, kind="500"), 500
