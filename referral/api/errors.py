"""Every API error is an RFC 9457 problem: a stable type, a translated title, the fields in error.

Services raise domain errors (policy refusals, input errors with a field and a code, workflow
refusals); this module is the one place that turns each into its HTTP status. A problem never
echoes the request: input values can be survivor data.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from flask_babel import force_locale
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from ..faults import PROBLEM_MEDIA_TYPE, TYPE_PREFIX, database_fault, log_unexpected, unavailable_response
from ..policy import NotFoundError, PermissionDenied
from ..policy.core import PolicyError
from ..policy.refusals import record_refusal
from ..services.cases import StaleCase
from ..services.errors import MESSAGES, InputError
from ..services.plan import StaleGoal
from ..translation import lazy_gettext as _l
from ..workflows.errors import ConcurrentUpdate, GuardFailed, InvalidTransition, StaleVersion, WorkflowError
from .locale import api_locale

log = logging.getLogger(__name__)


#: Problem types: slug -> translated title. The slug is part of the contract; never rename one.
TITLES = {
    "bad-request": _l("The request is malformed"),
    "unauthenticated": _l("Authentication is required"),
    "invalid-token": _l("The access token is not valid"),
    "invalid-credentials": _l("The credentials are not correct"),
    "enrolment-required": _l("The second factor is not set up"),
    "password-change-required": _l("The password must be changed first"),
    "forbidden": _l("This action is not allowed"),
    "not-found": _l("Not found"),
    "method-not-allowed": _l("This method is not allowed here"),
    "not-acceptable": _l("This media type cannot be produced"),
    "conflict": _l("The request conflicts with the current state"),
    "invalid-transition": _l("This action is not possible in the current state"),
    "concurrent-update": _l("Someone else changed this record at the same moment"),
    "stale-version": _l("The record changed since it was read"),
    "payload-too-large": _l("The request is too large"),
    "unsupported-media-type": _l("This media type is not supported"),
    "invalid-input": _l("Some fields are not valid"),
    "too-many-requests": _l("Too many requests"),
    "server-error": _l("The request could not be completed"),
}

DETAILS = {
    "unauthenticated": _l("Send an access token in the Authorization header: Bearer <token>."),
    "invalid-token": _l("The token is unknown, expired or revoked. Ask for a new one."),
    "invalid-credentials": _l("Username, password or one-time code is not correct."),
    "enrolment-required": _l("Log in on the web once to set up the authenticator, then ask for a token."),
    "password-change-required": _l("Log in on the web to choose a new password, then ask for a token."),
    "stale-version": _l("Read the record again and retry with its new ETag in If-Match."),
    "concurrent-update": _l("Read the record again before retrying."),
    "too-many-requests": _l("Wait a few minutes and try again."),
    "invalid-input": _l("See the errors member for the fields to correct."),
}

#: Status -> problem type, for errors that carry nothing more specific.
STATUS_TYPES = {
    400: "bad-request", 401: "unauthenticated", 403: "forbidden", 404: "not-found", 405: "method-not-allowed",
    406: "not-acceptable", 409: "conflict", 412: "stale-version", 413: "payload-too-large",
    415: "unsupported-media-type", 422: "invalid-input", 429: "too-many-requests", 500: "server-error",
}

#: Request fields named by services that the API calls differently.
FIELD_NAMES = {"to_agency_id": "service_id", "version": "If-Match", "q": "value"}


class ApiProblem(Exception):
    """Raised by API code to answer with a problem; carries no request data."""

    def __init__(self, status: int, kind: str | None = None, *, errors: list[dict] | None = None,
                 headers: dict | None = None):
        super().__init__(kind or STATUS_TYPES.get(status, "server-error"))
        self.status = status
        self.kind = kind or STATUS_TYPES.get(status, "server-error")
        self.errors = errors or []
        self.headers = headers or {}


def field_error(field: str | None, code: str, message: str | None = None, location: str = "json") -> dict:
    name = FIELD_NAMES.get(field or "", field or "")
    return {"field": name, "location": "header" if name == "If-Match" else location, "code": code,
            "message": message if message is not None else MESSAGES.get(code, TITLES["invalid-input"])}


def problem_response(status: int, kind: str, *, errors: list[dict] | None = None, headers: dict | None = None):
    with force_locale(api_locale()):
        body = {
            "type": TYPE_PREFIX + kind,
            "title": str(TITLES.get(kind, TITLES["server-error"])),
            "status": status,
            "detail": str(DETAILS.get(kind, TITLES.get(kind, TITLES["server-error"]))),
            "errors": [{**e, "message": str(e["message"])} for e in errors or []],
        }
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_MEDIA_TYPE
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _webargs_errors(exc: HTTPException) -> list[dict]:
    """webargs reports {location: {field: [messages]}}; list each field once, in order."""
    messages = (getattr(exc, "data", None) or {}).get("messages") or {}
    errors = []
    for location, fields in messages.items():
        if not isinstance(fields, dict):
            errors.append(field_error("", "malformed", _message(fields), location))
            continue
        for name, value in _flatten(fields):
            code = _schema_code(value)
            errors.append(field_error(name, code, MESSAGES[code] if code in MESSAGES else _message(value),
                                      location))
    return errors


#: marshmallow's English messages for the common cases, as our stable (and translated) codes.
SCHEMA_CODES = {"Missing data for required field.": "required", "Field may not be null.": "required",
                "Unknown field.": "unknown_field"}


def _schema_code(value) -> str:
    messages = value if isinstance(value, list | tuple) else [value]
    for message in map(str, messages):
        if message in SCHEMA_CODES:
            return SCHEMA_CODES[message]
        if message.startswith("Must be one of:"):
            return "unknown_value"
    return "invalid"


def _flatten(fields: dict, prefix: str = ""):
    for name, value in fields.items():
        path = f"{prefix}.{name}" if prefix else str(name)
        if isinstance(value, dict):
            yield from _flatten(value, path)
        else:
            yield path, value


def _message(value) -> str:
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return str(value)


def _denied(exc: PolicyError) -> None:
    record_refusal(exc, channel="api")  # once: the API's guard may have logged it with its record


def register_error_handlers(bp: Blueprint) -> None:
    @bp.errorhandler(ApiProblem)
    def api_problem(exc: ApiProblem):
        return problem_response(exc.status, exc.kind, errors=exc.errors, headers=exc.headers)

    @bp.errorhandler(NotFoundError)
    def not_found(exc: NotFoundError):
        _denied(exc)
        return problem_response(404, "not-found")

    @bp.errorhandler(PermissionDenied)
    def forbidden(exc: PermissionDenied):
        _denied(exc)
        return problem_response(403, "forbidden")

    @bp.errorhandler(InputError)
    def case_input(exc: InputError):
        return problem_response(422, "invalid-input", errors=[field_error(exc.field, exc.code)])

    @bp.errorhandler(StaleCase)
    def stale_case(exc: StaleCase):
        return _stale()

    @bp.errorhandler(StaleGoal)
    def stale_goal(exc: StaleGoal):
        return _stale()

    @bp.errorhandler(WorkflowError)
    def workflow(exc: WorkflowError):
        if isinstance(exc, StaleVersion):
            return _stale()
        if isinstance(exc, ConcurrentUpdate):
            return problem_response(409, "concurrent-update")
        if isinstance(exc, InvalidTransition) and exc.code != "unknown_action":
            return problem_response(409, "invalid-transition", errors=[field_error(exc.field, exc.code)])
        if isinstance(exc, GuardFailed | InvalidTransition):
            return problem_response(422, "invalid-input", errors=[field_error(exc.field, exc.code)])
        return problem_response(409, "conflict", errors=[field_error(exc.field, exc.code)])

    @bp.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        fault = database_fault(exc) if exc.code == 500 else None
        return unavailable_response(fault) if fault else http_problem(exc)

    @bp.errorhandler(Exception)
    def unexpected(exc: Exception):
        fault = database_fault(exc)
        if fault:
            return unavailable_response(fault)
        log_unexpected(log, exc)
        if current_app.config.get("PROPAGATE_UNEXPECTED"):
            raise exc
        return problem_response(500, "server-error")


def _stale():
    return problem_response(412, "stale-version", errors=[field_error("version", "stale_version")])


def http_problem(exc: HTTPException):
    status = exc.code or 500
    kind = STATUS_TYPES.get(status, "server-error" if status >= 500 else "bad-request")
    headers = dict((getattr(exc, "data", None) or {}).get("headers") or {})
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    if status == 429:
        original = exc.get_response()
        if original.headers.get("Retry-After"):
            headers["Retry-After"] = original.headers["Retry-After"]
    errors = _webargs_errors(exc) if status in (400, 422) else []
    return problem_response(status, kind, errors=errors, headers=headers)
