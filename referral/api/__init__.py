"""The REST API (/api/v1): JSON and an OpenAPI 3 contract over the same services and policy as the web.

Every endpoint is named "api.*": the request lifecycle leaves them to the API's bearer-token check
(access.authenticate_request), commits for answers under 400 and rolls back the others, like the web.
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.routing import RequestRedirect

from ..extensions import csrf
from . import (  # noqa: F401
    audit,
    auth,
    cases,
    casework,
    consents,
    docs,
    hsds,
    metrics,
    notifications,
    observatory,
    referrals,
    reports,
    risk,
    services,
    stays,
)
from .access import authenticate_request
from .base import MasarApi, root
from .bodies import check_body_type
from .errors import http_problem, register_error_handlers

RESOURCES = (auth.bp, cases.bp, consents.bp, risk.bp, referrals.bp, services.bp, notifications.bp,
             metrics.bp, audit.bp, reports.bp, stays.bp, casework.bp, hsds.bp, observatory.bp)

# Nesting happens once, at import: a blueprint cannot change after an app registered it.
for _resource in RESOURCES:
    root.register_blueprint(_resource)
root.before_request(authenticate_request)
root.before_request(check_body_type)  # after authentication: an anonymous caller learns nothing more
register_error_handlers(root)

SPEC_OPTIONS = {
    "info": {
        "description": (
            "Masar's machine interface: the same rules as the web pages (one policy, one workflow). "
            "Get a token with POST /api/v1/auth/token, then send `Authorization: Bearer <token>`. "
            "Errors are RFC 9457 problems (application/problem+json) with a stable `type`, a title in the "
            "language of Accept-Language (ar, fr, en) and `errors` naming the fields. Updates and transitions "
            "honour If-Match with the ETag read (412 when stale)."
        ),
    },
    "security": [{"bearerAuth": []}],
}


def init_api(app: Flask) -> None:
    app.config.setdefault("API_TITLE", "Masar API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("API_SPEC_OPTIONS", SPEC_OPTIONS)
    api = MasarApi(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer",
                                                       "description": "A token from POST /api/v1/auth/token."})
    api.register_blueprint(root)
    for resource in RESOURCES:
        api.spec.tag({"name": resource.tag, "description": resource.description})
    for name, blueprint in app.blueprints.items():
        if name == "api" or name.startswith("api."):
            csrf.exempt(blueprint)  # bearer tokens only, never cookies: nothing to forge
    # Before everything else (the web's login redirect included): an unknown /api URL or method
    # answers as a problem, not as a page.
    app.before_request_funcs.setdefault(None, []).insert(0, _api_routing_errors)


def _api_routing_errors():
    if request.routing_exception is None or not (request.path == "/api" or request.path.startswith("/api/")):
        return None
    exc = request.routing_exception
    if isinstance(exc, RequestRedirect):
        return exc.get_response()
    return http_problem(exc)
