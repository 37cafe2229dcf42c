"""Every body is checked for its type before it is read.

webargs reads a JSON body only when the request says it is JSON; any other body (a form, text, no
Content-Type at all) reaches the endpoint as no body, so a PATCH with a form body was an empty patch
that answered 200. An endpoint that takes a JSON body refuses every other with 415, naming the
media type to send. (A JSON body that does not parse is webargs' 400.)
"""

from __future__ import annotations

from flask import current_app, request

from ..translation import lazy_gettext as _l
from .errors import ApiProblem, field_error

#: What webargs reads as JSON (Flask's Request.is_json): application/json and application/*+json.
EXPECTED = "application/json"
SEND_JSON = _l("Send the body as JSON, with Content-Type: application/json.")


def takes_json_body(endpoint: str | None) -> bool:
    view = current_app.view_functions.get(endpoint or "")
    arguments = (getattr(view, "_apidoc", None) or {}).get("arguments") or {}
    return any(parameter.get("in") == "json" for parameter in arguments.get("parameters", ()))


def check_body_type() -> None:
    if request.method in ("GET", "HEAD", "OPTIONS") or not takes_json_body(request.endpoint):
        return
    if not request.is_json:
        raise ApiProblem(415, errors=[field_error("Content-Type", "json_required", SEND_JSON, "header")],
                         headers={"Accept-Patch": EXPECTED} if request.method == "PATCH" else None)
